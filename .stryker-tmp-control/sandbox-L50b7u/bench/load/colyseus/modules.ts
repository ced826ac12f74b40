// @ts-nocheck
// Colyseus server modules, loaded through require (their CommonJS builds). The ESM build of
// @colyseus/ws-transport 0.16.1 does `import WebSocket from "ws"` and then `new WebSocket.Server`,
// which the ws 8 ESM wrapper does not provide ("WebSocket.Server is not a constructor"); and
// core, transport and schema must be one instance each (Room checks schema's symbols), so all
// three come from CommonJS. Types still come from the packages' declarations.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const core = require('@colyseus/core') as typeof import('@colyseus/core');
/** @colyseus/ws-transport's package.json exports no types; this is the part used here. */
interface WsTransportModule {
  WebSocketTransport: new (options?: { pingInterval?: number; pingMaxRetries?: number; maxPayload?: number }) => import('@colyseus/core').Transport;
}
export const wsTransport = require('@colyseus/ws-transport') as WsTransportModule;
export const colyseusSchema = require('@colyseus/schema') as typeof import('@colyseus/schema');
