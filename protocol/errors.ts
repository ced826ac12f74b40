// Every error the engine, gateway and client can report, with its stable code.
// docs/errors.md lists the same codes; tests/errors-doc.test.ts keeps the two in sync.
export const ErrorCode = {
  INVALID_OPTION: 'INVALID_OPTION',
  INVALID_ARGUMENT: 'INVALID_ARGUMENT',
  INVALID_COORDINATE: 'INVALID_COORDINATE',
  INVALID_SELECTOR: 'INVALID_SELECTOR',
  DUPLICATE_REALM: 'DUPLICATE_REALM',
  UNKNOWN_REALM: 'UNKNOWN_REALM',
  UNKNOWN_KIND: 'UNKNOWN_KIND',
  REALM_NOT_RUNNING: 'REALM_NOT_RUNNING',
  REALM_LIMIT: 'REALM_LIMIT',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  ENGINE_NOT_RUNNING: 'ENGINE_NOT_RUNNING',
  ENGINE_STOPPED: 'ENGINE_STOPPED',
  TIMEOUT: 'TIMEOUT',
  SHARD_FAILED: 'SHARD_FAILED',
  REALM_CRASHED: 'REALM_CRASHED',
  HASH_COLLISION: 'HASH_COLLISION',
  REALM_QUARANTINED: 'REALM_QUARANTINED',
  REALM_STATE_LIMIT: 'REALM_STATE_LIMIT',
  TRANSFER_UNSUPPORTED: 'TRANSFER_UNSUPPORTED',
  NO_DATA_DIR: 'NO_DATA_DIR',
  RELOAD_FAILED: 'RELOAD_FAILED',
  // Scale-out (docs/scale-out.md)
  REALM_ELSEWHERE: 'REALM_ELSEWHERE',
  NODE_UNAVAILABLE: 'NODE_UNAVAILABLE',
  // Gateway / wire
  BAD_FRAME: 'BAD_FRAME',
  BAD_REQUEST: 'BAD_REQUEST',
  UNKNOWN_OP: 'UNKNOWN_OP',
  UNAUTHORIZED: 'UNAUTHORIZED',
  RATE_LIMITED: 'RATE_LIMITED',
  NOT_FOUND: 'NOT_FOUND',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  PLAYER_LIMIT: 'PLAYER_LIMIT',
  CONNECTION_LIMIT: 'CONNECTION_LIMIT',
  PLAYER_CONNECTION_LIMIT: 'PLAYER_CONNECTION_LIMIT',
  FORBIDDEN: 'FORBIDDEN',
  INTERNAL: 'INTERNAL',
  // Client SDK
  DISCONNECTED: 'DISCONNECTED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class TickverseError extends Error {
  readonly code: ErrorCode;
  readonly detail: Readonly<Record<string, unknown>> | undefined;
  constructor(code: ErrorCode, message: string, detail?: Record<string, unknown>) {
    super(message);
    this.name = 'TickverseError';
    this.code = code;
    this.detail = detail;
  }
}

export function isTickverseError(e: unknown): e is TickverseError {
  return e instanceof TickverseError;
}
