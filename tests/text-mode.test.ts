// JSON text frames' pieces (gateway/text-mode.ts, screen-text.ts): the limit check before
// JSON.parse agrees with the real nesting and value count of any JSON value; MessagePack
// messages render as the same JSON; requests parse to the same ops as their MessagePack form.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../gateway/codec.js';
import { screenText } from '../gateway/screen-text.js';
import { checkJsonText, textTopic, toJson, toJsonText } from '../gateway/text-mode.js';
import { ErrorCode } from '../protocol/errors.js';

/** Nesting depth and number of values (containers, scalars and object keys) of a parsed JSON value. */
function measure(v: unknown, depth = 0): { depth: number; items: number } {
  if (Array.isArray(v)) {
    let d = depth + 1;
    let n = 1;
    for (const x of v) {
      const m = measure(x, depth + 1);
      d = Math.max(d, m.depth);
      n += m.items;
    }
    return { depth: d, items: n };
  }
  if (typeof v === 'object' && v !== null) {
    let d = depth + 1;
    let n = 1;
    for (const [, x] of Object.entries(v)) {
      const m = measure(x, depth + 1);
      d = Math.max(d, m.depth);
      n += 1 + m.items; // the key and its value
    }
    return { depth: d, items: n };
  }
  return { depth, items: 1 };
}

// No "__proto__" keys: the decoder drops them on purpose (prototype pollution), so they cannot round-trip.
const json = fc.jsonValue({ maxDepth: 6 }).filter((v) => !JSON.stringify(v).includes('"__proto__"'));
const enc = new TextEncoder();

