// Gateway pieces on their own: options, the MessagePack checker, request parsing, the
// token bucket, auth helpers, push encoding and the dev log formatter.
import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import { ErrorCode } from '../protocol/errors.js';
import { OPS, OP_ACCESS } from '../protocol/wire.js';
import { resolveGatewayOptions } from '../gateway/options.js';
import { checkRequest, findFields, skipValue } from '../gateway/msgpack-scan.js';
import { parseRequest, RequestError, validTopic } from '../gateway/requests.js';
import { Strikes, TokenBucket } from '../gateway/rate-limit.js';
import { IpLimits, normalizeIp } from '../gateway/ip-limit.js';
import { bearer, originAllowed, tokenMatches } from '../gateway/auth.js';
import { eventPush } from '../gateway/pushes.js';
import { createLogger, prettyLine } from '../gateway/logger.js';
import { decode, encode } from '../gateway/codec.js';

const limits = { maxDepth: 8, maxItems: 100 };
const token = 'a-long-enough-token';

describe('gateway options', () => {
  it.each([
    [{ port: -1 }, 'port'],
    [{ port: 70000 }, 'port'],
    [{ token: 'short' }, 'token'],
    [{ token: 5 }, 'token'],
    [{ allowedOrigins: ['not a url'] }, 'allowedOrigins'],
    [{ allowedOrigins: 'everyone' }, 'allowedOrigins'],
    [{ maxPayloadBytes: 10 }, 'maxPayloadBytes'],
    [{ ratePerSec: 0 }, 'ratePerSec'],
    [{ rateBurst: 1.5 }, 'rateBurst'],
    [{ idleTimeoutMs: -5 }, 'idleTimeoutMs'],
    [{ readNeedsToken: 'yes' }, 'readNeedsToken'],
    [{ publicDir: 3 }, 'publicDir'],
    [{ logger: {} }, 'logger'],
    [{ bogus: 1 }, 'bogus'],
  ])('rejects %j naming %s', (opts, name) => {
    expect(() => resolveGatewayOptions({ token, ...(opts as object) }, {})).toThrow(
      expect.objectContaining({ code: ErrorCode.INVALID_OPTION, message: expect.stringContaining(`"${name}"`) }),
    );
  });

  it('needs a token from options or TICKVERSE_TOKEN, never a default, and never echoes it', () => {
    expect(() => resolveGatewayOptions({}, {})).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION, message: expect.stringContaining('TICKVERSE_TOKEN') }));
    expect(resolveGatewayOptions({}, { TICKVERSE_TOKEN: token }).token).toBe(token);
    expect(resolveGatewayOptions({ token: null }, {}).token).toBeNull();
    try {
      resolveGatewayOptions({ token: 'secret-short' }, {});
    } catch (e) {
      expect((e as Error).message).not.toContain('secret-short');
    }
  });

  it('has documented defaults and is frozen', () => {
    const o = resolveGatewayOptions({ token }, {});
    expect(o).toMatchObject({ port: 8000, host: '0.0.0.0', readNeedsToken: false, allowedOrigins: 'same-origin', maxPayloadBytes: 65536, ratePerSec: 100, rateBurst: 200, idleTimeoutMs: 60_000 });
    expect(Object.isFrozen(o)).toBe(true);
  });
});

describe('MessagePack checks', () => {
  it('accepts plain maps within limits', () => {
    expect(checkRequest(encode({ op: 'ping', id: 1, data: { a: [1, 2, { b: 'c' }], bin: new Uint8Array(3), f: 1.5, n: -3, big: 2 ** 40 } }), limits)).toBeNull();
  });

  it('rejects non-maps, truncation, lies about lengths, depth, item counts, extensions and trailing bytes', () => {
    expect(checkRequest(encode([1]), limits)).toMatch(/map/);
    expect(checkRequest(new Uint8Array([0x81, 0xa1]), limits)).toMatch(/truncated|exceeds/);
    expect(checkRequest(new Uint8Array([0xdf, 0xff, 0xff, 0xff, 0xff]), limits)).toMatch(/exceeds/);
    expect(checkRequest(new Uint8Array([0x81, 0xa1, 0x61, 0xdb, 0xff, 0xff, 0xff, 0xff]), limits)).toMatch(/exceeds/);
    let deep: unknown = 1;
    for (let i = 0; i < 10; i++) deep = [deep];
    expect(checkRequest(encode({ d: deep }), limits)).toMatch(/nesting/);
    expect(checkRequest(encode({ xs: new Array(200).fill(0) }), limits)).toMatch(/more than 100/);
    expect(checkRequest(new Uint8Array([0x81, 0xa1, 0x61, 0xd6, 0xff, 0, 0, 0, 0]), limits)).toMatch(/extension/);
    expect(checkRequest(new Uint8Array([0x81, 0xa1, 0x61, 0xc7, 0x01, 0x72, 0x00]), limits)).toMatch(/extension/);
    expect(checkRequest(new Uint8Array([0x80, 0x00]), limits)).toMatch(/trailing/);
    expect(checkRequest(new Uint8Array([0x81, 0xc1, 0x00]), limits)).toMatch(/0xc1/);
  });

  it('msgpackr records and structures from a non-plain packer are refused', () => {
    const records = new Packr({ useRecords: true, structures: [] });
    expect(checkRequest(records.pack({ op: 'ping', id: 1 }), limits)).toMatch(/extension|map/);
  });

  it('reads fields without decoding the rest', () => {
    const frame = encode({ op: 'state', realm: 'r', seq: 41, tick: 7, key: false, ents: [{ id: 'a', x: 1 }], gone: [], at: Date.now() });
    const f = findFields(frame, ['ents', 'at'] as const)!;
    expect(decode(frame.subarray(f.ents![0], f.ents![1]))).toEqual([{ id: 'a', x: 1 }]);
    expect(skipValue(frame, 0)).toBe(frame.length);
  });
});

