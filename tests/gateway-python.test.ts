// A client in another language: Python with Debian's python3-msgpack and python3-websockets
// registers a game and reads state frames — the wire is standard MessagePack.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOKEN, startStack } from './gateway-helpers.js';

const script = fileURLToPath(new URL('./fixtures/gateway_client.py', import.meta.url));

/** A python3 that can import msgpack and websockets (Debian's /usr/bin/python3 first), or null. */
function findPython(): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    const r = spawnSync(exe, ['-c', 'import msgpack, websockets'], { encoding: 'utf8' });
    if (r.status === 0) return exe;
  }
  return null;
}

const python = findPython();

describe('gateway: a Python client', () => {
  it.skipIf(python === null)('registers a game and receives state frames (python3-msgpack + python3-websockets)', async () => {
    const stack = await startStack();
    await stack.engine.register({ realm_id: 'tav', game_id: 'g', kind: 'tavern' });
    await stack.engine.register({ realm_id: 'world', game_id: 'g', kind: 'stress', params: { entities: 2000, emitEvery: 0, cell: 100 } });
    const out = await new Promise<string>((resolve, reject) => {
      execFile(python!, [script, stack.url, TOKEN, 'tav', 'world'], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`python client failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const r = JSON.parse(out) as Record<string, unknown>;
    expect(r).toMatchObject({
      hello: { v: 2, server: 'tickverse', authed: false },
      unknown_op: 'UNKNOWN_OP',
      denied: 'UNAUTHORIZED',
      authed: true,
      registered: { realmId: 'py-game', gameId: 'python-arcade', developerName: 'Py Dev', kind: 'relay', state: 'running' },
      joined: true,
      input: [true, null],
      snake: { id: 'snake', kind: 'entity', x: 1.5, y: 2, length: 3 },
      npc_frames: 5,
      npc_first_key: true,
      npc_fields: ['x', 'y', 'name', 'mood'],
      npc_seqs_ok: true,
      frame_keys: ['at', 'fields', 'key', 'op', 'realm', 'scale', 'seq', 'spawn', 'tick'],
      world_cells: [[4, 4], [4, 5], [4, 6], [5, 4], [5, 5], [5, 6], [6, 4], [6, 5], [6, 6]],
      world_cell_size: 100,
      world_outside: 0,
      gaps: 0,
      pong_t: 1.25,
    });
    // The Python decoder's NPC picture is the realm's own view (names and moods exact, positions to the hundredth).
    const npc = r.npc_sample as { id: string; name: string; x: number };
    expect(npc).toEqual(expect.objectContaining({ id: expect.any(String), name: expect.any(String), x: expect.any(Number) }));
    expect(r.world_entities as number).toBeGreaterThan(100);
    expect((r.registered as { stat7Canonical: string }).stat7Canonical).toMatch(/^stat7:arcade\/0\/cluster_py\//);
    expect(r.npc_entities as number).toBeGreaterThan(3);
  });

  it.runIf(python === null)('is skipped: install Debian packages python3-msgpack and python3-websockets', () => {
    console.warn('SKIPPED Python client test: no python3 with msgpack and websockets (apt-get install python3-msgpack python3-websockets)');
  });
});
