// @ts-nocheck
// Append-only journal with group commit: records appended in one event-loop turn share one
// write and one fdatasync; each append resolves only once its record is on disk, so an
// acknowledgement sent after it survives a kill -9.
import { open, type FileHandle } from 'node:fs/promises';
import { seal } from './files.js';

export class Journal {
  private pending: Uint8Array[] = [];
  private waiters: { resolve(): void; reject(e: unknown): void }[] = [];
  private flushing: Promise<void> | null = null;
  private bytes = 0;

  private constructor(
    readonly path: string,
    private readonly fh: FileHandle,
  ) {}

  static async open(path: string): Promise<Journal> {
    return new Journal(path, await open(path, 'a'));
  }

  get size(): number {
    return this.bytes;
  }

  append(record: Uint8Array): Promise<void> {
    this.pending.push(seal(record));
    const done = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.flushing === null) this.flushing = this.flushSoon();
    return done;
  }

  private async flushSoon(): Promise<void> {
    await new Promise<void>((r) => setImmediate(r));
    while (this.pending.length > 0) {
      const batch = this.pending;
      const waiters = this.waiters;
      this.pending = [];
      this.waiters = [];
      try {
        const total = batch.reduce((n, b) => n + b.length, 0);
        const buf = new Uint8Array(total);
        let at = 0;
        for (const b of batch) {
          buf.set(b, at);
          at += b.length;
        }
        await this.fh.write(buf);
        await this.fh.datasync();
        this.bytes += total;
        for (const w of waiters) w.resolve();
      } catch (e) {
        for (const w of waiters) w.reject(e);
      }
    }
    this.flushing = null;
  }

  async close(): Promise<void> {
    while (this.flushing !== null) await this.flushing;
    await this.fh.close();
  }
}
