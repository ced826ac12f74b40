// @ts-nocheck
// What the engine hands a shard when it starts (piscina's task argument): shared memory and fixed settings.
export interface ShardInit {
  shard: number;
  shards: number;
  barrier: SharedArrayBuffer;
  inRing: SharedArrayBuffer;
  outRing: SharedArrayBuffer;
  /** Per-realm counters (stats-table.ts); the same buffer across the shard's incarnations. */
  stats: SharedArrayBuffer;
  mode: 'realtime' | 'max';
  tickHz: number;
  ticksPerControl: number;
  hashEvery: number;
  /** A realm whose encoded state grows past this is failed (REALM_STATE_LIMIT); its last good snapshot stays. */
  maxRealmStateBytes: number;
  spin: number;
  kindModules: string[];
  /** Rounds already completed by the engine before this shard started (restarts). */
  startRound: number;
  /** This thread's incarnation of the shard; it stops if the engine has moved on to a newer one. */
  generation: number;
}

export interface ShardExit {
  shard: number;
  rounds: number;
  reason: 'stop';
}
