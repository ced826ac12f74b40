// The Tickverse client SDK (browser and Node): request/reply with ids and timeouts, typed
// operations, subscriptions, joined realms as live entity maps, and reconnect with backoff
// that restores auth, subscriptions and joins (each realm resyncs from a keyframe).
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmRegistration, StateFrame } from '../protocol/realm.js';
import {
  CloseCode,
  Push,
  type EventPush,
  type HelloPush,
  type LeftPush,
  type Op,
  type ParamsOf,
  type RegistryPush,
  type Reply,
  type ResultOf,
  type ServerMessage,
  type TickPush,
} from '../protocol/wire.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { decode } from './codec.js';
import { Emitter } from './emitter.js';
import { RealmView } from './realm-view.js';
import { Requests } from './requests.js';
import { OPEN, messageBytes, type WebSocketCtor, type WebSocketLike } from './websocket.js';
import { TransportChoice, resumeUrl, type Transport } from './sse-transport.js';

export interface ClientOptions {
  /** ws://host:port/ws */
  url: string;
  /** Sent with `auth` after every (re)connect. */
  token?: string;
  /** WebSocket implementation; default the global one (browsers, Node 22). On Node 20 pass NodeWebSocket. */
  WebSocket?: WebSocketCtor;
  /** Per-request timeout, ms. Default 10,000. */
  requestTimeoutMs?: number;
  /** Reconnect after an unexpected close; false disables. Default on. */
  reconnect?: false | BackoffOptions;
  /** How long a realm may wait for a keyframe before the client asks again, ms. Default 2,000. */
  keyframeRetryMs?: number;
  /** 'auto' (default): WebSockets, falling back to Server-Sent Events + HTTP when they cannot open (client/sse-transport.ts). */
  transport?: Transport;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface CloseInfo {
  code: number;
  reason: string;
  willReconnect: boolean;
}

type ClientEvents = {
  open: [HelloPush, { resumed: boolean }];
  close: [CloseInfo];
  reconnecting: [{ attempt: number; delayMs: number }];
  state: [StateFrame, RealmView];
  event: [EventPush];
  registry: [RegistryPush];
  tick: [TickPush];
  left: [LeftPush];
  error: [Error];
};

/** Close codes after which reconnecting would not help. */
const FATAL_CLOSE: ReadonlySet<number> = new Set([CloseCode.UNAUTHORIZED]);

export class TickverseClient extends Emitter<ClientEvents> {
  private readonly opts: Required<Omit<ClientOptions, 'token' | 'WebSocket' | 'reconnect' | 'transport'>> & Pick<ClientOptions, 'token'>;
  private readonly transport: TransportChoice;
  private readonly backoff: Backoff | null;
  private ws: WebSocketLike | null = null;
  private readonly requests = new Requests();
  private readonly views = new Map<string, RealmView>();
  private readonly topics = new Set<string>();
  private readonly keyAskedAt = new Map<string, number>();
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private userClosed = false;
  private everOpened = false;
  private _state: ClientState = 'idle';
  /** The server's hello on the current connection. */
  hello: HelloPush | null = null;
  /** The player's resume token: a reconnect within the grace is the same player (protocol.md § 2.1). */
  private lastResume: string | null = null;

  constructor(options: ClientOptions) {
    super();
    if (typeof options?.url !== 'string' || !/^wss?:\/\//.test(options.url)) {
      throw new TickverseError(ErrorCode.INVALID_OPTION, `client option "url" must be a ws:// or wss:// URL; received ${JSON.stringify(options?.url)}`, { option: 'url' });
    }
    this.opts = {
      url: options.url,
      token: options.token,
      requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
      keyframeRetryMs: options.keyframeRetryMs ?? 2_000,
    };
    this.transport = new TransportChoice(options.transport ?? 'auto', options.WebSocket, options.token);
    this.backoff = options.reconnect === false ? null : new Backoff(options.reconnect ?? {});
  }

  get state(): ClientState {
    return this._state;
  }

  /** What the current (or next) connection runs over. */
  get transportInUse(): 'websocket' | 'sse' {
    return this.transport.current;
  }

  /** The session id the server gave this connection. */
  get session(): string | null {
    return this.hello?.session ?? null;
  }

  /** Opens the connection; resolves with the server's hello (after `auth` if a token was given). */
  connect(): Promise<HelloPush> {
    if (this._state === 'open' && this.hello !== null) return Promise.resolve(this.hello);
    this.userClosed = false;
    this._state = 'connecting';
    return this.transport.retrying(() => this.open(false));
  }

  /** Closes for good (no reconnect); pending requests fail with DISCONNECTED. */
  close(code: number = CloseCode.NORMAL, reason = 'client closed'): void {
    this.userClosed = true;
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const ws = this.ws;
    this.ws = null;
    this._state = 'closed';
    this.requests.failAll('the client was closed');
    if (ws !== null) {
      try {
        ws.close(code, reason);
      } catch {
        // already closing
      }
    }
  }

