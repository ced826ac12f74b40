// A real nats-server with JetStream on a random loopback port and its own store directory,
// restartable on the same port and store: for the scale-out tests (tests/nats-helpers.ts) and
// the cluster benchmark (bench/cluster/procs.ts). Needs `nats-server` on the PATH.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';

export const natsServerPath = ((): string | null => {
  const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'nats-server' : null;
})();

export class NatsServer {
  private proc: ChildProcess | null = null;
  port = 0;
  /** Told of every process it spawns (the bench tracks them for its CPU figures and cleanup). */
  onSpawn: ((p: ChildProcess) => void) | null = null;
  constructor(private readonly dir: string) {}

  get pid(): number {
    return this.proc?.pid ?? 0;
  }

  get process(): ChildProcess | null {
    return this.proc;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts it (port 0 the first time: the server picks one; then the same port again). */
  async start(): Promise<void> {
    const args = ['-js', '-a', '127.0.0.1', '-p', this.port === 0 ? '-1' : String(this.port), '-sd', this.dir];
    const p = spawn(natsServerPath ?? 'nats-server', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = p;
    this.onSpawn?.(p);
    this.port = await new Promise<number>((resolve, reject) => {
      let log = '';
      const onData = (b: Buffer): void => {
        log += b.toString();
        const m = /Listening for client connections on [^:]+:(\d+)/.exec(log);
        if (m !== null && /Server is ready/.test(log)) {
          p.stderr!.off('data', onData);
          resolve(Number(m[1]));
        }
      };
      p.stderr!.on('data', onData);
      p.once('exit', (code) => reject(new Error(`nats-server exited (${code}): ${log}`)));
    });
    p.stderr!.resume();
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (p === null || p.exitCode !== null) return;
    this.proc = null;
    await new Promise<void>((r) => {
      p.once('exit', () => r());
      p.kill('SIGKILL');
    });
  }
}
