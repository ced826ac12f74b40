// The backup WebSocket ops (backup, backups, restore_backup, delete_backup) against a real
// engine with a data directory in a temp dir and a real gateway on port 0; their metrics; and
// the automatic schedule and retention read from TICKVERSE_* environment variables.
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { engineOptionsFromEnv } from '../engine/env.js';
import { isTickverseError } from '../protocol/errors.js';
import type { TickverseClient } from '../client/index.js';
import { RawClient, TOKEN, adminClient, bearerHeader, client, getJson, startStack, until, type Stack } from './gateway-helpers.js';

const dirs: string[] = [];
afterEach(async () => {
  // gateway-helpers' afterEach (registered first) stops the engines before these are removed.
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'tickverse-ws-backups-'));
  dirs.push(d);
  return d;
}

async function durableStack(): Promise<{ stack: Stack; dataDir: string; admin: TickverseClient }> {
  const dataDir = await tempDir();
  const stack = await startStack({}, { dataDir });
  return { stack, dataDir, admin: await adminClient(stack) };
}

const registry = (s: Stack) => s.engine.list().map((r) => [r.realmId, r.kind, r.state]);

/** The code a request was refused with (fails the test when it succeeded). */
async function refused(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (isTickverseError(e)) return e.code;
    throw e;
  }
  throw new Error('the request succeeded; expected a refusal');
}

/** The value of one sample line of /metrics, or undefined when absent. */
async function metric(stack: Stack, line: string): Promise<number | undefined> {
  const text = (await getJson(`${stack.http}/metrics`)).body as string;
  const found = text.split('\n').find((l) => l.startsWith(`${line} `));
  return found === undefined ? undefined : Number(found.slice(line.length + 1));
}

