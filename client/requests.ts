// Requests in flight on one connection: each gets an id, a timeout, and settles with the
// reply that carries its id; a closed connection fails them all with DISCONNECTED.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { Op, Reply } from '../protocol/wire.js';
import { encode } from './codec.js';
import type { WebSocketLike } from './websocket.js';

interface Pending {
  resolve(v: unknown): void;
  reject(e: unknown): void;
  timer: ReturnType<typeof setTimeout>;
}

export class Requests {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  send(ws: WebSocketLike, op: Op, params: object, timeoutMs: number): Promise<unknown> {
    const id = this.nextId++;
    let bytes: Uint8Array;
    try {
      // op and id first: a server that refuses a message unread (rate limit) still finds the id early.
      bytes = encode(Object.assign({ op, id }, params, { op, id }));
    } catch (e) {
      return Promise.reject(new TickverseError(ErrorCode.INVALID_ARGUMENT, `cannot encode "${op}": ${(e as Error).message}`));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new TickverseError(ErrorCode.TIMEOUT, `"${op}" got no reply within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        ws.send(bytes);
      } catch (e) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(new TickverseError(ErrorCode.DISCONNECTED, `cannot send "${op}": ${(e as Error).message}`));
      }
    });
  }

  /** Settles the request `r` answers; false when it answers none (no id, or one not pending). */
  settle(r: Reply): boolean {
    if (typeof r.id !== 'number') return false;
    const p = this.pending.get(r.id);
    if (p === undefined) return true;
    this.pending.delete(r.id);
    clearTimeout(p.timer);
    if (r.ok) p.resolve(r.result);
    else p.reject(new TickverseError(r.error.code, r.error.message));
    return true;
  }

  failAll(why: string): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new TickverseError(ErrorCode.DISCONNECTED, why));
      this.pending.delete(id);
    }
  }
}
