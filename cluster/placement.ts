// Where a new realm goes (docs/scale-out.md § Placement): the live node owning the fewest
// realms in the directory, ties to the smallest node id. The directory is the load measure
// because every node sees a claim within one watch round-trip, so registrations arriving one
// after another spread out even between heartbeats.
import type { NodeRecord } from '../protocol/cluster.js';

export function chooseNode(alive: readonly NodeRecord[], owned: ReadonlyMap<string, number>): string | null {
  let best: string | null = null;
  let bestLoad = Infinity;
  for (const n of alive) {
    const load = owned.get(n.node) ?? 0;
    if (load < bestLoad || (load === bestLoad && best !== null && n.node < best)) {
      best = n.node;
      bestLoad = load;
    }
  }
  return best;
}

/** Realms per owner, from the directory's entries. */
export function ownedCounts(entries: Iterable<[string, { rec: { owner: string } }]>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [, e] of entries) out.set(e.rec.owner, (out.get(e.rec.owner) ?? 0) + 1);
  return out;
}
