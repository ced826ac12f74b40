// The package's main entry (`import … from 'tickverse'`): the engine, its types, and the realm
// contract a kind module implements. It only re-exports; the SDK is 'tickverse/client' and
// the gateway 'tickverse/gateway' (docs/package.md).
export * from './engine/index.js';
export { defineKind } from './workers/realm.js';
export type * from './workers/realm.js';
export type * from './workers/define-kind.js';
