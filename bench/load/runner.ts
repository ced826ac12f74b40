// One target, one scenario: start the server child, connect the clients from the client
// child processes, warm up, open the measurement window on all of them at once, close it,
// and turn what they report into figures. Every child is stopped before returning.
import { availableParallelism } from 'node:os';
import { round, summarize, type Summary } from '../stats.js';
import { Child, childScript } from './child.js';
import { LatencyHistogram } from './histogram.js';
import { machineTicks } from './proc.js';
import { meetsBudget } from './figures.js';
import { focusPoints } from './interest.js';
import { openRealmId, realmId } from './ipc.js';
import type { Progress } from './progress.js';
import type { ClientJoin, ClientWindow, Figures, FromClient, FromServer, ScenarioParams, ServerConfig, ServerWindow, Target, TargetRun, ToClient, ToServer } from './types.js';

type ServerChild = Child<ToServer, FromServer>;
type ClientChild = Child<ToClient, FromClient>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Waits `seconds`, redrawing a bar every quarter second. */
async function timed(progress: Progress, label: string, seconds: number, status: () => string): Promise<void> {
  const t0 = performance.now();
  const total = seconds * 1000;
  for (;;) {
    const done = performance.now() - t0;
    progress.bar(label, done, total, `${Math.min(seconds, done / 1000).toFixed(0)}/${seconds} s${status()}`);
    if (done >= total) return;
    await sleep(Math.min(250, total - done));
  }
}

/**
 * What each client joins: realms layout, client i joins realm i mod R; open world, every client
 * joins the one realm, focused on its seeded point. The clients are cut into contiguous
 * slices, one per process.
 */
export function clientSlices(p: Pick<ScenarioParams, 'layout' | 'clients' | 'realms' | 'cell' | 'clientProcs'>): ClientJoin[][] {
  const n = Math.max(0, Math.min(p.clientProcs, p.clients));
  const focus = p.layout === 'open' ? focusPoints(p.clients, p.cell) : null;
  const slices: ClientJoin[][] = [];
  for (let s = 0; s < n; s++) {
    const from = Math.floor((s * p.clients) / n);
    const to = Math.floor(((s + 1) * p.clients) / n);
    const joins: ClientJoin[] = [];
    for (let i = from; i < to; i++) joins.push(focus === null ? { realm: realmId(i % p.realms), focus: null } : { realm: openRealmId, focus: focus[i]! });
    slices.push(joins);
  }
  return slices;
}

/** Cores the whole machine keeps busy over `ms` (null off Linux). */
async function machineBusy(ms: number): Promise<number | null> {
  const a = machineTicks();
  await sleep(ms);
  const b = machineTicks();
  return a === null || b === null || b.total === a.total ? null : ((b.busy - a.busy) / (b.total - a.total)) * availableParallelism();
}

/** Waits up to `seconds` for the machine to be idle (nothing of ours runs now); returns the last reading. */
async function waitQuiet(progress: Progress, tag: string, seconds: number): Promise<number | null> {
  const deadline = performance.now() + seconds * 1000;
  let busy = await machineBusy(1000);
  while (busy !== null && busy > QUIET_CORES && performance.now() < deadline) {
    progress.bar(`${tag}: waiting for a quiet machine`, seconds * 1000 - (deadline - performance.now()), seconds * 1000, `${busy.toFixed(2)} cores busy elsewhere`);
    busy = await machineBusy(1000);
  }
  return busy;
}

const QUIET_CORES = 0.3;
/** How far ahead the measurement window is scheduled (time for the IPC messages to arrive). */
const WINDOW_LEAD_MS = 500;

