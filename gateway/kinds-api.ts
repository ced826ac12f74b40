// Operators' kind reload route: POST /api/kinds/reload {"module": path | file: URL | package}
// (admin token) replaces a realm kind's code at run time, keeping every realm's state
// (engine.reloadKind, docs/realm-kinds.md#hot-reload). The module is resolved on the server:
// the admin token can load code from its file system, by design.
import type { TemplatedApp } from 'uWebSockets.js';
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import type { GatewayContext } from './context.js';
import { json, route, type RequestInfo } from './http-util.js';
import { isRecord } from './requests.js';

/** The longest module spec accepted (a path or URL). */
const MAX_MODULE = 4096;

export function mountKinds(app: TemplatedApp, ctx: GatewayContext, admin: (info: RequestInfo) => void): void {
  app.post(
    '/api/kinds/reload',
    route(ctx, 0, async (info, body) => {
      admin(info);
      const b = await body();
      if (!isRecord(b) || typeof b.module !== 'string' || b.module.length === 0 || b.module.length > MAX_MODULE) {
        throw new TickverseError(ErrorCode.BAD_REQUEST, `body must be {"module": string} (a kind module's path on the server, file: URL or package name, 1-${MAX_MODULE} characters)`);
      }
      const r = await ctx.engine.reloadKind(b.module); // the engine logs it
      return json({ kind: r.kind, realms: r.realms, controlTick: r.controlTick });
    }),
  );
}
