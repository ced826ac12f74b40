// defineKind on a real engine with real shard threads: a kind with only create + view runs with
// the defaults, handlers keyed by event type are its subscriptions, other events reach the
// catch-all, and a transfer to a kind without transfers gives TRANSFER_UNSUPPORTED.
import { describe, expect, it } from 'vitest';
import { engineOptionsFromEnv } from '../engine/env.js';
import { Engine } from '../engine/index.js';
import { probeKind, probeState, startEngine, untilTick } from './helpers.js';

const minimalKind = new URL('./fixtures/minimal-kind.mjs', import.meta.url).href;

interface MinimalState {
  dots: { id: string; x: number }[];
  pings: unknown[];
  other: { type: string; via: string }[];
}

/** Awaits `read` once per control tick until `check` holds (bounded; fails naming `what`). */
async function until<T>(engine: Engine, what: string, read: () => Promise<T>, check: (v: T) => boolean, maxTicks = 2000): Promise<T> {
  for (let i = 0; i < maxTicks; i++) {
    const v = await read();
    if (check(v)) return v;
    await engine.onControlTick(engine.controlTick + 1);
  }
  throw new Error(`timed out after ${maxTicks} control ticks waiting for: ${what}`);
}

async function engineWithMinimal() {
  const engine = await startEngine({ shards: 2, mode: 'max', hashEvery: 1, kindModules: [minimalKind, probeKind] });
  await engine.register({ realm_id: 'm', game_id: 'api', kind: 'minimal', params: { dots: 4 } });
  return engine;
}

describe('defineKind', () => {
  it('runs a kind with only create and view: entity count from the view, snapshot by structured clone', async () => {
    const engine = await engineWithMinimal();
    const info = await untilTick(engine, 'the minimal realm running with a hash', () => {
      const r = engine.list().find((x) => x.realmId === 'm');
      return r?.state === 'running' && r.stateHash !== null ? r : undefined;
    });
    expect(info.entities).toBe(4);
    const snap = (await engine.snapshot('m')) as { data: MinimalState };
    expect(snap.data).toEqual({ dots: [0, 1, 2, 3].map((i) => ({ id: `dot-${i}`, x: i })), pings: [], other: [] });
  });

  it('subscribes to the keys of its handler table and routes other events to the catch-all', async () => {
    const engine = await engineWithMinimal();
    expect(engine.list().find((x) => x.realmId === 'm')?.subscriptions).toEqual(['ping']);
    engine.publish({ type: 'ping', data: { n: 1 } });
    engine.publish({ type: 'pong', data: { n: 2 } }); // not subscribed: never arrives
    engine.publish({ type: 'poke', to: 'm', data: null });
    const read = async (): Promise<MinimalState> => ((await engine.snapshot('m')) as { data: MinimalState }).data;
    const data = await until(engine, 'ping by broadcast and poke by unicast in the minimal realm', read, (d) => d.pings.length > 0 && d.other.length > 0);
    expect(data.pings).toEqual([{ n: 1 }]);
    expect(data.other).toEqual([{ type: 'poke', via: 'unicast' }]);
  });

  it('refuses an entity sent to a kind without transfers: TRANSFER_UNSUPPORTED, and the entity goes back', async () => {
    const engine = await engineWithMinimal();
    await engine.register({ realm_id: 'src', game_id: 'api', kind: 'probe', params: { entities: [{ id: 'crate' }] } });
    engine.transfer('crate', 'src', 'm');
    const failed = await untilTick(engine, 'the minimal realm failed', () => {
      const r = engine.list().find((x) => x.realmId === 'm');
      return r?.state === 'error' ? r : undefined;
    });
    expect(failed.error).toMatch(/^TRANSFER_UNSUPPORTED: realm "m" received entity "crate"/);
    const back = await until(engine, 'the crate back in its source', async () => (await probeState(engine, 'src')).entities.map((e) => e.id), (ids) => ids.includes('crate'));
    expect(back).toEqual(['crate']);
  });

  it('loads kinds named in TICKVERSE_KINDS (paths or file: URLs), and refuses a TypeScript source', async () => {
    const opts = engineOptionsFromEnv({ TICKVERSE_KINDS: ` ./tests/fixtures/minimal-kind.mjs , ${probeKind}` });
    const engine = await startEngine({ ...opts, shards: 1, mode: 'max' });
    const info = await engine.register({ realm_id: 'from-env', game_id: 'api', kind: 'minimal', params: { dots: 2 } });
    expect(info.state).toBe('running');
    expect((await engine.register({ realm_id: 'p', game_id: 'api', kind: 'probe' })).state).toBe('running');
    expect(() => new Engine(engineOptionsFromEnv({ TICKVERSE_KINDS: 'workers/kinds/tavern.ts' }))).toThrow(/INVALID_OPTION|must be JavaScript/);
    expect(() => new Engine(engineOptionsFromEnv({ TICKVERSE_KINDS: 'no-such-kind-package' }))).toThrow(/no package "no-such-kind-package"/);
  });
});
