// @ts-nocheck
// Fixed binary layouts for what a shard reports every round, read by the engine without
// decoding: the ROUND_END body (shard totals) and a per-shard table of per-realm counters
// that the engine reads only when someone asks (list(), get()), never per control tick.

/** Float64 fields of the ROUND_END body (aux = round). */
export const RoundEnd = {
  BUSY_MS: 0,
  LOCAL_TICKS: 1,
  ENTITY_UPDATES: 2,
  STATE_DROPPED: 3,
  BACKLOG: 4,
  /** Times the shard saw the barrier released past its round before it arrived (must stay 0). */
  VIOLATIONS: 5,
  REALMS: 6,
  ENTITIES: 7,
  /** 1 when the realms' state hashes were written to the stats table this round. */
  HASHED: 8,
  FIELDS: 9,
} as const;
export const ROUND_END_BYTES = RoundEnd.FIELDS * 8;

/** Float64 fields of one realm's row in its shard's stats table. A row has two halves, written in
 *  alternate rounds (`rowOffset`), so the engine reads the half of the last closed control tick
 *  while the shard writes the next one: what it reads is consistent with that tick. */
export const RealmRow = {
  /** slot + 1 of the realm that owns the row (0 = free), so a stale row is never misread. */
  OWNER: 0,
  LOCAL_TICK: 1,
  ENTITIES: 2,
  EVENTS_IN: 3,
  EVENTS_OUT: 4,
  DROPPED: 5,
  /** Last state hash, -1 = never hashed. */
  HASH: 6,
  /** Encoded size of the realm's state when last measured (after inputs grew it, and at snapshots), -1 = not yet. */
  STATE_BYTES: 7,
  FIELDS: 8,
} as const;
export const ROW_BYTES = 2 * RealmRow.FIELDS * 8;

/** Float64 index of `row`'s half for `round`. */
export function rowOffset(row: number, round: number): number {
  return (row * 2 + (round & 1)) * RealmRow.FIELDS;
}
/** Rows a table starts with; the engine grows it (growable SharedArrayBuffer) as realms arrive. */
export const INITIAL_ROWS = 256;

export function createStatsTable(maxRows: number): SharedArrayBuffer {
  return new SharedArrayBuffer(Math.min(INITIAL_ROWS, maxRows) * ROW_BYTES, { maxByteLength: maxRows * ROW_BYTES });
}

/** Makes room for `row` (engine side, before the ADD_REALM that uses it is written). */
export function ensureRow(sab: SharedArrayBuffer, row: number): void {
  const need = (row + 1) * ROW_BYTES;
  if (need <= sab.byteLength) return;
  sab.grow(Math.min(sab.maxByteLength, Math.max(need, sab.byteLength * 2)));
}
