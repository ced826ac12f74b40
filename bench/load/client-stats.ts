// What one client process counts while the window is open: frames (and, from their sequence
// numbers, how many were sent), entity records, bytes, gaps, disconnects and client-observed
// latency (Date.now() once the frame is applied − the frame's `at`, the server's Date.now()
// when it made the frame; same machine, same clock).
import { LatencyHistogram } from './histogram.js';
import type { ClientWindow } from './types.js';

/** Where one stream (a realm, a cell of one, a room) of one client stood in the current window. */
export interface SeqTrack {
  gen: number;
  first: number;
  last: number;
}

export const newTrack = (): SeqTrack => ({ gen: -1, first: 0, last: 0 });

export class ClientStats {
  /** The window, wall-clock ms: only what arrives in [startAt, endAt) counts. */
  startAt = Number.POSITIVE_INFINITY;
  endAt = Number.POSITIVE_INFINITY;
  frames = 0;
  keyframes = 0;
  spawns = 0;
  updates = 0;
  keyEntities = 0;
  bytes = 0;
  messages = 0;
  gaps = 0;
  waiting = 0;
  disconnects = 0;
  open = 0;
  readonly latency = new LatencyHistogram();
  private gen = 0;
  private tracks: SeqTrack[] = [];

  private inWindow(): boolean {
    const now = Date.now();
    return now >= this.startAt && now < this.endAt;
  }

  /**
   * A state frame applied by a client (after decoding): its stream's sequence number, the
   * server's `at`, and the entity records it carried (keyframes: `key` records, apart).
   */
  frame(track: SeqTrack, seq: number, at: number, key: boolean, spawns: number, updates: number): void {
    const now = Date.now();
    if (now < this.startAt || now >= this.endAt) return;
    this.latency.add(now - at);
    this.frames++;
    if (track.gen !== this.gen) {
      track.gen = this.gen;
      track.first = seq;
      this.tracks.push(track);
    }
    track.last = seq;
    if (key) {
      this.keyframes++;
      this.keyEntities += spawns + updates;
    } else {
      this.spawns += spawns;
      this.updates += updates;
    }
  }

  /** One entity entered a client's view / changed (Colyseus reports them one callback at a time). */
  spawn(): void {
    if (this.inWindow()) this.spawns++;
  }

  update(): void {
    if (this.inWindow()) this.updates++;
  }

  received(bytes: number): void {
    if (this.inWindow()) {
      this.bytes += bytes;
      this.messages++;
    }
  }

  gap(): void {
    if (this.inWindow()) this.gaps++;
  }

  /** A frame ignored because its stream waits for a keyframe. */
  skipped(): void {
    if (this.inWindow()) this.waiting++;
  }

  disconnect(): void {
    this.open--;
    if (this.inWindow()) this.disconnects++;
  }

  /** Schedules the window (counters start from zero). */
  schedule(startAt: number, endAt: number): void {
    this.frames = this.keyframes = this.spawns = this.updates = this.keyEntities = this.bytes = this.messages = this.gaps = this.waiting = this.disconnects = 0;
    this.latency.reset();
    this.gen++;
    this.tracks = [];
    this.startAt = startAt;
    this.endAt = endAt;
  }

  result(clients: number, wallMs: number, cpu: { user: number; system: number }): ClientWindow {
    let expectedFrames = 0;
    for (const t of this.tracks) expectedFrames += ((t.last - t.first) >>> 0) + 1;
    return {
      clients,
      open: this.open,
      wallMs,
      frames: this.frames,
      keyframes: this.keyframes,
      expectedFrames,
      spawns: this.spawns,
      updates: this.updates,
      keyEntities: this.keyEntities,
      bytes: this.bytes,
      messages: this.messages,
      gaps: this.gaps,
      waiting: this.waiting,
      disconnects: this.disconnects,
      latency: this.latency.toPairs(),
      cpuUserMs: cpu.user,
      cpuSystemMs: cpu.system,
    };
  }
}

export function byteLength(data: unknown): number {
  if (data instanceof ArrayBuffer) return data.byteLength;
  if (ArrayBuffer.isView(data)) return data.byteLength;
  if (typeof data === 'string') return Buffer.byteLength(data);
  return 0;
}

/** A connected bench client: closing it is all the driver needs. */
export type CloseClient = () => void;
