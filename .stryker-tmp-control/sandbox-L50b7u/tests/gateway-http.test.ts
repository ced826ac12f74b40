// @ts-nocheck
// The HTTP side: JSON API (reads open, writes with a bearer token), /metrics (valid
// Prometheus text, checked with promtool when installed), and static files without traversal.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../protocol/errors.js';
import { adminClient, bearerHeader, client, getJson, startStack, until } from './gateway-helpers.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A public/ directory with a few files, a secret next to it, and a symlink pointing at the secret. */
function sitedir(): string {
  const root = mkdtempSync(join(tmpdir(), 'tickverse-static-'));
  dirs.push(root);
  const pub = join(root, 'public');
  mkdirSync(join(pub, 'sub'), { recursive: true });
  writeFileSync(join(pub, 'index.html'), '<!doctype html><title>admin</title>');
  writeFileSync(join(pub, 'app.js'), 'export const x = 1;\n');
  writeFileSync(join(pub, 'style.css'), 'body{}');
  writeFileSync(join(pub, 'data.json'), '{"a":1}');
  writeFileSync(join(pub, 'logo.svg'), '<svg/>');
  writeFileSync(join(pub, 'sub', 'index.html'), 'sub index');
  writeFileSync(join(pub, 'my file.txt'), 'spaced');
  writeFileSync(join(root, 'secret.txt'), 'TOP SECRET');
  symlinkSync(join(root, 'secret.txt'), join(pub, 'link.txt'));
  return pub;
}

