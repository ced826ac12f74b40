// A small, iterative MessagePack walker. It checks untrusted input before msgpackr sees it
// (nesting depth, element counts, declared lengths against the bytes present, no extension
// types) and reads single fields out of ready-made frames without decoding them.

export interface ScanLimits {
  /** Deepest nesting of maps/arrays. */
  maxDepth: number;
  /** Most values (scalars, maps, arrays, and map keys) in one message. */
  maxItems: number;
}

/** Why a message was rejected, or null when it is a well-formed plain map within the limits. */
export function checkRequest(b: Uint8Array, limits: ScanLimits): string | null {
  return scanRequest(b, limits).problem;
}

/** Byte ranges [start, end) of top-level values, by key. */
export type FieldRanges = Partial<Record<string, [number, number]>>;

export interface ScanResult {
  /** Why the message is rejected, or null. */
  problem: string | null;
  /** Position of the value of the top-level "id" key, if the walk reached one; else -1. */
  idAt: number;
  /** Where the values of the wanted top-level keys are (the last one of a repeated key, as decoders keep). */
  fields: FieldRanges;
}

/**
 * One bounded pass (at most min(bytes, maxItems) steps, nothing decoded): the checks of
 * checkRequest, noting where the top-level `id` value starts (so an error reply can echo it)
 * and where the values of the `wanted` keys (short ASCII names) lie.
 */
export function scanRequest(b: Uint8Array, limits: ScanLimits, wanted: readonly string[] = []): ScanResult {
  let idAt = -1;
  const fields: FieldRanges = {};
  const fail = (problem: string): ScanResult => ({ problem, idAt, fields });
  if (b.length === 0) return fail('empty message');
  const first = b[0]!;
  if (!((first >= 0x80 && first <= 0x8f) || first === 0xde || first === 0xdf)) return fail('a request must be a MessagePack map');
  // pending[d] = values still to read at depth d (a map of n entries counts 2n).
  const pending: number[] = [1];
  let pos = 0;
  let items = 0;
  let idNext = false;
  let field: string | null = null;
  let open: [number, number] | null = null;
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      if (top === 1 && open !== null) open[1] = pos;
      pending.pop();
      continue;
    }
    // Top-level entries: an even count left means a key comes next (and the last value ended).
    if (top === 1) {
      if (pending[1]! % 2 === 0) {
        if (open !== null) open[1] = pos;
        open = null;
        idNext = isIdKey(b, pos);
        field = wanted.length > 0 ? matchKey(b, pos, wanted) : null;
      } else {
        if (idNext) idAt = pos;
        if (field !== null) {
          // A repeated key reuses its range: no allocation per entry.
          open = fields[field] ??= [0, 0];
          open[0] = pos;
          open[1] = b.length;
        }
        idNext = false;
        field = null;
      }
    }
    pending[top]!--;
    if (pos >= b.length) return fail('truncated MessagePack data');
    if (++items > limits.maxItems) return fail(`more than ${limits.maxItems} values`);
    const t = b[pos]!;
    let count = -1;
    let skip = 0;
    pos++;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) skip = 0;
    else if (t >= 0x80 && t <= 0x8f) count = (t & 0x0f) * 2;
    else if (t >= 0x90 && t <= 0x9f) count = t & 0x0f;
    else if (t >= 0xa0 && t <= 0xbf) skip = t & 0x1f;
    else {
      switch (t) {
        case 0xc4:
        case 0xd9:
          if (pos + 1 > b.length) return fail('truncated MessagePack data');
          skip = b[pos]!;
          pos += 1;
          break;
        case 0xc5:
        case 0xda:
          if (pos + 2 > b.length) return fail('truncated MessagePack data');
          skip = (b[pos]! << 8) | b[pos + 1]!;
          pos += 2;
          break;
        case 0xc6:
        case 0xdb:
          if (pos + 4 > b.length) return fail('truncated MessagePack data');
          skip = u32(b, pos);
          pos += 4;
          break;
        case 0xca:
          skip = 4;
          break;
        case 0xcb:
          skip = 8;
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xdc:
          if (pos + 2 > b.length) return fail('truncated MessagePack data');
          count = (b[pos]! << 8) | b[pos + 1]!;
          pos += 2;
          break;
        case 0xdd:
          if (pos + 4 > b.length) return fail('truncated MessagePack data');
          count = u32(b, pos);
          pos += 4;
          break;
        case 0xde:
          if (pos + 2 > b.length) return fail('truncated MessagePack data');
          count = ((b[pos]! << 8) | b[pos + 1]!) * 2;
          pos += 2;
          break;
        case 0xdf:
          if (pos + 4 > b.length) return fail('truncated MessagePack data');
          count = u32(b, pos) * 2;
          pos += 4;
          break;
        case 0xc1:
          return fail('invalid MessagePack type byte 0xc1');
        default:
          // 0xc7-0xc9 ext, 0xd4-0xd8 fixext
          return fail('MessagePack extension types are not allowed on the client wire');
      }
    }
    if (count >= 0) {
      // Every element takes at least one byte: a count beyond the bytes left is a lie.
      if (count > b.length - pos) return fail('declared length exceeds the message');
      if (count > 0) {
        if (pending.length >= limits.maxDepth) return fail(`nesting deeper than ${limits.maxDepth}`);
        pending.push(count);
      }
    } else {
      if (skip > b.length - pos) return fail('declared length exceeds the message');
      pos += skip;
    }
  }
  if (pos !== b.length) return fail('trailing bytes after the MessagePack map');
  return { problem: null, idAt, fields };
}

