// @ts-nocheck
// The little of the WebSocket API the client uses: the browser's WebSocket (and Node 22's
// global one) fits it, and so does client/node-ws.ts for Node 20.

export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: Uint8Array | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketCtor = new (url: string) => WebSocketLike;

export const OPEN = 1;

/** The given constructor, else the global WebSocket; throws if neither exists (Node 20: pass client/node-ws.ts). */
export function webSocketCtor(given: WebSocketCtor | undefined): WebSocketCtor {
  if (given !== undefined) return given;
  const g = (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof g === 'function') return g as WebSocketCtor;
  throw new Error('no WebSocket implementation: pass options.WebSocket (on Node 20 use NodeWebSocket from client/node-ws.js)');
}

/** Bytes of a message event's data (ArrayBuffer or a view); null for text or Blob. */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}
