// Gateway fan-out benchmark: an engine with R realms streaming at 10 Hz, the gateway on a
// free port, and C WebSocket clients in a separate process, each joined to one realm. It
// reports the state frames delivered per second and the client-observed latency (frame
// production `at` → arrival) p50/p99. The bar on a 2-core machine: 5,000 clients on 100
// realms at 10 Hz with p99 under 50 ms.
//
//   npm run build && node dist/bench/fanout.js [--clients=1000,5000] [--realms=100] [--seconds=10] [--entities=16]
//   (or, within `npm run bench`, the "fanout" scenario)
import { readBundle } from '../protocol/state-bundle.js';
import { findFields, readScalar } from '../gateway/msgpack-scan.js';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Engine } from '../engine/index.js';
import { startGateway } from '../gateway/index.js';
import type { ClientsConfig, ClientsReport } from './fanout-clients.js';

export interface FanoutOptions {
  clients: number;
  realms: number;
  /** Measurement window. */
  seconds: number;
  /** Frames ignored after everyone joined, before measuring. */
  warmupSeconds?: number;
  /** Moving entities per realm (stress kind): sets the frame size. Default 16. */
  entities?: number;
  tickHz?: number;
  /** Shard threads. Default 1 (the simulation is light; the cores go to sockets). */
  shards?: number;
  /** Client processes the clients are split across. Default 1. */
  clientProcs?: number;
}

export interface FanoutRow {
  scenario: string;
  clients: number;
  realms: number;
  hz: number;
  connected: number;
  seconds: number;
  /** State frames received per second, summed over clients. */
  framesPerSec: number;
  /** What every client receiving every frame would give: clients × hz. */
  expectedPerSec: number;
  avgFrameBytes: number;
  p50Ms: number;
  p90Ms: number;
  p99Ms: number;
  maxMs: number;
  gaps: number;
  /** Frame production → the gateway publishing it (engine + ring + main-thread drain), p99. */
  engineP99Ms: number;
  serverCpuPct: number;
  clientCpuPct: number;
  /** p99 under 50 ms with (nearly) every frame delivered. */
  pass: boolean;
}

function percentile(hist: number[], total: number, p: number): number {
  if (total === 0) return Number.NaN;
  const want = Math.ceil(total * p);
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= want) return i;
  }
  return hist.length - 1;
}

