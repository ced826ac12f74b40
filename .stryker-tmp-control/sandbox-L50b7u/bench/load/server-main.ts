// @ts-nocheck
// Server child process: `node server-main.js '<ServerConfig JSON>'`. Starts the target,
// reports `ready`, then answers start/stop with a measurement window: the process's own CPU
// time (every thread: Tickverse's shards are worker threads of this process), its RSS
// high-water mark, main-thread event-loop delay, and the target's figures.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fatal, fromParent, toParent } from './ipc.js';
import { cpuSinceMs, mainThreadCpuMs, peakRssBytes, rssBytes } from './proc.js';
import type { BenchServer } from './server-api.js';
import type { FromServer, ServerConfig, ServerWindow, ToServer } from './types.js';

const LOOP_RESOLUTION_MS = 10;
const cfg = JSON.parse(process.argv[2] ?? '{}') as ServerConfig;
const send = (m: FromServer): void => toParent(m);

async function start(): Promise<BenchServer> {
  if (cfg.target === 'tickverse') return (await import('./tickverse-server.js')).startTickverse(cfg);
  if (cfg.target === 'colyseus') return (await import('./colyseus/server.js')).startColyseus(cfg);
  throw new Error(`unknown target ${JSON.stringify(cfg.target)}`);
}

try {
  const t0 = performance.now();
  const server = await start();
  send({ type: 'ready', url: server.url, port: server.port, setupMs: Math.round(performance.now() - t0) });

  // The histogram records whole intervals of a 10 ms timer: the delay is what exceeds the 10 ms.
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  let result: Promise<ServerWindow> | null = null;
  const until = (at: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));
  const measure = async (startAt: number, endAt: number): Promise<ServerWindow> => {
    await until(startAt);
    server.begin();
    loop.reset();
    loop.enable();
    const cpu0 = process.cpuUsage();
    const main0 = mainThreadCpuMs();
    const w0 = performance.now();
    await until(endAt);
    // The timers may run late on a busy event loop: the window is what was actually measured.
    const wallMs = performance.now() - w0;
    const cpu = cpuSinceMs(cpu0);
    const main1 = mainThreadCpuMs();
    loop.disable();
    const figures = server.end(wallMs);
    const ms = (ns: number): number => Math.max(0, Math.round(ns / 1e4) / 100 - LOOP_RESOLUTION_MS);
    return {
      wallMs,
      cpuUserMs: cpu.user,
      cpuSystemMs: cpu.system,
      mainThreadCpuMs: main0 === null || main1 === null ? null : main1 - main0,
      eventLoopDelayMs: { p50: ms(loop.percentile(50)), p99: ms(loop.percentile(99)), max: ms(loop.max) },
      peakRssBytes: peakRssBytes(),
      rssBytes: rssBytes(),
      ...figures,
    };
  };
  fromParent<ToServer>(async (msg) => {
    switch (msg.type) {
      case 'window':
        result = measure(msg.startAt, msg.endAt);
        return;
      case 'report':
        if (result === null) throw new Error('report asked before a window was scheduled');
        send({ type: 'window', window: await result });
        return;
      case 'shutdown': {
        const timer = setTimeout(() => process.exit(0), 15_000);
        timer.unref();
        await server.close().catch(() => undefined);
        process.exit(0);
      }
    }
  });
} catch (e) {
  fatal(e);
}
