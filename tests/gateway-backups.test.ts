// The backup HTTP routes against a real engine with a data directory in a temp dir and a real
// gateway on port 0; and the 426 answer to a plain GET on /ws.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bearerHeader, getJson, startStack, type Stack } from './gateway-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  // gateway-helpers' afterEach (registered first) stops the engines before these are removed.
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function durableStack(): Promise<{ stack: Stack; dataDir: string }> {
  const dataDir = await mkdtemp(join(tmpdir(), 'tickverse-gw-backups-'));
  dirs.push(dataDir);
  return { stack: await startStack({}, { dataDir }), dataDir };
}

const post = (url: string, headers: Record<string, string> = bearerHeader) => getJson(url, { method: 'POST', headers });
const registry = (s: Stack) => s.engine.list().map((r) => [r.realmId, r.kind, r.state]);
const errorCode = (body: unknown): unknown => (body as { error?: { code?: unknown } }).error?.code;

interface Created {
  name: string;
  time: string;
  size: number;
  controlTick: number;
}

describe('gateway backups', () => {
  it('backup → change → restore brings back the earlier registry with matching state hashes', async () => {
    const { stack } = await durableStack();
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    await stack.engine.onControlTick(stack.engine.controlTick + 3);
    const before = registry(stack);

    const created = await post(`${stack.http}/api/backups`);
    expect(created.status).toBe(201);
    const b = created.body as Created;
    expect(b.name).toMatch(/^backup-\d+-\d+\.tvsnap$/);
    expect(b.controlTick).toBeGreaterThanOrEqual(0);
    expect(Number.isNaN(Date.parse(b.time))).toBe(false);

    await stack.engine.register({ realm_id: 'forest', game_id: 'demo', kind: 'forest' });
    await stack.engine.pause('tavern');
    expect(registry(stack)).not.toEqual(before);

    const restored = await post(`${stack.http}/api/backups/${b.name}/restore`);
    expect(restored.status).toBe(200);
    expect(restored.body).toMatchObject({ name: b.name, realms: 1, controlTick: b.controlTick, hashesChecked: 1, hashMismatches: 0 });
    expect(registry(stack)).toEqual(before);
  });

  it('lists a backup with its size, and deletes it', async () => {
    const { stack, dataDir } = await durableStack();
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    expect((await getJson(`${stack.http}/api/backups`, { headers: bearerHeader })).body).toEqual([]);
    const b = (await post(`${stack.http}/api/backups`)).body as Created;
    const onDisk = (await readFile(join(dataDir, 'backups', b.name))).length;
    expect(b.size).toBe(onDisk);

    const list = await getJson(`${stack.http}/api/backups`, { headers: bearerHeader });
    expect(list.status).toBe(200);
    expect(list.body).toEqual([{ name: b.name, time: b.time, size: onDisk, controlTick: b.controlTick }]);
    expect(onDisk).toBeGreaterThan(100);

    const del = await getJson(`${stack.http}/api/backups/${b.name}`, { method: 'DELETE', headers: bearerHeader });
    expect(del).toEqual({ status: 200, body: { name: b.name, deleted: true } });
    expect((await getJson(`${stack.http}/api/backups`, { headers: bearerHeader })).body).toEqual([]);
    const again = await getJson(`${stack.http}/api/backups/${b.name}`, { method: 'DELETE', headers: bearerHeader });
    expect([again.status, errorCode(again.body)]).toEqual([404, 'NOT_FOUND']);
  });

  it('refuses a truncated backup with its code and leaves the registry as it was', async () => {
    const { stack, dataDir } = await durableStack();
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    const b = (await post(`${stack.http}/api/backups`)).body as Created;
    const bytes = await readFile(join(dataDir, 'backups', b.name));
    await writeFile(join(dataDir, 'backups', 'truncated.tvsnap'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await stack.engine.register({ realm_id: 'forest', game_id: 'demo', kind: 'forest' });
    const before = registry(stack);

    const r = await post(`${stack.http}/api/backups/truncated.tvsnap/restore`);
    expect([r.status, errorCode(r.body)]).toEqual([400, 'INVALID_ARGUMENT']);
    expect(registry(stack)).toEqual(before);
    // The engine is still answering: the same routes keep working.
    expect((await post(`${stack.http}/api/backups/${b.name}/restore`)).status).toBe(200);
  });

  it('answers bad names with INVALID_ARGUMENT and unknown ones with NOT_FOUND', async () => {
    const { stack } = await durableStack();
    for (const bad of ['x.txt', '..%2Fsecret.tvsnap', 'a%2Fb.tvsnap', '...tvsnap', 'sp%20ace.tvsnap']) {
      const r = await post(`${stack.http}/api/backups/${bad}/restore`);
      expect([bad, r.status, errorCode(r.body)]).toEqual([bad, 400, 'INVALID_ARGUMENT']);
      const d = await getJson(`${stack.http}/api/backups/${bad}`, { method: 'DELETE', headers: bearerHeader });
      expect([bad, d.status, errorCode(d.body)]).toEqual([bad, 400, 'INVALID_ARGUMENT']);
    }
    const r = await post(`${stack.http}/api/backups/nope.tvsnap/restore`);
    expect([r.status, errorCode(r.body)]).toEqual([404, 'NOT_FOUND']);
  });

  it('refuses every route without the token', async () => {
    const { stack } = await durableStack();
    const wrong = { authorization: 'Bearer not-the-token-0000000000' };
    const replies = await Promise.all([
      post(`${stack.http}/api/backups`, {}),
      post(`${stack.http}/api/backups`, wrong),
      getJson(`${stack.http}/api/backups`),
      post(`${stack.http}/api/backups/x.tvsnap/restore`, {}),
      getJson(`${stack.http}/api/backups/x.tvsnap`, { method: 'DELETE' }),
    ]);
    for (const r of replies) expect([r.status, errorCode(r.body)]).toEqual([401, 'UNAUTHORIZED']);
  });

  it('says backups need a data directory on a memory engine', async () => {
    const stack = await startStack();
    for (const r of [await post(`${stack.http}/api/backups`), await getJson(`${stack.http}/api/backups`, { headers: bearerHeader })]) {
      expect([r.status, errorCode(r.body)]).toEqual([409, 'NO_DATA_DIR']);
      expect((r.body as { error: { message: string } }).error.message).toContain('data directory');
    }
  });

  it('answers a plain GET /ws with 426 and a JSON hint', async () => {
    const stack = await startStack();
    const res = await fetch(`${stack.http}/ws`);
    expect(res.status).toBe(426);
    expect(res.headers.get('upgrade')).toBe('websocket');
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.message).toContain('WebSocket');
  });
});