function maxOf(hist: number[]): number {
  for (let i = hist.length - 1; i >= 0; i--) if (hist[i]! > 0) return i;
  return 0;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runFanout(o: FanoutOptions): Promise<FanoutRow> {
  const hz = o.tickHz ?? 10;
  const engine = new Engine({ shards: o.shards ?? 1, mode: 'realtime', tickHz: hz, ticksPerControl: hz });
  await engine.start();
  const gateway = await startGateway(engine, {
    port: 0,
    host: '127.0.0.1',
    token: null,
    maxJoins: 4,
    idleTimeoutMs: 0,
    defaultMetrics: false,
  });
  // Engine-side share of the latency: from the frame's `at` to the gateway receiving it.
  const engineHist = new Array<number>(10_000).fill(0);
  let engineFrames = 0;
  let measuring = false;
  engine.on('state', (_realm, bytes) => {
    if (!measuring) return;
    // A bundle of the tick's frames; each frame's `at` is read without decoding the rest.
    for (const f of readBundle(bytes)?.frames ?? []) {
      const at = f.bytes.length > 0 ? frameAt(f.bytes) : Number.NaN;
      if (!Number.isFinite(at)) continue;
      engineHist[Math.min(9999, Math.max(0, Math.round(Date.now() - at)))]!++;
      engineFrames++;
    }
  });
  const procs = Math.max(1, o.clientProcs ?? 1);
  const children = Array.from({ length: procs }, () =>
    fork(fileURLToPath(new URL('./fanout-clients.js', import.meta.url)), [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv: process.env.FANOUT_CLIENT_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/fanout-prof'] : [] }),
  );
  const next = <T>(child: ChildProcess, t: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMsg = (m: { t: string }): void => {
        if (m.t !== t) return;
        child.off('message', onMsg);
        child.off('exit', onExit);
        resolve(m as T);
      };
      const onExit = (code: number | null): void => reject(new Error(`fan-out client process exited (${code}) before "${t}"`));
      child.on('message', onMsg);
      child.once('exit', onExit);
    });
  try {
    const realms = Array.from({ length: o.realms }, (_, i) => `fan-${i}`);
    // Registered together: each registration resolves at the control tick its realm boots in.
    await Promise.all(realms.map((id) => engine.register({ realm_id: id, game_id: 'fanout', kind: 'stress', params: { entities: o.entities ?? 16, emitEvery: 0 } })));
    const url = `ws://127.0.0.1:${gateway.port}/ws`;
    await Promise.all(
      children.map((child, p) => {
        const share = Math.floor(o.clients / procs) + (p < o.clients % procs ? 1 : 0);
        // Each process starts at a different realm so every realm gets its share of clients.
        const rotated = realms.map((_, i) => realms[(i + p * Math.ceil(o.realms / procs)) % realms.length]!);
        const cfg: ClientsConfig = { url, clients: share, realms: rotated, batch: 250 };
        const ready = next<{ connected: number; failed: number }>(child, 'ready');
        child.send(cfg);
        return ready;
      }),
    );
    await sleep((o.warmupSeconds ?? 2) * 1000);
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    for (const child of children) child.send({ t: 'start' });
    measuring = true;
    await sleep(o.seconds * 1000);
    measuring = false;
    const reports = await Promise.all(
      children.map((child) => {
        const r = next<ClientsReport>(child, 'report');
        child.send({ t: 'stop' });
        return r;
      }),
    );
    const cpu = process.cpuUsage(cpu0);
    const wallMs = Date.now() - t0;
    const hist = new Array<number>(reports[0]!.hist.length).fill(0);
    let frames = 0;
    let bytes = 0;
    let connected = 0;
    let gaps = 0;
    let clientCpuMs = 0;
    let windowMs = 0;
    for (const r of reports) {
      r.hist.forEach((v, i) => (hist[i]! += v));
      frames += r.frames;
      bytes += r.bytes;
      connected += r.connected;
      gaps += r.gaps;
      clientCpuMs += r.cpuUserMs + r.cpuSystemMs;
      windowMs = Math.max(windowMs, r.windowMs);
    }
    const window = windowMs / 1000;
    const framesPerSec = frames / window;
    const expectedPerSec = connected * hz;
    const p99 = percentile(hist, frames, 0.99);
    return {
      scenario: `fanout ${o.clients} clients / ${o.realms} realms`,
      clients: o.clients,
      realms: o.realms,
      hz,
      connected,
      seconds: Math.round(window * 10) / 10,
      framesPerSec: Math.round(framesPerSec),
      expectedPerSec,
      avgFrameBytes: frames === 0 ? 0 : Math.round(bytes / frames),
      p50Ms: percentile(hist, frames, 0.5),
      p90Ms: percentile(hist, frames, 0.9),
      p99Ms: p99,
      maxMs: maxOf(hist),
      gaps,
      engineP99Ms: percentile(engineHist, engineFrames, 0.99),
      serverCpuPct: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
      clientCpuPct: Math.round((clientCpuMs / windowMs) * 100),
      pass: p99 < 50 && connected === o.clients && framesPerSec >= expectedPerSec * 0.95,
    };
  } finally {
    // The client processes exit by themselves after their report; give them a moment.
    await Promise.all(
      children.map((child) =>
        child.exitCode !== null ? undefined : Promise.race([new Promise((r) => child.once('exit', r)), sleep(3000)]).then(() => child.exitCode === null && child.kill()),
      ),
    );
    await gateway.close();
    await engine.stop();
  }
}

/** The `npm run bench` entry: 1,000 then 5,000 clients on 100 realms at 10 Hz. */
export async function fanoutBench(opts: { quick: boolean }): Promise<FanoutRow[]> {
  const rows: FanoutRow[] = [];
  for (const clients of [1000, 5000]) {
    rows.push(await runFanout({ clients, realms: 100, seconds: opts.quick ? 3 : 10, warmupSeconds: opts.quick ? 1 : 2 }));
  }
  return rows;
}

function arg(name: string): string | undefined {
  return process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
}

if (process.argv[1] !== undefined && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const clients = (arg('clients') ?? '1000,5000').split(',').map(Number);
  const realms = Number(arg('realms') ?? 100);
  const seconds = Number(arg('seconds') ?? 10);
  const entities = Number(arg('entities') ?? 16);
  const clientProcs = Number(arg('procs') ?? 1);
  const shards = Number(arg('shards') ?? 1);
  for (const c of clients) {
    const row = await runFanout({ clients: c, realms, seconds, entities, clientProcs, shards });
    process.stdout.write(`${JSON.stringify(row)}\n`);
  }
}

/** A frame's `at`, found by a bounded scan of its top-level keys. */
function frameAt(b: Uint8Array): number {
  const f = findFields(b, ['at'] as const);
  const at = f?.at === undefined ? null : readScalar(b, f.at[0]);
  return typeof at === 'number' ? at : Number.NaN;
}