export async function runTarget(target: Target, p: ScenarioParams, order: number, label: string, progress: Progress, quietSec = 0): Promise<TargetRun> {
  const tag = `${label} · ${target}`;
  const idleBefore = quietSec > 0 ? await waitQuiet(progress, tag, quietSec) : null;
  const cfg: ServerConfig = {
    target,
    layout: p.layout,
    realms: p.realms,
    entities: p.entities,
    cell: p.cell,
    shards: p.shards,
    tickHz: p.tickHz,
    ticksPerControl: p.ticksPerControl,
    emitEvery: p.emitEvery,
  };
  progress.note(`${tag}: starting the server (${p.layout === 'open' ? `one realm of ${p.entities} entities, cells of ${p.cell}` : `${p.realms} realms × ${p.entities} entities`})`);
  const server: ServerChild = new Child(`${target} server`, childScript('server-main'), [JSON.stringify(cfg)]);
  const drivers: ClientChild[] = [];
  try {
    const ready = await server.next('ready', 60_000 + p.realms * 20);
    const slices = clientSlices(p);
    const counts = slices.map(() => ({ connected: 0, failed: 0 }));
    slices.forEach((joins, i) => {
      const d: ClientChild = new Child(`${target} clients #${i + 1}`, childScript('client-main'));
      d.onMessage((m) => {
        if (m.type === 'progress' || m.type === 'connected') counts[i] = { connected: m.connected, failed: m.failed };
      });
      d.send({ type: 'connect', slice: { target, url: ready.url, joins, concurrency: p.concurrency, joinTimeoutMs: p.joinTimeout * 1000 } });
      drivers.push(d);
    });
    const joined = Promise.all(drivers.map((d) => d.next('connected', p.joinTimeout * 1000 + 60_000)));
    let settled = false;
    void joined.then(
      () => (settled = true),
      () => (settled = true),
    );
    while (!settled) {
      const c = counts.reduce((a, x) => a + x.connected, 0);
      const f = counts.reduce((a, x) => a + x.failed, 0);
      progress.bar(`${tag}: joining`, c + f, p.clients, `${c}/${p.clients} clients${f > 0 ? `, ${f} failed` : ''}`);
      await sleep(250);
    }
    const joins = await joined;
    const connected = joins.reduce((a, j) => a + j.connected, 0);
    const failed = joins.reduce((a, j) => a + j.failed, 0);
    const retries = joins.reduce((a, j) => a + j.retries, 0);
    if (p.clients > 0 && connected === 0) throw new Error(`${tag}: no client could join: ${joins.flatMap((j) => j.errors).join('; ')}`);

    if (p.warmup > 0) await timed(progress, `${tag}: warm-up`, p.warmup, () => '');
    // The window is scheduled on the wall clock a moment ahead, so every process opens and closes it at the same instants.
    const startAt = Date.now() + WINDOW_LEAD_MS;
    const endAt = startAt + Math.round(p.seconds * 1000);
    server.send({ type: 'window', startAt, endAt });
    for (const d of drivers) d.send({ type: 'window', startAt, endAt });
    await sleep(WINDOW_LEAD_MS);
    const m0 = machineTicks();
    await timed(progress, `${tag}: measuring`, p.seconds, () => ` · ${connected} clients`);
    const m1 = machineTicks();
    const sw = server.next('window', 60_000);
    const cws = Promise.all(drivers.map((d) => d.next('window', 60_000)));
    server.send({ type: 'report' });
    for (const d of drivers) d.send({ type: 'report' });
    const serverWindow = (await sw).window;
    const clientWindows = (await cws).map((m) => m.window);
    const machineCores = m0 === null || m1 === null || m1.total === m0.total ? null : ((m1.busy - m0.busy) / (m1.total - m0.total)) * availableParallelism();
    const figures = toFigures(p, serverWindow, clientWindows, connected, machineCores);
    figures.joinedRatio = p.clients > 0 ? round(connected / p.clients, 3) : 1;
    withinBudgetRate(figures, p);
    const notes = notesFor(target, p, figures, serverWindow, failed, joins.flatMap((j) => j.errors));
    progress.done(
      `${tag}: ${fmtInt(figures.entityUpdatesDeliveredPerSec)} entity updates/s delivered, p50/p99 ${figures.latencyMs.p50}/${figures.latencyMs.p99} ms, ` +
        `${figures.bytesPerUpdate} B/update, server ${figures.serverUsPerDeliveredUpdate} µs/update (${figures.serverCores} cores), ` +
        `clients ${figures.clientUsPerUpdate} µs/update (${figures.clientCores} cores)`,
    );
    if (idleBefore !== null && idleBefore > QUIET_CORES) notes.push(`The machine was not quiet before this run: ${idleBefore.toFixed(2)} cores busy elsewhere after waiting ${quietSec} s.`);
    return { target, order, rounds: 1, connected, connectFailed: failed, connectRetries: retries, setupMs: ready.setupMs, figures, notes };
  } finally {
    for (const d of drivers) d.send({ type: 'close' });
    await Promise.all(drivers.map((d) => d.stop(5_000)));
    server.send({ type: 'shutdown' });
    await server.stop(20_000);
  }
}

