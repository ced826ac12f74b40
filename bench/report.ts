// Markdown summary of a bench report.
import type { BarrierResult } from './barrier.bench.js';
import type { CodecRow } from './codec.bench.js';
import type { ReplicationRow } from './replication.bench.js';
import type { LatencyResult } from './latency.bench.js';
import type { MultiverseResult } from './multiverse.js';
import type { RoutedResult } from './routed.bench.js';
import type { Tick10kResult } from './tick10k.bench.js';
import { healthNote } from './realm-health.js';

/** What `npm run bench` writes to bench/results/<name>.json. */
export interface BenchReport {
  date: string;
  machine: { cores: number; cpu: string; memGiB: number; node: string; platform: string };
  ring: unknown[];
  barrier: BarrierResult[];
  codec: CodecRow[];
  /** Absent in reports written before the scenario existed. */
  replication?: ReplicationRow[];
  multiverse: MultiverseResult[];
  fanout: unknown[];
  routed: RoutedResult[];
  tick10k: Tick10kResult[];
  latency: LatencyResult[];
  /** Per scenario run: wall seconds, and CPU cores other processes used meanwhile (machine busy − this process; null off Linux). */
  runs: Record<string, { seconds: number; otherProcessCores: number | null }>;
}

/** A report section: its title, the table of `items`, then its notes; nothing when there are no items. */
function section<T>(title: string, items: readonly T[], headers: string[], row: (item: T) => (string | number)[], notes: string[]): string[] {
  return items.length === 0 ? [] : [title, '', table(headers, items.map(row)), '', ...notes, ''];
}

function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const met = (ok: boolean): string => (ok ? 'met' : '**NOT met**');
const s3 = (x: { p50: number; p99: number; max: number }): string => `${x.p50} / ${x.p99} / ${x.max}`;
const pct = (x: number): string => `${Math.round(x * 100)} %`;

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const parts: string[] = [
    `# Tickverse benchmark — ${r.date.slice(0, 10)}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, ${m.platform}. One run; medians and ratios are from the same run.`,
    '',
  ];
  parts.push(
    ...section('## Multiverse (max mode, stress realms)', r.multiverse, ['scenario', 'control tick p50 / p99 / max (ms)', 'barrier p50 / p99 (ms)', 'local ticks/s', 'entity updates/s', 'cross-realm events/s'], (x) => [
      x.name,
      `${x.controlTickMs.p50} / ${x.controlTickMs.p99} / ${x.controlTickMs.max}`,
      `${x.barrierMs.p50} / ${x.barrierMs.p99}`,
      fmt(x.localTicksPerSec),
      fmt(x.entityUpdatesPerSec),
      fmt(x.crossRealmEventsPerSec),
    ], [
      'Control tick = from the last shard reaching the barrier to the next release (drain, route, release); barrier = last arrival → main thread notices.',
    ]),
  );
  parts.push(...engineSections(r));
  if (r.ring.length > 0) {
    parts.push('## Ring (64-byte frames)', '');
    const rows = r.ring as Record<string, unknown>[];
    const keys = Object.keys(rows[0] ?? {});
    parts.push(table(keys, rows.map((row) => keys.map((k) => (typeof row[k] === 'number' ? fmt(row[k]) : String(row[k] ?? ''))))), '');
  }
  if (r.codec.length > 0) {
    parts.push('## Codec (msgpackr, one event)', '');
    parts.push(table(['operation', 'ops/s', 'bytes'], r.codec.map((c) => [c.name, fmt(c.opsPerSec), c.bytes])), '');
  }
  parts.push(
    ...section(
      '## Replication on the shard (one realm of moving points, one tick\'s client frames)',
      r.replication ?? [],
      ['variant', 'entities', 'tick p50 µs', 'ns / entity update', 'bytes / entity update', 'frames / tick', 'speed vs v1', 'bytes vs v1'],
      (x) => [x.variant, fmt(x.entities), x.tickUs, x.nsPerUpdate, x.bytesPerUpdate, x.framesPerTick, x.speedup === null ? '—' : `${x.speedup}×`, x.bytesRatio === null ? '—' : `${x.bytesRatio}×`],
      [
        'Baseline beside it, same run and world: the wire v1 shard path (an object per entity per tick, a keyed diff, changed entities re-sent whole with id and kind), rebuilt in `bench/replication.bench.ts`. An entity update = an entity whose sent (rounded) position changed; the count is the same for every variant. Bytes are the encoded frames before the WebSocket header.',
      ],
    ),
  );
  if (r.fanout.length > 0) {
    parts.push('## Gateway fan-out', '');
    const rows = r.fanout as Record<string, unknown>[];
    const keys = Object.keys(rows[0] ?? {});
    parts.push(table(keys, rows.map((row) => keys.map((k) => (typeof row[k] === 'number' ? fmt(row[k]) : JSON.stringify(row[k]))))), '');
  }
  const runs = Object.entries(r.runs);
  if (runs.length > 0) {
    const other = (c: number | null): string => (c === null ? '' : `, other processes ${c} cores`);
    parts.push(`Scenario wall times: ${runs.map(([k, v]) => `${k} ${v.seconds} s${other(v.otherProcessCores)}`).join('; ')}.`, '');
  }
  return `${parts.join('\n')}\n`;
}

