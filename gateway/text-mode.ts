// JSON text frames (docs/protocol.md § 1.1): a connection that speaks JSON text frames gets
// the same messages as JSON text. Outgoing messages are made once as MessagePack; a text
// rendering is made from those bytes once per message (per topic publish, not per client).
import type { TemplatedApp } from 'uWebSockets.js';
import { decode } from './codec.js';
import type { Conn, ConnSocket } from './connection.js';
import type { ScanLimits } from './msgpack-scan.js';

/** JSON has no binary, Map or bigint: byte strings travel as arrays of numbers, maps as objects. */
function jsonValue(_key: string, v: unknown): unknown {
  if (v instanceof Uint8Array) return Array.from(v);
  if (v instanceof Map) return Object.fromEntries(v);
  if (typeof v === 'bigint') return Number(v);
  return v;
}

export const toJson = (value: unknown): string => JSON.stringify(value, jsonValue);

/** A MessagePack message of ours → the same message as JSON text. */
export const toJsonText = (bytes: Uint8Array): string => toJson(decode(bytes));

/** The uWS topic a text connection follows in place of `topic`: published only while it has subscribers. */
export const textTopic = (topic: string): string => `${topic}\u0000json`;

export function subscribeTopic(conn: Conn, topic: string): void {
  conn.ws?.subscribe(conn.text ? textTopic(topic) : topic);
}

export function unsubscribeTopic(conn: Conn, topic: string): void {
  conn.ws?.unsubscribe(conn.text ? textTopic(topic) : topic);
}

/** Subscribers that are not uWS sockets (SSE streams, gateway/sse-hub.ts), per gateway app. */
export interface TextSubscribers {
  has(topic: string): boolean;
  deliver(topic: string, text: string): void;
}
const extraSubscribers = new WeakMap<TemplatedApp, TextSubscribers>();

export function addTextSubscribers(app: TemplatedApp, subs: TextSubscribers): void {
  extraSubscribers.set(app, subs);
}

/** One publish to a topic's binary subscribers, and its JSON rendering (made once) to the text ones (uWS and SSE) if there are any. */
export function publishTopic(app: TemplatedApp, topic: string, bytes: Uint8Array): void {
  app.publish(topic, bytes, true);
  const tt = textTopic(topic);
  const extra = extraSubscribers.get(app);
  const sse = extra !== undefined && extra.has(tt);
  const uws = app.numSubscribers(tt) > 0;
  if (!sse && !uws) return;
  const text = toJsonText(bytes);
  if (uws) app.publish(tt, text, false);
  if (sse) extra!.deliver(tt, text);
}

/** The connection's frames switch encoding (it spoke the other one): its topics move to their twins. */
export function setTextMode(conn: Conn, ws: ConnSocket, text: boolean): void {
  if (conn.text === text) return;
  const topics = ws.getTopics();
  for (const t of topics) ws.unsubscribe(t);
  conn.text = text;
  for (const t of topics) {
    const base = t.endsWith('\u0000json') ? t.slice(0, -5) : t;
    ws.subscribe(text ? textTopic(base) : base);
  }
}

/**
 * Why a JSON text message is not acceptable (nesting or item limits, as for MessagePack), or
 * null. One pass over the characters, before JSON.parse builds anything.
 */
export function checkJsonText(s: string, limits: ScanLimits): string | null {
  let depth = 0;
  let items = 0;
  let inString = false;
  let prevValue = false; // inside a container, whether the last token ended a value
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) {
      inString = true;
      if (!prevValue) items++;
      prevValue = true;
    } else if (c === 0x7b || c === 0x5b) {
      if (++depth > limits.maxDepth) return `nesting deeper than ${limits.maxDepth}`;
      items++;
      prevValue = false;
    } else if (c === 0x7d || c === 0x5d) {
      depth--;
      prevValue = true;
    } else if (c === 0x2c || c === 0x3a) prevValue = false;
    else if (c > 0x20 && !prevValue) {
      items++;
      prevValue = true;
    }
    if (items > limits.maxItems) return `more than ${limits.maxItems} values`;
  }
  return null;
}
