// Client driver child process: connects its slice of the clients (a bounded number at a
// time), reports progress, and answers start/stop with a measurement window.
import type { ClientStats as Stats, CloseClient } from './client-stats.js';
import { ClientStats } from './client-stats.js';
import { fromParent, toParent } from './ipc.js';
import { cpuSinceMs } from './proc.js';
import type { ClientJoin, ClientSlice, ClientWindow, FromClient, ToClient } from './types.js';

type Connect = (url: string, join: ClientJoin, stats: Stats) => Promise<CloseClient>;

/** A join that fails (e.g. a handshake timing out while the machine is saturated) is tried again. */
const JOIN_ATTEMPTS = 3;
const send = (m: FromClient): void => toParent(m);
const stats = new ClientStats();
const closers: CloseClient[] = [];
let clients = 0;
/** The scheduled window's result, once its end has passed. */
let result: Promise<ClientWindow> | null = null;

/** Resolves at wall-clock time `at` (at once if it has passed). */
const until = (at: number): Promise<void> => new Promise((r) => setTimeout(r, Math.max(0, at - Date.now())));

async function measure(startAt: number, endAt: number): Promise<ClientWindow> {
  stats.schedule(startAt, endAt);
  await until(startAt);
  const cpu0 = process.cpuUsage();
  await until(endAt);
  // CPU is sampled when the timers run (late if the process is busy); frames are counted by their own arrival time.
  return stats.result(clients, endAt - startAt, cpuSinceMs(cpu0));
}

async function connectAll(slice: ClientSlice): Promise<void> {
  const connect: Connect =
    slice.target === 'tickverse' ? (await import('./tickverse-client.js')).connectTickverse : (await import('./colyseus/client.js')).connectColyseus;
  clients = slice.joins.length;
  let next = 0;
  let connected = 0;
  let failed = 0;
  let retries = 0;
  const errors = new Map<string, number>();
  const progress = setInterval(() => send({ type: 'progress', connected, failed }), 250);
  const deadline = Date.now() + slice.joinTimeoutMs;
  const late = new Error(`not joined within ${Math.round(slice.joinTimeoutMs / 1000)} s (the server was too busy to accept it)`);
  /** A join that has not finished by the deadline counts as failed; if it completes later, it is closed at once. */
  const beforeDeadline = async (join: ClientJoin): Promise<CloseClient> => {
    const attempt = connect(slice.url, join, stats);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(late), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([attempt, expired]);
    } catch (e) {
      if (e === late) attempt.then((close) => close(), () => undefined);
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };
  const worker = async (): Promise<void> => {
    while (next < slice.joins.length) {
      const join = slice.joins[next++]!;
      for (let attempt = 1; ; attempt++) {
        try {
          if (Date.now() >= deadline) throw late;
          closers.push(await beforeDeadline(join));
          connected++;
          break;
        } catch (e) {
          if (attempt < JOIN_ATTEMPTS && e !== late) {
            retries++;
            await new Promise((r) => setTimeout(r, 250 * attempt));
            continue;
          }
          failed++;
          const msg = e instanceof Error ? e.message : String(e);
          errors.set(msg, (errors.get(msg) ?? 0) + 1);
          break;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(slice.concurrency, slice.joins.length) }, worker));
  clearInterval(progress);
  send({ type: 'connected', connected, failed, retries, errors: [...errors].map(([m, n]) => `${n}× ${m}`).slice(0, 5) });
}

fromParent<ToClient>(async (msg) => {
  switch (msg.type) {
    case 'connect':
      return connectAll(msg.slice);
    case 'window':
      result = measure(msg.startAt, msg.endAt);
      return;
    case 'report':
      if (result === null) throw new Error('report asked before a window was scheduled');
      send({ type: 'window', window: await result });
      return;
    case 'close':
      for (const close of closers.splice(0)) {
        try {
          close();
        } catch {
          // already closed
        }
      }
      // Give the close frames a moment to leave, then go.
      setTimeout(() => process.exit(0), 300);
      return;
  }
});
