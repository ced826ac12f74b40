// uWS HTTP plumbing: abort-safe async handlers, bounded JSON bodies, JSON error replies
// with the documented codes and HTTP statuses.
import type { HttpRequest, HttpResponse } from 'uWebSockets.js';
import { ErrorCode, TickverseError, type ErrorCode as Code } from '../protocol/errors.js';
import { toWireError, type GatewayContext } from './context.js';
import { bump } from './stats.js';

const STATUS: Partial<Record<Code, string>> = {
  UNAUTHORIZED: '401 Unauthorized',
  NOT_FOUND: '404 Not Found',
  UNKNOWN_REALM: '404 Not Found',
  DUPLICATE_REALM: '409 Conflict',
  REALM_NOT_RUNNING: '409 Conflict',
  REALM_LIMIT: '409 Conflict',
  HASH_COLLISION: '409 Conflict',
  REALM_QUARANTINED: '409 Conflict',
  NO_DATA_DIR: '409 Conflict',
  REALM_STATE_LIMIT: '413 Payload Too Large',
  PAYLOAD_TOO_LARGE: '413 Payload Too Large',
  RATE_LIMITED: '429 Too Many Requests',
  CONNECTION_LIMIT: '429 Too Many Requests',
  PLAYER_CONNECTION_LIMIT: '429 Too Many Requests',
  FORBIDDEN: '403 Forbidden',
  PLAYER_LIMIT: '409 Conflict',
  ENGINE_NOT_RUNNING: '503 Service Unavailable',
  ENGINE_STOPPED: '503 Service Unavailable',
  SHARD_FAILED: '503 Service Unavailable',
  NODE_UNAVAILABLE: '503 Service Unavailable',
  REALM_ELSEWHERE: '421 Misdirected Request',
  TIMEOUT: '504 Gateway Timeout',
  INTERNAL: '500 Internal Server Error',
};

/** HTTP status line for an error code; anything not listed is the caller's mistake (400). */
export function httpStatus(code: Code): string {
  return STATUS[code] ?? '400 Bad Request';
}

export interface Reply {
  status: string;
  type: string;
  body: string | Uint8Array;
  headers?: Record<string, string>;
}

export const json = (value: unknown, status = '200 OK'): Reply => ({ status, type: 'application/json; charset=utf-8', body: JSON.stringify(value) });

/** What a handler may read after its first await (uWS's HttpRequest is only valid synchronously). */
export interface RequestInfo {
  method: string;
  url: string;
  query: string;
  params: string[];
  authorization: string;
  contentType: string;
  contentLength: number;
  /** Why the request's framing is ambiguous (conflicting Content-Length, or with Transfer-Encoding), or null. */
  framing: string | null;
}

/** Several Content-Length headers that disagree, a malformed one, or one beside Transfer-Encoding: a proxy may frame the body differently (request smuggling). */
function framingProblem(req: HttpRequest): string | null {
  const lengths: string[] = [];
  let chunked = false;
  req.forEach((k, v) => {
    if (k === 'content-length') lengths.push(...v.split(',').map((x) => x.trim()));
    else if (k === 'transfer-encoding') chunked = true;
  });
  if (lengths.length === 0) return null;
  if (lengths.some((l) => !/^\d{1,15}$/.test(l))) return 'malformed Content-Length header';
  if (new Set(lengths.map(Number)).size > 1) return 'conflicting Content-Length headers';
  if (chunked) return 'both Content-Length and Transfer-Encoding';
  return null;
}

export function requestInfo(req: HttpRequest, paramCount: number): RequestInfo {
  const params: string[] = [];
  for (let i = 0; i < paramCount; i++) params.push(req.getParameter(i) ?? '');
  return {
    method: req.getMethod(),
    url: req.getUrl(),
    query: req.getQuery() ?? '',
    params,
    authorization: req.getHeader('authorization'),
    contentType: req.getHeader('content-type'),
    contentLength: Number(req.getHeader('content-length') || '0'),
    framing: framingProblem(req),
  };
}

export type Handler = (info: RequestInfo, body: () => Promise<unknown>) => Reply | Promise<Reply>;

