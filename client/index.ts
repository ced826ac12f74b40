// Browser-safe entry: no Node-only imports (NodeWebSocket lives in ./node-ws.js).
export { TickverseClient, type ClientOptions, type ClientState, type CloseInfo } from './client.js';
export { RealmView, type ApplyResult } from './realm-view.js';
export { Backoff, type BackoffOptions } from './backoff.js';
export { encode, decode } from './codec.js';
export type { WebSocketCtor, WebSocketLike } from './websocket.js';
export type { Transport } from './sse-transport.js';
export { ErrorCode, TickverseError, isTickverseError } from '../protocol/errors.js';
export { CloseCode, Op, Push, Topic, WIRE_VERSION, WS_PATH } from '../protocol/wire.js';
export type * from '../protocol/wire.js';
export type { EntityView, RealmInfo, RealmRegistration, StateFrame } from '../protocol/realm.js';