function u32(b: Uint8Array, pos: number): number {
  return ((b[pos]! << 24) >>> 0) + (b[pos + 1]! << 16) + (b[pos + 2]! << 8) + b[pos + 3]!;
}

/** Position just after the value starting at `pos` (iterative; throws RangeError on truncated data). */
export function skipValue(b: Uint8Array, pos: number): number {
  let left = 1;
  while (left > 0) {
    left--;
    const t = b[pos];
    if (t === undefined) throw new RangeError('truncated MessagePack data');
    pos++;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue;
    if (t >= 0x80 && t <= 0x8f) left += (t & 0x0f) * 2;
    else if (t >= 0x90 && t <= 0x9f) left += t & 0x0f;
    else if (t >= 0xa0 && t <= 0xbf) pos += t & 0x1f;
    else {
      switch (t) {
        case 0xc4: case 0xd9: pos += 1 + b[pos]!; break;
        case 0xc5: case 0xda: pos += 2 + ((b[pos]! << 8) | b[pos + 1]!); break;
        case 0xc6: case 0xdb: pos += 4 + u32(b, pos); break;
        case 0xc7: pos += 2 + b[pos]!; break;
        case 0xc8: pos += 3 + ((b[pos]! << 8) | b[pos + 1]!); break;
        case 0xc9: pos += 5 + u32(b, pos); break;
        case 0xca: pos += 4; break;
        case 0xcb: pos += 8; break;
        case 0xcc: case 0xd0: pos += 1; break;
        case 0xcd: case 0xd1: pos += 2; break;
        case 0xce: case 0xd2: pos += 4; break;
        case 0xcf: case 0xd3: pos += 8; break;
        case 0xd4: pos += 2; break;
        case 0xd5: pos += 3; break;
        case 0xd6: pos += 5; break;
        case 0xd7: pos += 9; break;
        case 0xd8: pos += 17; break;
        case 0xdc: left += (b[pos]! << 8) | b[pos + 1]!; pos += 2; break;
        case 0xdd: left += u32(b, pos); pos += 4; break;
        case 0xde: left += ((b[pos]! << 8) | b[pos + 1]!) * 2; pos += 2; break;
        case 0xdf: left += u32(b, pos) * 2; pos += 4; break;
        default: throw new RangeError(`invalid MessagePack type byte 0x${t.toString(16)}`);
      }
    }
  }
  if (pos > b.length) throw new RangeError('truncated MessagePack data');
  return pos;
}