  /** Sends one request and resolves with its result, or rejects with a TickverseError carrying the server's code. */
  request<O extends Op>(op: O, params: ParamsOf<O>, timeoutMs = this.opts.requestTimeoutMs): Promise<ResultOf<O>> {
    const ws = this.ws;
    if (ws === null || ws.readyState !== OPEN || this.hello === null) {
      return Promise.reject(new TickverseError(ErrorCode.DISCONNECTED, `cannot send "${op}": not connected`));
    }
    return this.requests.send(ws, op, params, timeoutMs) as Promise<ResultOf<O>>;
  }

  auth(token: string): Promise<ResultOf<'auth'>> {
    return this.request('auth', { token });
  }

  ping(): Promise<ResultOf<'ping'>> {
    return this.request('ping', { t: Date.now() });
  }

  register(realm: RealmRegistration): Promise<ResultOf<'register'>> {
    return this.request('register', { realm });
  }

  unregister(realm: string): Promise<ResultOf<'unregister'>> {
    return this.request('unregister', { realm });
  }

  list(): Promise<ResultOf<'list'>> {
    return this.request('list', {});
  }

  get(realm: string): Promise<ResultOf<'get'>> {
    return this.request('get', { realm });
  }

  entities(realm: string): Promise<ResultOf<'entities'>> {
    return this.request('entities', { realm });
  }

  stats(): Promise<ResultOf<'stats'>> {
    return this.request('stats', {});
  }

  publish(event: ParamsOf<'publish'>): Promise<ResultOf<'publish'>> {
    return this.request('publish', event);
  }

  pause(realm: string): Promise<ResultOf<'pause'>> {
    return this.request('pause', { realm });
  }

  resume(realm: string): Promise<ResultOf<'resume'>> {
    return this.request('resume', { realm });
  }

  /** Subscribes to push topics (see Topic); they are restored after a reconnect. */
  async subscribe(...topics: string[]): Promise<ResultOf<'subscribe'>> {
    const r = await this.request('subscribe', { topics });
    for (const t of topics) this.topics.add(t);
    return r;
  }

  async unsubscribe(...topics: string[]): Promise<ResultOf<'unsubscribe'>> {
    for (const t of topics) this.topics.delete(t);
    return this.request('unsubscribe', { topics });
  }

  /** Joins a realm's state stream; the returned view fills in when the keyframe arrives (await view.ready()). */
  async join(realm: string): Promise<RealmView> {
    let view = this.views.get(realm);
    if (view === undefined) {
      view = new RealmView(realm);
      this.views.set(realm, view);
    }
    try {
      await this.request('join', { realm });
    } catch (e) {
      if (!view.synced) this.views.delete(realm);
      throw e;
    }
    return view;
  }

  async leave(realm: string): Promise<ResultOf<'leave'>> {
    this.views.delete(realm);
    return this.request('leave', { realm });
  }

  /** A player input for a realm (the server applies it at the realm's next tick). */
  input(realm: string, data: unknown, player?: string): Promise<ResultOf<'input'>> {
    return this.request('input', player === undefined ? { realm, data } : { realm, data, player });
  }

  /** In a realm with cells: follow the cells around a point, or (no point) around this client's own player entity. */
  focus(realm: string, x?: number, y?: number): Promise<ResultOf<'focus'>> {
    const view = this.views.get(realm);
    if (view !== undefined) view.focus = x !== undefined && y !== undefined ? [x, y] : null;
    return this.request('focus', { realm, ...(x !== undefined ? { x } : {}), ...(y !== undefined ? { y } : {}) });
  }

  /** Asks for a fresh keyframe of a joined realm (the client does this itself on a gap). */
  keyframe(realm: string): Promise<ResultOf<'keyframe'>> {
    this.keyAskedAt.set(realm, Date.now());
    return this.request('keyframe', { realm });
  }

  /** The live view of a joined realm. */
  realm(realm: string): RealmView | undefined {
    return this.views.get(realm);
  }

  get joined(): string[] {
    return [...this.views.keys()];
  }

  // ---- connection ----

