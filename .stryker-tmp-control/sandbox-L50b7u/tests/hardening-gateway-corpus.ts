// @ts-nocheck
// Hostile MessagePack for the gateway: deep chains (arrays, maps) and lies in every field
// (op, id, realm, data, token, topics, player, selector, keys), huge ids, wide maps, duplicates.
// Each case names the code and the reply id the gateway must answer with.
import { encode } from '../client/codec.js';
import { ErrorCode } from '../protocol/errors.js';

export interface HostileCase {
  name: string;
  bytes: Uint8Array;
  code: string;
  /** The id the error reply must carry. */
  id: number | string | null;
  /** Refused by the engine (after the gateway accepted the request's shape), e.g. an unknown realm. */
  byEngine?: boolean;
}

const str = (s: string): Buffer => {
  const b = Buffer.from(s);
  if (b.length < 32) return Buffer.concat([Buffer.from([0xa0 | b.length]), b]);
  if (b.length < 256) return Buffer.concat([Buffer.from([0xd9, b.length]), b]);
  return Buffer.concat([Buffer.from([0xda, b.length >> 8, b.length & 0xff]), b]);
};
/** `n` nested one-element arrays around nil: [[[…nil…]]]. */
export const arrayChain = (n: number): Buffer => Buffer.concat([Buffer.alloc(n, 0x91), Buffer.from([0xc0])]);
/** `n` nested one-entry maps {a: {a: … nil}}. */
export const mapChain = (n: number): Buffer => {
  const unit = Buffer.from([0x81, 0xa1, 0x61]);
  return Buffer.concat([Buffer.concat(new Array<Buffer>(n).fill(unit)), Buffer.from([0xc0])]);
};
/** A map from raw key/value byte pairs. */
const map = (entries: [Buffer, Buffer][]): Buffer => {
  const n = entries.length;
  const head = n < 16 ? Buffer.from([0x80 | n]) : Buffer.from([0xde, n >> 8, n & 0xff]);
  return Buffer.concat([head, ...entries.flat()]);
};
const v = (x: unknown): Buffer => Buffer.from(encode(x));

/** About 60 KB: under the 64 KiB default payload limit. */
const DEEP = 60_000;

