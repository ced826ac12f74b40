// The SSE streams of one gateway: which stream follows which topic (SSE streams are not uWS
// topic subscribers, so publishTopic hands them the JSON rendering through this hub), and
// per player the log of recent pushes a `Last-Event-ID` reconnect replays.
import type { TextSubscribers } from './text-mode.js';

/** What an SSE stream takes from the hub: one JSON text message. */
export interface SseSink {
  message(text: string): void;
}

/** A player's SSE message numbering and its recent pushes (not state frames), oldest first. */
export interface ReplayLog {
  nextSeq: number;
  readonly entries: { seq: number; text: string }[];
  bytes: number;
}

/** Replay logs hold at most this many bytes per player besides the message cap. */
export const REPLAY_BYTES = 1 << 20;

export class SseHub implements TextSubscribers {
  private readonly byTopic = new Map<string, Set<SseSink>>();
  private readonly logs = new Map<string, ReplayLog>();
  /** Open streams. */
  readonly sinks = new Set<SseSink>();

  constructor(private readonly replayMax: number) {}

  has(topic: string): boolean {
    return (this.byTopic.get(topic)?.size ?? 0) > 0;
  }

  deliver(topic: string, text: string): void {
    const set = this.byTopic.get(topic);
    if (set !== undefined) for (const s of set) s.message(text);
  }

  add(topic: string, s: SseSink): void {
    let set = this.byTopic.get(topic);
    if (set === undefined) this.byTopic.set(topic, (set = new Set()));
    set.add(s);
  }

  remove(topic: string, s: SseSink): void {
    const set = this.byTopic.get(topic);
    if (set === undefined || !set.delete(s)) return;
    if (set.size === 0) this.byTopic.delete(topic);
  }

  /** The player's log (shared by its SSE streams, so a reconnect continues its numbering). */
  log(player: string): ReplayLog {
    let l = this.logs.get(player);
    if (l === undefined) this.logs.set(player, (l = { nextSeq: 1, entries: [], bytes: 0 }));
    return l;
  }

  /** Keeps a push for replay, within the message and byte caps. */
  remember(log: ReplayLog, seq: number, text: string): void {
    if (this.replayMax === 0) return;
    log.entries.push({ seq, text });
    log.bytes += text.length;
    while (log.entries.length > this.replayMax || log.bytes > REPLAY_BYTES) log.bytes -= log.entries.shift()!.text.length;
  }

  /** Drops the logs of players whose session ended. */
  sweep(alive: (player: string) => boolean): void {
    for (const name of this.logs.keys()) if (!alive(name)) this.logs.delete(name);
  }
}
