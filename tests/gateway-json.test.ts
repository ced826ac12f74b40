// JSON text mode and the orchestrator's actions, from a client that has JSON only: Python's
// json + websockets (no msgpack), against a real server on port 0.
import { execFile, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { TOKEN, startStack } from './gateway-helpers.js';
import { resonanceOf } from '../protocol/resonance.js';

const script = fileURLToPath(new URL('./fixtures/json_client.py', import.meta.url));

function findPython(): string | null {
  for (const exe of ['/usr/bin/python3', 'python3']) {
    if (spawnSync(exe, ['-c', 'import websockets'], { encoding: 'utf8' }).status === 0) return exe;
  }
  return null;
}
const python = findPython();

describe('gateway: JSON text frames and the orchestrator actions', () => {
  it.skipIf(python === null)('a JSON-only client registers, publishes, joins and streams', async () => {
    const stack = await startStack();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(python!, [script, stack.url, TOKEN], { timeout: 60_000 }, (err, stdout, stderr) => {
        if (err !== null) reject(new Error(`json client failed: ${err.message}\n${stderr}`));
        else resolve(stdout);
      });
    });
    const r = JSON.parse(out) as Record<string, unknown>;
    const adventure = resonanceOf('adventure');
    expect(r).toMatchObject({
      hello: { op: 'hello', v: 2, server: 'tickverse', authed: false },
      malformed: 'BAD_FRAME',
      register_denied: 'UNAUTHORIZED',
      auth: true,
      register_game: { status: 'registered', game_id: 'my_game' },
      list_event_type: 'game_list',
    duplicate: 'DUPLICATE_REALM',
    unknown_action: 'UNKNOWN_OP',
      games: [['game_2', 'Second Realm'], ['my_game', 'My Realm']],
      subscribed: ['event:*', 'to:game_2'],
      publish_event: 'published',
      event: { type: 'player_action', from: 'my_game', data: { move: 'north' }, to: ['game_2'] },
      broadcast: { headline: 'hi' },
      missing_source: 'UNKNOWN_REALM',
      joined: true,
      input_ok: true,
      hero_spawned: true,
      unregister_game: { action: 'unregister_game', status: 'unregistered', game_id: 'my_game' },
      bad_op: 'UNKNOWN_OP',
    });
    expect(r.game_token_len as number).toBeGreaterThan(20);
    expect(Array.isArray(r.keyframe_fields)).toBe(true); // an empty relay: a keyframe with no fields yet
    // The genre word landed in STAT7 as the migration table says.
    const info = stack.engine.get('game_2');
    expect(info.displayName).toBe('Second Realm');
    expect(info.stat7).toMatchObject(resonanceOf('social'));
    expect((r.register_game as { realm_coordinate: string }).realm_coordinate).toContain(adventure.polarity);
    expect(() => stack.engine.get('my_game')).toThrow();
  });

  it('maps genre words deterministically: the table first, any other word by its hash', () => {
    expect(resonanceOf('social')).toEqual({ polarity: 'BALANCE', luminosity: 0.7 });
    expect(resonanceOf(' Adventure ')).toEqual(resonanceOf('adventure'));
    const a = resonanceOf('steampunk');
    expect(resonanceOf('steampunk')).toEqual(a);
    expect(a.luminosity).toBeGreaterThanOrEqual(0);
    expect(a.luminosity).toBeLessThanOrEqual(1);
    const seen = new Set(['cyber', 'noir', 'racing', 'farming', 'space', 'pirate', 'cozy', 'sports'].map((w) => resonanceOf(w).polarity));
    expect(seen.size).toBeGreaterThan(1);
  });
});