/** A raw HTTP/1.1 GET with the path sent exactly as given (fetch would normalise it). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1', () => sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`));
    let data = '';
    sock.on('data', (d) => (data += d.toString('latin1')));
    sock.on('error', reject);
    sock.on('close', () => {
      const status = Number(/^HTTP\/1\.1 (\d+)/.exec(data)?.[1] ?? 0);
      resolve({ status, body: data.slice(data.indexOf('\r\n\r\n') + 4) });
    });
  });
}

const post = (url: string, body: unknown, headers: Record<string, string> = bearerHeader): Promise<{ status: number; body: unknown }> =>
  getJson(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

describe('gateway: HTTP API', () => {
  it('health, realms, realm, entities, npcs, stats', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    await stack.engine.register({ realm_id: 'lobby', game_id: 'g' });
    const h = await getJson(`${stack.http}/api/health`);
    expect(h.status).toBe(200);
    expect(h.body).toMatchObject({ status: 'ok', realms: 2, shards: 1, controlTick: expect.any(Number), uptimeMs: expect.any(Number), connections: 0 });

    const realms = await getJson(`${stack.http}/api/realms`);
    expect(realms.status).toBe(200);
    expect((realms.body as { realmId: string }[]).map((r) => r.realmId).sort()).toEqual(['lobby', 'tav']);
    expect((await getJson(`${stack.http}/api/realms/tav`)).body).toMatchObject({ realmId: 'tav', kind: 'tavern', state: 'running' });
    const missing = await getJson(`${stack.http}/api/realms/nope`);
    expect(missing).toEqual({ status: 404, body: { error: { code: ErrorCode.UNKNOWN_REALM, message: expect.any(String) } } });

    const ents = await getJson(`${stack.http}/api/realms/tav/entities`);
    expect(ents.status).toBe(200);
    expect((ents.body as { id: string }[]).some((e) => e.id === 'barkeep')).toBe(true);
    expect((await getJson(`${stack.http}/api/realms/nope/entities`)).status).toBe(404);

    const npcs = await getJson(`${stack.http}/api/npcs`);
    expect(npcs.status).toBe(200);
    const list = npcs.body as { id: string; realm: string }[];
    expect(list.find((n) => n.id === 'barkeep')).toMatchObject({ realm: 'tav', kind: 'npc' });
    expect(list.every((n) => n.realm === 'tav')).toBe(true);
    expect((await getJson(`${stack.http}/api/npcs?limit=2`)).body).toHaveLength(2);

    const stats = await getJson(`${stack.http}/api/stats`);
    expect(stats.body).toMatchObject({ engine: { realms: 2, shards: 1 }, gateway: { connections: 0, streams: 0 } });
    expect((await getJson(`${stack.http}/api/nothing`)).body).toMatchObject({ error: { code: ErrorCode.NOT_FOUND } });
  });

  it('mutating routes need the bearer token', async () => {
    const stack = await startStack();
    const reg = { realm_id: 'web', game_id: 'g', description: 'from http' };
    expect(await post(`${stack.http}/api/realms`, reg, {})).toMatchObject({ status: 401, body: { error: { code: ErrorCode.UNAUTHORIZED } } });
    expect((await post(`${stack.http}/api/realms`, reg, { authorization: 'Bearer wrong-token-xxxxxxxx' })).status).toBe(401);
    const created = await post(`${stack.http}/api/realms`, reg);
    expect(created).toMatchObject({ status: 201, body: { realmId: 'web', description: 'from http', state: 'running' } });
    expect(await post(`${stack.http}/api/realms`, reg)).toMatchObject({ status: 409, body: { error: { code: ErrorCode.DUPLICATE_REALM } } });
    expect(await post(`${stack.http}/api/realms`, { realm_id: 'x y', game_id: 'g' })).toMatchObject({ status: 400, body: { error: { code: ErrorCode.INVALID_ARGUMENT } } });
    expect(await post(`${stack.http}/api/realms`, '{"realm_id": ')).toMatchObject({ status: 400, body: { error: { code: ErrorCode.BAD_REQUEST } } });
    expect(await post(`${stack.http}/api/realms`, [1, 2])).toMatchObject({ status: 400, body: { error: { code: ErrorCode.BAD_REQUEST } } });

    const sub = await client(stack);
    const events: unknown[] = [];
    sub.on('event', (e) => events.push(e));
    await sub.subscribe('to:web');
    expect(await post(`${stack.http}/api/publish`, { type: 'note', to: 'web', data: { a: 1 } })).toMatchObject({ status: 202, body: { controlTick: expect.any(Number), seq: expect.any(Number) } });
    await until('the published event to reach the subscriber', () => events.length > 0);
    expect(events[0]).toMatchObject({ type: 'note', to: ['web'], data: { a: 1 } });
    expect(await post(`${stack.http}/api/publish`, { type: 'note' }, {})).toMatchObject({ status: 401 });

    const view = await sub.join('web');
    expect(await post(`${stack.http}/api/realms/web/input`, { player: 'srv', data: { set: { id: 'crate', x: 1, y: 2 } } })).toMatchObject({ status: 202 });
    await until('the entity set over HTTP', () => view.entities.get('crate'));

    expect(await post(`${stack.http}/api/realms/web/pause`, {})).toMatchObject({ status: 200, body: { state: 'paused' } });
    expect(await post(`${stack.http}/api/realms/web/resume`, {})).toMatchObject({ status: 200, body: { state: 'running' } });
    expect(await post(`${stack.http}/api/realms/nope/pause`, {})).toMatchObject({ status: 404 });

    const del = (headers: Record<string, string>) => getJson(`${stack.http}/api/realms/web`, { method: 'DELETE', headers });
    expect((await del({})).status).toBe(401);
    expect(await del(bearerHeader)).toEqual({ status: 200, body: { realm: 'web' } });
    expect((await del(bearerHeader)).status).toBe(404);
  });

  it('health says 503 "stopped" once the engine stops', async () => {
    const stack = await startStack();
    await stack.engine.stop();
    const h = await getJson(`${stack.http}/api/health`);
    expect(h).toMatchObject({ status: 503, body: { status: 'stopped' } });
    expect(await post(`${stack.http}/api/realms`, { realm_id: 'x', game_id: 'g' })).toMatchObject({ status: 503, body: { error: { code: ErrorCode.ENGINE_NOT_RUNNING } } });
  });

  it('bounded request bodies: 413 beyond the limit', async () => {
    const stack = await startStack({ maxHttpBodyBytes: 2048 });
    const big = await post(`${stack.http}/api/realms`, { realm_id: 'big', game_id: 'g', description: 'x'.repeat(5000) });
    expect(big).toMatchObject({ status: 413, body: { error: { code: ErrorCode.PAYLOAD_TOO_LARGE } } });
    expect((await getJson(`${stack.http}/api/health`)).status).toBe(200);
  });

  it('serves static files with content types, / as index.html, and never outside public/', async () => {
    const pub = sitedir();
    const stack = await startStack({ publicDir: pub });
    const get = async (path: string) => {
      const res = await fetch(`${stack.http}${path}`);
      return { status: res.status, type: res.headers.get('content-type'), body: await res.text() };
    };
    expect(await get('/')).toMatchObject({ status: 200, type: 'text/html; charset=utf-8', body: '<!doctype html><title>admin</title>' });
    expect(await get('/app.js')).toMatchObject({ status: 200, type: 'text/javascript; charset=utf-8' });
    expect(await get('/style.css')).toMatchObject({ status: 200, type: 'text/css; charset=utf-8' });
    expect(await get('/data.json')).toMatchObject({ status: 200, type: 'application/json; charset=utf-8' });
    expect(await get('/logo.svg')).toMatchObject({ status: 200, type: 'image/svg+xml' });
    expect(await get('/sub/')).toMatchObject({ status: 200, body: 'sub index' });
    expect(await get('/sub')).toMatchObject({ status: 200, body: 'sub index' });
    expect(await get('/my%20file.txt')).toMatchObject({ status: 200, body: 'spaced' });
    expect((await get('/missing.js')).status).toBe(404);

    for (const path of [
      '/../secret.txt',
      '/%2e%2e/secret.txt',
      '/%2E%2E%2Fsecret.txt',
      '/..%2fsecret.txt',
      '/sub/../../secret.txt',
      '/sub/%2e%2e/%2e%2e/secret.txt',
      '/..\\secret.txt',
      '/%5c..%5csecret.txt',
      '/link.txt',
      '/%00index.html',
      '/%zz',
      '//etc/passwd',
      '/../../../../../../etc/passwd',
    ]) {
      const r = await rawGet(stack.gateway.port, path);
      expect(r.status, path).not.toBe(200);
      expect(r.body, path).not.toContain('TOP SECRET');
      expect(r.body, path).not.toContain('root:');
    }
  });

  it('without public/index.html, / shows a small built-in page', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'tickverse-empty-'));
    dirs.push(empty);
    const stack = await startStack({ publicDir: empty });
    const res = await fetch(`${stack.http}/`);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('/api/health');
  });

  it('/metrics is valid Prometheus text with the engine and gateway metrics', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    const c = await adminClient(stack);
    await (await c.join('tav')).ready();
    await stack.engine.onControlTick(stack.engine.controlTick + 2);
    const res = await fetch(`${stack.http}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    for (const name of [
      'tickverse_control_tick_duration_seconds_bucket',
      'tickverse_barrier_seconds_bucket',
      'tickverse_route_seconds_count',
      'tickverse_control_ticks_total',
      'tickverse_events_routed_total',
      'tickverse_ring_used_bytes{shard="0",ring="out"}',
      'tickverse_ring_overflows_total{shard="0",ring="in"}',
      'tickverse_shard_state_frames_dropped_total',
      'tickverse_realms{state="running"} 1',
      'tickverse_ws_connections 1',
      'tickverse_ws_frames_published_total',
      'tickverse_ws_frames_sent_total',
      'tickverse_ws_frames_dropped_total',
      'tickverse_ws_backpressure_closes_total',
      'tickverse_process_cpu_seconds_total',
      'tickverse_nodejs_eventloop_lag_seconds',
    ]) {
      expect(text, name).toContain(name);
    }
    // Two gateways in one process keep separate registries.
    expect(await stack.gateway.metricsText()).toContain('tickverse_ws_connections 1');

    const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
    if (promtool.error !== undefined) {
      console.warn('SKIPPED promtool check: the `promtool` binary (Debian package "prometheus") is not installed');
      return;
    }
    const out = execFileSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(out.trim()).toBe('');
  });
});
