// @ts-nocheck
// Built-in realm kinds, by name.
import type { RealmKind } from '../realm.js';
import tavern from './tavern.js';
import forest from './forest.js';
import stress from './stress.js';
import relay from './relay.js';

export const builtinKinds: ReadonlyMap<string, RealmKind<unknown>> = new Map<string, RealmKind<unknown>>(
  [tavern, forest, stress, relay].map((k) => [k.name, k as RealmKind<unknown>]),
);
