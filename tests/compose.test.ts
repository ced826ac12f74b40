// The deployment files, checked statically: docker-compose.yml (parsed with `yaml`), the
// Prometheus configuration it mounts, and the Dockerfile. The ports and the healthcheck path are
// checked against the gateway's real defaults and a real gateway on port 0.
// scripts/container-test.sh builds and runs the image for real (npm run test:container).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { Engine } from '../engine/index.js';
import { resolveGatewayOptions, startGateway, type Gateway } from '../gateway/index.js';
import { clusterOptionsFromEnv, resolveClusterOptions } from '../cluster/options.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TOKEN = 'compose-test-token-0123456789';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function readYaml(rel: string): Obj {
  const path = join(ROOT, rel);
  const doc: unknown = parse(readFileSync(path, 'utf8'));
  if (!isObj(doc)) throw new Error(`${rel} is not a YAML mapping`);
  return doc;
}

function obj(parent: Obj, key: string, where: string): Obj {
  const v = parent[key];
  if (!isObj(v)) throw new Error(`${where}.${key} must be a mapping; found ${JSON.stringify(v)}`);
  return v;
}

/** Compose's `${VAR:-default}` / `${VAR-default}` / `${VAR}` interpolation, with an empty environment. */
function interpolate(s: string): string {
  return s.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?[-?]([^}]*))?\}/g, (_m, _name: string, def: string | undefined) => def ?? '');
}

/** Long or short port syntax → { target, published }. */
function portsOf(service: Obj): { target: number; published: string }[] {
  const ports = service.ports;
  if (!Array.isArray(ports)) return [];
  return ports.map((p: unknown) => {
    if (isObj(p)) return { target: Number(p.target), published: String(p.published ?? '') };
    const parts = interpolate(String(p)).replace(/\/(tcp|udp)$/, '').split(':');
    const target = Number(parts[parts.length - 1]);
    return { target, published: parts.length > 1 ? (parts[parts.length - 2] ?? '') : '' };
  });
}

/** Volume entries (short or long syntax) → { source, target, type }. */
function volumesOf(service: Obj): { source: string; target: string; type: 'volume' | 'bind' }[] {
  const vols = service.volumes;
  if (!Array.isArray(vols)) return [];
  return vols.map((v: unknown) => {
    if (isObj(v)) return { source: String(v.source ?? ''), target: String(v.target), type: v.type === 'bind' ? 'bind' : 'volume' };
    const [source = '', target = ''] = interpolate(String(v)).split(':');
    const bind = source.startsWith('.') || source.startsWith('/') || source.startsWith('~');
    return { source, target, type: bind ? 'bind' : 'volume' };
  });
}

function environmentOf(service: Obj): Record<string, string> {
  const env = service.environment;
  const out: Record<string, string> = {};
  if (Array.isArray(env)) {
    for (const e of env) {
      const [k = '', ...rest] = String(e).split('=');
      out[k] = interpolate(rest.join('='));
    }
  } else if (isObj(env)) {
    for (const [k, v] of Object.entries(env)) out[k] = interpolate(v === null ? '' : String(v));
  }
  return out;
}

/** The healthcheck `test` as one string (CMD / CMD-SHELL arrays or a plain string). */
function healthcheckCommand(service: Obj): string {
  const test = obj(service, 'healthcheck', 'service').test;
  if (Array.isArray(test)) return test.slice(1).map(String).join(' ');
  return String(test);
}

// ---- Dockerfile ---------------------------------------------------------------------------------

interface Instruction {
  cmd: string;
  args: string;
}

