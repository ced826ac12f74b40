// The client side of the fan-out benchmark, run in its own process (bench/fanout.ts forks
// it): N WebSocket clients, each joined to one realm, recording for every state frame the
// latency from the frame's production (`at`, server wall clock) to its arrival here.
// Messages to the parent (IPC): {t:'ready', connected, failed} then, on {t:'stop'}, the report.
import { NodeWebSocket } from '../client/node-ws.js';
import { decode, encode } from '../client/codec.js';
import { findFields, readScalar } from '../gateway/msgpack-scan.js';

export interface ClientsConfig {
  url: string;
  clients: number;
  realms: string[];
  /** Connections opened at once while ramping up. */
  batch: number;
}

export interface ClientsReport {
  t: 'report';
  connected: number;
  failed: number;
  closed: number;
  frames: number;
  bytes: number;
  keyframes: number;
  gaps: number;
  /** Latency histogram: hist[i] = frames that took i ms (last bucket: >= its index). */
  hist: number[];
  windowMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
}

const BUCKETS = 10_000;

/** `at` is the last field of a StateFrame: fixstr "at" then a float64 (or an integer). */
function frameAt(b: Buffer): number {
  const n = b.length;
  if (n > 12 && b[n - 12] === 0xa2 && b[n - 11] === 0x61 && b[n - 10] === 0x74 && b[n - 9] === 0xcb) return b.readDoubleBE(n - 8);
  const f = decode(b) as { at?: number };
  return typeof f.at === 'number' ? f.at : Number.NaN;
}

const SEQ_KEY = [0xa3, 0x73, 0x65, 0x71]; // fixstr "seq"

/** seq and key flag: a wire v2 frame starts {op, realm, [cell], seq, tick, at, [key], …}
 *  (protocol/state-encode.ts writes that order); read them in place, or fall back to a scan. */
function frameSeq(b: Buffer): { seq: number; key: boolean } {
  const skipUint = (p: number): number => {
    const t = b[p]!;
    return p + (t <= 0x7f ? 1 : t === 0xcc ? 2 : t === 0xcd ? 3 : t === 0xce ? 5 : 9);
  };
  // map header, "op", "state" (1+3+6 bytes), "realm" (6), realm id (fixstr)
  let p = 16;
  p += 1 + ((b[p] ?? 0) & 0x1f);
  if (b[p] === 0xa4 && b[p + 1] === 0x63) p = skipCell(b, p + 5); // "cell": [cx, cy]
  if (b[p] === SEQ_KEY[0] && b[p + 1] === SEQ_KEY[1] && b[p + 2] === SEQ_KEY[2] && b[p + 3] === SEQ_KEY[3]) {
    p += 4;
    const seq = readScalar(b, p);
    p = skipUint(p) + 5; // "tick"
    p = skipUint(p) + 3 + 9; // "at", float64
    if (typeof seq === 'number') return { seq, key: b[p] === 0xa3 && b[p + 1] === 0x6b && b[p + 4] === 0xc3 };
  }
  const f = findFields(b, ['seq', 'key'] as const);
  const seq = f?.seq === undefined ? -1 : readScalar(b, f.seq[0]);
  const key = f?.key === undefined ? false : readScalar(b, f.key[0]);
  return { seq: typeof seq === 'number' ? seq : -1, key: key === true };
}

/** Past a fixarray of two ints (a cell). */
function skipCell(b: Buffer, p: number): number {
  let q = p + 1;
  for (let i = 0; i < 2; i++) {
    const t = b[q]!;
    q += t <= 0x7f || t >= 0xe0 ? 1 : t === 0xcc || t === 0xd0 ? 2 : t === 0xcd || t === 0xd1 ? 3 : 5;
  }
  return q;
}

async function run(cfg: ClientsConfig): Promise<void> {
  const hist = new Float64Array(BUCKETS);
  let recording = false;
  let frames = 0;
  let bytes = 0;
  let keyframes = 0;
  let gaps = 0;
  let connected = 0;
  let failed = 0;
  let closed = 0;
  const sockets: NodeWebSocket[] = [];

  const open = (i: number): Promise<void> =>
    new Promise((resolve) => {
      const realm = cfg.realms[i % cfg.realms.length]!;
      const ws = new NodeWebSocket(cfg.url);
      ws.binaryType = 'transient'; // read each frame in place, no copy
      let lastSeq = -1;
      let joined = false;
      let settled = false;
      const done = (ok: boolean): void => {
        if (settled) return;
        settled = true;
        if (ok) connected++;
        else failed++;
        resolve();
      };
      ws.onmessage = (ev) => {
        const b = ev.data as Buffer;
        if (!joined) {
          // hello, then the join reply
          const m = decode(b) as { op: string; ok?: boolean };
          if (m.op === 'hello') ws.send(encode({ op: 'join', id: 1, realm }));
          else if (m.op === 'reply') {
            joined = m.ok === true;
            done(joined);
          }
          return;
        }
        const now = Date.now();
        const at = frameAt(b);
        const { seq, key } = frameSeq(b);
        if (!key && lastSeq >= 0 && seq !== lastSeq + 1) {
          if (recording) gaps++;
        }
        lastSeq = seq;
        if (!recording) return;
        frames++;
        bytes += b.length;
        if (key) keyframes++;
        const ms = Math.max(0, Math.round(now - at));
        hist[Math.min(BUCKETS - 1, ms)]!++;
      };
      ws.onclose = () => {
        closed++;
        done(false);
      };
      ws.onerror = () => {};
      sockets.push(ws);
    });

  for (let i = 0; i < cfg.clients; i += cfg.batch) {
    const batch: Promise<void>[] = [];
    for (let j = i; j < Math.min(cfg.clients, i + cfg.batch); j++) batch.push(open(j));
    await Promise.all(batch);
  }
  process.send!({ t: 'ready', connected, failed });

  let startedAt = 0;
  let cpu0 = process.cpuUsage();
  process.on('message', (m: { t: string }) => {
    if (m.t === 'start') {
      recording = true;
      startedAt = Date.now();
      cpu0 = process.cpuUsage();
    } else if (m.t === 'stop') {
      recording = false;
      const cpu = process.cpuUsage(cpu0);
      const report: ClientsReport = {
        t: 'report',
        connected,
        failed,
        closed,
        frames,
        bytes,
        keyframes,
        gaps,
        hist: Array.from(hist),
        windowMs: Date.now() - startedAt,
        cpuUserMs: cpu.user / 1000,
        cpuSystemMs: cpu.system / 1000,
      };
      process.send!(report, () => {
        for (const s of sockets) s.terminate();
        process.exit(0);
      });
    }
  });
}

if (process.send === undefined) {
  process.stderr.write('bench/fanout-clients is started by bench/fanout.ts (it needs an IPC channel)\n');
  process.exit(2);
}
process.once('message', (cfg: ClientsConfig) => {
  run(cfg).catch((e: unknown) => {
    process.stderr.write(`fanout clients failed: ${String(e)}\n`);
    process.exit(1);
  });
});
