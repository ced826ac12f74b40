// The actions of the orchestrator this engine replaces (docs/migration.md), as JSON text
// frames `{"action": …}`: each becomes one of our ops, run with the same access checks, and
// its reply is given in the orchestrator's shape. The orchestrator's `game_id` is the unique
// key, so it is our realm id (and game id); its `realm_id` is a display name.
import { randomUUID } from 'node:crypto';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { RealmInfo, RealmRegistration } from '../protocol/realm.js';
import { resonanceOf } from '../protocol/resonance.js';
import { WS_PATH, type WireRequest } from '../protocol/wire.js';
import type { Conn } from './connection.js';
import { toWireError, type GatewayContext } from './context.js';
import { runOp } from './ws-ops.js';

export const ACTIONS = ['register_game', 'list_games', 'unregister_game', 'publish_event'] as const;
type Action = (typeof ACTIONS)[number];
type Msg = Record<string, unknown>;

const str = (m: Msg, k: string): string | undefined => (typeof m[k] === 'string' ? (m[k] as string) : undefined);

function need(m: Msg, k: string): string {
  const v = str(m, k);
  if (v === undefined || v === '') throw new TickverseError(ErrorCode.BAD_REQUEST, `"${k}" must be a non-empty string`, { field: k });
  return v;
}

/** register_game's fields → our registration (docs/migration.md has the table). */
export function registrationOf(m: Msg): RealmRegistration {
  const gameId = need(m, 'game_id');
  const res = resonanceOf(str(m, 'resonance') ?? 'default');
  const density = typeof m.density === 'number' && Number.isInteger(m.density) ? Math.min(7, Math.max(0, m.density)) : 0;
  const realmType = str(m, 'realm_type');
  return {
    realm_id: gameId,
    game_id: gameId,
    display_name: str(m, 'realm_id') ?? '',
    developer_name: str(m, 'developer_name') ?? '',
    description: str(m, 'description') ?? '',
    ...(realmType !== undefined ? { realm_type: realmType } : {}),
    ...(str(m, 'adjacency') !== undefined ? { adjacency: str(m, 'adjacency') } : {}),
    stat7: { polarity: res.polarity, luminosity: res.luminosity, dimensionality: density },
    ...(str(m, 'kind') !== undefined ? { kind: str(m, 'kind') } : {}),
  };
}

/** One realm as the orchestrator's list_games described a game. */
export function gameOf(r: RealmInfo): Msg {
  return {
    game_id: r.realmId,
    realm_id: r.displayName || r.realmId,
    developer_name: r.developerName,
    description: r.description,
    registered_at_control_tick: r.registeredAtControlTick,
    realm_coordinate: {
      realm_id: r.displayName || r.realmId,
      realm_type: r.stat7.realm,
      adjacency: r.stat7.adjacency,
      resonance: { polarity: r.stat7.polarity, luminosity: r.stat7.luminosity },
      density: r.stat7.dimensionality,
    },
    stat7: r.stat7Canonical,
    kind: r.kind,
    state: r.state,
    stats: { events_sent: r.eventsOut, events_received: r.eventsIn },
  };
}

/** publish_event → an emit by the source realm (a relay: the event comes from it), else an external publish (admin). */
function publishRequest(ctx: GatewayContext, m: Msg, id: string): WireRequest {
  const source = need(m, 'source_game_id');
  const type = need(m, 'event_type');
  const target = m.target_game_id === null || m.target_game_id === undefined ? undefined : need(m, 'target_game_id');
  const src = ctx.engine.get(source); // NOT_FOUND when the source is not registered
  if (target !== undefined) ctx.engine.get(target);
  const data = m.data ?? null;
  if (src.kind === 'relay') {
    return { op: 'input', id, realm: source, player: `game:${src.gameId}`, data: { emit: { type, data, ...(target !== undefined ? { to: target } : {}) } } } as WireRequest;
  }
  return { op: 'publish', id, type, data, ...(target !== undefined ? { to: target } : {}) } as WireRequest;
}

async function run(ctx: GatewayContext, conn: Conn, action: Action, m: Msg): Promise<Msg> {
  const id = `action:${action}`;
  switch (action) {
    case 'register_game': {
      const info = (await runOp(ctx, conn, { op: 'register', id, realm: registrationOf(m) } as WireRequest)) as RealmInfo & { gameToken: string };
      const origin = ctx.opts.publicOrigin;
      return {
        status: 'registered',
        game_id: info.realmId,
        realm_coordinate: info.stat7Canonical,
        ws_endpoint: origin === null ? WS_PATH : `${origin.replace(/^http/, 'ws')}${WS_PATH}`,
        game_token: info.gameToken,
      };
    }
    case 'list_games': {
      const r = (await runOp(ctx, conn, { op: 'list', id } as WireRequest)) as { realms: RealmInfo[] };
      return { event_type: 'game_list', games: r.realms.map(gameOf) };
    }
    case 'unregister_game': {
      const gameId = need(m, 'game_id');
      await runOp(ctx, conn, { op: 'unregister', id, realm: gameId } as WireRequest);
      return { status: 'unregistered', game_id: gameId };
    }
    case 'publish_event': {
      const req = publishRequest(ctx, m, id);
      const r = (await runOp(ctx, conn, req)) as { controlTick?: number; seq?: number } | null;
      return {
        status: 'published',
        event_id: randomUUID(),
        source_game_id: m.source_game_id,
        target_game_id: m.target_game_id ?? null,
        ...(r !== null && r.controlTick !== undefined ? { control_tick: r.controlTick } : {}),
      };
    }
  }
}

/** Runs one `{"action": …}` message; the reply is always an object (errors as {status: "error", code, error}). */
export async function runAction(ctx: GatewayContext, conn: Conn, m: Msg): Promise<Msg> {
  const action = m.action as string;
  try {
    if (!(ACTIONS as readonly string[]).includes(action)) {
      throw new TickverseError(ErrorCode.UNKNOWN_OP, `unknown action ${JSON.stringify(action).slice(0, 80)}; known: ${ACTIONS.join(', ')}`);
    }
    return { action, ...(await run(ctx, conn, action as Action, m)) };
  } catch (e) {
    const w = toWireError(e);
    return { action, status: 'error', code: w.code, error: w.message };
  }
}
