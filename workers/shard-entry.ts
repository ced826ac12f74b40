// piscina task: one long-running call per shard. piscina owns the thread's lifecycle
// (spawn, resource limits, replacement); ticks never go through piscina's task queue.
import { builtinKinds } from './kinds/index.js';
import type { RealmKind } from './realm.js';
import type { ShardExit, ShardInit } from '../protocol/shard-init.js';
import { ShardRuntime } from './shard-runtime.js';

export default async function runShard(init: ShardInit): Promise<ShardExit> {
  const kinds = new Map(builtinKinds);
  for (const url of init.kindModules) {
    const kind = ((await import(url)) as { default?: Partial<RealmKind<unknown>> }).default;
    if (typeof kind !== 'object' || kind === null || typeof kind.name !== 'string' || typeof kind.create !== 'function' || typeof kind.view !== 'function') {
      throw new TypeError(`kind module ${url} does not export a realm kind (export default defineKind({ name, create, view }))`);
    }
    kinds.set(kind.name, kind as RealmKind<unknown>);
  }
  const rounds = new ShardRuntime(init, kinds).run();
  return { shard: init.shard, rounds, reason: 'stop' };
}
