// @ts-nocheck
// Codec micro-benchmarks: plain MessagePack maps (the client wire and our ring payloads)
// against msgpackr records with shared structures, encode and decode of a typical event.
import { Bench } from 'tinybench';
import { Packr } from 'msgpackr';

export interface CodecRow {
  name: string;
  opsPerSec: number;
  bytes: number;
}

const event = { type: 'rumor', data: { text: 'Wolf 2 chased Deer 5', tick: 1234, x: 12.5, y: 40.25, mood: 'uneasy' } };

export async function codecBench(): Promise<CodecRow[]> {
  const plain = new Packr({ useRecords: false, mapsAsObjects: true });
  const structures: object[] = [];
  const records = new Packr({ structures, maxSharedStructures: 32, useRecords: true });
  const plainBytes = plain.pack(event);
  const recordBytes = records.pack(event);
  const bench = new Bench({ time: 400 });
  bench
    .add('encode plain map', () => void plain.pack(event))
    .add('decode plain map', () => void plain.unpack(plainBytes))
    .add('encode record (shared structures)', () => void records.pack(event))
    .add('decode record (shared structures)', () => void records.unpack(recordBytes));
  await bench.run();
  return bench.tasks.map((t) => ({
    name: t.name,
    opsPerSec: Math.round(t.result && 'throughput' in t.result ? (t.result.throughput as { mean: number }).mean : 0),
    bytes: t.name.includes('plain') ? plainBytes.length : recordBytes.length,
  }));
}
