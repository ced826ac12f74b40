// What the server child process needs from either target: where clients connect, a
// measurement window with its target-specific figures, and shutdown.
import type { ServerWindow } from './types.js';

export type TargetFigures = Pick<
  ServerWindow,
  | 'localTicksPerSec'
  | 'entityUpdatesPerSec'
  | 'crossRealmEventsPerSec'
  | 'controlTickMs'
  | 'barrierMs'
  | 'framesPublished'
  | 'framesSent'
  | 'framesDropped'
  | 'slowClientCloses'
  | 'extra'
>;

export interface BenchServer {
  readonly url: string;
  readonly port: number;
  /** Starts a measurement window: counters from here on. */
  begin(): void;
  /** Ends the window started by begin(), `wallMs` later. */
  end(wallMs: number): TargetFigures;
  close(): Promise<void>;
}

/** Per-second rate of `sum` over `ms`. */
export const perSec = (sum: number, ms: number): number => (ms <= 0 ? 0 : Math.round((sum * 1000) / ms));
