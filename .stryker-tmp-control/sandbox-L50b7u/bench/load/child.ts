// @ts-nocheck
// Child processes of the harness (the server and the client drivers): forked with an IPC
// channel, typed messages both ways, waits that fail with the child's stderr tail, and a
// stop that escalates to SIGKILL. Only processes started here are ever signalled.
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Child entry points run compiled JavaScript: beside us in dist/, or dist/ when loaded from sources (vitest). */
export function childScript(name: string): string {
  const here = import.meta.url;
  const url = here.endsWith('.ts') ? new URL(`../../dist/bench/load/${name}.js`, here) : new URL(`./${name}.js`, here);
  return fileURLToPath(url);
}

interface Typed {
  type: string;
}

export class Child<To extends Typed, From extends Typed> {
  private readonly proc: ChildProcess;
  private readonly inbox: From[] = [];
  private readonly waiters: { match: (m: From) => boolean; resolve: (m: From) => void; reject: (e: Error) => void }[] = [];
  private readonly listeners: ((m: From) => void)[] = [];
  private stderr = '';
  private exitInfo: string | null = null;
  readonly exited: Promise<void>;

  constructor(
    readonly label: string,
    script: string,
    args: string[] = [],
    execArgv: string[] = [],
  ) {
    this.proc = fork(script, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], execArgv, serialization: 'advanced' });
    this.proc.stderr?.setEncoding('utf8');
    this.proc.stderr?.on('data', (d: string) => {
      this.stderr = (this.stderr + d).slice(-4000);
    });
    this.proc.on('message', (m: From) => {
      for (const l of this.listeners) l(m);
      if (m.type === 'progress') return; // for listeners only, never awaited
      const i = this.waiters.findIndex((w) => w.match(m));
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
      else this.inbox.push(m);
    });
    this.exited = new Promise((resolve) => {
      this.proc.on('exit', (code, signal) => {
        this.exitInfo = `exited (${signal ?? code})`;
        const err = new Error(`${this.label} ${this.exitInfo}${this.stderr === '' ? '' : `:\n${this.stderr.trim()}`}`);
        for (const w of this.waiters.splice(0)) w.reject(err);
        resolve();
      });
    });
  }

  get pid(): number | undefined {
    return this.proc.pid;
  }

  get stderrTail(): string {
    return this.stderr.trim();
  }

  send(msg: To): void {
    if (this.exitInfo === null && this.proc.connected) this.proc.send(msg);
  }

  onMessage(fn: (m: From) => void): void {
    this.listeners.push(fn);
  }

  /** The next message of `type` (a `fatal` message or the child's exit rejects). */
  next<K extends From['type']>(type: K, timeoutMs: number): Promise<Extract<From, { type: K }>> {
    const match = (m: From): boolean => m.type === type || m.type === 'fatal';
    const queued = this.inbox.findIndex(match);
    const settle = (m: From): Extract<From, { type: K }> => {
      if (m.type === 'fatal') throw new Error(`${this.label}: ${(m as unknown as { message: string }).message}`);
      return m as Extract<From, { type: K }>;
    };
    if (queued >= 0) return Promise.resolve(this.inbox.splice(queued, 1)[0]!).then(settle);
    if (this.exitInfo !== null) return Promise.reject(new Error(`${this.label} ${this.exitInfo}${this.stderr === '' ? '' : `:\n${this.stderr.trim()}`}`));
    return new Promise<From>((resolve, reject) => {
      const w = { match, resolve, reject };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`${this.label}: no "${type}" within ${Math.round(timeoutMs / 1000)} s${this.stderr === '' ? '' : `:\n${this.stderr.trim()}`}`));
      }, timeoutMs);
      w.resolve = (m) => {
        clearTimeout(timer);
        resolve(m);
      };
      w.reject = (e) => {
        clearTimeout(timer);
        reject(e);
      };
      this.waiters.push(w);
    }).then(settle);
  }

  /** Waits for the child to exit; SIGTERM after `graceMs`, SIGKILL after twice that. */
  async stop(graceMs: number): Promise<void> {
    if (this.exitInfo !== null) return;
    const term = setTimeout(() => this.proc.kill('SIGTERM'), graceMs);
    const kill = setTimeout(() => this.proc.kill('SIGKILL'), graceMs * 2);
    await this.exited;
    clearTimeout(term);
    clearTimeout(kill);
  }

  kill(): void {
    if (this.exitInfo === null) this.proc.kill('SIGKILL');
  }
}
