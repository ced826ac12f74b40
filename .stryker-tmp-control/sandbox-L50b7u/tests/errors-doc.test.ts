// @ts-nocheck
// Every error code is documented in docs/errors.md, and every documented code exists.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { httpStatus } from '../gateway/http-util.js';

describe('error codes', () => {
  it('match docs/errors.md exactly', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` \|/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.values(ErrorCode).sort());
  });

  it('document the HTTP status the API answers with', () => {
    const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const rows = [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}|—) \|/gm)];
    expect(rows.length).toBe(Object.values(ErrorCode).length);
    for (const m of rows) {
      const code = m[1] as ErrorCode;
      const want = m[2] === '—' ? '400' : m[2]!;
      expect(`${code} ${httpStatus(code).slice(0, 3)}`).toBe(`${code} ${want}`);
    }
  });
});
