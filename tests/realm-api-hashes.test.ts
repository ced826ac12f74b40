// The built-in kinds on defineKind give exactly the state hashes the hand-written kinds gave.
// The fixtures below were produced by the OLD code (the kinds before their rewrite on
// defineKind), with this same file in record mode:
//   npm run build --silent && RECORD_HASHES=1 npx vitest run tests/realm-api-hashes.test.ts
// which prints the JSON pasted into EXPECTED. They are the old code's output, not hand-written
// results: a rewrite that changes any state (or its snapshot, which the hash covers) fails here.
import { describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import type { ControlTickInfo, Engine, RealmRegistration } from '../engine/index.js';
import { fnv1a } from '../protocol/frames.js';
import { startEngine } from './helpers.js';

const TICKS = 200;

interface Scenario {
  realms: readonly RealmRegistration[];
  /** Inputs and external events issued before control tick `i` (1-based, relative to boot). */
  drive(engine: Engine, i: number): void;
}

const SCENARIOS: Record<string, Scenario> = {
  demo: {
    realms: DEMO_REALMS,
    drive(e, i) {
      if (i % 4 === 0) e.input('tavern', 'p1', { move: { dx: 1, dy: -1 } });
      if (i % 11 === 0) e.input('tavern', 'p2', { say: `hi ${i}`, move: { dx: -2, dy: 1 } });
      if (i % 5 === 0) e.input('lobby', 'p1', { set: { id: `ball-${i % 3}`, kind: 'ball', x: i, y: i % 7 } });
      if (i % 13 === 0) e.input('lobby', 'p1', { emit: { type: 'rumor', data: { i } } });
      if (i % 17 === 0) e.input('lobby', 'p2', { emit: { type: 'ping', to: 'forest', data: i } });
      if (i % 7 === 0) e.publish({ type: 'rumor', data: { i } });
      if (i % 9 === 0) e.publish({ type: 'hello', to: 'tavern', data: null });
      if (i === 150) e.input('tavern', 'p2', { leave: true });
    },
  },
  npcs: {
    realms: [
      { realm_id: 'inn', game_id: 'h', kind: 'tavern', adjacency: 'woods', params: { patrons: 12, next: 'grove', maxPlayers: 1 } },
      { realm_id: 'grove', game_id: 'h', kind: 'forest', adjacency: 'woods', params: { deer: 20, wolves: 6, next: 'inn' } },
      { realm_id: 'cellar', game_id: 'h', kind: 'tavern', params: { patrons: 2, merchant: false, next: null } },
    ],
    drive(e, i) {
      if (i % 3 === 0) e.input('inn', `p${i % 2}`, { move: { dx: 3, dy: 2 } });
      if (i % 20 === 0) e.publish({ type: 'bell', data: { tick: i } });
      if (i % 23 === 0) e.publish({ type: 'merchant-departed', to: 'grove', data: null });
    },
  },
  stress: {
    realms: [
      { realm_id: 's0', game_id: 'h', kind: 'stress', params: { entities: 40, emitEvery: 3 } },
      { realm_id: 's1', game_id: 'h', kind: 'stress', params: { entities: 25, emitEvery: 5, peer: 's0', work: 4 } },
      { realm_id: 's2', game_id: 'h', kind: 'stress', params: { entities: 10, emitEvery: 0 } },
    ],
    drive(e, i) {
      if (i % 10 === 0) e.publish({ type: 'stress', data: i });
    },
  },
  relay: {
    realms: [
      { realm_id: 'r1', game_id: 'h', kind: 'relay' },
      { realm_id: 'r2', game_id: 'h', kind: 'relay', params: { shared: true }, subscribe: ['news'] },
    ],
    drive(e, i) {
      e.input('r1', `p${i % 3}`, { set: { id: `u${i % 5}`, x: i, y: -i, hp: i % 9, tag: `t${i % 4}`, ok: i % 2 === 0 } });
      if (i % 6 === 0) e.input('r1', 'p1', { remove: `u${i % 5}` });
      if (i % 8 === 0) e.input('r2', 'p2', { set: { id: 'flag', x: i } });
      if (i % 9 === 0) e.input('r1', 'p0', { emit: { type: 'news', data: { i } } });
      if (i % 12 === 0) e.input('r2', 'p1', { emit: { type: 'dm', to: 'r1', data: i } });
      if (i % 15 === 0) e.input('r1', 'p2', { leave: true });
      if (i % 19 === 0) e.transfer('flag', 'r2', 'r1');
    },
  },
};

type Digest = Record<string, { t1: number; t100: number; t200: number; all: number }>;

async function run(s: Scenario): Promise<Digest> {
  const engine = await startEngine({ shards: 2, mode: 'max', hashEvery: 1 });
  await Promise.all(s.realms.map((r) => engine.register(r)));
  const base = Math.max(...engine.list().map((r) => r.registeredAtControlTick)) + 1;
  await engine.onControlTick(base);
  const per: Record<string, number>[] = [];
  engine.on('controlTick', (t: ControlTickInfo) => per.push(t.hashes));
  for (let i = 1; i <= TICKS; i++) {
    s.drive(engine, i);
    await engine.onControlTick(base + i);
  }
  await engine.stop();
  const out: Digest = {};
  for (const r of s.realms) {
    const seq = per.slice(0, TICKS).map((h) => h[r.realm_id] ?? -1);
    out[r.realm_id] = { t1: seq[0]!, t100: seq[99]!, t200: seq[199]!, all: fnv1a(seq.join(',')) };
  }
  return out;
}

const EXPECTED: Record<string, Digest> = {
  demo: {
    tavern: { t1: 937595522, t100: 1541630990, t200: 2510600844, all: 160326208 },
    forest: { t1: 220727989, t100: 2127715520, t200: 553871965, all: 466532268 },
    lobby: { t1: 2946575571, t100: 2320894160, t200: 1978164811, all: 69862151 },
  },
  npcs: {
    inn: { t1: 1297413537, t100: 1020209651, t200: 3620943688, all: 2783897996 },
    grove: { t1: 4047352143, t100: 348422170, t200: 2854603567, all: 1558615735 },
    cellar: { t1: 2893292186, t100: 584838346, t200: 117670603, all: 3788365005 },
  },
  stress: {
    s0: { t1: 1225040719, t100: 3082056092, t200: 3823340076, all: 4180028906 },
    s1: { t1: 2933474424, t100: 1309536201, t200: 1032516440, all: 3395489055 },
    s2: { t1: 1148428602, t100: 1600261767, t200: 450618183, all: 1784668759 },
  },
  relay: {
    r1: { t1: 4031598452, t100: 1458261297, t200: 1232395726, all: 1724028843 },
    r2: { t1: 3218013152, t100: 513410316, t200: 1023274183, all: 654925980 },
  },
};

describe('built-in kinds on defineKind', () => {
  if (process.env.RECORD_HASHES === '1') {
    it('records the hashes', async () => {
      const out: Record<string, Digest> = {};
      for (const [name, s] of Object.entries(SCENARIOS)) out[name] = await run(s);
      console.log(JSON.stringify(out));
    });
    return;
  }
  for (const name of Object.keys(SCENARIOS)) {
    it(`give the pre-rewrite state hashes: ${name}, ${TICKS} control ticks in max mode`, async () => {
      const got = await run(SCENARIOS[name]!);
      expect(got).toEqual(EXPECTED[name]);
    });
  }
});