describe('request parsing', () => {
  it('knows every op and gives each an access level', () => {
    for (const op of OPS) expect(OP_ACCESS[op]).toMatch(/open|read|admin/);
  });

  it('returns typed requests and documented errors', () => {
    expect(parseRequest({ op: 'join', id: 3, realm: 'tav', extra: 'ignored' })).toEqual({ op: 'join', id: 3, realm: 'tav' });
    expect(parseRequest({ op: 'publish', id: 'x', type: 't' })).toEqual({ op: 'publish', id: 'x', type: 't', data: null });
    expect(parseRequest({ op: 'subscribe', id: 1, topics: ['registry', 'registry', 'event:a'] })).toEqual({ op: 'subscribe', id: 1, topics: ['registry', 'event:a'] });
    const fail = (v: unknown): RequestError => {
      try {
        parseRequest(v);
      } catch (e) {
        return e as RequestError;
      }
      throw new Error('expected a RequestError');
    };
    expect(fail(null)).toMatchObject({ id: null, code: ErrorCode.BAD_REQUEST });
    expect(fail({ op: 'ping', id: 1.5 })).toMatchObject({ id: null, code: ErrorCode.BAD_REQUEST });
    expect(fail({ op: 'ping', id: 'x'.repeat(65) })).toMatchObject({ id: null, code: ErrorCode.BAD_REQUEST });
    expect(fail({ op: 'fly', id: 1 })).toMatchObject({ id: 1, code: ErrorCode.UNKNOWN_OP });
    expect(fail({ op: 'join', id: 1, realm: '' })).toMatchObject({ id: 1, code: ErrorCode.BAD_REQUEST, message: expect.stringContaining('"realm"') });
  });

  it('topics', () => {
    for (const t of ['registry', 'ticks', 'event:*', 'event:rumor', 'to:tavern', 'event:a/b.c-d']) expect(validTopic(t), t).toBe(true);
    for (const t of ['', 'state/tav', 'event:', 'to:', 'event:a b', 'foo']) expect(validTopic(t), t).toBe(false);
  });
});

