// @ts-nocheck
// What one client process counts while the window is open: frames, entity records, bytes,
// gaps, disconnects and client-observed latency (Date.now() at receipt − the frame's `at`,
// the server's Date.now() when it made the frame; same machine, same clock).
import { LatencyHistogram } from './histogram.js';
import type { ClientWindow } from './types.js';

export class ClientStats {
  /** The window, wall-clock ms: only what arrives in [startAt, endAt) counts. */
  startAt = Number.POSITIVE_INFINITY;
  endAt = Number.POSITIVE_INFINITY;
  frames = 0;
  keyframes = 0;
  deltaEntities = 0;
  keyEntities = 0;
  bytes = 0;
  gaps = 0;
  disconnects = 0;
  open = 0;
  readonly latency = new LatencyHistogram();

  /** A state frame applied by the client (after decoding); `ents` = entity records it carried. */
  frame(at: number, key: boolean, ents: number): void {
    const now = Date.now();
    if (now < this.startAt || now >= this.endAt) return;
    this.latency.add(now - at);
    this.frames++;
    if (key) {
      this.keyframes++;
      this.keyEntities += ents;
    } else {
      this.deltaEntities += ents;
    }
  }

  /** One entity changed in a delta (Colyseus reports entity changes one callback at a time). */
  private inWindow(): boolean {
    const now = Date.now();
    return now >= this.startAt && now < this.endAt;
  }

  entity(): void {
    if (this.inWindow()) this.deltaEntities++;
  }

  received(bytes: number): void {
    if (this.inWindow()) this.bytes += bytes;
  }

  gap(): void {
    if (this.inWindow()) this.gaps++;
  }

  disconnect(): void {
    this.open--;
    if (this.inWindow()) this.disconnects++;
  }

  /** Schedules the window (counters start from zero). */
  schedule(startAt: number, endAt: number): void {
    this.frames = this.keyframes = this.deltaEntities = this.keyEntities = this.bytes = this.gaps = this.disconnects = 0;
    this.latency.reset();
    this.startAt = startAt;
    this.endAt = endAt;
  }

  result(clients: number, wallMs: number, cpu: { user: number; system: number }): ClientWindow {
    return {
      clients,
      open: this.open,
      wallMs,
      frames: this.frames,
      keyframes: this.keyframes,
      deltaEntities: this.deltaEntities,
      keyEntities: this.keyEntities,
      bytes: this.bytes,
      gaps: this.gaps,
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
