// The SDK's fallback for networks that block WebSockets (docs/protocol.md § 1.2): a
// WebSocketLike over the gateway's Server-Sent Events stream (read with fetch streaming, so it
// runs in browsers and on Node 20 without EventSource) and HTTP POSTs for requests. The client
// above it is unchanged: it sends MessagePack requests and reads MessagePack messages; this
// transport turns them into the JSON the HTTP side speaks and back. A reconnect sends the last
// event id (it carries the resume token): the same player, and the pushes it missed.
import { CloseCode } from '../protocol/wire.js';
import { decode, encode } from './codec.js';
import { OPEN, webSocketCtor, type WebSocketCtor, type WebSocketLike } from './websocket.js';

export type Transport = 'auto' | 'websocket' | 'sse';

/** WebSocket attempts that close before the server's hello, in a row, before `auto` switches to SSE. */
export const WS_ATTEMPTS = 2;

const CONNECTING = 0;
const CLOSING = 2;
const CLOSED = 3;

/** What the SSE sockets of one client share across reconnects. */
interface SseShared {
  lastEventId: string | null;
  token: string | undefined;
}

/** JSON has no binary: byte strings go as arrays of numbers (as the gateway renders them). */
const jsonValue = (_k: string, v: unknown): unknown => (v instanceof Uint8Array ? Array.from(v) : v);

/** ws://host:port/ws?resume=… → http://host:port and the resume token, if any. */
export function httpBase(wsUrl: string): { base: string; resume: string | null; token: string | null } {
  const u = new URL(wsUrl);
  const scheme = u.protocol === 'wss:' ? 'https:' : 'http:';
  return { base: `${scheme}//${u.host}`, resume: u.searchParams.get('resume'), token: u.searchParams.get('token') };
}

/** `url` with `?resume=<token>` (or without one when there is no token yet). */
export function resumeUrl(url: string, token: string | null): string {
  if (token === null || token === '') return url;
  const u = new URL(url);
  u.searchParams.set('resume', token);
  return u.toString();
}

export class SseSocket implements WebSocketLike {
  binaryType = 'arraybuffer';
  readyState = CONNECTING;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private readonly aborter = new AbortController();
  private readonly base: string;
  /** The player's resume token, from the stream's hello: it names the player in every request. */
  private resume: string | null;
  /** Requests go one after another, as over one WebSocket. */
  private chain: Promise<void> = Promise.resolve();
  /** A `?token=` in the client's URL goes on the stream's URL too. */
  private readonly urlToken: string | null;

  constructor(
    url: string,
    private readonly shared: SseShared,
  ) {
    const { base, resume, token } = httpBase(url);
    this.base = base;
    this.resume = resume;
    this.urlToken = token;
    void this.read();
  }

  send(data: Uint8Array | ArrayBuffer): void {
    if (this.readyState !== OPEN) throw new Error('the event stream is not open');
    const msg = decode(data instanceof Uint8Array ? data : new Uint8Array(data)) as { id?: unknown };
    const body = JSON.stringify(msg, jsonValue);
    this.chain = this.chain.then(() => this.post(body, msg.id ?? null));
  }

  close(code: number = CloseCode.NORMAL, reason = ''): void {
    if (this.readyState >= CLOSING) return;
    this.readyState = CLOSING;
    this.aborter.abort();
    // As a WebSocket does: the close event comes later, not inside close().
    queueMicrotask(() => this.finish(code, reason));
  }