describe('per-IP keys and strikes', () => {
  it('normalises addresses: IPv4-mapped IPv6 is IPv4, IPv6 counts per /64, exemptions match any spelling', () => {
    const l = new IpLimits(2, ['127.0.0.1', '::1']);
    expect(normalizeIp('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeIp('0000:0000:0000:0000:0000:ffff:0a01:0203')).toBe('10.1.2.3');
    expect(l.keyFor('2001:db8:0:1::5')).toBe(l.keyFor('2001:0db8:0000:0001:ffff::9'));
    expect(l.keyFor('2001:db8:0:2::5')).not.toBe(l.keyFor('2001:db8:0:1::5'));
    expect(l.keyFor('0000:0000:0000:0000:0000:0000:0000:0001')).toBeNull();
    expect(l.keyFor('127.0.0.1')).toBeNull();
    const k = l.keyFor('10.0.0.1');
    l.opened(k);
    l.opened(k);
    expect(l.admits(k)).toBe(false);
    l.closed(k);
    expect(l.admits(k)).toBe(true);
    expect(new IpLimits(0, []).keyFor('10.0.0.1')).toBeNull();
  });

  it('strikes fade with time only', () => {
    const s = new Strikes(100, 0);
    for (let i = 1; i <= 50; i++) expect(s.add(0)).toBe(i);
    expect(s.add(100)).toBeCloseTo(41); // 50 - 10 faded + 1
    expect(s.add(10_000)).toBe(1);
  });
});

describe('limits and auth helpers', () => {
  it('token bucket: burst, then the sustained rate', () => {
    const b = new TokenBucket(10, 3, 0);
    expect([b.take(0), b.take(0), b.take(0), b.take(0)]).toEqual([true, true, true, false]);
    expect(b.take(50)).toBe(false);
    expect(b.take(100)).toBe(true);
    expect(b.take(100)).toBe(false);
    expect([b.take(10_000), b.take(10_000), b.take(10_000), b.take(10_000)]).toEqual([true, true, true, false]);
  });

  it('tokens, bearer headers and origins', () => {
    expect(tokenMatches(token, token)).toBe(true);
    expect(tokenMatches('a-long-enough-tokeN', token)).toBe(false);
    expect(tokenMatches(token, null)).toBe(false);
    expect(tokenMatches(undefined, token)).toBe(false);
    expect(bearer(`Bearer ${token}`)).toBe(token);
    expect(bearer('Basic abc')).toBeNull();
    expect(originAllowed('', 'h:1', 'same-origin')).toBe(true);
    // Same origin: full origins compared; Host trusted only when it is an address, not a name.
    expect(originAllowed('http://10.0.0.5:1', '10.0.0.5:1', 'same-origin')).toBe(true);
    expect(originAllowed('http://localhost:8000', 'LOCALHOST:8000', 'same-origin')).toBe(true);
    expect(originAllowed('http://[::1]:8000', '[::1]:8000', 'same-origin')).toBe(true);
    expect(originAllowed('http://10.0.0.5', '10.0.0.5:80', 'same-origin')).toBe(true);
    expect(originAllowed('https://10.0.0.5:1', '10.0.0.5:1', 'same-origin')).toBe(false);
    expect(originAllowed('http://h:1', 'h:1', 'same-origin')).toBe(false);
    expect(originAllowed('http://evil:1', '10.0.0.5:1', 'same-origin')).toBe(false);
    expect(originAllowed('not a url', '10.0.0.5:1', 'same-origin')).toBe(false);
    expect(originAllowed('https://h.example', 'whatever', 'same-origin', 'https://h.example')).toBe(true);
    expect(originAllowed('http://h.example', 'h.example', 'same-origin', 'https://h.example')).toBe(false);
    expect(originAllowed('https://a.example:443', 'h', ['https://a.example'])).toBe(true);
    expect(originAllowed('http://a.example', 'h', ['https://a.example'])).toBe(false);
    expect(originAllowed('https://A.example', 'h', ['https://a.example'])).toBe(true);
    expect(originAllowed('https://b.example', 'h', ['https://a.example'])).toBe(false);
    expect(originAllowed('https://b.example', 'h', '*')).toBe(true);
  });
});

describe('push encoding', () => {
  it('splices the source data bytes into the event push unchanged', () => {
    const data = { deep: { list: [1, 'two', null, { three: 3.5 }] }, bin: new Uint8Array([1, 2]) };
    const payload = encode({ type: 'rumor', data });
    const push = eventPush({ controlTick: 9, from: 'forest', type: 'rumor', via: 'broadcast', to: ['tav'], seq: 4, payload });
    expect(decode(push)).toEqual({ op: 'event', ct: 9, from: 'forest', via: 'broadcast', to: ['tav'], seq: 4, type: 'rumor', data: { deep: data.deep, bin: expect.anything() } });
    // An odd payload falls back to decode + encode.
    const odd = eventPush({ controlTick: 1, from: 'x', type: 't', via: 'unicast', to: [], seq: 1, payload: encode('just a string') });
    expect(decode(odd)).toMatchObject({ op: 'event', data: null });
  });
});

describe('logs', () => {
  it('pino JSON by default, a readable line in development', () => {
    const lines: string[] = [];
    createLogger({ write: (l) => lines.push(l) }).info({ session: 's1', code: 1000 }, 'websocket closed');
    const rec = JSON.parse(lines[0]!) as Record<string, unknown>;
    expect(rec).toMatchObject({ level: 30, msg: 'websocket closed', session: 's1', code: 1000, name: 'tickverse' });
    const pretty: string[] = [];
    createLogger({ format: 'pretty', write: (l) => pretty.push(l) }).warn({ realm: 'tav', note: 'two words' }, 'realm failed');
    expect(pretty[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3} WARN  \[tickverse\] realm failed realm=tav note="two words"\n$/);
    expect(prettyLine('not json')).toBe('not json');
  });
});
