// @ts-nocheck
// Shards run compiled JavaScript: from dist/ the entry sits beside us; when this module is
// loaded from TypeScript sources (vitest), point at the build that `npm test` makes first.
const here = import.meta.url;
export const shardEntryUrl: URL = here.endsWith('.ts')
  ? new URL('../dist/workers/shard-entry.js', here)
  : new URL('../workers/shard-entry.js', here);