  private open(resumed: boolean): Promise<HelloPush> {
    return new Promise<HelloPush>((resolve, reject) => {
      let ws: WebSocketLike;
      try {
        ws = new (this.transport.ctor())(resumed ? resumeUrl(this.opts.url, this.lastResume) : this.opts.url);
      } catch (e) {
        reject(e);
        return;
      }
      ws.binaryType = 'arraybuffer';
      this.ws = ws;
      let settled = false;
      let greeted = false;
      let upgraded = false;
      ws.onopen = () => (upgraded = true);
      const fail = (e: TickverseError): void => {
        if (settled) return;
        settled = true;
        reject(e);
      };
      ws.onmessage = (ev) => {
        const bytes = messageBytes(ev.data);
        if (bytes === null) return;
        let msg: ServerMessage;
        try {
          msg = decode(bytes) as ServerMessage;
        } catch (e) {
          this.emit('error', new Error(`undecodable message from server: ${(e as Error).message}`));
          return;
        }
        if (msg?.op === Push.HELLO) {
          greeted = true;
          this.transport.opened();
          this.hello = msg;
          this.lastResume = msg.resume;
          this.onHello(ws, msg, resumed).then(
            () => {
              if (settled) return;
              settled = true;
              resolve(msg as HelloPush);
            },
            (e: unknown) => {
              fail(e instanceof TickverseError ? e : new TickverseError(ErrorCode.DISCONNECTED, String(e)));
              try {
                ws.close(CloseCode.NORMAL, 'handshake failed');
              } catch {
                // ignore
              }
            },
          );
          return;
        }
        this.dispatch(msg);
      };
      ws.onerror = () => {
        // the close event follows with the details
      };
      ws.onclose = (ev) => {
        if (!greeted) this.transport.failed(upgraded && ev.code !== 1006); // blocked WebSockets: `auto` moves to SSE
        if (this.ws === ws) this.ws = null;
        this.hello = null;
        this.requests.failAll(`connection closed (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`);
        for (const v of this.views.values()) v.invalidate();
        const willReconnect = !this.userClosed && this.everOpened && this.backoff !== null && !FATAL_CLOSE.has(ev.code);
        fail(new TickverseError(ErrorCode.DISCONNECTED, `connection closed before it was ready (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`, { code: ev.code }));
        if (this.userClosed) return;
        this.emit('close', { code: ev.code, reason: ev.reason, willReconnect });
        if (willReconnect) this.scheduleReconnect();
        else this._state = 'closed';
      };
    });
  }

  private async onHello(ws: WebSocketLike, hello: HelloPush, resumed: boolean): Promise<void> {
    if (this.opts.token !== undefined && !hello.authed) await this.requests.send(ws, 'auth', { token: this.opts.token }, this.opts.requestTimeoutMs);
    if (resumed) {
      if (this.topics.size > 0) await this.requests.send(ws, 'subscribe', { topics: [...this.topics] }, this.opts.requestTimeoutMs);
      for (const realm of [...this.views.keys()]) {
        try {
          await this.requests.send(ws, 'join', { realm }, this.opts.requestTimeoutMs);
          const focus = this.views.get(realm)?.focus;
          if (focus) await this.requests.send(ws, 'focus', { realm, x: focus[0], y: focus[1] }, this.opts.requestTimeoutMs);
        } catch (e) {
          // The realm is gone (or the limit changed): drop its view and say so.
          this.views.delete(realm);
          this.emit('error', e instanceof Error ? e : new Error(String(e)));
        }
      }
    }
    this._state = 'open';
    this.everOpened = true;
    this.backoff?.reset();
    this.emit('open', hello, { resumed });
  }

  private scheduleReconnect(): void {
    const delay = this.backoff!.next();
    if (delay === null) {
      this._state = 'closed';
      this.emit('error', new TickverseError(ErrorCode.DISCONNECTED, `gave up reconnecting after ${this.backoff!.attempts} attempts`));
      return;
    }
    this._state = 'reconnecting';
    this.emit('reconnecting', { attempt: this.backoff!.attempts, delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.userClosed) return;
      this.open(true).catch(() => {
        // onclose already scheduled the next attempt
      });
    }, delay);
  }

  private dispatch(msg: ServerMessage): void {
    switch (msg?.op) {
      case Push.REPLY:
        return this.onReply(msg);
      case Push.STATE:
        return this.onState(msg);
      case Push.EVENT:
        return this.emit('event', msg);
      case Push.REGISTRY:
        return this.emit('registry', msg);
      case Push.TICK:
        return this.emit('tick', msg);
      case Push.LEFT:
        this.views.delete(msg.realm);
        return this.emit('left', msg);
      case Push.CELLS:
        return this.views.get(msg.realm)?.setCells(msg);
      default:
        return;
    }
  }

  private onReply(r: Reply): void {
    // A reply without an id answers nothing we asked (e.g. a refused unreadable message).
    if (!this.requests.settle(r) && !r.ok) this.emit('error', new TickverseError(r.error.code, r.error.message));
  }

  private onState(f: StateFrame): void {
    const view = this.views.get(f.realm);
    if (view === undefined) return;
    const result = view.apply(f);
    if (result === 'gap' || (result === 'waiting' && Date.now() - (this.keyAskedAt.get(f.realm) ?? 0) > this.opts.keyframeRetryMs)) {
      this.keyframe(f.realm).catch(() => {
        // a later gap asks again
      });
    }
    if (result === 'keyframe' || result === 'delta') this.emit('state', f, view);
  }
}
