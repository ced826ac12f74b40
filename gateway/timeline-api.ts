// Time travel over HTTP (admin): the recorded range of the engine's data directory, and the
// multiverse replayed to one control tick (engine/time-travel.ts) with its hash verdict.
// One replay is kept open between requests, so moving the slider by a tick is one step (or a
// view kept from before); it is closed after a minute without requests.
import type { TemplatedApp } from 'uWebSockets.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { readTimeline, replayTo, type TickView, type TimeTravel } from '../engine/time-travel.js';
import type { GatewayContext } from './context.js';
import { json, param, route, type RequestInfo } from './http-util.js';

const IDLE_MS = 60_000;

function dataDir(ctx: GatewayContext): string {
  const dir = ctx.engine.options.dataDir;
  if (dir === null) throw new TickverseError(ErrorCode.NO_DATA_DIR, 'time travel needs a data directory; this engine keeps its state in memory only (set dataDir / TICKVERSE_DATA_DIR)');
  return dir;
}

function tickParam(raw: string): number {
  const n = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `control tick must be a positive integer; received ${JSON.stringify(raw.slice(0, 40))}`, { field: 'tick' });
  return n;
}

export function mountTimeline(app: TemplatedApp, ctx: GatewayContext, admin: (info: RequestInfo) => void): void {
  let open: Promise<TimeTravel> | null = null;
  let idle: NodeJS.Timeout | undefined;
  const closeSoon = (): void => {
    clearTimeout(idle);
    idle = setTimeout(() => {
      const h = open;
      open = null;
      void h?.then((t) => t.close()).catch(() => undefined);
    }, IDLE_MS);
    idle.unref();
  };
  // The view goto answers (not view() afterwards): another request may move the replay meanwhile.
  const travel = async (dir: string, tick: number): Promise<TickView> => {
    if (open !== null) {
      const h = await open.catch(() => null);
      if (h !== null) return h.goto(tick);
    }
    const o = ctx.engine.options;
    const started = replayTo(dir, tick, { kindModules: o.kindModules, tickHz: o.tickHz, ticksPerControl: o.ticksPerControl });
    open = started;
    started.catch(() => {
      if (open === started) open = null;
    });
    return (await started).view();
  };

  app.get(
    '/api/timeline',
    route(ctx, 0, async (info) => {
      admin(info);
      const summary = await readTimeline(dataDir(ctx));
      const o = ctx.engine.options;
      return json({ ...summary, liveControlTick: ctx.engine.controlTick, hashEvery: o.hashEvery, journalHashes: o.journalHashes });
    }),
  );
  app.get(
    '/api/timeline/:tick',
    route(ctx, 1, async (info) => {
      admin(info);
      const dir = dataDir(ctx);
      const tick = tickParam(param(info, 0));
      if (tick > ctx.engine.controlTick) throw new TickverseError(ErrorCode.NOT_FOUND, `control tick ${tick} has not happened yet (the engine is at ${ctx.engine.controlTick})`);
      closeSoon();
      return json(await travel(dir, tick));
    }),
  );
}
