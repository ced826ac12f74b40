// Markdown summary of a bench report.
import type { BenchReport } from './run.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

const fmt = (n: number): string => n.toLocaleString('en-US');

export function renderMarkdown(r: BenchReport): string {
  const m = r.machine;
  const parts: string[] = [
    `# Tickverse benchmark — ${r.date.slice(0, 10)}`,
    '',
    `Machine: ${m.cores} cores (${m.cpu}), ${m.memGiB} GiB, Node ${m.node}, ${m.platform}. One run; medians and ratios are from the same run.`,
    '',
  ];
  if (r.multiverse.length > 0) {
    parts.push('## Multiverse (max mode, stress realms)', '');
    parts.push(
      table(
        ['scenario', 'control tick p50 / p99 / max (ms)', 'barrier p50 / p99 (ms)', 'local ticks/s', 'entity updates/s', 'cross-realm events/s'],
        r.multiverse.map((x) => [
          x.name,
          `${x.controlTickMs.p50} / ${x.controlTickMs.p99} / ${x.controlTickMs.max}`,
          `${x.barrierMs.p50} / ${x.barrierMs.p99}`,
          fmt(x.localTicksPerSec),
          fmt(x.entityUpdatesPerSec),
          fmt(x.crossRealmEventsPerSec),
        ]),
      ),
      '',
      'Control tick = from the last shard reaching the barrier to the next release (drain, route, release); barrier = last arrival → main thread notices.',
      '',
    );
  }
  if (r.barrier.length > 0) {
    parts.push('## Barrier (no realms, K = 1)', '');
    parts.push(
      table(
        ['scenario', 'rounds/s', 'barrier p50 / p99 / max (µs)', 'control tick p50 / p99 (µs)'],
        r.barrier.map((b) => [b.name, fmt(b.roundsPerSec), `${b.barrierUs.p50} / ${b.barrierUs.p99} / ${b.barrierUs.max}`, `${b.controlTickUs.p50} / ${b.controlTickUs.p99}`]),
      ),
      '',
    );
  }
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
  if (r.fanout.length > 0) {
    parts.push('## Gateway fan-out', '');
    const rows = r.fanout as Record<string, unknown>[];
    const keys = Object.keys(rows[0] ?? {});
    parts.push(table(keys, rows.map((row) => keys.map((k) => (typeof row[k] === 'number' ? fmt(row[k]) : JSON.stringify(row[k]))))), '');
  }
  return `${parts.join('\n')}\n`;
}