export function hostileCorpus(): HostileCase[] {
  const chain = arrayChain(DEEP);
  const maps = mapChain(DEEP / 3);
  const cases: HostileCase[] = [];
  const deepIn = (field: string, before: [string, unknown][], after: [string, unknown][], id: number | string | null, bytes = chain): void => {
    cases.push({
      name: `deep chain in ${field}`,
      bytes: map([...before.map(([k, x]): [Buffer, Buffer] => [str(k), v(x)]), [str(field), bytes], ...after.map(([k, x]): [Buffer, Buffer] => [str(k), v(x)])]),
      code: ErrorCode.BAD_FRAME,
      id,
    });
  };
  deepIn('id', [['op', 'ping']], [], null);
  deepIn('id', [['op', 'ping']], [], null, maps);
  deepIn('op', [['id', 7]], [], 7);
  deepIn('op', [], [['id', 8]], null);
  deepIn('realm', [['op', 'join'], ['id', 'r']], [], 'r');
  deepIn('data', [['op', 'input'], ['id', 'd'], ['realm', 'tav']], [], 'd');
  deepIn('data', [['op', 'input'], ['realm', 'tav']], [['id', 'late']], null);
  deepIn('token', [['op', 'auth'], ['id', 't']], [], 't');
  deepIn('topics', [['op', 'subscribe'], ['id', 9]], [], 9);
  deepIn('player', [['op', 'input'], ['id', 'p'], ['realm', 'tav'], ['data', 1]], [], 'p');
  deepIn('selector', [['op', 'publish'], ['id', 's'], ['type', 'x']], [], 's', maps);
  deepIn('t', [['op', 'ping'], ['id', 10]], [], 10);
  cases.push({ name: 'deep chain as a key', bytes: map([[chain, v(1)]]), code: ErrorCode.BAD_FRAME, id: null });
  cases.push({ name: 'deep chain as the whole message', bytes: Buffer.concat([Buffer.from([0x81, 0xa1, 0x78]), chain]), code: ErrorCode.BAD_FRAME, id: null });
  // Valid MessagePack, invalid id: decoded (bounded by maxItems / maxDepth), then refused.
  cases.push({ name: 'id: a 60 KB string', bytes: map([[str('op'), v('ping')], [str('id'), v('x'.repeat(DEEP))]]), code: ErrorCode.BAD_REQUEST, id: null });
  cases.push({ name: 'id: 9,990 nils', bytes: map([[str('op'), v('ping')], [str('id'), v(new Array(9_990).fill(null))]]), code: ErrorCode.BAD_REQUEST, id: null });
  cases.push({ name: 'id: 30 nested arrays', bytes: map([[str('op'), v('ping')], [str('id'), arrayChain(30)]]), code: ErrorCode.BAD_REQUEST, id: null });
  cases.push({ name: 'id: a float', bytes: map([[str('op'), v('ping')], [str('id'), v(1.5)]]), code: ErrorCode.BAD_REQUEST, id: null });
  cases.push({ name: 'id: 65 characters', bytes: map([[str('op'), v('ping')], [str('id'), v('y'.repeat(65))]]), code: ErrorCode.BAD_REQUEST, id: null });
  cases.push({ name: 'id: str32 header past the end', bytes: map([[str('op'), v('ping')], [str('id'), Buffer.from([0xdb, 0x7f, 0xff, 0xff, 0xff, 0x61])]]), code: ErrorCode.BAD_FRAME, id: null });
  cases.push({ name: 'id: extension type', bytes: map([[str('op'), v('ping')], [str('id'), Buffer.from([0xd6, 0xff, 0, 0, 0, 1])]]), code: ErrorCode.BAD_FRAME, id: null });
  cases.push({ name: 'id: truncated uint64', bytes: Buffer.from([0x82, ...str('op'), ...v('ping'), ...str('id'), 0xcf, 0x00]), code: ErrorCode.BAD_FRAME, id: null });
  cases.push({ name: 'id: array32 claiming 4 billion', bytes: map([[str('op'), v('ping')], [str('id'), Buffer.from([0xdd, 0xff, 0xff, 0xff, 0xff, 0xc0])]]), code: ErrorCode.BAD_FRAME, id: null });
  // Wide: 4,999 distinct keys (9,998 values + the root) within maxItems, then no op.
  const wide: [Buffer, Buffer][] = [[str('id'), v('w')]];
  for (let i = 0; i < 4_998; i++) wide.push([str(`k${i}`), v(i)]);
  cases.push({ name: 'a map of 4,999 keys without op', bytes: map(wide), code: ErrorCode.BAD_REQUEST, id: 'w' });
  const dup: [Buffer, Buffer][] = [];
  for (let i = 0; i < 4_000; i++) dup.push([str('id'), v(i)]);
  cases.push({ name: '4,000 duplicate ids without op', bytes: map(dup), code: ErrorCode.BAD_REQUEST, id: 3_999 });
  const proto: [Buffer, Buffer][] = [[str('id'), v('proto')]];
  for (let i = 0; i < 2_000; i++) proto.push([str('__proto__'), v({ polluted: true })]);
  cases.push({ name: '2,000 __proto__ keys', bytes: map(proto), code: ErrorCode.BAD_REQUEST, id: 'proto' });
  cases.push({ name: 'too many values', bytes: map([[str('id'), v('many')], [str('x'), v(new Array(12_000).fill(0))]]), code: ErrorCode.BAD_FRAME, id: 'many' });
  cases.push({ name: 'map16 claiming 65,535 entries', bytes: Buffer.from([0xde, 0xff, 0xff, ...str('id'), 5]), code: ErrorCode.BAD_FRAME, id: null });
  // Fresh keys each time the corpus is built (a hostile client varies them): never decoded as objects.
  const salt = Math.random().toString(36).slice(2, 8);
  const params: Record<string, number> = {};
  for (let i = 0; i < 4_000; i++) params[`${salt}${i}`] = i;
  cases.push({ name: 'register (no token) with 4,000 params', bytes: v({ op: 'register', id: 'reg', realm: { realm_id: 'x', game_id: 'g', params } }), code: ErrorCode.UNAUTHORIZED, id: 'reg' });
  cases.push({ name: 'publish (no token) with a 4,000-key selector', bytes: v({ op: 'publish', id: 'pub', type: 'x', selector: params }), code: ErrorCode.UNAUTHORIZED, id: 'pub' });
  const fresh = new Array(3_000).fill(0).map((_, i) => ({ [`${salt}m${i}`]: 0 }));
  cases.push({ name: 'input to an unknown realm with 3,000 fresh maps', bytes: v({ op: 'input', id: 'in', realm: 'nope', data: fresh }), code: ErrorCode.UNKNOWN_REALM, id: 'in', byEngine: true });
  cases.push({ name: 'subscribe to 5,000 topics', bytes: v({ op: 'subscribe', id: 'sub', topics: new Array(5_000).fill('registry') }), code: ErrorCode.BAD_REQUEST, id: 'sub' });
  cases.push({ name: 'join a realm named by 9,000 nils', bytes: v({ op: 'join', id: 'jn', realm: new Array(9_000).fill(null) }), code: ErrorCode.BAD_REQUEST, id: 'jn' });
  cases.push({ name: 'auth with a 60 KB token', bytes: v({ op: 'auth', id: 'tok', token: 't'.repeat(DEEP) }), code: ErrorCode.BAD_REQUEST, id: 'tok' });
  cases.push({ name: 'ping whose t is 4,000 fresh keys', bytes: v({ op: 'ping', id: 'pt', t: params }), code: ErrorCode.BAD_REQUEST, id: 'pt' });
  cases.push({ name: 'unknown op with a big payload', bytes: map([[str('op'), v('explode')], [str('id'), v('u')], [str('data'), v('z'.repeat(DEEP))]]), code: ErrorCode.UNKNOWN_OP, id: 'u' });
  return cases;
}
