// @ts-nocheck
import { describe, expect, it } from 'vitest';
import { canonicalStat7, matchesSelector, selectorHash, stat7Hash, toSelector, toStat7 } from '../protocol/stat7.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';

describe('STAT7 coordinates', () => {
  it('maps the seed fields and fills defaults', () => {
    const c = toStat7(undefined, { realm_type: 'tavern', adjacency: 'cluster_main', resonance: 0.7, density: 0.4 });
    expect(c).toEqual({
      realm: 'tavern',
      lineage: 0,
      adjacency: 'cluster_main',
      horizon: 'EMERGENCE',
      luminosity: 0.7,
      polarity: 'BALANCE',
      dimensionality: 3,
    });
    expect(canonicalStat7(c)).toBe('stat7:tavern/0/cluster_main/EMERGENCE/0.700/BALANCE/3');
  });

  it('has a stable hash that changes with any dimension', () => {
    const a = toStat7({ realm: 'forest', horizon: 'PEAK' });
    expect(stat7Hash(a)).toBe(stat7Hash(toStat7({ realm: 'forest', horizon: 'PEAK' })));
    expect(stat7Hash(a)).toMatch(/^[0-9a-f]{16}$/);
    expect(stat7Hash(a)).not.toBe(stat7Hash(toStat7({ realm: 'forest', horizon: 'DECAY' })));
    expect(stat7Hash(a)).not.toBe(stat7Hash(toStat7({ realm: 'forest', horizon: 'PEAK', lineage: 1 })));
  });

  it.each([
    [{ realm: '' }, 'realm'],
    [{ lineage: -1 }, 'lineage'],
    [{ lineage: 1.5 }, 'lineage'],
    [{ horizon: 'NOON' }, 'horizon'],
    [{ luminosity: 2 }, 'luminosity'],
    [{ polarity: 'UP' }, 'polarity'],
    [{ dimensionality: 8 }, 'dimensionality'],
  ])('rejects %j with INVALID_COORDINATE naming %s', (bad, dim) => {
    try {
      toStat7(bad);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TickverseError);
      expect((e as TickverseError).code).toBe(ErrorCode.INVALID_COORDINATE);
      expect((e as TickverseError).message).toContain(dim);
    }
  });

  it('matches selectors by value, list and range', () => {
    const c = toStat7({ realm: 'forest', adjacency: 'cluster_main', horizon: 'PEAK', luminosity: 0.4, dimensionality: 6 });
    expect(matchesSelector(c, toSelector({ adjacency: 'cluster_main', horizon: 'PEAK' }))).toBe(true);
    expect(matchesSelector(c, toSelector({ adjacency: 'cluster_main', horizon: 'DECAY' }))).toBe(false);
    expect(matchesSelector(c, toSelector({ realm: ['tavern', 'forest'] }))).toBe(true);
    expect(matchesSelector(c, toSelector({ luminosity: { min: 0.5 } }))).toBe(false);
    expect(matchesSelector(c, toSelector({ dimensionality: { min: 5, max: 7 } }))).toBe(true);
    expect(selectorHash(toSelector({ horizon: 'PEAK', adjacency: 'x' }))).toBe(selectorHash(toSelector({ adjacency: 'x', horizon: 'PEAK' })));
  });

  it.each([[null], [{}], [{ colour: 'red' }], [{ lineage: { from: 1 } }], [{ realm: [] }]])('rejects selector %j', (bad) => {
    expect(() => toSelector(bad)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_SELECTOR }));
  });
});