function dockerfile(): Instruction[][] {
  const lines = readFileSync(join(ROOT, 'Dockerfile'), 'utf8').split('\n');
  const logical: string[] = [];
  let cur = '';
  for (const raw of lines) {
    const line = raw.trimEnd();
    if (cur === '' && /^\s*#/.test(line)) continue; // comment (or parser directive)
    if (cur !== '' && /^\s*#/.test(line)) continue; // comment inside a continuation
    if (line.endsWith('\\')) {
      cur += line.slice(0, -1) + ' ';
      continue;
    }
    cur += line;
    if (cur.trim() !== '') logical.push(cur.trim());
    cur = '';
  }
  if (cur.trim() !== '') logical.push(cur.trim());

  const stages: Instruction[][] = [];
  const preamble: Instruction[] = [];
  for (const l of logical) {
    const m = /^(\S+)\s*(.*)$/.exec(l);
    if (m === null) continue;
    const ins = { cmd: (m[1] ?? '').toUpperCase(), args: m[2] ?? '' };
    if (ins.cmd === 'FROM') stages.push([ins]);
    else (stages[stages.length - 1] ?? preamble).push(ins);
  }
  if (stages.length > 0) stages[0] = [...preamble, ...(stages[0] ?? [])];
  return stages;
}

const compose = readYaml('docker-compose.yml');
const services = obj(compose, 'services', 'docker-compose.yml');
const engineSvc = obj(services, 'engine', 'services');
const promSvc = obj(services, 'prometheus', 'services');
const topVolumes = isObj(compose.volumes) ? compose.volumes : {};
const gatewayDefaults = resolveGatewayOptions({ token: TOKEN }, {});

describe('docker-compose.yml', () => {
  it('every service has an image or a build context that exists', () => {
    expect(Object.keys(services).sort()).toEqual(['engine', 'prometheus']);
    for (const [name, svc] of Object.entries(services)) {
      if (!isObj(svc)) throw new Error(`service ${name} is not a mapping`);
      const build = svc.build;
      if (build !== undefined) {
        const context = typeof build === 'string' ? build : String(obj(svc, 'build', name).context ?? '.');
        const dockerfileName = isObj(build) && typeof build.dockerfile === 'string' ? build.dockerfile : 'Dockerfile';
        const ctxDir = resolve(ROOT, context);
        expect(existsSync(ctxDir) && statSync(ctxDir).isDirectory(), `${name}: build context ${ctxDir} exists`).toBe(true);
        expect(existsSync(join(ctxDir, dockerfileName)), `${name}: ${dockerfileName} in ${ctxDir}`).toBe(true);
      } else {
        expect(typeof svc.image, `${name} needs an image or a build`).toBe('string');
        // A pulled image is pinned to a version, never a floating tag.
        expect(String(svc.image), `${name} image is pinned`).toMatch(/^[\w./-]+:v?\d+(\.\d+)*$/);
      }
      expect(svc.restart, `${name} restart policy`).toBe('unless-stopped');
      expect(svc.healthcheck, `${name} has a healthcheck`).toBeDefined();
      const logging = obj(svc, 'logging', name);
      expect(logging.driver, `${name} logging driver`).toBe('json-file');
      const logOpts = obj(logging, 'options', `${name}.logging`);
      expect(logOpts['max-size'], `${name} rotates logs by size`).toMatch(/^\d+[kmg]$/);
      expect(Number(logOpts['max-file']), `${name} keeps a bounded number of log files`).toBeGreaterThan(0);
    }
  });

  it("publishes the engine's port, which is the gateway's default (8000) and TICKVERSE_PORT", () => {
    expect(gatewayDefaults.port).toBe(8000);
    const ports = portsOf(engineSvc);
    expect(ports.map((p) => p.target)).toContain(gatewayDefaults.port);
    expect(environmentOf(engineSvc).TICKVERSE_PORT).toBe(String(gatewayDefaults.port));
  });

  it('checks health on the port and path the engine serves', () => {
    const cmd = healthcheckCommand(engineSvc);
    const m = /https?:\/\/(?:127\.0\.0\.1|localhost):(\d+)(\/[\w/.-]*)/.exec(cmd);
    expect(m, `engine healthcheck names a local URL: ${cmd}`).not.toBeNull();
    expect(Number(m?.[1])).toBe(gatewayDefaults.port);
    expect(m?.[2]).toBe('/api/health');
    // Exec form without a shell: the slim image has node, not curl or wget.
    const test = obj(engineSvc, 'healthcheck', 'engine').test;
    expect(Array.isArray(test) && test[0] === 'CMD' && test[1] === 'node').toBe(true);
  });

  it('declares every named volume and keeps the engine data on one at /data', () => {
    for (const [name, svc] of Object.entries(services)) {
      for (const v of volumesOf(svc as Obj)) {
        if (v.type === 'volume') expect(Object.keys(topVolumes), `${name}: volume "${v.source}" is declared`).toContain(v.source);
        else expect(existsSync(resolve(ROOT, v.source)), `${name}: bind source ${v.source} exists`).toBe(true);
      }
    }
    const data = volumesOf(engineSvc).find((v) => v.target === '/data');
    expect(data?.type, 'engine mounts a named volume at /data').toBe('volume');
    expect(environmentOf(engineSvc).TICKVERSE_DATA_DIR).toBe('/data');
  });

  it('limits the engine memory and CPU and gives SIGTERM time to finish', () => {
    const limits = obj(obj(obj(engineSvc, 'deploy', 'engine'), 'resources', 'engine.deploy'), 'limits', 'engine.deploy.resources');
    expect(String(limits.memory)).toMatch(/^\d+[kmg]b?$/i);
    expect(Number(limits.cpus)).toBeGreaterThan(0);
    expect(engineSvc.stop_signal ?? 'SIGTERM').toBe('SIGTERM');
    const grace = String(engineSvc.stop_grace_period ?? '10s');
    expect(Number(/^(\d+)s$/.exec(grace)?.[1])).toBeGreaterThanOrEqual(10);
  });

  it('mounts a Prometheus configuration that scrapes engine:8000/metrics', () => {
    const command = promSvc.command;
    const args = Array.isArray(command) ? command.map(String) : String(command ?? '').split(/\s+/);
    const configArg = args.find((a) => a.startsWith('--config.file='));
    const inContainer = configArg?.slice('--config.file='.length) ?? '/etc/prometheus/prometheus.yml';
    const mount = volumesOf(promSvc).find((v) => v.type === 'bind' && (inContainer === v.target || inContainer.startsWith(`${v.target}/`)));
    expect(mount, `a bind mount provides ${inContainer}`).toBeDefined();
    const hostPath = resolve(ROOT, mount!.source, inContainer === mount!.target ? '' : inContainer.slice(mount!.target.length + 1));
    expect(existsSync(hostPath), `${hostPath} exists`).toBe(true);

    const prom = parse(readFileSync(hostPath, 'utf8')) as Obj;
    const scrapes = (prom.scrape_configs as Obj[] | undefined) ?? [];
    const engineTarget = `engine:${gatewayDefaults.port}`;
    const job = scrapes.find((s) => ((s.static_configs as Obj[] | undefined) ?? []).some((c) => ((c.targets as string[] | undefined) ?? []).includes(engineTarget)));
    expect(job, `a scrape job targets ${engineTarget}`).toBeDefined();
    expect(job!.metrics_path ?? '/metrics').toBe('/metrics');
    expect(Object.keys(services)).toContain(engineTarget.split(':')[0]);

    for (const f of (prom.rule_files as string[] | undefined) ?? []) {
      const p = isAbsolute(f) ? resolve(dirname(hostPath), f.replace(/^\/etc\/prometheus\//, '')) : resolve(dirname(hostPath), f);
      expect(existsSync(p), `rule file ${f} exists next to the configuration`).toBe(true);
    }
  });
});

describe('Dockerfile', () => {
  const stages = dockerfile();
  const runtime = stages[stages.length - 1] ?? [];
  const find = (cmd: string): Instruction[] => runtime.filter((i) => i.cmd === cmd);
  const argDefaults = new Map<string, string>();
  for (const stage of stages) {
    for (const i of stage) {
      const m = /^(\w+)=(\S+)$/.exec(i.args);
      if (i.cmd === 'ARG' && m !== null) argDefaults.set(m[1] ?? '', m[2] ?? '');
    }
  }
  const baseOf = (from: Instruction): string => (from.args.split(/\s+/)[0] ?? '').replace(/\$\{?(\w+)\}?/g, (_m, n: string) => argDefaults.get(n) ?? '');

  it('builds in stages on node:22-bookworm-slim, production dependencies only at runtime', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    for (const stage of stages) expect(baseOf(stage.find((i) => i.cmd === 'FROM')!)).toBe('node:22-bookworm-slim');
    const runs = find('RUN').map((i) => i.args).join('\n');
    expect(runs).toMatch(/npm ci\b[^\n]*--omit=dev/);
    expect(runtime.some((i) => i.cmd === 'COPY' && /--from=\w+/.test(i.args) && /dist/.test(i.args))).toBe(true);
  });

  it('runs as the node user, exposes 8000 and keeps data in a volume', () => {
    const users = find('USER');
    expect(users[users.length - 1]?.args).toBe('node');
    expect(find('EXPOSE').flatMap((i) => i.args.split(/\s+/))).toContain(String(gatewayDefaults.port));
    expect(find('VOLUME').map((i) => i.args).join(' ')).toMatch(/["\s[]?\/data["\s\]]?/);
    expect(find('ENV').map((i) => i.args).join(' ')).toMatch(/TICKVERSE_DATA_DIR=\/data\b/);
  });

  it('has a HEALTHCHECK on /api/health', () => {
    const hc = find('HEALTHCHECK');
    expect(hc).toHaveLength(1);
    expect(hc[0]!.args).toMatch(/\bCMD\b/);
    expect(hc[0]!.args).toContain('/api/health');
  });

  it('starts node in exec form so SIGTERM reaches it', () => {
    const cmds = find('CMD');
    const cmd = cmds[cmds.length - 1]?.args ?? '';
    const argv: unknown = JSON.parse(cmd);
    expect(argv).toEqual(['node', 'dist/main.js']);
    expect(find('ENTRYPOINT')).toHaveLength(0);
  });

  it('copies every source folder the build compiles, and none of them is dockerignored', () => {
    const build = stages[0] ?? [];
    const copied = new Set(build.filter((i) => i.cmd === 'COPY' && !i.args.includes('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1)));
    const tsconfig = JSON.parse(readFileSync(join(ROOT, 'tsconfig.json'), 'utf8')) as { include: string[] };
    for (const inc of tsconfig.include) {
      if (inc === 'tests' || inc === 'bench') continue; // not part of the image
      if (existsSync(join(ROOT, inc))) expect([...copied], `the build stage copies ${inc}`).toContain(inc);
    }
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    const allCopied = stages.flat().filter((i) => i.cmd === 'COPY' && !i.args.includes('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    for (const src of allCopied) {
      expect(existsSync(join(ROOT, src)), `COPY source ${src} exists`).toBe(true);
      expect(ignored, `${src} is not in .dockerignore`).not.toContain(src);
    }
  });
});

describe('docs/deployment.md', () => {
  /** TICKVERSE_* names read anywhere in the server's sources. */
  function variablesInSources(): Set<string> {
    const found = new Set<string>();
    const scan = (path: string): void => {
      if (statSync(path).isDirectory()) {
        for (const e of readdirSync(path)) scan(join(path, e));
      } else if (path.endsWith('.ts')) {
        for (const m of readFileSync(path, 'utf8').matchAll(/\bTICKVERSE_[A-Z0-9_]*[A-Z0-9]\b/g)) found.add(m[0]);
      }
    };
    for (const p of ['protocol', 'engine', 'workers', 'gateway', 'main.ts']) if (existsSync(join(ROOT, p))) scan(join(ROOT, p));
    return found;
  }
  const table = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('| `'))
    .map((l) => /^\| `([A-Z0-9_]+)`/.exec(l)?.[1])
    .filter((v): v is string => v !== undefined);

  it('lists every TICKVERSE_* variable the code reads', () => {
    const missing = [...variablesInSources()].filter((v) => !table.includes(v));
    expect(missing, 'add a row to the environment table in docs/deployment.md').toEqual([]);
  });

  it('lists every variable the compose file and the image set', () => {
    const set = new Set(Object.keys(environmentOf(engineSvc)));
    const runtime = dockerfile().at(-1) ?? [];
    for (const i of runtime) if (i.cmd === 'ENV') for (const m of i.args.matchAll(/([A-Z][A-Z0-9_]*)=/g)) set.add(m[1] ?? '');
    const missing = [...set].filter((v) => !table.includes(v));
    expect(missing, 'add a row to the environment table in docs/deployment.md').toEqual([]);
  });
});

describe('docker-compose.cluster.yml (scale-out layer)', () => {
  const cluster = readYaml('docker-compose.cluster.yml');
  const svcs = obj(cluster, 'services', 'docker-compose.cluster.yml');
  const nats = obj(svcs, 'nats', 'services');
  const nodes = ['engine', 'engine2'].map((n) => ({ name: n, env: environmentOf(obj(svcs, n, 'services')) }));

  it('adds a pinned JetStream nats service with a health check on its monitoring port', () => {
    expect(String(nats.image)).toMatch(/^nats:\d+\.\d+\.\d+(-alpine)?$/);
    const args = (nats.command as unknown[]).map(String);
    expect(args).toContain('-js');
    const monitor = args[args.indexOf('-m') + 1];
    expect(healthcheckCommand(nats)).toContain(`127.0.0.1:${monitor}/healthz`);
    const data = volumesOf(nats).find((v) => v.target === args[args.indexOf('-sd') + 1]);
    expect(data?.type, 'JetStream data on a named volume').toBe('volume');
    expect(Object.keys(isObj(cluster.volumes) ? cluster.volumes : {})).toContain(data!.source);
  });

  it('joins both engine nodes to it with distinct ids, public URLs and no local data directory', () => {
    const ids = new Set<string>();
    for (const { name, env } of nodes) {
      const o = clusterOptionsFromEnv(env, () => '');
      expect(o, `${name} joins a cluster`).not.toBeNull();
      expect(resolveClusterOptions(o!).natsUrl).toBe('nats://nats:4222');
      ids.add(resolveClusterOptions(o!).nodeId);
      expect(env.TICKVERSE_PUBLIC_URL, `${name} says where clients reach it`).toMatch(/^http:\/\/localhost:\d+$/);
      expect(env.TICKVERSE_DATA_DIR).toBe('none');
    }
    expect(ids.size).toBe(2);
    // Each node's public URL is the host port it is published on.
    const engine2 = obj(svcs, 'engine2', 'services');
    expect(nodes[1]!.env.TICKVERSE_PUBLIC_URL).toBe(`http://localhost:${portsOf(engine2)[0]!.published}`);
    expect(nodes[0]!.env.TICKVERSE_PUBLIC_URL).toBe(`http://localhost:${portsOf(engineSvc)[0]!.published}`);
    expect(healthcheckCommand(engine2)).toContain('/api/health');
  });
});

describe('the healthcheck and scrape paths on a real gateway', () => {
  let engine: Engine;
  let gateway: Gateway;
  beforeAll(async () => {
    engine = new Engine({ shards: 1 });
    await engine.start();
    gateway = await startGateway(engine, { port: 0, host: '127.0.0.1', token: TOKEN, publicDir: null });
  });
  afterAll(async () => {
    await gateway?.close();
    await engine?.stop();
  });

  it('answers the compose healthcheck path with 200 and status ok', async () => {
    const path = /\/api\/[\w/-]+/.exec(healthcheckCommand(engineSvc))?.[0] ?? '';
    const res = await fetch(`http://127.0.0.1:${gateway.port}${path}`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { status?: string }).status).toBe('ok');
  });

  it('serves the control-tick histogram at the scraped path', async () => {
    await engine.onControlTick(engine.controlTick + 1);
    const res = await fetch(`http://127.0.0.1:${gateway.port}/metrics`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^tickverse_control_tick_duration_seconds_bucket\{/m);
  });
});