/** Barrier, routed deliveries, control ticks at scale, latency: each figure beside its baseline and goal. */
function engineSections(r: BenchReport): string[] {
  const parts: string[] = [];
  parts.push(
    ...section('## Barrier (no realms, K = 1): engine beside a bare Atomics barrier', r.barrier, ['scenario', 'engine period (µs)', 'engine interval p50 / p99 / max (µs)', 'bare period (µs)', 'bare interval p50 / p99 / max (µs)', 'engine ÷ bare (period, p50)', 'goal ≤ 1.5×', 'barrier p50 / p99 (µs)', 'control tick p50 / p99 (µs)'], (b) => [
      b.name,
      fmt(b.engine.periodUs),
      s3(b.engine.intervalUs),
      b.bare === null ? '—' : fmt(b.bare.periodUs),
      b.bare === null ? '—' : s3(b.bare.intervalUs),
      b.ratio === null ? '—' : `${b.ratio}× , ${b.ratioP50}×`,
      b.ratio === null ? '—' : met(b.ratio <= 1.5),
      `${b.engine.barrierUs.p50} / ${b.engine.barrierUs.p99}`,
      `${b.engine.controlTickUs.p50} / ${b.engine.controlTickUs.p99}`,
    ], [
      'Period = wall time of the measured rounds ÷ rounds (engine: control ticks back to back, max mode; intervals between `controlTick` events). Bare = the same number of worker threads spinning then `Atomics.wait`ing on a release word, the last to arrive notifying the main thread, which waits with `Atomics.waitAsync` (`bench/fixtures/bare-barrier-worker.mjs`), run twice — spinning 2,000 times before waiting and not spinning — the faster run is the baseline. The realtime row is paced at 1 kHz and has no bare counterpart.',
    ]),
  );
  parts.push(
    ...section('## Routed cross-realm deliveries (max mode)', r.routed, ['scenario', 'deliveries/s', 'goal ≥ 1,000,000/s', 'control ticks/s', 'control tick p50 / p99 / max (ms)', 'route p50 / p99 (ms)', 'shard busy (idle)', 'ring baseline frames/s: best (median)', 'deliveries ÷ ring best'], (x) => [
      x.name,
      fmt(x.deliveriesPerSec),
      met(x.deliveriesPerSec >= 1_000_000),
      fmt(x.controlTicksPerSec),
      s3(x.controlTickMs),
      `${x.routeMs.p50} / ${x.routeMs.p99}`,
      x.shardBusy.map((b, i) => `${pct(b)} (${pct(x.shardIdle[i] ?? 0)})`).join(', '),
      `${fmt(x.ringFramesPerSec)} (${fmt(x.ringFramesPerSecMedian)})`,
      `${x.ratioToRing}×`,
    ], [
      ...healthNote(r.routed),
      'Deliveries = Σ `ControlTickInfo.deliveries` ÷ wall time of the window. Shard busy = Σ `ShardTickStats.busyMs` ÷ wall time. Ring baseline = FrameRing, one worker → the main thread, 64-byte frames, the ring alone in the same run: best and median of its rounds (single rounds vary >10× on a shared 2-core machine).',
    ]),
  );
  parts.push(
    ...section('## Control tick at scale (realtime, tickHz 10, K = 1, stress realms × 100 entities)', r.tick10k, ['scenario', 'register all (ms)', 'goal < 3,000 ms', 'control tick p50 / p99 / max (ms)', 'goal p50', 'barrier p50 / p99 (ms)', 'route p50 (ms)', 'round p50 (ms)', 'events routed / tick', 'control ticks/s', 'real time', 'shard busy'], (x) => [
      `${x.name}, ${x.shards} shards, hashEvery ${x.hashEvery}`,
      fmt(x.registerMs),
      met(x.registerMs < 3000),
      s3(x.controlTickMs),
      `< ${x.goalP50Ms} ms: ${met(x.controlTickMs.p50 < x.goalP50Ms)}`,
      `${x.barrierMs.p50} / ${x.barrierMs.p99}`,
      String(x.routeMs.p50),
      String(x.roundMs.p50),
      fmt(x.eventsRoutedPerTick),
      String(x.controlTicksPerSec),
      String(x.realTime),
      x.shardBusy.map(pct).join(', '),
    ], [
      ...healthNote(r.tick10k),
      'Register all = every `register()` issued at once, until `Promise.all` resolves. Control tick = `durationMs` (last shard arrival → next release) over the window after registration; round = `roundMs` (release → last arrival: the local tick, paced); real time = local ticks run ÷ (realms × tickHz × seconds), below 1 when the shards fall behind. Baseline: the 100 ms control-tick period.',
    ]),
  );
  parts.push(
    ...section('## Latency (default realtime configuration)', r.latency, ['scenario', 'event p50 / p99 / max (ms)', 'events (lost)', 'registration p50 / p99 / max (ms)', 'registrations', 'goal p99 < 50 ms (event, registration)', 'baseline: control-tick period (ms)'], (x) => [
      x.name,
      s3(x.eventMs),
      `${x.eventMs.n} (${x.eventsLost})`,
      s3(x.registerMs),
      String(x.registerMs.n),
      `${met(x.eventMs.p99 < x.goalP99Ms)}, ${met(x.registerMs.p99 < x.goalP99Ms)}`,
      fmt(x.controlTickPeriodMs),
    ], [
      "Event = `publish({to, type, data})` on the main thread → the target realm's `onEvent` (stamped by the bench-only `latency` kind, read back with `engine.snapshot`); registration = `register()` → resolved. Samples at deterministic gaps of 0–97 ms, both streams at once.",
    ]),
  );
  return parts;
}