const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-US');

function roundSummary(s: Summary, digits = 3): Summary {
  return { p50: round(s.p50, digits), p99: round(s.p99, digits), max: round(s.max, digits), mean: round(s.mean, digits), n: s.n };
}

/** `machineCores`: CPU the whole machine used during the window, in cores (null if unknown). */
export function toFigures(p: ScenarioParams, s: ServerWindow, cws: ClientWindow[], connected: number, machineCores: number | null): Figures {
  const hist = new LatencyHistogram();
  let frames = 0;
  let expected = 0;
  let delivered = 0;
  let bytes = 0;
  let messages = 0;
  let gaps = 0;
  let clientCpuMs = 0;
  let clientWallMs = 0;
  let disconnects = 0;
  for (const c of cws) {
    hist.addPairs(c.latency);
    frames += c.frames;
    expected += c.expectedFrames;
    delivered += c.spawns + c.updates;
    bytes += c.bytes;
    messages += c.messages;
    gaps += c.gaps;
    clientCpuMs += c.cpuUserMs + c.cpuSystemMs;
    clientWallMs = Math.max(clientWallMs, c.wallMs);
    disconnects += c.disconnects;
  }
  const wall = (clientWallMs > 0 ? clientWallMs : s.wallMs) / 1000;
  const serverCores = (s.cpuUserMs + s.cpuSystemMs) / s.wallMs;
  const clientCores = clientWallMs > 0 ? clientCpuMs / clientWallMs : 0;
  const simSecondsPerSec = p.realms > 0 ? s.localTicksPerSec / p.realms / p.tickHz : 0;
  const mainCores = s.mainThreadCpuMs === null ? null : s.mainThreadCpuMs / s.wallMs;
  const perSec = delivered / wall;
  const f: Figures = {
    controlTickMs: s.controlTickMs === null ? null : roundSummary(summarize(s.controlTickMs)),
    barrierMs: s.barrierMs === null ? null : roundSummary(summarize(s.barrierMs)),
    localTicksPerSec: s.localTicksPerSec,
    entityUpdatesPerSec: s.entityUpdatesPerSec,
    crossRealmEventsPerSec: s.crossRealmEventsPerSec,
    framesPerSec: Math.round(frames / wall),
    entityUpdatesDeliveredPerSec: Math.round(perSec),
    updatesWithinBudgetPerSec: 0,
    bytesPerSec: Math.round(bytes / wall),
    bytesPerUpdate: delivered > 0 ? round(bytes / delivered, 2) : 0,
    messagesPerSec: Math.round(messages / wall),
    gapsPerSec: round(gaps / wall, 2),
    latencyMs: hist.summary(),
    // Frames received ÷ frames the stream sequence numbers say were sent (per stream, last − first + 1).
    deliveredRatio: expected > 0 ? round(Math.min(1, frames / expected), 3) : 0,
    simSecondsPerSec: round(simSecondsPerSec, 3),
    cpuSecPerSimSec: simSecondsPerSec > 0 ? round(serverCores / simSecondsPerSec, 3) : 0,
    serverCores: round(serverCores, 3),
    clientCores: round(clientCores, 3),
    peakRssMiB: Math.round(s.peakRssBytes / 2 ** 20),
    eventLoopDelayP99Ms: s.eventLoopDelayMs.p99,
    framesDropped: s.framesDropped,
    disconnects,
    mainThreadCores: mainCores === null ? null : round(mainCores, 3),
    mainThreadCeiling: mainCores === null || mainCores < 0.01 ? null : Math.round(perSec / mainCores),
    otherCores: machineCores === null ? null : round(Math.max(0, machineCores - serverCores - clientCores), 2),
    joinedRatio: 1,
    serverUsPerDeliveredUpdate: delivered > 0 ? round((serverCores * 1e6) / perSec, 3) : 0,
    clientUsPerUpdate: delivered > 0 ? round((clientCores * 1e6) / perSec, 3) : 0,
  };
  withinBudgetRate(f, p);
  return f;
}

