// Helpers for the gateway tests: a real engine + gateway on port 0, real WebSocket clients
// (the SDK over NodeWebSocket, or a raw socket that records every message), bounded waits.
import { afterEach } from 'vitest';
import { Engine, type EngineOptions } from '../engine/index.js';
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/index.js';
import { TickverseClient, type ClientOptions } from '../client/index.js';
import { NodeWebSocket, type NodeWebSocketOptions } from '../client/node-ws.js';
import { decode, encode } from '../client/codec.js';
import type { ServerMessage } from '../protocol/wire.js';
import { httpJson, pollUntil } from '../bench/cluster/poll.js';

export const TOKEN = 'test-token-0123456789abcdef';

type Closer = () => Promise<void> | void;
const cleanups: Closer[] = [];

afterEach(async () => {
  // Clients first, then gateways, then engines (registered in that order of creation, closed in reverse).
  for (const c of cleanups.splice(0).reverse()) await c();
});

export interface Stack {
  engine: Engine;
  gateway: Gateway;
  url: string;
  http: string;
}

/** A started engine (fast realtime ticks by default) with a gateway on a free port; both closed after the test. */
export async function startStack(gw: GatewayOptions = {}, eng: EngineOptions = {}): Promise<Stack> {
  const engine = new Engine({ shards: 1, mode: 'realtime', tickHz: 20, ticksPerControl: 2, ...eng });
  cleanups.push(() => engine.stop());
  await engine.start();
  const gateway = await startGateway(engine, { port: 0, host: '127.0.0.1', token: TOKEN, ...gw });
  cleanups.push(() => gateway.close());
  return { engine, gateway, url: `ws://127.0.0.1:${gateway.port}/ws`, http: `http://127.0.0.1:${gateway.port}` };
}

/** An SDK client over NodeWebSocket, connected; closed after the test. */
export async function client(stack: Stack, options: Partial<ClientOptions> = {}): Promise<TickverseClient> {
  const c = new TickverseClient({ url: stack.url, WebSocket: NodeWebSocket, ...options });
  cleanups.push(() => c.close());
  await c.connect();
  return c;
}

export async function adminClient(stack: Stack, options: Partial<ClientOptions> = {}): Promise<TickverseClient> {
  return client(stack, { token: TOKEN, ...options });
}

/** Polls `check` every few ms until it holds; fails naming `what` after `ms`. */
export const until = <T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 10_000): Promise<T> => pollUntil(what, check, ms, 5);

export interface CloseEvent {
  code: number;
  reason: string;
}

/** A raw WebSocket that records every decoded server message, for protocol-level tests. */
export class RawClient {
  readonly ws: NodeWebSocket;
  readonly messages: ServerMessage[] = [];
  readonly texts: string[] = [];
  readonly opened: Promise<void>;
  readonly closed: Promise<CloseEvent>;
  closeEvent: CloseEvent | null = null;
  private nextId = 1;
  private cursor = 0;

  constructor(url: string, options: NodeWebSocketOptions = {}) {
    this.ws = new NodeWebSocket(url, options);
    this.opened = new Promise((resolve, reject) => {
      this.ws.onopen = () => resolve();
      this.ws.onerror = (e) => reject(e instanceof Error ? e : new Error(String(e)));
    });
    this.opened.catch(() => {});
    this.closed = new Promise((resolve) => {
      this.ws.onclose = (ev) => {
        this.closeEvent = ev;
        resolve(ev);
      };
    });
    this.ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') this.texts.push(ev.data);
      else this.messages.push(decode(ev.data as Buffer) as ServerMessage);
    };
  }

  static async open(url: string, options: NodeWebSocketOptions = {}): Promise<RawClient> {
    const c = new RawClient(url, options);
    cleanups.push(() => c.ws.terminate());
    await c.opened;
    await c.waitFor('hello', (m) => m.op === 'hello');
    return c;
  }

  /** Sends a request map (adds an id unless given) and returns the id. */
  send(req: Record<string, unknown>): number | string {
    const id = (req.id as number | string | undefined) ?? this.nextId++;
    this.ws.send(encode({ ...req, id }));
    return id;
  }

  sendBytes(bytes: Uint8Array): void {
    this.ws.send(bytes);
  }

  /** The first message (from the start) matching `pred`. */
  async waitFor<M extends ServerMessage>(what: string, pred: (m: ServerMessage) => boolean, ms = 10_000): Promise<M> {
    return until(what, () => {
      const found = this.messages.find(pred) as M | undefined;
      if (found !== undefined) return found;
      if (this.closeEvent !== null) throw new Error(`connection closed (${this.closeEvent.code} ${this.closeEvent.reason}) while waiting for: ${what}`);
      return undefined;
    }, ms);
  }

  /** The next message matching `pred` after the ones already consumed by `next`. */
  async next<M extends ServerMessage>(what: string, pred: (m: ServerMessage) => boolean = () => true, ms = 10_000): Promise<M> {
    return until(what, () => {
      for (; this.cursor < this.messages.length; this.cursor++) {
        const m = this.messages[this.cursor]!;
        if (pred(m)) {
          this.cursor++;
          return m as M;
        }
      }
      if (this.closeEvent !== null) throw new Error(`connection closed (${this.closeEvent.code} ${this.closeEvent.reason}) while waiting for: ${what}`);
      return undefined;
    }, ms);
  }

  /** Sends a request and waits for its reply. */
  async call(req: Record<string, unknown>, ms = 10_000): Promise<Extract<ServerMessage, { op: 'reply' }>> {
    const id = this.send(req);
    return this.waitFor(`reply to ${String(req.op)} #${id}`, (m) => m.op === 'reply' && m.id === id, ms);
  }

  /** Waits for a reply with id null (a message the server could not read an id from), after `after` such replies. */
  async anonymousError(after: number, ms = 10_000): Promise<Extract<ServerMessage, { op: 'reply' }>> {
    return until('an error reply with id null', () => {
      const all = this.messages.filter((m) => m.op === 'reply' && m.id === null);
      return all[after] as Extract<ServerMessage, { op: 'reply' }> | undefined;
    }, ms);
  }

  async waitClosed(ms = 15_000): Promise<CloseEvent> {
    return until('the connection to close', () => this.closeEvent, ms);
  }
}

export const getJson = httpJson;

export const bearerHeader = { authorization: `Bearer ${TOKEN}` };
