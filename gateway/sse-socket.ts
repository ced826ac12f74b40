// One Server-Sent Events stream as a gateway socket: the methods of uWS's WebSocket the
// gateway uses (connection.ts ConnSocket) over a uWS HttpResponse, so streams, pushes and
// flow control serve SSE clients unchanged. Each message is one JSON text `data:` line with
// an `id:` of `<resume token>.<n>` (EventSource sends the last one back as Last-Event-ID);
// pushes are kept in the player's replay log, state frames are not (a resume gets pictures).
// Writes past uWS's backpressure are queued here; the queue plus what uWS took with the
// write that reported backpressure is the buffered amount flow control reads.
import type { HttpResponse } from 'uWebSockets.js';
import type { Conn, ConnSocket } from './connection.js';
import type { ReplayLog, SseHub, SseSink } from './sse-hub.js';
import { toJsonText } from './text-mode.js';

/** Messages a resume does not replay: state frames (a fresh picture replaces them) and the hello. */
const unreplayed = (text: string): boolean => text.startsWith('{"op":"state"') || text.startsWith('{"op":"hello"');

export class SseSocket implements ConnSocket, SseSink {
  private readonly topics = new Set<string>();
  private queue: string[] = [];
  private queuedBytes = 0;
  /** Bytes handed to uWS by the write that reported backpressure (an upper bound of what it holds). */
  private held = 0;
  private blocked = false;
  private ended = false;
  private token = '';
  private log: ReplayLog | null = null;

  constructor(
    private readonly res: HttpResponse,
    private readonly conn: Conn,
    private readonly hub: SseHub,
    /** The stream is over (ended by us, or the client went away): the caller forgets the connection. */
    private readonly onEnd: (code: number, reason: string) => void,
  ) {
    res.onWritable(() => this.drain());
  }

  /** The player's resume token (the id prefix) and replay log, known once the session is attached. */
  identify(token: string, log: ReplayLog): void {
    this.token = token;
    this.log = log;
  }

  get open(): boolean {
    return !this.ended;
  }

  message(text: string): void {
    if (this.ended || this.log === null) return;
    const seq = this.log.nextSeq++;
    if (!unreplayed(text)) this.hub.remember(this.log, seq, text);
    this.write(`id: ${this.token}.${seq}\ndata: ${text}\n\n`);
  }

  /** After a resume: the logged pushes numbered after `after`, with their original ids. */
  replay(after: number): number {
    let n = 0;
    for (const e of this.log?.entries ?? []) {
      if (e.seq <= after) continue;
      this.write(`id: ${this.token}.${e.seq}\ndata: ${e.text}\n\n`);
      n++;
    }
    return n;
  }

  /** A comment line: keeps proxies from timing the stream out, and counts as the client being there. */
  heartbeat(now: number): void {
    if (this.ended) return;
    this.conn.lastSeen = now;
    this.conn.pinged = false;
    this.write(': heartbeat\n\n');
  }

  // ---- ConnSocket ----

  send(message: string | Uint8Array): number {
    this.message(typeof message === 'string' ? message : toJsonText(message));
    return this.blocked ? 0 : 1;
  }

  subscribe(topic: string): boolean {
    if (this.ended || this.topics.has(topic)) return false;
    this.topics.add(topic);
    this.hub.add(topic, this);
    return true;
  }

  unsubscribe(topic: string): boolean {
    if (!this.topics.delete(topic)) return false;
    this.hub.remove(topic, this);
    return true;
  }

  getTopics(): string[] {
    return [...this.topics];
  }

  getBufferedAmount(): number {
    return this.queuedBytes + this.held;
  }

  cork(cb: () => void): void {
    if (this.ended) cb();
    else this.res.cork(cb);
  }

  /** The idle check's ping: SSE clients never send, so a written heartbeat stands for the pong. */
  ping(): void {
    this.heartbeat(Date.now());
  }

  /** Ends the stream: a last `close` event says why (EventSource reconnects; the SDK reads the code). */
  end(code = 1000, reason = ''): void {
    if (this.ended) return;
    const text = JSON.stringify({ code, reason });
    this.res.cork(() => {
      // Past our queue (dropped: the stream is over), straight to uWS, which keeps it until written.
      this.res.write(`event: close\ndata: ${text}\n\n`);
      this.finish();
      this.res.end();
    });
    this.onEnd(code, reason);
  }

  /** The client went away (uWS onAborted): the response must not be touched again. */
  aborted(): void {
    if (this.ended) return;
    this.finish();
    this.onEnd(1006, 'client went away');
  }

  private finish(): void {
    this.ended = true;
    for (const t of this.topics) this.hub.remove(t, this);
    this.topics.clear();
    this.queue = [];
    this.queuedBytes = 0;
  }

  private write(chunk: string): void {
    if (this.ended) return;
    if (this.blocked) {
      this.queue.push(chunk);
      this.queuedBytes += Buffer.byteLength(chunk);
      return;
    }
    // Writes outside a uWS callback (engine events, timers) must be corked; nested corks are fine.
    this.res.cork(() => {
      if (!this.res.write(chunk)) {
        this.blocked = true;
        this.held = Buffer.byteLength(chunk);
      }
    });
  }

  /** uWS says the socket is writable: hand it the queue (a comment line when empty, so its own buffer drains too). */
  private drain(): boolean {
    if (this.ended || !this.blocked) return true;
    const data = this.queue.length > 0 ? this.queue.join('') : ':\n';
    this.queue = [];
    this.queuedBytes = 0;
    const ok = this.res.write(data);
    if (ok) {
      this.blocked = false;
      this.held = 0;
    } else this.held = Buffer.byteLength(data);
    return ok;
  }
}