/** Entity updates within the budget: the delivered rate if the run met it, else 0 (again after the joined ratio is known). */
function withinBudgetRate(f: Figures, p: ScenarioParams): void {
  f.updatesWithinBudgetPerSec = meetsBudget(f, p.budgetMs) ? f.entityUpdatesDeliveredPerSec : 0;
}

/** "3× msg" lines from several client processes, merged by message. */
function mergeErrors(lines: readonly string[]): string[] {
  const by = new Map<string, number>();
  for (const l of lines) {
    const m = /^(\d+)× (.*)$/s.exec(l);
    const [n, msg] = m === null ? [1, l] : [Number(m[1]), m[2]!];
    by.set(msg, (by.get(msg) ?? 0) + n);
  }
  return [...by].map(([msg, n]) => `${n}× ${msg}`);
}

function notesFor(target: Target, p: ScenarioParams, f: Figures, s: ServerWindow, failed: number, errorLines: string[]): string[] {
  const errors = mergeErrors(errorLines);
  const notes: string[] = [];
  const cores = availableParallelism();
  if (failed > 0) notes.push(`${failed} of ${p.clients} clients could not join (${errors.join('; ')}); the window measured the ${p.clients - failed} that did.`);
  if (f.simSecondsPerSec < 0.9) notes.push(`The server fell behind real time: it simulated ${f.simSecondsPerSec} s per second.`);
  else if (f.simSecondsPerSec < 0.99) notes.push(`The realms ticked at ${round(f.simSecondsPerSec * p.tickHz, 2)} Hz instead of ${p.tickHz} (the loop drifts).`);
  if (p.clients > 0 && f.deliveredRatio < 0.95) notes.push(`Clients received ${Math.round(f.deliveredRatio * 100)}% of the frames the stream sequence numbers say were sent.`);
  if (f.gapsPerSec > 0) notes.push(`Clients detected ${f.gapsPerSec} stream gaps per second (lost frames; the stream waits for a keyframe).`);
  if (s.framesDropped > 0) notes.push(`The gateway skipped ${s.framesDropped.toLocaleString('en-US')} frames to clients over the backpressure limit (they resync from a keyframe).`);
  if (s.slowClientCloses > 0) notes.push(`${s.slowClientCloses} slow clients were closed (backpressure policy).`);
  if (f.disconnects > 0) notes.push(`${f.disconnects} clients were disconnected during the window.`);
  const busy = f.serverCores + f.clientCores + (f.otherCores ?? 0);
  if (busy > cores * 0.9) {
    notes.push(
      `The machine was saturated: server ${f.serverCores} + clients ${f.clientCores}${f.otherCores === null ? '' : ` + other processes ${f.otherCores}`} of ${cores} cores, so latency includes waiting for a CPU.`,
    );
  }
  if (f.otherCores !== null && f.otherCores > 0.25) notes.push(`Other processes on the machine used ${f.otherCores} cores during the window.`);
  if (p.clientProcs > 0 && f.clientCores > Math.min(p.clientProcs, p.clients) * 0.9) notes.push('The client processes were CPU-bound: latency includes client-side queueing.');
  if (target === 'colyseus' && f.latencyMs.p99 > 1000) notes.push('Colyseus queues patches for slow clients without limit (no frame skipping), so latency grows with the backlog.');
  const x = s.extra;
  if (target === 'colyseus' && x.patchMsPerTick !== undefined && x.patchMsPerTick > 0) {
    const views = (x.viewAddsPerSec ?? 0) + (x.viewRemovesPerSec ?? 0) > 0 ? `; StateView adds/removes ${x.viewAddsPerSec}/${x.viewRemovesPerSec} per second` : '';
    notes.push(`broadcastPatch() took ${x.patchMsPerTick} ms per room tick on average (of ${round(1000 / p.tickHz, 1)} ms)${views}.`);
  }
  if (target === 'tickverse' && x.framesPublishedPerSec !== undefined) notes.push(`The gateway published ${x.framesPublishedPerSec.toLocaleString('en-US')} stream frames/s (${(x.framesSentPerSec ?? 0).toLocaleString('en-US')} deliveries/s).`);
  return notes;
}
