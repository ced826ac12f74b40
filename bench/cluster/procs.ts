// The processes of the cluster bench: a real nats-server with JetStream on a random loopback
// port (own store directory) and engine node processes (`node dist/gateway/cli.js`, what
// `npm start` runs) on port 0; plus CPU time of a process from /proc. The nats-server part is
// shared with the tests (./nats-server.ts).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NatsServer, natsServerPath } from './nats-server.js';
import { spawnNode } from './node-process.js';
import { httpJson, pollUntil } from './poll.js';

export const TOKEN = 'bench-cluster-token-0123456789';
export const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
// From dist/bench/cluster/ the fixture is in the source tree (tsc does not copy .mjs files).
const probeKind = new URL('../../../bench/fixtures/cluster-probe-kind.mjs', import.meta.url).href;

export const natsAvailable = natsServerPath !== null;

export interface Proc {
  readonly proc: ChildProcess;
  readonly pid: number;
}

const live = new Set<ChildProcess>();
/** Kills every process still running (SIGKILL): on exit and after each scenario. */
export function killAll(): void {
  for (const p of live) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  live.clear();
}
process.once('exit', killAll);

function track(p: ChildProcess): number {
  live.add(p);
  p.once('exit', () => live.delete(p));
  return p.pid ?? 0;
}

export interface Nats extends Proc {
  readonly url: string;
  stop(): Promise<void>;
}

export async function startNats(): Promise<Nats> {
  const dir = mkdtempSync(join(tmpdir(), 'tv-bench-nats-'));
  const server = new NatsServer(dir);
  server.onSpawn = (p) => void track(p);
  await server.start();
  return {
    proc: server.process!,
    pid: server.pid,
    url: server.url,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface EngineNode extends Proc {
  readonly id: string;
  readonly url: string;
  readonly log: string[];
}

/** The engine settings of every run: realtime, 50 Hz, a control tick per local tick (20 ms), one shard. */
export const ENGINE_ENV = { TICKVERSE_MODE: 'realtime', TICKVERSE_TICK_HZ: '50', TICKVERSE_TICKS_PER_CONTROL: '1', TICKVERSE_SHARDS: '1' };

/** An engine node; `natsUrl` null = a single node without NATS (no data directory either). */
export async function startNode(natsUrl: string | null, id: string, env: NodeJS.ProcessEnv = {}): Promise<EngineNode> {
  const n = await spawnNode(
    id,
    {
      ...(natsUrl === null ? { TICKVERSE_DATA_DIR: 'none' } : { TICKVERSE_NATS_URL: natsUrl, TICKVERSE_NODE_ID: id }),
      TICKVERSE_TOKEN: TOKEN,
      TICKVERSE_DEMO: '0',
      TICKVERSE_KINDS: probeKind,
      ...ENGINE_ENV,
      ...env,
    },
    200,
    (p) => void track(p),
  );
  return { proc: n.proc, pid: n.proc.pid ?? 0, id, url: n.url, log: n.log };
}

export function kill(p: ChildProcess): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
  return new Promise<void>((r) => {
    p.once('exit', () => r());
    p.kill('SIGKILL');
  });
}

export const alive = (p: Proc): boolean => p.proc.exitCode === null && p.proc.signalCode === null;

let clkTck = 0;
/** CPU time (user + system, every thread) of process `pid` so far, ms; null when it is gone or off Linux. */
export function procCpuMs(pid: number): number | null {
  try {
    if (clkTck === 0) clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): utime is [11], stime [12].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clkTck;
  } catch {
    return null;
  }
}

/** Polls `check` every `everyMs` until it holds; throws naming `what` after `ms`. */
export const until = <T>(what: string, check: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 20_000, everyMs = 10): Promise<T> => pollUntil(what, check, ms, everyMs);

export const http = httpJson;

export const post = (url: string, body: unknown): Promise<{ status: number; body: unknown }> => http(url, { method: 'POST', headers: auth, body: JSON.stringify(body) });