  private async read(): Promise<void> {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (this.shared.lastEventId !== null) headers['last-event-id'] = this.shared.lastEventId;
    else if (this.resume !== null) headers['x-tickverse-resume'] = this.resume;
    if (this.shared.token !== undefined) headers.authorization = `Bearer ${this.shared.token}`;
    let closing: { code: number; reason: string } | null = null;
    try {
      const q = this.urlToken === null ? '' : `?token=${encodeURIComponent(this.urlToken)}`;
      const res = await fetch(`${this.base}/api/stream${q}`, { headers, signal: this.aborter.signal });
      if (this.readyState >= CLOSING) return;
      if (!res.ok || res.body === null) {
        const text = await res.text().catch(() => '');
        const reason = (JSON.parse(text || '{}') as { error?: { message?: string } }).error?.message ?? `HTTP ${res.status}`;
        // A wrong token is final, as the WebSocket's 4001; anything else may pass (a limit, a restart).
        this.finish(res.status === 401 ? CloseCode.UNAUTHORIZED : 1006, reason);
        return;
      }
      this.readyState = OPEN;
      this.onopen?.({});
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      let data: string[] = [];
      let event = '';
      let id: string | null = null;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).replace(/\r$/, '');
          buf = buf.slice(nl + 1);
          if (line === '') {
            // A blank line ends an event (text/event-stream): the JSON in its data lines.
            if (id !== null) this.shared.lastEventId = id;
            if (data.length > 0) {
              if (event === 'close') closing = JSON.parse(data.join('\n')) as { code: number; reason: string };
              else this.deliver(JSON.parse(data.join('\n')) as Record<string, unknown>);
            }
            data = [];
            event = '';
            id = null;
          } else if (line.startsWith('data:')) data.push(line.slice(line[5] === ' ' ? 6 : 5));
          else if (line.startsWith('id:')) id = line.slice(line[3] === ' ' ? 4 : 3);
          else if (line.startsWith('event:')) event = line.slice(line[6] === ' ' ? 7 : 6);
          // comments (heartbeats) and retry: nothing to do
        }
      }
    } catch (e) {
      if (this.readyState < CLOSING) this.onerror?.(e);
    }
    if (this.readyState < CLOSING) this.finish(closing?.code ?? 1006, closing?.reason ?? 'the event stream ended');
  }

  private deliver(msg: Record<string, unknown>): void {
    if (msg.op === 'hello' && typeof msg.resume === 'string') this.resume = msg.resume;
    this.onmessage?.({ data: encode(msg) });
  }

  private async post(body: string, id: unknown): Promise<void> {
    let reply: unknown;
    try {
      const res = await fetch(`${this.base}/api/stream/op`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-tickverse-resume': this.resume ?? '' },
        body,
        signal: this.aborter.signal,
      });
      reply = JSON.parse(await res.text()) as unknown;
      // A refusal before any op ran (e.g. the player is unknown) is an HTTP error body: make it the reply.
      if (typeof reply === 'object' && reply !== null && (reply as { op?: unknown }).op !== 'reply') reply = { op: 'reply', id, ok: false, ...(reply as object) };
    } catch (e) {
      if (this.readyState >= CLOSING) return;
      reply = { op: 'reply', id, ok: false, error: { code: 'DISCONNECTED', message: `request failed: ${(e as Error).message}` } };
    }
    if (this.readyState < CLOSING) this.onmessage?.({ data: encode(reply) });
  }

  private finish(code: number, reason: string): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    this.aborter.abort();
    this.onclose?.({ code, reason });
  }
}

/**
 * Which transport a client's next connection uses. `auto` starts with WebSockets and switches
 * to SSE once WS_ATTEMPTS connections in a row failed to open (an upgrade refused or blocked);
 * when SSE fails too, the next attempt tries WebSockets again.
 */
export class TransportChoice {
  private failures = 0;
  private sse: boolean;
  private retryNow = false;
  private readonly Sse: WebSocketCtor;

  constructor(
    private readonly mode: Transport,
    private readonly given: WebSocketCtor | undefined,
    token: string | undefined,
  ) {
    const shared: SseShared = { lastEventId: null, token };
    this.Sse = class extends SseSocket {
      constructor(url: string) {
        super(url, shared);
      }
    };
    // Throws now, naming the fix, when WebSockets are wanted and there is no implementation (Node 20).
    if (mode !== 'sse') webSocketCtor(given);
    this.sse = mode === 'sse';
  }

  get current(): 'websocket' | 'sse' {
    return this.sse ? 'sse' : 'websocket';
  }

  ctor(): WebSocketCtor {
    return this.sse ? this.Sse : webSocketCtor(this.given);
  }

  /**
   * A connection closed before its hello; `refused`: it did open, and the server closed it
   * (a wrong token …): the transport works, so that is no reason to switch.
   */
  failed(refused: boolean): void {
    if (this.mode !== 'auto' || refused) return;
    if (this.sse) {
      // SSE failed too (the server is down, say): the next attempt tries WebSockets again.
      this.sse = false;
      this.failures = 0;
      return;
    }
    this.failures++;
    this.retryNow = true;
    if (this.failures >= WS_ATTEMPTS) this.sse = true;
  }

  /** A connection got its hello: WebSockets work (again). */
  opened(): void {
    if (!this.sse) this.failures = 0;
  }

  /** Runs `attempt` again while `auto` wants to (a blocked WebSocket: once more, then over SSE). */
  retrying<T>(attempt: () => Promise<T>): Promise<T> {
    this.retryNow = false;
    return attempt().catch((e: unknown) => {
      if (!this.retryNow) throw e;
      return this.retrying(attempt);
    });
  }
}