function write(ctx: GatewayContext, res: HttpResponse, reply: Reply, closeConnection = false): void {
  bump(ctx.stats.http, reply.status.slice(0, 3));
  res.cork(() => {
    res.writeStatus(reply.status);
    res.writeHeader('content-type', reply.type);
    res.writeHeader('cache-control', 'no-store');
    res.writeHeader('x-content-type-options', 'nosniff');
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.writeHeader(k, v);
    res.end(reply.body, closeConnection);
  });
}

export function errorReply(ctx: GatewayContext, e: unknown): Reply {
  const w = toWireError(e);
  bump(ctx.stats.errors, w.code);
  if (w.internal) ctx.opts.logger.error({ error: (e as Error)?.stack ?? String(e) }, 'http request crashed');
  return json({ error: { code: w.code, message: w.message, ...(w.detail !== undefined ? { detail: w.detail } : {}) } }, httpStatus(w.code));
}

/** Wraps an async handler: abort-safe, errors as JSON, bodies read at most once and bounded. */
export function route(ctx: GatewayContext, paramCount: number, handler: Handler): (res: HttpResponse, req: HttpRequest) => void {
  return (res, req) => {
    const info = requestInfo(req, paramCount);
    let aborted = false;
    res.onAborted(() => {
      aborted = true;
    });
    if (info.framing !== null) {
      // Refused before reading anything; the connection is closed, since where this request ends is unclear.
      write(ctx, res, errorReply(ctx, new TickverseError(ErrorCode.BAD_REQUEST, info.framing)), true);
      return;
    }
    let bodyPromise: Promise<Uint8Array> | null = null;
    let tooLarge = false;
    const max = ctx.opts.maxHttpBodyBytes;
    if (info.method === 'post' || info.method === 'put' || info.method === 'patch' || info.method === 'delete') {
      // onData must be attached synchronously; the body is collected (bounded) whether or not it is used.
      bodyPromise = new Promise<Uint8Array>((resolve, reject) => {
        if (info.contentLength > max) {
          tooLarge = true;
          reject(new TickverseError(ErrorCode.PAYLOAD_TOO_LARGE, `request body is ${info.contentLength} bytes; the limit is ${max}`));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.onData((chunk, isLast) => {
          if (tooLarge) return;
          size += chunk.byteLength;
          if (size > max) {
            tooLarge = true;
            reject(new TickverseError(ErrorCode.PAYLOAD_TOO_LARGE, `request body exceeds ${max} bytes`));
            return;
          }
          chunks.push(Buffer.from(chunk.slice(0)));
          if (isLast) resolve(Buffer.concat(chunks));
        });
      });
      bodyPromise.catch(() => {});
    }
    const body = async (): Promise<unknown> => {
      if (bodyPromise === null) return undefined;
      const bytes = await bodyPromise;
      if (bytes.length === 0) return undefined;
      if (info.contentType !== '' && !/^application\/json\b/i.test(info.contentType)) {
        throw new TickverseError(ErrorCode.BAD_REQUEST, `request body must be application/json; received ${info.contentType}`);
      }
      try {
        return JSON.parse(Buffer.from(bytes).toString('utf8')) as unknown;
      } catch (e) {
        throw new TickverseError(ErrorCode.BAD_REQUEST, `request body is not valid JSON: ${(e as Error).message}`);
      }
    };
    let result: Reply | Promise<Reply>;
    try {
      result = handler(info, body);
    } catch (e) {
      result = errorReply(ctx, e);
    }
    Promise.resolve(result)
      .catch((e: unknown) => errorReply(ctx, e))
      .then((reply) => {
        if (!aborted) write(ctx, res, reply, tooLarge);
      });
  };
}

/** Decodes a path parameter; malformed escapes are a NOT_FOUND (no such resource). */
export function param(info: RequestInfo, i: number): string {
  try {
    return decodeURIComponent(info.params[i] ?? '');
  } catch {
    throw new TickverseError(ErrorCode.NOT_FOUND, 'malformed path');
  }
}
