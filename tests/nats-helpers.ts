// The scale-out tests' nats-server (bench/cluster/nats-server.ts), removed with its store after
// each test, and a TCP hop that can cut a client off (a partition).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach } from 'vitest';
import { NatsServer } from '../bench/cluster/nats-server.js';

export { NatsServer, natsServerPath } from '../bench/cluster/nats-server.js';

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
