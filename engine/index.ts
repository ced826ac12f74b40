export { Engine } from './engine.js';
export { replayTo } from './time-travel.js';
export type * from './types.js';
export { ErrorCode, TickverseError, isTickverseError } from '../protocol/errors.js';
export type { RealmInfo, RealmRegistration, RealmState, EntityView, StateFrame } from '../protocol/realm.js';
export { canonicalStat7, stat7Hash, toStat7, matchesSelector, toSelector } from '../protocol/stat7.js';
export type { Stat7, Stat7Selector } from '../protocol/stat7.js';
