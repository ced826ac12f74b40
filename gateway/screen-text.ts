// A JSON text message → a typed request (the same ops as MessagePack, docs/protocol.md § 1.1),
// an orchestrator action (`{"action": …}`, gateway/orchestrator.ts), or the error to reply with.
// The limits are checked on the characters before JSON.parse builds anything.
import { ErrorCode, type TickverseError } from '../protocol/errors.js';
import { OPS, type Op } from '../protocol/wire.js';
import type { ScanLimits } from './msgpack-scan.js';
import { RequestError, isRecord, parseRequest, readId } from './requests.js';
import type { Rejection, Screened } from './screen.js';
import { checkJsonText } from './text-mode.js';

export type TextScreened = Screened | { ok: true; action: Record<string, unknown> };

const bad = (id: Rejection['id'], code: ErrorCode, message: string): Rejection => ({ ok: false, id, code, message, bad: true });

const decoder = new TextDecoder('utf-8', { fatal: true });

export function screenText(bytes: Uint8Array, limits: ScanLimits, access: (op: Op) => TickverseError | null): TextScreened {
  let text: string;
  try {
    text = decoder.decode(bytes);
  } catch {
    return bad(null, ErrorCode.BAD_FRAME, 'text frames must be UTF-8 JSON');
  }
  const problem = checkJsonText(text, limits);
  if (problem !== null) return bad(null, ErrorCode.BAD_FRAME, problem);
  let msg: unknown;
  try {
    msg = JSON.parse(text);
  } catch (e) {
    return bad(null, ErrorCode.BAD_FRAME, `malformed JSON: ${(e as Error).message}`);
  }
  if (!isRecord(msg)) return bad(null, ErrorCode.BAD_REQUEST, 'a request must be a JSON object with "op" and "id" (or an orchestrator "action")');
  if (msg.op === undefined && typeof msg.action === 'string') return { ok: true, action: msg };
  const id = readId(msg.id);
  if (typeof msg.op === 'string' && (OPS as readonly string[]).includes(msg.op) && id !== null) {
    const denied = access(msg.op as Op);
    if (denied !== null) return { ok: false, id, code: denied.code, message: denied.message, bad: false };
  }
  try {
    return { ok: true, req: parseRequest(msg) };
  } catch (e) {
    if (e instanceof RequestError) return bad(e.id, e.code, e.message);
    throw e;
  }
}
