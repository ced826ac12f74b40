// Hot reload of a realm kind on a real engine with real shard threads: kinds are .js files in a
// temp dir, rewritten in place and reloaded while realms tick and inputs flow. A good version
// takes with every realm's state; a broken one (restore throws, first tick throws, syntax error)
// is rolled back on every realm of the kind, which keeps its old behaviour and its state.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode, isTickverseError, type Engine } from '../engine/index.js';
import { startEngine, untilTick } from './helpers.js';
import { TOKEN, client, getJson, startStack, until } from './gateway-helpers.js';

const defineKindUrl = new URL('../dist/workers/define-kind.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'tickverse-reload-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Counter {
  n: number;
  inputs: number;
  code: string;
  restoredAt?: number;
  /** The realm's local tick (from the snapshot envelope). */
  tick?: number;
}

/** A counter kind: each tick adds `step` and stamps `code`; inputs are counted. `extra` goes into the definition. */
function counterSource(code: string, step = 1, extra = ''): string {
  return `import { defineKind } from ${JSON.stringify(defineKindUrl)};
export default defineKind({
  name: 'counter',
  create: () => ({ n: 0, inputs: 0, code: ${JSON.stringify(code)} }),
  view: (s) => [{ id: 'c', x: s.n }],
  tick(s, ctx) { s.n += ${step}; s.code = ${JSON.stringify(code)}; },
  onInput(s) { s.inputs++; },
  ${extra}
});
`;
}

let files = 0;
/** A kind file; `write` rewrites it in place (as an editor does). */
function kindFile(source: string): { path: string; write(source: string): void } {
  const path = join(dir, `counter-${++files}.js`);
  writeFileSync(path, source);
  return { path, write: (s) => writeFileSync(path, s) };
}

const REALMS = ['r1', 'r2', 'r3', 'r4'];

async function counters(engine: Engine): Promise<Record<string, Counter>> {
  const out: Record<string, Counter> = {};
  // Asked together: in max mode every question is answered in the same round, so the ticks compare.
  const snaps = (await Promise.all(REALMS.map((id) => engine.snapshot(id)))) as { tick: number; data: Counter }[];
  REALMS.forEach((id, i) => (out[id] = { ...snaps[i]!.data, tick: snaps[i]!.tick }));
  return out;
}

async function engineWith(path: string, ticksPerControl = 1): Promise<Engine> {
  const engine = await startEngine({ shards: 2, mode: 'max', ticksPerControl, kindModules: [path] });
  for (const id of REALMS) await engine.register({ realm_id: id, game_id: 'reload', kind: 'counter' });
  await untilTick(engine, 'the counters ticking', () => engine.list().every((r) => r.state === 'running' && r.localTick > 5));
  return engine;
}

/** Inputs to every realm on each event-loop turn until stopped; resolves with how many each got. */
function flowInputs(engine: Engine): { stop(): Promise<number> } {
  let sent = 0;
  let on = true;
  const loop = (async () => {
    while (on) {
      await Promise.all(REALMS.map((id) => engine.input(id, 'p1', { k: sent })));
      sent++;
      await new Promise((r) => setImmediate(r));
    }
  })();
  return {
    async stop() {
      on = false;
      await loop;
      return sent;
    },
  };
}

async function reloadError(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (e) {
    if (isTickverseError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('the reload succeeded; it should have failed');
}

/** Every realm keeps `code` and keeps counting from where it was. */
async function expectOldCodeContinues(engine: Engine, before: Record<string, Counter>, code: string): Promise<void> {
  const t = engine.controlTick;
  await engine.onControlTick(t + 3);
  const after = await counters(engine);
  for (const id of REALMS) {
    expect(after[id]!.n, id).toBe(after[id]!.tick); // one step per local tick: none lost or doubled
    expect(after[id]!.tick! - after.r1!.tick!, id).toBe(before[id]!.tick! - before.r1!.tick!); // and in step with the others
    expect(after[id]!.code, id).toBe(code);
    expect(after[id]!.n, id).toBeGreaterThan(before[id]!.n);
    expect(after[id]!.restoredAt, id).toBeUndefined(); // the failed version's state never stayed
  }
  expect(engine.list().every((r) => r.state === 'running')).toBe(true);
}

describe('hot reload', () => {
  it('replaces the code under load: realms keep ticking and their state, inputs are not lost, the new behaviour shows', async () => {
    const file = kindFile(counterSource('v1'));
    const engine = await engineWith(file.path);
    const inputs = flowInputs(engine);
    await engine.onControlTick(engine.controlTick + 3);
    const before = await counters(engine);
    expect(Object.values(before).every((c) => c.inputs > 0 && c.code === 'v1')).toBe(true);
    file.write(counterSource('v2', 1000, 'restore: (snap) => ({ ...snap, restoredAt: snap.n }), on: { bell(s) { s.bells = (s.bells ?? 0) + 1; } },'));
    const report = await engine.reloadKind(file.path);
    expect(report).toMatchObject({ kind: 'counter', realms: REALMS.length });
    expect(report.controlTick).toBeGreaterThan(0);
    await engine.onControlTick(engine.controlTick + 3);
    const sent = await inputs.stop();
    let now: Record<string, Counter> = {};
    for (let i = 0; i < 200; i++) {
      now = await counters(engine);
      if (Object.values(now).every((c) => c.inputs >= sent)) break;
      await engine.onControlTick(engine.controlTick + 1);
    }
    for (const id of REALMS) {
      const c = now[id]!;
      expect(c.code, id).toBe('v2');
      // Restored from the state it had: the counter went on from its value, then by the new step.
      expect(c.restoredAt, id).toBeGreaterThanOrEqual(before[id]!.n);
      expect(c.n, id).toBeGreaterThan(c.restoredAt! + 1000);
      expect(c.inputs, id).toBe(sent); // none lost across the swap
    }
    // A key the new code added to `on`: the running realms subscribed to it.
    await untilTick(engine, 'the bell subscriptions', () => engine.list().every((r) => r.subscriptions.includes('bell')));
    engine.publish({ type: 'bell' });
    for (let i = 0; i < 100 && !Object.values(await counters(engine)).every((c) => (c as { bells?: number }).bells === 1); i++) await engine.onControlTick(engine.controlTick + 1);
    expect(Object.values(await counters(engine)).map((c) => (c as { bells?: number }).bells)).toEqual(REALMS.map(() => 1));
    // Realms registered from now on get the new code.
    await engine.register({ realm_id: 'late', game_id: 'reload', kind: 'counter' });
    await untilTick(engine, 'the late realm ticking', () => engine.get('late').localTick > 1);
    expect(((await engine.snapshot('late')) as { data: Counter }).data.code).toBe('v2');
  });

  it('a replaced shard loads the reloaded module, not the one the engine started with', async () => {
    const file = kindFile(counterSource('v1'));
    const engine = await engineWith(file.path);
    const next = kindFile(counterSource('v2')); // another file: the engine's start list still names the first
    await engine.reloadKind(next.path);
    const victim = engine.get('r1');
    engine.killShard(victim.shard);
    await untilTick(engine, 'the shard replaced and r1 ticking', () => engine.stats().shardRestarts > 0 && engine.get('r1').state === 'running' && engine.get('r1').localTick > victim.localTick + 2);
    expect(((await engine.snapshot('r1')) as { data: Counter }).data.code).toBe('v2');
    await engine.register({ realm_id: 'late', game_id: 'reload', kind: 'counter' });
    await untilTick(engine, 'the late realm ticking', () => engine.get('late').localTick > 1);
    expect(((await engine.snapshot('late')) as { data: Counter }).data.code).toBe('v2');
  });

  it('rolls back a version whose restore throws: RELOAD_FAILED naming the realm, old code and state kept', async () => {
    const file = kindFile(counterSource('v1'));
    const engine = await engineWith(file.path);
    const before = await counters(engine);
    file.write(counterSource('v2', 1, `restore(snap) { throw new Error('cannot read this snapshot'); },`));
    const err = await reloadError(engine.reloadKind(file.path));
    expect(err.code).toBe(ErrorCode.RELOAD_FAILED);
    expect(err.message).toMatch(/realm "r\d": restore: Error: cannot read this snapshot/);
    await expectOldCodeContinues(engine, before, 'v1');
  });

  it('rolls back every realm when the first tick throws in one of them, on any shard', async () => {
    const file = kindFile(counterSource('v1'));
    const engine = await engineWith(file.path);
    const before = await counters(engine);
    // Only r3 throws; the others ran the new code for one control tick and are taken back too.
    const bad = counterSource('v2', 1, 'restore: (snap) => ({ ...snap, restoredAt: snap.n }),').replace(
      'tick(s, ctx) {',
      `tick(s, ctx) { if (ctx.realmId === 'r3') throw new Error('tick broke in v2');`,
    );
    file.write(bad);
    const err = await reloadError(engine.reloadKind(file.path));
    expect(err.code).toBe(ErrorCode.RELOAD_FAILED);
    expect(err.message).toContain('realm "r3": first control tick: Error: tick broke in v2');
    expect(err.message).not.toContain('realm "r1"');
    const after = await counters(engine);
    for (const id of REALMS) {
      // One step per local tick in both versions: no tick lost or run twice (r3 re-ran its failed tick on the old code).
      expect(after[id]!.n, id).toBe(after[id]!.tick);
      expect(after[id]!.n, id).toBeGreaterThan(before[id]!.n);
    }
    // The realms that ran v2 for a control tick went back to v1 with the state reached (its restore marker included).
    const t = engine.controlTick;
    await engine.onControlTick(t + 3);
    const later = await counters(engine);
    for (const id of REALMS) {
      expect(later[id]!.code, id).toBe('v1');
      expect(later[id]!.n, id).toBeGreaterThan(after[id]!.n);
    }
    expect(later.r3!.restoredAt).toBeUndefined();
  });

  it('replays into the old code what the new code did in the swap control tick before it threw', async () => {
    const file = kindFile(counterSource('v1'));
    const engine = await engineWith(file.path, 3);
    const before = await counters(engine);
    // Three local ticks per control tick: r2's new code runs one, then throws in the second.
    file.write(counterSource('v2').replace('tick(s, ctx) {', `tick(s, ctx) { s.t2 = (s.t2 ?? 0) + 1; if (ctx.realmId === 'r2' && s.t2 === 2) throw new Error('second tick broke');`));
    const err = await reloadError(engine.reloadKind(file.path));
    expect(err.message).toContain('realm "r2": first control tick: Error: second tick broke');
    await expectOldCodeContinues(engine, before, 'v1'); // n = local tick: the tick r2 ran on v2 was replayed on v1
  });

  it('rolls back a module with a syntax error, and a fixed version then takes', async () => {
    const file = kindFile(counterSource('v1'));
    const engine = await engineWith(file.path);
    const before = await counters(engine);
    file.write('export default defineKind({ name: "counter",, });\n');
    const err = await reloadError(engine.reloadKind(file.path));
    expect(err.code).toBe(ErrorCode.RELOAD_FAILED);
    expect(err.message).toMatch(/failed to load on shard \d: SyntaxError/);
    await expectOldCodeContinues(engine, before, 'v1');
    const missing = await reloadError(engine.reloadKind(join(dir, 'nope.js')));
    expect(missing.code).toBe(ErrorCode.RELOAD_FAILED);
    file.write(counterSource('v2'));
    expect((await engine.reloadKind(file.path)).realms).toBe(REALMS.length);
    await engine.onControlTick(engine.controlTick + 2);
    expect(Object.values(await counters(engine)).map((c) => c.code)).toEqual(REALMS.map(() => 'v2'));
  });
});

describe('POST /api/kinds/reload', () => {
  it('reloads a kind for the admin token, and answers a broken module with RELOAD_FAILED', async () => {
    const file = kindFile(counterSource('v1'));
    const stack = await startStack({}, { kindModules: [file.path] });
    await stack.engine.register({ realm_id: 'h1', game_id: 'reload', kind: 'counter' });
    const post = (body: unknown, auth = true) =>
      getJson(`${stack.http}/api/kinds/reload`, { method: 'POST', headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${TOKEN}` } : {}) }, body: JSON.stringify(body) });
    file.write(counterSource('v2'));
    expect(await post({ module: file.path }, false)).toMatchObject({ status: 401, body: { error: { code: 'UNAUTHORIZED' } } });
    expect(await post({ mod: file.path })).toMatchObject({ status: 400, body: { error: { code: 'BAD_REQUEST' } } });
    const ok = await post({ module: file.path });
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ kind: 'counter', realms: 1 });
    expect((ok.body as { controlTick: number }).controlTick).toBeGreaterThan(0);
    await stack.engine.onControlTick(stack.engine.controlTick + 2);
    expect(((await stack.engine.snapshot('h1')) as { data: Counter }).data.code).toBe('v2');
    file.write(counterSource('v3', 1, `restore() { throw new Error('v3 restore broke'); },`));
    const bad = await post({ module: file.path });
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { code: 'RELOAD_FAILED' } });
    expect((bad.body as { error: { message: string } }).error.message).toContain('v3 restore broke');
  });

  it('keeps a joined client connected and sends it a keyframe with the new code', async () => {
    const file = kindFile(counterSource('v1'));
    const stack = await startStack({}, { kindModules: [file.path] });
    await stack.engine.register({ realm_id: 'h2', game_id: 'reload', kind: 'counter' });
    const c = await client(stack, { token: TOKEN });
    const reconnects: number[] = [];
    c.on('reconnecting', ({ attempt }) => reconnects.push(attempt));
    const view = await c.join('h2');
    await view.ready();
    const keyframes = view.keyframes;
    file.write(counterSource('v2', 1000));
    await stack.engine.reloadKind(file.path);
    // Well before the periodic keyframe (every 100 frames, 5 s here): this one comes from the reload.
    await until('a keyframe after the reload', () => view.keyframes > keyframes, 2500);
    await until('the new step in the view', () => Number(view.entities.get('c')?.x) > 1000, 2500);
    expect(reconnects).toEqual([]);
    expect(c.state).toBe('open');
  });
});

/** A port free right now (the dev child must listen where this process can find it). */
async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

describe('tickverse dev', () => {
  it('hot-reloads a changed kind file in the running engine process: no restart, the realm keeps its state', async () => {
    const kinds = join(dir, `dev-${++files}`);
    mkdirSync(kinds);
    const file = join(kinds, 'counter.js');
    writeFileSync(file, counterSource('v1'));
    const port = await freePort();
    const env = { ...process.env, TICKVERSE_PORT: String(port), TICKVERSE_HOST: '127.0.0.1', TICKVERSE_TOKEN: TOKEN, TICKVERSE_DATA_DIR: 'none', TICKVERSE_DEMO: '0', TICKVERSE_SHARDS: '1', TICKVERSE_LOG_FORMAT: 'json' };
    const bin = new URL('../dist/bin/tickverse.js', import.meta.url).pathname;
    const dev = spawn(process.execPath, [bin, 'dev', kinds], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    dev.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    dev.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((r) => dev.on('exit', r));
    const ups = (): number => stdout.split('\n').filter((l) => l.includes('"tickverse is up"')).length;
    const http = `http://127.0.0.1:${port}`;
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const x = async (): Promise<number> => {
      const list = (await (await fetch(`${http}/api/realms/d1/entities`, { headers: auth })).json()) as { x: number }[];
      return list[0]?.x ?? -1;
    };
    try {
      await until(`tickverse dev up\n${stdout}\n${stderr}`, () => ups() === 1, 30_000);
      const reg = await fetch(`${http}/api/realms`, { method: 'POST', headers: auth, body: JSON.stringify({ realm_id: 'd1', game_id: 'g', kind: 'counter' }) });
      expect(reg.status, await reg.clone().text()).toBe(201);
      await until('the counter counting', async () => (await x()) > 5);
      const before = await x();
      writeFileSync(file, counterSource('v2', 1000));
      await until(`the reload reported\n${stderr}`, () => stderr.includes('kind "counter" reloaded in 1 realm(s)'), 15_000);
      const after = await until('the new step', async () => ((await x()) > before + 1000 ? x() : undefined));
      expect(after).toBeGreaterThan(before); // went on from its value: not a fresh realm
      // A broken save keeps the old code and the process.
      writeFileSync(file, 'export default {{;\n');
      await until(`the refusal reported\n${stderr}`, () => stderr.includes('not reloaded, the old code keeps running: RELOAD_FAILED'), 15_000);
      expect(await x()).toBeGreaterThan(after);
      expect(ups()).toBe(1);
      expect(stderr).not.toContain('restarting the engine process');
    } finally {
      dev.kill('SIGTERM');
      await exited;
    }
  });
});
