// A real nats-server with JetStream for the scale-out tests: started on a random loopback
// port with its own store directory, restartable on the same port and store.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';

export const natsServerPath = ((): string | null => {
  const r = spawnSync('nats-server', ['--version'], { encoding: 'utf8' });
  return r.status === 0 ? 'nats-server' : null;
})();

export class NatsServer {
  private proc: ChildProcess | null = null;
  port = 0;
  constructor(private readonly dir: string) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Starts it (port 0 the first time: the server picks one; then the same port again). */
  async start(): Promise<void> {
    const args = ['-js', '-a', '127.0.0.1', '-p', this.port === 0 ? '-1' : String(this.port), '-sd', this.dir];
    const p = spawn(natsServerPath!, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = p;
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

const started: { server: NatsServer; dir: string }[] = [];
afterEach(async () => {
  for (const { server, dir } of started.splice(0)) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

export async function startNats(): Promise<NatsServer> {
  const dir = mkdtempSync(join(tmpdir(), 'tv-nats-'));
  const server = new NatsServer(dir);
  started.push({ server, dir });
  await server.start();
  return server;
}

/** A TCP hop between a client and the server that can be cut (a network partition) and healed. */
export class CuttableLink {
  private readonly sockets = new Set<Socket>();
  private server: Server | null = null;
  port = 0;
  constructor(private readonly target: () => number) {}

  async open(): Promise<void> {
    const srv = createServer((client) => {
      const up = connect(this.target(), '127.0.0.1');
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => s.destroy());
      }
      client.pipe(up).pipe(client);
    });
    this.server = srv;
    await new Promise<void>((r) => srv.listen(this.port, '127.0.0.1', () => r()));
    this.port = (srv.address() as AddressInfo).port;
  }

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  /** Drops every connection through it and refuses new ones. */
  async cut(): Promise<void> {
    const srv = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (srv !== null) await new Promise<void>((r) => srv.close(() => r()));
  }
}

const links: CuttableLink[] = [];
afterEach(async () => {
  for (const l of links.splice(0)) await l.cut();
});

export async function cuttableLink(server: NatsServer): Promise<CuttableLink> {
  const l = new CuttableLink(() => server.port);
  links.push(l);
  await l.open();
  return l;
}
