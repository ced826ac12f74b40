// The installable package, as a game developer gets it: `npm pack` of the build that `npm test`
// makes, installed into a fresh project, then used from there only (its own node_modules).
import { execFile, spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './gateway-helpers.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/package-app/', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
const TOKEN = 'package-test-token-0123456789';

let tmp = '';
let app = '';
let packed: string[] = [];

/** Runs a command, failing with its output (npm and tsc explain themselves on stdout/stderr). */
async function sh(cmd: string, args: string[], cwd: string): Promise<string> {
  try {
    return (await run(cmd, args, { cwd, maxBuffer: 16 << 20 })).stdout;
  } catch (e) {
    const x = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${x.message}\n${x.stdout ?? ''}\n${x.stderr ?? ''}`);
  }
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'tickverse-pkg-'));
  // --ignore-scripts: the prepack build already ran (npm test builds first).
  const out = JSON.parse(await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp], root)) as { filename: string; files: { path: string }[] }[];
  const tarball = join(tmp, out[0]!.filename);
  packed = out[0]!.files.map((f) => f.path);
  app = join(tmp, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'my-game', version: '1.0.0', private: true, type: 'module' }));
  cpSync(fixture, app, { recursive: true });
  const t0 = performance.now();
  // Dependencies come from the npm cache; only their metadata may need the registry.
  await sh('npm', ['install', tarball, '--no-audit', '--no-fund', '--prefer-offline'], app);
  process.stderr.write(`package.test: npm install of the tarball took ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}, 120_000);

afterAll(() => {
  if (tmp !== '') rmSync(tmp, { recursive: true, force: true });
});

describe('the tickverse package', () => {
  it('packs the compiled JS, declarations, pages, docs and bin, and no sources or tests', () => {
    for (const f of ['dist/index.js', 'dist/index.d.ts', 'dist/bin/tickverse.js', 'dist/workers/shard-entry.js', 'dist/client/index.d.ts',
      'dist/gateway/index.d.ts', 'dist/bench/run.js', 'bench/fixtures/latency-kind.mjs', 'public/index.html', 'public/assets/dashboard.js',
      'docs/package.md', 'README.md', 'LICENSE', 'package.json']) {
      expect(packed, f).toContain(f);
    }
    const stray = packed.filter((f) => f.startsWith('dist/tests/') || f.startsWith('tests/') || (f.endsWith('.ts') && !f.endsWith('.d.ts')));
    expect(stray).toEqual([]);
    expect(readFileSync(join(app, 'node_modules/tickverse/dist/bin/tickverse.js'), 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });

  it('runs a kind written against "tickverse" in an Engine, and the gateway serves its pages, all from node_modules', async () => {
    const out = JSON.parse(await sh(process.execPath, ['run.mjs'], app)) as {
      resolved: Record<string, string>;
      sdk: string;
      realm: { state: string; kind: string; localTick: number };
      entities: { id: string; x: number; ticks: number; version: string }[];
      index: { status: number; body: string };
      dashboard: number;
    };
    const installed = new URL('node_modules/tickverse/dist/', `file://${app}/`).href;
    expect(out.resolved.tickverse).toBe(`${installed}index.js`);
    expect(out.resolved.client).toBe(`${installed}client/index.js`);
    expect(out.sdk).toBe('function');
    expect(out.realm.kind).toBe('counter');
    expect(out.realm.state).toBe('running');
    const e = out.entities[0]!;
    expect(out.entities.map((x) => x.id)).toEqual(['c0']);
    expect(e.ticks).toBeGreaterThanOrEqual(20);
    expect(e.x).toBe(3 * e.ticks); // step 3 from the registration's params
    // The admin pages are found beside the package's own files, not in the project's cwd.
    expect(out.index.status).toBe(200);
    expect(out.index.body).toContain(readFileSync(join(root, 'public/index.html'), 'utf8').slice(0, 200));
    expect(out.dashboard).toBe(200);
  });

  it('npx tickverse --version prints the package version, --help says dev restarts', async () => {
    expect((await sh('npx', ['--no-install', 'tickverse', '--version'], app)).trim()).toBe(pkg.version);
    const help = await sh('npx', ['--no-install', 'tickverse', '--help'], app);
    expect(help).toContain('tickverse dev');
    expect(help).toMatch(/no hot reload/i);
  });

  it('the declarations of tickverse, tickverse/client(/node) and tickverse/gateway type-check (tsc --noEmit)', async () => {
    const tsconfig = {
      compilerOptions: {
        module: 'nodenext', moduleResolution: 'nodenext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true,
        lib: ['ES2024', 'DOM'], typeRoots: [join(root, 'node_modules/@types')], types: ['node'],
      },
      files: ['check-types.ts'],
    };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    await sh(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.json'], app);
  });

  it('tickverse dev restarts the engine process when a kind file changes, and loads the new code', async () => {
    const env = { ...process.env, TICKVERSE_PORT: '0', TICKVERSE_HOST: '127.0.0.1', TICKVERSE_TOKEN: TOKEN, TICKVERSE_DATA_DIR: 'none',
      TICKVERSE_DEMO: '0', TICKVERSE_SHARDS: '1', TICKVERSE_LOG_FORMAT: 'json' };
    const dev = spawn(join(app, 'node_modules/.bin/tickverse'), ['dev', 'kinds'], { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    dev.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    dev.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    let gone: string | null = null;
    const exited = new Promise<number | null>((r) => {
      dev.on('error', (e) => ((gone = e.message), r(null)));
      dev.on('exit', (code, signal) => ((gone = `exited with ${signal ?? code}`), r(code)));
    });
    const ups = (): string[] => {
      if (gone !== null) throw new Error(`tickverse dev ${gone}\n${stdout}\n${stderr}`);
      return stdout.split('\n').filter((l) => l.includes('"tickverse is up"')).map((l) => (JSON.parse(l) as { url: string }).url);
    };
    const auth = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
    const versionOf = async (url: string, realm: string): Promise<string> => {
      const reg = await fetch(`${url}api/realms`, { method: 'POST', headers: auth, body: JSON.stringify({ realm_id: realm, game_id: 'g', kind: 'counter' }) });
      expect(reg.status, await reg.clone().text()).toBe(201);
      const ents = await until(`entities of ${realm}`, async () => {
        const list = (await (await fetch(`${url}api/realms/${realm}/entities`, { headers: auth })).json()) as { version: string }[];
        return list.length > 0 ? list : undefined;
      });
      return ents[0]!.version;
    };
    try {
      const first = await until(`the first "tickverse is up"\n${stdout}\n${stderr}`, () => ups()[0], 30_000);
      expect(await versionOf(first, 'before')).toBe('v1');
      const file = join(app, 'kinds/counter.mjs');
      writeFileSync(file, readFileSync(file, 'utf8').replace("const VERSION = 'v1'", "const VERSION = 'v2'"));
      const second = await until(`a restart after the kind changed\n${stdout}\n${stderr}`, () => ups()[1], 30_000);
      expect(stderr).toContain('restarting the engine process');
      expect(await versionOf(second, 'after')).toBe('v2');
    } finally {
      dev.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });
});
