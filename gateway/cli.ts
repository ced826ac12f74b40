// Brings up the whole server from environment variables: an engine with the demo
// multiverse and the gateway on one port. main.ts calls serveFromEnv(); running this file
// directly (node dist/gateway/cli.js) does the same. docs/gateway.md lists the variables.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { Engine } from '../engine/index.js';
import type { EngineOptions } from '../engine/index.js';
import { engineOptionsFromEnv } from '../engine/env.js';
import { DEMO_REALMS } from '../engine/demo.js';
import { createLogger, type LogFormat } from './logger.js';
import { startGateway, type Gateway } from './server.js';
import { ClusterNode } from '../cluster/node.js';
import { clusterOptionsFromEnv } from '../cluster/options.js';
import { ErrorCode } from '../protocol/errors.js';

export interface Served {
  engine: Engine;
  gateway: Gateway;
  /** Stops the gateway, then the engine. */
  stop(): Promise<void>;
}

function envInt(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`environment variable ${name} must be an integer; received ${JSON.stringify(v)}`);
  return n;
}

/** `{[name]: value}` when the variable was set, else nothing (the gateway's default applies). */
const optional = <K extends string>(name: K, value: number | undefined): Partial<Record<K, number>> => (value === undefined ? {} : ({ [name]: value } as Record<K, number>));

/** `engineOptions` (e.g. a data directory) override what the environment says. */
export async function serveFromEnv(env: NodeJS.ProcessEnv = process.env, engineOptions: EngineOptions = {}): Promise<Served> {
  const fmt = env.TICKVERSE_LOG_FORMAT;
  const format: LogFormat = fmt === 'json' || fmt === 'pretty' ? fmt : process.stdout.isTTY && env.NODE_ENV !== 'production' ? 'pretty' : 'json';
  const log = createLogger({ level: env.TICKVERSE_LOG_LEVEL ?? 'info', format });

  let token = env.TICKVERSE_TOKEN;
  if (token === undefined || token === '') {
    token = randomBytes(24).toString('base64url');
    // Logged once, so the operator can use it; set TICKVERSE_TOKEN to choose your own.
    log.warn({ token }, 'TICKVERSE_TOKEN is not set: generated a random token for this run');
  }

  // Data in ./data unless TICKVERSE_DATA_DIR says otherwise ("none": no persistence). A cluster
  // node keeps its realms in NATS instead (docs/scale-out.md): no local data directory by default.
  const clustered = env.TICKVERSE_NATS_URL !== undefined && env.TICKVERSE_NATS_URL !== '';
  const engine = new Engine({ dataDir: clustered ? null : './data', ...engineOptionsFromEnv(env), ...engineOptions, logger: log.child({ component: 'engine' }) });
  await engine.start();
  const host = env.TICKVERSE_HOST || env.HOST || '0.0.0.0';
  let gateway: Gateway | undefined;
  const publicUrl = (): string => env.TICKVERSE_PUBLIC_URL || (gateway === undefined ? '' : `http://${host === '0.0.0.0' ? hostname() : host}:${gateway.port}`);
  let cluster: ClusterNode | null = null;
  const clusterOpts = clusterOptionsFromEnv(env, publicUrl);
  if (clusterOpts !== null) {
    try {
      cluster = await ClusterNode.start(engine, clusterOpts);
    } catch (e) {
      await engine.stop();
      throw e;
    }
    log.info({ node: cluster.id, nats: clusterOpts.natsUrl }, 'joined the multiverse cluster');
  }
  if (env.TICKVERSE_DEMO !== '0') await registerDemo(engine, cluster);

  const origins = env.TICKVERSE_ORIGINS;
  try {
    gateway = await startGateway(engine, {
      port: envInt(env, 'TICKVERSE_PORT') ?? envInt(env, 'PORT') ?? 8000,
      host,
      cluster,
      token,
      readNeedsToken: env.TICKVERSE_READ_NEEDS_TOKEN === '1' || env.TICKVERSE_READ_NEEDS_TOKEN === 'true',
      ...optional('reconnectGraceMs', envInt(env, 'TICKVERSE_RECONNECT_GRACE_MS')),
      ...optional('maxConnectionsPerPlayer', envInt(env, 'TICKVERSE_MAX_CONNECTIONS_PER_PLAYER')),
      ...optional('idleTimeoutMs', envInt(env, 'TICKVERSE_IDLE_TIMEOUT_MS')),
      ...(env.TICKVERSE_PUBLIC_DIR ? { publicDir: env.TICKVERSE_PUBLIC_DIR } : {}),
      ...(origins !== undefined && origins !== '' ? { allowedOrigins: origins === '*' ? '*' : origins.split(',').map((o) => o.trim()) } : {}),
      logger: log.child({ component: 'gateway' }),
    });
  } catch (e) {
    await cluster?.stop();
    await engine.stop();
    throw e;
  }
  // The first announcement went out before the port was known: say where clients find us.
  await cluster?.announce();
  log.info({ url: `http://localhost:${gateway.port}/`, ws: `ws://localhost:${gateway.port}/ws` }, 'tickverse is up');
  const gw = gateway;
  return {
    engine,
    gateway: gw,
    async stop() {
      await gw.close();
      await cluster?.stop();
      await engine.stop();
    },
  };
}

/** The demo realms, unless already there (recovered from a data directory, or claimed by another node of the cluster). */
async function registerDemo(engine: Engine, cluster: ClusterNode | null): Promise<void> {
  const have = new Set(engine.list().map((r) => r.realmId));
  const missing = DEMO_REALMS.filter((reg) => !have.has(reg.realm_id));
  if (cluster === null) {
    await Promise.all(missing.map((reg) => engine.register(reg)));
    return;
  }
  for (const reg of missing) {
    await cluster.register(reg).catch((e: unknown) => {
      if ((e as { code?: string }).code !== ErrorCode.DUPLICATE_REALM) throw e;
    });
  }
}

/** Runs until SIGINT/SIGTERM, then shuts down cleanly (`tickverse start` passes its kind modules). */
export async function main(engineOptions: EngineOptions = {}): Promise<void> {
  const served = await serveFromEnv(process.env, engineOptions);
  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: shutting down\n`);
    served.stop().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`shutdown failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`tickverse failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
