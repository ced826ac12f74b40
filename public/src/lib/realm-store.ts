// The page's picture of the registry: a full `list` after each connect and every
// `refreshMs` (local ticks, entity and event counts move all the time), plus `registry`
// pushes for registrations, removals and state changes as they happen.
import type { RealmInfo, RegistryPush } from '../../../client/index.js';
import type { PageConnection } from './connection.js';

export class RealmStore {
  readonly realms = new Map<string, RealmInfo>();
  /** False until the first list arrives (so the page can tell "loading" from "no realms yet"). */
  loaded = false;
  /** When the last full list arrived (performance.now()). */
  listedAt = 0;
  private inflight = false;
  private readonly fns: ((change: RegistryPush | null) => void)[] = [];

  constructor(private readonly conn: PageConnection, refreshMs: number) {
    conn.onOpen(() => void this.refresh());
    conn.client.on('registry', (p) => this.apply(p));
    // A big multiverse (benchmark runs) is listed less often: the list is the whole registry.
    const loop = (): void => {
      if (conn.state === 'live') void this.refresh();
      const n = this.realms.size;
      setTimeout(loop, n > 5000 ? refreshMs * 10 : n > 500 ? refreshMs * 3 : refreshMs);
    };
    setTimeout(loop, refreshMs);
  }

  /** Called with the push that changed the store, or null after a full refresh. */
  onChange(fn: (change: RegistryPush | null) => void): void {
    this.fns.push(fn);
  }

  /** Realms in a stable order: by registration, then id. */
  sorted(): RealmInfo[] {
    return [...this.realms.values()].sort((a, b) => a.registeredAtControlTick - b.registeredAtControlTick || (a.realmId < b.realmId ? -1 : a.realmId > b.realmId ? 1 : 0));
  }

  async refresh(): Promise<void> {
    if (this.inflight) return;
    this.inflight = true;
    try {
      const { realms } = await this.conn.client.list();
      this.realms.clear();
      for (const r of realms) this.realms.set(r.realmId, r);
      this.loaded = true;
      this.listedAt = performance.now();
      this.emit(null);
    } catch {
      // Disconnected or timed out: the status pill says so; the next refresh tries again.
    } finally {
      this.inflight = false;
    }
  }

  private apply(p: RegistryPush): void {
    if (p.change === 'unregistered') this.realms.delete(p.realm.realmId);
    else this.realms.set(p.realm.realmId, p.realm);
    this.emit(p);
  }

  private emit(change: RegistryPush | null): void {
    for (const fn of this.fns) fn(change);
  }
}
