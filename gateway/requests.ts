// Turns a MessagePack map (decoded, or its fields read by screen.ts) into a typed request, or
// a RequestError with the documented code. Only shapes are checked here; the engine checks
// meaning (realm ids, registrations, selectors) and answers with its own codes.
import { ErrorCode } from '../protocol/errors.js';
import type { RealmRegistration } from '../protocol/realm.js';
import type { Stat7Selector } from '../protocol/stat7.js';
import { OPS, Topic, type Op, type RequestId, type WireRequest } from '../protocol/wire.js';
import { MAX_ID_CHARS } from './msgpack-scan.js';

export class RequestError extends Error {
  constructor(
    readonly id: RequestId | null,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const MAX_ID_LENGTH = MAX_ID_CHARS;
const MAX_NAME = 64;
const MAX_TOPIC = 128;
/** Only a bound on what is read: the name itself (pattern, length) is checked by gateway/backups.ts, INVALID_ARGUMENT as over HTTP. */
const MAX_BACKUP_NAME = 1024;

/** A field value left undecoded (too big to be what the field wants): only its description is kept. */
export class Unread {
  constructor(readonly text: string) {}
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array) && !(v instanceof Unread) && !(v instanceof Map);
}

/** The request id, or null when absent or malformed. */
export function readId(v: unknown): RequestId | null {
  if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && v.length > 0 && v.length <= MAX_ID_LENGTH) return v;
  return null;
}

function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (v instanceof Unread) return v.text;
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Uint8Array) return 'binary';
  if (typeof v === 'string') return v.length > 40 ? `a string of ${v.length} characters` : JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeof v === 'object' ? 'a map' : typeof v;
}

export function parseRequest(msg: unknown): WireRequest {
  if (!isRecord(msg)) throw new RequestError(null, ErrorCode.BAD_REQUEST, 'a request must be a map with "op" and "id"');
  const id = readId(msg.id);
  if (id === null) {
    throw new RequestError(null, ErrorCode.BAD_REQUEST, `request "id" must be an unsigned integer or a string of 1-${MAX_ID_LENGTH} characters; received ${describe(msg.id)}`);
  }
  const op = msg.op;
  if (typeof op !== 'string') throw new RequestError(id, ErrorCode.BAD_REQUEST, `request "op" must be a string; received ${describe(op)}`);
  if (!(OPS as readonly string[]).includes(op)) {
    throw new RequestError(id, ErrorCode.UNKNOWN_OP, `unknown op ${describe(op)}; known: ${OPS.join(', ')}`);
  }
  const field = (name: string, want: string, ok: (v: unknown) => boolean, optional = false): unknown => {
    const v = msg[name];
    if (v === undefined && optional) return undefined;
    if (!ok(v)) throw new RequestError(id, ErrorCode.BAD_REQUEST, `${op}: "${name}" must be ${want}; received ${describe(v)}`);
    return v;
  };
  const name = (f: string, optional = false): string | undefined =>
    field(f, `a string of 1-${MAX_NAME} characters`, (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME, optional) as string | undefined;
  const topics = (): string[] => {
    const v = field('topics', 'a list of 1-64 topics', (x) => Array.isArray(x) && x.length > 0 && x.length <= 64) as unknown[];
    for (const t of v) {
      if (typeof t !== 'string' || !validTopic(t)) {
        throw new RequestError(
          id,
          ErrorCode.BAD_REQUEST,
          `${op}: topic ${describe(t)} is not one of "${Topic.REGISTRY}", "${Topic.TICKS}", "${Topic.ALL_EVENTS}", "${Topic.EVENT_PREFIX}<type>", "${Topic.REALM_EVENTS_PREFIX}<realm>"`,
        );
      }
    }
    return [...new Set(v as string[])];
  };

  switch (op as Op) {
    case 'auth':
      return { op: 'auth', id, token: field('token', 'a string', (v) => typeof v === 'string' && v.length <= 1024) as string };
    case 'ping': {
      const t = field('t', 'a number', (v) => typeof v === 'number' && Number.isFinite(v), true) as number | undefined;
      return t === undefined ? { op: 'ping', id } : { op: 'ping', id, t };
    }
    case 'register':
      return { op: 'register', id, realm: field('realm', 'a map of registration fields (realm_id, game_id, …)', isRecord) as unknown as RealmRegistration };
    case 'unregister':
    case 'get':
    case 'entities':
    case 'join':
    case 'leave':
    case 'keyframe':
    case 'pause':
    case 'resume':
      return { op, id, realm: name('realm')! } as WireRequest;
    case 'list':
    case 'stats':
    case 'backup':
    case 'backups':
      return { op, id } as WireRequest;
    case 'restore_backup':
    case 'delete_backup': {
      const file = field('name', `a backup file name of 1-${MAX_BACKUP_NAME} characters`, (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_BACKUP_NAME) as string;
      return { op: op as 'restore_backup' | 'delete_backup', id, name: file };
    }
    case 'publish': {
      const type = field('type', 'an event type string', (v) => typeof v === 'string' && v.length > 0 && v.length <= MAX_NAME) as string;
      const to = name('to', true);
      const selector = field('selector', 'a map of STAT7 dimensions', isRecord, true) as Stat7Selector | undefined;
      if (to !== undefined && selector !== undefined) throw new RequestError(id, ErrorCode.BAD_REQUEST, 'publish: give "to" or "selector", not both');
      return { op: 'publish', id, type, data: msg.data ?? null, ...(to !== undefined ? { to } : {}), ...(selector !== undefined ? { selector } : {}) };
    }
    case 'subscribe':
    case 'unsubscribe':
      return { op, id, topics: topics() } as WireRequest;
    case 'focus': {
      const realm = name('realm')!;
      const coord = (f: string): number | undefined => field(f, 'a finite number', (v) => typeof v === 'number' && Number.isFinite(v) && Math.abs(v) <= 1e9, true) as number | undefined;
      const x = coord('x');
      const y = coord('y');
      if ((x === undefined) !== (y === undefined)) throw new RequestError(id, ErrorCode.BAD_REQUEST, 'focus: give both "x" and "y" (a point), or neither (your own player entity)');
      return x === undefined ? { op: 'focus', id, realm } : { op: 'focus', id, realm, x, y };
    }
    case 'input': {
      const realm = name('realm')!;
      const player = field('player', 'a string of 1-128 characters', (v) => typeof v === 'string' && v.length > 0 && v.length <= 128, true) as string | undefined;
      if (!('data' in msg)) throw new RequestError(id, ErrorCode.BAD_REQUEST, 'input: "data" is required (any value)');
      return player === undefined ? { op: 'input', id, realm, data: msg.data } : { op: 'input', id, realm, data: msg.data, player };
    }
  }
}

const TOPIC_NAME = /^[A-Za-z0-9_.:/-]{1,64}$/;

export function validTopic(t: string): boolean {
  if (t.length > MAX_TOPIC) return false;
  if (t === Topic.REGISTRY || t === Topic.TICKS || t === Topic.ALL_EVENTS) return true;
  if (t.startsWith(Topic.EVENT_PREFIX)) return TOPIC_NAME.test(t.slice(Topic.EVENT_PREFIX.length));
  if (t.startsWith(Topic.REALM_EVENTS_PREFIX)) return TOPIC_NAME.test(t.slice(Topic.REALM_EVENTS_PREFIX.length));
  return false;
}