/** Number of entries of the map at `pos` and the position of its first key, or null if it is not a map. */
export function mapHeader(b: Uint8Array, pos = 0): { entries: number; at: number } | null {
  const t = b[pos];
  if (t === undefined) return null;
  if (t >= 0x80 && t <= 0x8f) return { entries: t & 0x0f, at: pos + 1 };
  if (t === 0xde && pos + 3 <= b.length) return { entries: (b[pos + 1]! << 8) | b[pos + 2]!, at: pos + 3 };
  if (t === 0xdf && pos + 5 <= b.length) return { entries: u32(b, pos + 1), at: pos + 5 };
  return null;
}

/** Reads a short string key (fixstr / str8) at `pos`; null when the value there is not one. */
function shortKey(b: Uint8Array, pos: number): { key: string; next: number } | null {
  const t = b[pos];
  let len: number;
  let start: number;
  if (t === undefined) return null;
  if (t >= 0xa0 && t <= 0xbf) {
    len = t & 0x1f;
    start = pos + 1;
  } else if (t === 0xd9) {
    len = b[pos + 1] ?? 0;
    start = pos + 2;
  } else return null;
  if (start + len > b.length) return null;
  let key = '';
  for (let i = 0; i < len; i++) key += String.fromCharCode(b[start + i]!);
  return { key, next: start + len };
}

const encodedKeys = new WeakMap<readonly string[], Uint8Array[]>();

/** Which of `wanted` (short ASCII names) the fixstr / str8 key at `pos` is, compared byte by byte; else null. */
function matchKey(b: Uint8Array, pos: number, wanted: readonly string[]): string | null {
  let keys = encodedKeys.get(wanted);
  if (keys === undefined) encodedKeys.set(wanted, (keys = wanted.map((w) => new TextEncoder().encode(w))));
  const t = b[pos];
  let len: number;
  let start = pos + 1;
  if (t !== undefined && t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
  else if (t === 0xd9) {
    len = b[pos + 1] ?? -1;
    start = pos + 2;
  } else return null;
  outer: for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    if (key.length !== len || start + len > b.length) continue;
    for (let i = 0; i < len; i++) if (b[start + i] !== key[i]) continue outer;
    return wanted[k]!;
  }
  return null;
}

/** Whether the value at `pos` is the string "id" (fixstr or str8). */
function isIdKey(b: Uint8Array, pos: number): boolean {
  if (b[pos] === 0xa2) return b[pos + 1] === 0x69 && b[pos + 2] === 0x64;
  return b[pos] === 0xd9 && b[pos + 1] === 2 && b[pos + 2] === 0x69 && b[pos + 3] === 0x64;
}

const utf8 = new TextDecoder();
/** Longest id string accepted, in UTF-16 units (as `readId` counts), and in bytes. */
export const MAX_ID_CHARS = 64;
const MAX_ID_BYTES = MAX_ID_CHARS * 4;

/** The string at `pos` if it is one of at most `maxBytes` bytes (decoded in place), else null. */
export function readStringAt(b: Uint8Array, pos: number, maxBytes: number): string | null {
  const t = b[pos];
  if (pos < 0 || t === undefined) return null;
  let len = -1;
  let start = pos + 1;
  if (t >= 0xa0 && t <= 0xbf) len = t & 0x1f;
  else if (t === 0xd9 && pos + 1 < b.length) {
    len = b[pos + 1]!;
    start = pos + 2;
  } else if (t === 0xda && pos + 2 < b.length) {
    len = (b[pos + 1]! << 8) | b[pos + 2]!;
    start = pos + 3;
  } else if (t === 0xdb && pos + 4 < b.length) {
    len = u32(b, pos + 1);
    start = pos + 5;
  }
  if (len < 0 || len > maxBytes || start + len > b.length) return null;
  return utf8.decode(b.subarray(start, start + len));
}