describe('JSON text frames', () => {
  it('the pre-parse check refuses exactly the texts deeper or larger than the limits', () => {
    fc.assert(
      fc.property(json, fc.boolean(), fc.integer({ min: 1, max: 8 }), fc.integer({ min: 1, max: 60 }), (v, spaced, maxDepth, maxItems) => {
        const text = JSON.stringify(v, null, spaced ? 2 : undefined);
        const m = measure(JSON.parse(text));
        const problem = checkJsonText(text, { maxDepth, maxItems });
        const over = m.depth > maxDepth || m.items > maxItems;
        expect(problem !== null, `${text} depth ${m.depth} items ${m.items}`).toBe(over);
      }),
      { numRuns: 400 },
    );
  });

  it('counts values exactly, whatever the whitespace and escapes', () => {
    /** The smallest maxItems / maxDepth the text passes with. */
    const items = (s: string): number => [...Array(50).keys()].find((n) => checkJsonText(s, { maxDepth: 50, maxItems: n }) === null)!;
    const depth = (s: string): number => [...Array(50).keys()].find((n) => checkJsonText(s, { maxDepth: n, maxItems: 1000 }) === null)!;
    const cases: [string, number, number][] = [
      ['{ "a" : [ 1 , 2 ] }', 5, 2],
      ['[ true ,false,  null ]', 4, 1],
      [String.raw`{"k\\"  :  "v\\\"]"}`, 3, 1],
      ['  "x"  ', 1, 0],
      ['[[], {}, ""]', 4, 2],
      ['-1.5e3', 1, 0],
    ];
    for (const [s, n, d] of cases) {
      expect(JSON.parse(s)).toBeDefined(); // the cases are valid JSON
      expect(items(s), `values of ${s}`).toBe(n);
      expect(depth(s), `depth of ${s}`).toBe(d);
    }
  });

  it('escaped quotes and brackets inside strings do not count', () => {
    expect(checkJsonText(JSON.stringify({ a: '[[[{{{"\\"]]]' }), { maxDepth: 1, maxItems: 3 })).toBeNull();
    expect(checkJsonText('[[[]]]', { maxDepth: 2, maxItems: 10 })).toMatch(/nesting deeper than 2/);
    expect(checkJsonText('[1,2,3,4]', { maxDepth: 2, maxItems: 4 })).toMatch(/more than 4 values/);
  });

  it('renders any MessagePack message of ours as the same value in JSON', () => {
    fc.assert(
      fc.property(json, (v) => {
        expect(JSON.parse(toJsonText(encode(v)))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
    // What JSON cannot hold: bytes as arrays of numbers, Maps as objects, bigints as numbers.
    expect(JSON.parse(toJson({ b: new Uint8Array([1, 2]), m: new Map([['k', 1]]), n: 5n }))).toEqual({ b: [1, 2], m: { k: 1 }, n: 5 });
    expect(textTopic('realm:a')).not.toBe('realm:a');
  });

  it('a text request parses to the op its MessagePack form would; bad text gets coded errors', () => {
    const limits = { maxDepth: 8, maxItems: 100 };
    const open = (): null => null;
    const r = screenText(enc.encode(JSON.stringify({ op: 'join', id: 7, realm: 'tav' })), limits, open);
    expect(r).toEqual({ ok: true, req: { op: 'join', id: 7, realm: 'tav' } });
    expect(screenText(enc.encode('{"op":"join"'), limits, open)).toMatchObject({ ok: false, code: ErrorCode.BAD_FRAME, bad: true });
    expect(screenText(new Uint8Array([0xff, 0xfe]), limits, open)).toMatchObject({ ok: false, code: ErrorCode.BAD_FRAME });
    expect(screenText(enc.encode('[1]'), limits, open)).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST });
    expect(screenText(enc.encode('{"op":"nope","id":1}'), limits, open)).toMatchObject({ ok: false, id: 1, code: ErrorCode.UNKNOWN_OP });
    expect(screenText(enc.encode('[[[[[[[[[[1]]]]]]]]]]'), limits, open)).toMatchObject({ ok: false, code: ErrorCode.BAD_FRAME });
    expect(screenText(enc.encode('{"action":"list_games"}'), limits, open)).toEqual({ ok: true, action: { action: 'list_games' } });
    // With an op it is an op; an action that is not a string is no action.
    expect(screenText(enc.encode('{"op":"ping","id":2,"action":"list_games"}'), limits, open)).toEqual({ ok: true, req: { op: 'ping', id: 2 } });
    expect(screenText(enc.encode('{"action":5}'), limits, open)).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST, bad: true });
    const deny = (): never => ({ code: ErrorCode.UNAUTHORIZED, message: 'no' }) as never;
    // Access is asked only for a known op with a valid id: otherwise the message is malformed first.
    expect(screenText(enc.encode('{"op":"nope","id":3}'), limits, deny)).toMatchObject({ ok: false, code: ErrorCode.UNKNOWN_OP });
    expect(screenText(enc.encode('{"op":"ping"}'), limits, deny)).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST, id: null });
    expect(screenText(enc.encode('{"op":7,"id":1}'), limits, deny)).toMatchObject({ ok: false, code: ErrorCode.BAD_REQUEST, id: 1 });
    const msgs = [
      screenText(new Uint8Array([0xff]), limits, open),
      screenText(enc.encode('{'), limits, open),
      screenText(enc.encode('3'), limits, open),
    ].map((x) => (x.ok ? '' : x.message));
    expect(msgs[0]).toMatch(/UTF-8 JSON/);
    expect(msgs[1]).toMatch(/^malformed JSON: /);
    expect(msgs[2]).toMatch(/JSON object with "op" and "id"/);
    // Access is checked before the fields are read: a refusal, not a malformed message.
    const denied = screenText(enc.encode('{"op":"register","id":"r","realm":{}}'), limits, (op) => (op === 'register' ? ({ code: ErrorCode.UNAUTHORIZED, message: 'no' } as never) : null));
    expect(denied).toEqual({ ok: false, id: 'r', code: ErrorCode.UNAUTHORIZED, message: 'no', bad: false });
  });
});

describe('genre words → STAT7 (docs/migration.md)', () => {
  it('the table in the migration guide is the code table, and other words go by FNV-1a as it says', async () => {
    const { readFileSync } = await import('node:fs');
    const { RESONANCE_WORDS, resonanceOf } = await import('../protocol/resonance.js');
    const { fnv1a } = await import('../protocol/frames.js');
    const { POLARITIES } = await import('../protocol/stat7.js');
    const doc = readFileSync(new URL('../docs/migration.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| ([a-z]+) \| ([A-Z]+) \| ([0-9.]+) \|$/gm)].map((m) => [m[1]!, { polarity: m[2], luminosity: Number(m[3]) }] as const);
    expect(Object.fromEntries(rows)).toEqual(RESONANCE_WORDS);
    for (const [w, r] of rows) expect(resonanceOf(w.toUpperCase())).toEqual(r);
    for (const w of ['steampunk', 'cozy farming', 'Noir']) {
      const h = fnv1a(w.trim().toLowerCase());
      expect(resonanceOf(w)).toEqual({ polarity: POLARITIES[h % 5], luminosity: ((h >>> 8) % 101) / 100 });
    }
  });
});