describe('backup WebSocket ops', () => {
  it('backup → change → restore_backup brings back the earlier registry, hashes checked; backups lists it; delete_backup removes it', async () => {
    const { stack, dataDir, admin } = await durableStack();
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    await stack.engine.onControlTick(stack.engine.controlTick + 3);
    const before = registry(stack);

    const b = await admin.request('backup', {});
    expect(b.name).toMatch(/^backup-\d+-\d+\.tvsnap$/);
    expect(b.realms).toBe(1);
    expect(b.size).toBe((await readFile(join(dataDir, 'backups', b.name))).length);
    expect(Number.isNaN(Date.parse(b.time))).toBe(false);
    expect(await admin.request('backups', {})).toEqual({ backups: [{ name: b.name, time: b.time, size: b.size, controlTick: b.controlTick }] });
    // The same list over HTTP: one function behind both.
    expect((await getJson(`${stack.http}/api/backups`, { headers: bearerHeader })).body).toEqual([{ name: b.name, time: b.time, size: b.size, controlTick: b.controlTick }]);

    await stack.engine.register({ realm_id: 'forest', game_id: 'demo', kind: 'forest' });
    await stack.engine.pause('tavern');
    expect(registry(stack)).not.toEqual(before);

    const restored = await admin.request('restore_backup', { name: b.name });
    expect(restored).toEqual({ name: b.name, controlTick: b.controlTick, realms: 1, hashesChecked: 1, hashMismatches: 0 });
    expect(registry(stack)).toEqual(before);

    expect(await admin.request('delete_backup', { name: b.name })).toEqual({ name: b.name, deleted: true });
    expect(await readdir(join(dataDir, 'backups'))).toEqual([]);
    expect(await admin.request('backups', {})).toEqual({ backups: [] });
    expect(await refused(admin.request('delete_backup', { name: b.name }))).toBe('NOT_FOUND');
    expect(await refused(admin.request('restore_backup', { name: b.name }))).toBe('NOT_FOUND');
  });

  it('refuses a truncated or foreign file with INVALID_ARGUMENT and changes nothing', async () => {
    const { stack, dataDir, admin } = await durableStack();
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    const b = await admin.request('backup', {});
    const bytes = await readFile(join(dataDir, 'backups', b.name));
    await writeFile(join(dataDir, 'backups', 'truncated.tvsnap'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await writeFile(join(dataDir, 'backups', 'foreign.tvsnap'), Buffer.from('{"not": "a tickverse backup"}\n'));
    await stack.engine.register({ realm_id: 'forest', game_id: 'demo', kind: 'forest' });
    await stack.engine.pause('tavern');
    const before = registry(stack);
    const tick = stack.engine.controlTick;

    for (const name of ['truncated.tvsnap', 'foreign.tvsnap']) {
      const e = await admin.request('restore_backup', { name }).then(
        () => null,
        (err: unknown) => err,
      );
      expect(isTickverseError(e) && [e.code, e.message.includes(name), e.message.includes(dataDir)]).toEqual(['INVALID_ARGUMENT', true, false]);
      expect(registry(stack)).toEqual(before);
    }
    // Still ticking, and the good backup still restores.
    await stack.engine.onControlTick(tick + 2);
    expect(registry(stack)).toEqual(before);
    expect((await admin.request('restore_backup', { name: b.name })).realms).toBe(1);
    expect(registry(stack)).toEqual([['tavern', 'tavern', 'running']]);
  });

  it('answers bad names, missing names, no token and no data directory with their codes', async () => {
    const { stack, admin } = await durableStack();
    for (const bad of ['x.txt', '../secret.tvsnap', 'a/b.tvsnap', '...tvsnap', 'sp ace.tvsnap', `${'a'.repeat(300)}.tvsnap`]) {
      expect([bad, await refused(admin.request('restore_backup', { name: bad }))]).toEqual([bad, 'INVALID_ARGUMENT']);
      expect([bad, await refused(admin.request('delete_backup', { name: bad }))]).toEqual([bad, 'INVALID_ARGUMENT']);
    }
    expect(await refused(admin.request('restore_backup', { name: 'nope.tvsnap' }))).toBe('NOT_FOUND');

    // The shape is checked before the name: not a string is a BAD_REQUEST.
    const raw = await RawClient.open(stack.url);
    expect((await raw.call({ op: 'auth', token: TOKEN })).ok).toBe(true);
    for (const name of [undefined, 7, '', ['a.tvsnap']]) {
      const r = await raw.call({ op: 'delete_backup', ...(name === undefined ? {} : { name }) });
      expect(r.ok === false && r.error.code).toBe('BAD_REQUEST');
    }

    const anon = await client(stack);
    for (const op of ['backup', 'backups', 'restore_backup', 'delete_backup'] as const) {
      expect([op, await refused(anon.request(op, { name: 'x.tvsnap' }))]).toEqual([op, 'UNAUTHORIZED']);
    }

    const memory = await startStack();
    const m = await adminClient(memory);
    expect(await refused(m.request('backup', {}))).toBe('NO_DATA_DIR');
    expect(await refused(m.request('backups', {}))).toBe('NO_DATA_DIR');
    expect(await refused(m.request('restore_backup', { name: 'x.tvsnap' }))).toBe('NO_DATA_DIR');
  });

  it('counts each operation by kind and outcome, with its duration, on /metrics', async () => {
    const { stack, dataDir, admin } = await durableStack();
    await stack.engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
    expect(await metric(stack, 'tickverse_backup_operations_total{kind="create",outcome="ok"}')).toBe(0);

    const b = await admin.request('backup', {});
    await getJson(`${stack.http}/api/backups`, { method: 'POST', headers: bearerHeader });
    await admin.request('restore_backup', { name: b.name });
    await writeFile(join(dataDir, 'backups', 'truncated.tvsnap'), Buffer.from([1, 2, 3]));
    await refused(admin.request('restore_backup', { name: 'truncated.tvsnap' }));
    await admin.request('delete_backup', { name: b.name });
    await refused(admin.request('delete_backup', { name: b.name }));

    const want: [string, number][] = [
      ['tickverse_backup_operations_total{kind="create",outcome="ok"}', 2],
      ['tickverse_backup_operations_total{kind="create",outcome="error"}', 0],
      ['tickverse_backup_operations_total{kind="restore",outcome="ok"}', 1],
      ['tickverse_backup_operations_total{kind="restore",outcome="error"}', 1],
      ['tickverse_backup_operations_total{kind="delete",outcome="ok"}', 1],
      ['tickverse_backup_operations_total{kind="delete",outcome="error"}', 1],
      ['tickverse_backup_duration_seconds_count{kind="create"}', 2],
      ['tickverse_backup_duration_seconds_count{kind="restore"}', 2],
      ['tickverse_backup_duration_seconds_count{kind="delete"}', 2],
    ];
    for (const [line, n] of want) expect([line, await metric(stack, line)]).toEqual([line, n]);
    expect(await metric(stack, 'tickverse_backup_duration_seconds_sum{kind="create"}')).toBeGreaterThan(0);
    // Read from the disk: the HTTP one and the truncated file are left.
    expect(await metric(stack, 'tickverse_backups_stored')).toBe(2);
    const age = await metric(stack, 'tickverse_last_backup_age_seconds');
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThan(60);

    const memory = await startStack();
    expect([await metric(memory, 'tickverse_backups_stored'), await metric(memory, 'tickverse_last_backup_age_seconds')]).toEqual([0, -1]);
  });
});

describe('automatic backups from the environment', () => {
  it('TICKVERSE_BACKUP_EVERY_MS takes backups on a schedule and TICKVERSE_BACKUP_RETAIN keeps the newest few', async () => {
    const dataDir = await tempDir();
    const opts = engineOptionsFromEnv({ TICKVERSE_DATA_DIR: dataDir, TICKVERSE_BACKUP_EVERY_MS: '150', TICKVERSE_BACKUP_RETAIN: '2' });
    expect(opts).toMatchObject({ backupEveryMs: 150, backupRetain: 2 });
    const stack = await startStack({}, opts);
    {
      const { engine } = stack;
      await engine.register({ realm_id: 'tavern', game_id: 'demo', kind: 'tavern' });
      const seen = new Set<string>();
      const dir = join(dataDir, 'backups');
      const files = async (): Promise<string[]> => (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.tvsnap'));
      // Retention prunes right after each backup: at most one more than kept, between the two.
      const now = await until('five scheduled backups, two kept', async () => {
        const f = await files();
        for (const n of f) seen.add(n);
        expect(f.length).toBeLessThanOrEqual(3);
        return seen.size >= 5 && f.length === 2 && f;
      }, 20_000);
      const oldest = [...seen].sort()[0]!;
      expect(now).not.toContain(oldest);
      // The gateway sees scheduled backups on disk: a fresh one, and the kept number.
      const stored = await metric(stack, 'tickverse_backups_stored');
      expect(stored === 2 || stored === 3).toBe(true);
      expect(await metric(stack, 'tickverse_last_backup_age_seconds')).toBeLessThan(5);
    }
  });

  it('refuses a malformed TICKVERSE_BACKUP_RETAIN with INVALID_OPTION', () => {
    let code: unknown;
    try {
      engineOptionsFromEnv({ TICKVERSE_BACKUP_RETAIN: 'many' });
    } catch (e) {
      code = isTickverseError(e) ? e.code : e;
    }
    expect(code).toBe('INVALID_OPTION');
  });
});
