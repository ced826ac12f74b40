// From WebSocket bytes to a typed request, at bounded cost. One scan checks the message
// (msgpack-scan.ts: nothing decoded) and finds the top-level fields; the id is read in place,
// the op next, access is checked, and only then are the fields the op uses read: names in
// place, `data` copied and decoded only when the engine takes it (after the cheap checks),
// registrations and selectors (admin ops) decoded. Fields a request does not use are never
// decoded, so rejecting a message costs one linear scan whatever it holds.
import { ErrorCode, type TickverseError } from '../protocol/errors.js';
import { OPS, type Op, type RequestId, type WireRequest } from '../protocol/wire.js';
import { decode, decodeData } from './codec.js';
import { MAX_ID_CHARS, describeAt, readIdAt, readStringAt, scanRequest, type FieldRanges, type ScanLimits } from './msgpack-scan.js';
import { RequestError, Unread, parseRequest } from './requests.js';

const FIELDS = ['op', 'id', 'realm', 'data', 'player', 'token', 'topics', 't', 'type', 'to', 'selector', 'x', 'y', 'name'] as const;
type Field = (typeof FIELDS)[number];

/** The fields each op reads; any other is ignored (forward compatibility) and never decoded. */
const USES: Readonly<Record<Op, readonly Field[]>> = {
  auth: ['token'],
  ping: ['t'],
  register: ['realm'],
  unregister: ['realm'],
  list: [],
  get: ['realm'],
  entities: ['realm'],
  stats: [],
  publish: ['type', 'to', 'selector', 'data'],
  subscribe: ['topics'],
  unsubscribe: ['topics'],
  join: ['realm'],
  leave: ['realm'],
  input: ['realm', 'player', 'data'],
  keyframe: ['realm'],
  focus: ['realm', 'x', 'y'],
  pause: ['realm'],
  resume: ['realm'],
  backup: [],
  backups: [],
  restore_backup: ['name'],
  delete_backup: ['name'],
};

/** Larger non-string values in name-like fields are described, not decoded. */
const SMALL_VALUE = 64;
/** 64 topics of up to 128 characters. */
const TOPICS_BYTES = 9 * 1024;

export interface Rejection {
  ok: false;
  id: RequestId | null;
  code: ErrorCode;
  message: string;
  /** A malformed message (counts toward the bad-message streak), not a refusal such as UNAUTHORIZED. */
  bad: boolean;
}
export type Screened = { ok: true; req: WireRequest } | Rejection;

const bad = (id: RequestId | null, code: ErrorCode, message: string): Rejection => ({ ok: false, id, code, message, bad: true });

/** A copy of bytes [start, end): decoded values may be views into it (binary), and `b` may be uWS's transient buffer (or a Buffer, whose slice is a view). */
const copy = (b: Uint8Array, r: [number, number]): Uint8Array => new Uint8Array(b.subarray(r[0], r[1]));

/** A name, token or number field: strings in place, small values decoded, anything else described. */
function scalarField(b: Uint8Array, r: [number, number]): unknown {
  const s = readStringAt(b, r[0], r[1] - r[0]);
  if (s !== null) return s;
  return r[1] - r[0] <= SMALL_VALUE ? decode(copy(b, r)) : new Unread(describeAt(b, r[0]));
}

function fieldValue(b: Uint8Array, op: Op, k: Field, r: [number, number]): unknown {
  if (k === 'selector' || (k === 'realm' && op === 'register')) return decode(copy(b, r));
  if (k === 'topics') return r[1] - r[0] <= TOPICS_BYTES ? decodeData(copy(b, r)) : new Unread(`${describeAt(b, r[0])} of ${r[1] - r[0]} bytes`);
  return scalarField(b, r);
}

/**
 * A WebSocket message → a typed request, or the error to reply with. `access` says whether the
 * connection may run `op` (a TickverseError when not): checked before the op's fields are read.
 * `bytes` may be uWS's transient view: whatever outlives the call is copied.
 */
export function screenRequest(bytes: Uint8Array, isBinary: boolean, limits: ScanLimits, access: (op: Op) => TickverseError | null): Screened {
  if (!isBinary) return bad(null, ErrorCode.BAD_FRAME, 'messages must be binary MessagePack, not text');
  const scan = scanRequest(bytes, limits, FIELDS);
  if (scan.problem !== null) return bad(readIdAt(bytes, scan.idAt), ErrorCode.BAD_FRAME, scan.problem);
  const f: FieldRanges = scan.fields;
  const id = f.id === undefined ? null : readIdAt(bytes, f.id[0]);
  if (id === null) {
    return bad(null, ErrorCode.BAD_REQUEST, `request "id" must be an unsigned integer or a string of 1-${MAX_ID_CHARS} characters; received ${f.id === undefined ? 'nothing' : describeAt(bytes, f.id[0])}`);
  }
  const op = f.op === undefined ? undefined : scalarField(bytes, f.op);
  if (typeof op !== 'string') return bad(id, ErrorCode.BAD_REQUEST, `request "op" must be a string; received ${f.op === undefined ? 'nothing' : describeAt(bytes, f.op[0])}`);
  if (!(OPS as readonly string[]).includes(op)) return bad(id, ErrorCode.UNKNOWN_OP, `unknown op ${describeAt(bytes, f.op![0])}; known: ${OPS.join(', ')}`);
  const denied = access(op as Op);
  if (denied !== null) return { ok: false, id, code: denied.code, message: denied.message, bad: false };
  const msg: Record<string, unknown> = { op, id };
  let data: Uint8Array | null = null;
  try {
    for (const k of USES[op as Op]) {
      const r = f[k];
      if (r === undefined) continue;
      if (k === 'data') {
        data = copy(bytes, r);
        msg.data = null; // present; decoded on first use below
      } else msg[k] = fieldValue(bytes, op as Op, k, r);
    }
    const req = parseRequest(msg);
    if (data !== null) lazyData(req, data);
    return { ok: true, req };
  } catch (e) {
    if (e instanceof RequestError) return bad(e.id, e.code, e.message);
    return bad(id, ErrorCode.BAD_FRAME, `malformed MessagePack: ${(e as Error).message}`);
  }
}

/** `req.data` decodes its bytes when first read (after the realm and player checks), once. */
function lazyData(req: WireRequest, bytes: Uint8Array): void {
  let value: unknown;
  let done = false;
  Object.defineProperty(req, 'data', {
    enumerable: true,
    configurable: true,
    get() {
      if (!done) {
        value = decodeData(bytes);
        done = true;
      }
      return value;
    },
  });
}

/** The id of a message that is not processed (rate limited, shutting down): one bounded scan, never a decode. */
export function peekRequestId(bytes: Uint8Array, isBinary: boolean, limits: ScanLimits): RequestId | null {
  return isBinary ? readIdAt(bytes, scanRequest(bytes, limits).idAt) : null;
}
