// Test-only crash points of the cross-node transfer protocol (tests/cluster-transfer.test.ts):
// with TICKVERSE_FAULT=<point> a node SIGKILLs itself the first time it gets there, so a test
// can kill it at exactly that moment. Unset (always, outside those tests) it does nothing.
export type FaultPoint =
  /** Source: the entity has left its realm; nothing about it is stored yet. */
  | 'transfer-left'
  /** Source: the transfer is stored in the source realm's snapshot; it has not been sent. */
  | 'transfer-stored'
  /** Destination: the entity is in its realm, whose snapshot is about to be written. */
  | 'transfer-routed'
  /** Destination: stored; the source has not been told. */
  | 'transfer-landed';

const armed = process.env.TICKVERSE_FAULT ?? '';

export function fault(point: FaultPoint): void {
  if (armed === point) process.kill(process.pid, 'SIGKILL');
}
