// @ts-nocheck
// Every rejected call names its documented error code, and the engine keeps running.
import { describe, expect, it } from 'vitest';
import { Engine, ErrorCode } from '../engine/index.js';
import { startEngine } from './helpers.js';

const code = (c: string) => expect.objectContaining({ code: c });

describe('bad input', () => {
  it.each([
    [{ shards: 0 }, 'shards'],
    [{ shards: 1.5 }, 'shards'],
    [{ mode: 'fast' }, 'mode'],
    [{ tickHz: -1 }, 'tickHz'],
    [{ ringBytes: 3000 }, 'ringBytes'],
    [{ kindModules: ['./x.js'] }, 'kindModules'],
    [{ bogus: 1 }, 'bogus'],
  ])('rejects option %j with INVALID_OPTION naming %s', (opts, name) => {
    expect(() => new Engine(opts as never)).toThrow(expect.objectContaining({ code: ErrorCode.INVALID_OPTION, message: expect.stringContaining(name) }));
  });

  it('rejects bad registrations, unknown realms and bad events, then keeps ticking', async () => {
    const engine = await startEngine({ shards: 2, mode: 'realtime', tickHz: 50, ticksPerControl: 2 });
    await engine.register({ realm_id: 'ok', game_id: 'g', kind: 'tavern' });
    await expect(engine.register({ realm_id: 'ok', game_id: 'g' })).rejects.toThrow(code(ErrorCode.DUPLICATE_REALM));
    await expect(engine.register({ realm_id: '', game_id: 'g' })).rejects.toThrow(code(ErrorCode.INVALID_ARGUMENT));
    await expect(engine.register({ realm_id: 'x y', game_id: 'g' })).rejects.toThrow(code(ErrorCode.INVALID_ARGUMENT));
    await expect(engine.register({ realm_id: 'x', game_id: 'g', stat7: { horizon: 'NOON' as never } })).rejects.toThrow(code(ErrorCode.INVALID_COORDINATE));
    await expect(engine.register({ realm_id: 'x', game_id: 'g', density: 3 })).rejects.toThrow(code(ErrorCode.INVALID_COORDINATE));
    await expect(engine.register({ realm_id: 'x', game_id: 'g', kind: 'dragon' })).rejects.toThrow(code(ErrorCode.UNKNOWN_KIND));
    expect(() => engine.get('x')).toThrow(code(ErrorCode.UNKNOWN_REALM));
    await expect(engine.unregister('nope')).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
    await expect(engine.entities('nope')).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
    await expect(engine.pause('nope')).rejects.toThrow(code(ErrorCode.UNKNOWN_REALM));
    expect(() => engine.publish({ type: 'e', to: 'nope' })).toThrow(code(ErrorCode.UNKNOWN_REALM));
    expect(() => engine.publish({ type: '' })).toThrow(code(ErrorCode.INVALID_ARGUMENT));
    expect(() => engine.publish({ type: 'e', selector: { colour: 'red' } as never })).toThrow(code(ErrorCode.INVALID_SELECTOR));
    expect(() => engine.publish({ type: 'e', data: 'x'.repeat(70_000) })).toThrow(code(ErrorCode.PAYLOAD_TOO_LARGE));
    expect(() => engine.input('nope', 'p', {})).toThrow(code(ErrorCode.UNKNOWN_REALM));
    expect(() => engine.input('ok', '', {})).toThrow(code(ErrorCode.INVALID_ARGUMENT));
    const before = engine.get('ok').localTick;
    const t = engine.controlTick;
    await engine.onControlTick(t + 2);
    expect(engine.get('ok').state).toBe('running');
    expect(engine.get('ok').localTick).toBeGreaterThan(before);
    expect(engine.list().map((r) => r.realmId)).toEqual(['ok']);
  });

  it('refuses calls before start and after stop with stable codes', async () => {
    const engine = new Engine({ shards: 1 });
    await expect(engine.register({ realm_id: 'a', game_id: 'g' })).rejects.toThrow(code(ErrorCode.ENGINE_NOT_RUNNING));
    await engine.start();
    await engine.stop();
    expect(() => engine.publish({ type: 'x' })).toThrow(code(ErrorCode.ENGINE_NOT_RUNNING));
    await expect(engine.start()).rejects.toThrow(code(ErrorCode.ENGINE_STOPPED));
  });

  it('isolates a realm that throws: it goes to error, its shard and neighbours keep ticking', async () => {
    const engine = await startEngine({ shards: 1, mode: 'max' });
    await engine.register({ realm_id: 'calm', game_id: 'g', kind: 'tavern' });
    await engine.register({ realm_id: 'relay', game_id: 'g' });
    // The relay kind validates its emit input; an invalid selector throws inside realm code.
    engine.input('relay', 'p', { emit: { type: 'x', selector: { colour: 'red' } } });
    const t = engine.controlTick;
    await engine.onControlTick(t + 3);
    expect(engine.get('relay').state).toBe('error');
    expect(engine.get('relay').error).toContain('colour');
    const calm = engine.get('calm').localTick;
    await engine.onControlTick(engine.controlTick + 2);
    expect(engine.get('calm').localTick).toBeGreaterThan(calm);
    expect(engine.get('calm').state).toBe('running');
  });
});