/**
 * A request id read straight from the bytes at `pos` (-1: none) without decoding anything
 * else: an unsigned safe integer, or a string of 1-64 characters; null for any other value
 * (deep arrays, maps, long strings, extensions, truncated data). Constant work.
 */
export function readIdAt(b: Uint8Array, pos: number): number | string | null {
  const t = b[pos];
  if (pos < 0 || t === undefined) return null;
  if ((t >= 0xa0 && t <= 0xbf) || (t >= 0xd9 && t <= 0xdb)) {
    const s = readStringAt(b, pos, MAX_ID_BYTES);
    return s !== null && s.length > 0 && s.length <= MAX_ID_CHARS ? s : null;
  }
  let v: number | boolean | null;
  try {
    v = readScalar(b, pos);
  } catch {
    return null; // truncated
  }
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null;
}

/** What the value at `pos` is, for an error message, without decoding it. */
export function describeAt(b: Uint8Array, pos: number): string {
  const t = b[pos];
  if (t === undefined) return 'nothing';
  if (t === 0xc0) return 'null';
  if ((t >= 0x90 && t <= 0x9f) || t === 0xdc || t === 0xdd) return 'an array';
  if ((t >= 0x80 && t <= 0x8f) || t === 0xde || t === 0xdf) return 'a map';
  if (t >= 0xc4 && t <= 0xc6) return 'binary';
  const s = readStringAt(b, pos, 1 << 30);
  if (s !== null) return s.length > 40 ? `a string of ${s.length} characters` : JSON.stringify(s);
  try {
    return String(readScalar(b, pos));
  } catch {
    return 'truncated data';
  }
}

/** Reads an integer, float or boolean scalar at `pos`; null for any other type (RangeError if truncated). */
export function readScalar(b: Uint8Array, pos: number): number | boolean | null {
  const t = b[pos];
  if (t === undefined) return null;
  if (t <= 0x7f) return t;
  if (t >= 0xe0) return t - 0x100;
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  // DataView getters throw RangeError past the end; callers catch it.
  switch (t) {
    case 0xc2: return false;
    case 0xc3: return true;
    case 0xca: return v.getFloat32(pos + 1);
    case 0xcb: return v.getFloat64(pos + 1);
    case 0xcc: return v.getUint8(pos + 1);
    case 0xcd: return v.getUint16(pos + 1);
    case 0xce: return v.getUint32(pos + 1);
    case 0xcf: return Number(v.getBigUint64(pos + 1));
    case 0xd0: return v.getInt8(pos + 1);
    case 0xd1: return v.getInt16(pos + 1);
    case 0xd2: return v.getInt32(pos + 1);
    case 0xd3: return Number(v.getBigInt64(pos + 1));
    default: return null;
  }
}

/**
 * Byte ranges of the values of the wanted top-level keys of a map, found by skipping the
 * others. Stops as soon as every wanted key is found. Returns null if `b` is not a map.
 */
export function findFields<K extends string>(b: Uint8Array, keys: readonly K[]): Partial<Record<K, [number, number]>> | null {
  const head = mapHeader(b);
  if (head === null) return null;
  const out: Partial<Record<K, [number, number]>> = {};
  let found = 0;
  let pos = head.at;
  for (let i = 0; i < head.entries && found < keys.length; i++) {
    const k = shortKey(b, pos);
    const valueAt = k === null ? skipValue(b, pos) : k.next;
    const end = skipValue(b, valueAt);
    if (k !== null && (keys as readonly string[]).includes(k.key) && out[k.key as K] === undefined) {
      out[k.key as K] = [valueAt, end];
      found++;
    }
    pos = end;
  }
  return out;
}
