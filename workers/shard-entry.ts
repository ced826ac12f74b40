// piscina task: one long-running call per shard. piscina owns the thread's lifecycle
// (spawn, resource limits, replacement); ticks never go through piscina's task queue.
import { builtinKinds } from './kinds/index.js';
import type { RealmKind } from './realm.js';
import type { ShardExit, ShardInit } from '../protocol/shard-init.js';
import type { ReloadChannelInit } from '../protocol/shard-messages.js';
import { ShardRuntime } from './shard-runtime.js';

/** Imports a kind module and checks its default export. A reload imports a new URL (`?v=N`): ESM has no unload. */
export async function loadKind(url: string): Promise<RealmKind<unknown>> {
  const kind = ((await import(url)) as { default?: Partial<RealmKind<unknown>> }).default;
  if (typeof kind !== 'object' || kind === null || typeof kind.name !== 'string' || typeof kind.create !== 'function' || typeof kind.view !== 'function') {
    throw new TypeError(`kind module ${url} does not export a realm kind (export default defineKind({ name, create, view }))`);
  }
  return kind as RealmKind<unknown>;
}

export default async function runShard(init: ShardInit & Partial<ReloadChannelInit>): Promise<ShardExit> {
  const kinds = new Map(builtinKinds);
  const urls = new Map<string, string>();
  for (const url of init.kindModules) {
    const kind = await loadKind(url);
    kinds.set(kind.name, kind);
    urls.set(kind.name, url);
  }
  const reload = init.reload === undefined ? null : { port: init.reload.port, flag: new Int32Array(init.reload.flag), urls, load: loadKind };
  const rounds = await new ShardRuntime(init, kinds, reload).run();
  return { shard: init.shard, rounds, reason: 'stop' };
}
