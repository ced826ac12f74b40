// @ts-nocheck
// What an operator checks after a shard failure: /api/health and /metrics report the
// restart, the failure and the last snapshot's age.
import { describe, expect, it } from 'vitest';
import { getJson, startStack, until } from './gateway-helpers.js';

describe('health and metrics after a shard failure', () => {
  it('report restarts, failures, the last snapshot and the version', async () => {
    const stack = await startStack({}, { shards: 2, snapshotEvery: 2 });
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    await until('a snapshot', () => stack.engine.stats().lastSnapshot !== null);
    const before = (await getJson(`${stack.http}/api/health`)).body as Record<string, unknown>;
    expect(before).toMatchObject({ status: 'ok', version: '0.1.0', shardRestarts: 0, shardFailures: 0, shardsAlive: 2 });
    expect(before.lastSnapshot).toEqual({ controlTick: expect.any(Number), ageMs: expect.any(Number) });

    stack.engine.killShard(stack.engine.get('tavern').shard);
    await until('the tavern back', () => stack.engine.stats().shardRestarts === 1 && stack.engine.get('tavern').state === 'running');
    const after = (await getJson(`${stack.http}/api/health`)).body as Record<string, unknown>;
    expect(after).toMatchObject({ status: 'ok', shardRestarts: 1, shardFailures: 1, shardsAlive: 2 });

    const metrics = await (await fetch(`${stack.http}/metrics`)).text();
    expect(metrics).toMatch(/^tickverse_shard_restarts_total 1$/m);
    expect(metrics).toMatch(/^tickverse_shard_failures_total 1$/m);
    expect(metrics).toMatch(/^tickverse_shards_alive 2$/m);
    expect(metrics).toMatch(/^tickverse_last_snapshot_age_seconds \d+(\.\d+)?$/m);
  });
});
