// The time-travel page's tables and lists, drawn from one replayed control tick (GET
// /api/timeline/:tick). The shapes mirror engine/time-travel.ts TickView (pages import no engine code).
import { h } from './lib/dom.js';
import { fmtInt, preview } from './lib/format.js';

export interface HashCheck { realm: string; recorded: number; replayed: number | null; source: 'checkpoint' | 'snapshot'; match: boolean }
export interface RealmRow { realmId: string; kind: string; state: string; localTick: number; entities: number }
export interface EntityRow { id: string; kind: string; x: number; y: number }
export interface TickEvent { from: string; type: string; via: string; to: string[]; seq: number; data: unknown }
export interface TickOperation { t: string; tick: number; realm?: string; player?: string; data?: unknown; bytes?: number; reg?: { realmId?: string } }
export interface TickView {
  controlTick: number;
  start: { from: 'snapshot' | 'boot'; controlTick: number };
  realms: RealmRow[];
  entities: Record<string, EntityRow[]>;
  events: TickEvent[];
  operations: TickOperation[];
  hashes: Record<string, number>;
  checks: HashCheck[];
  verdict: 'match' | 'mismatch' | 'unverified';
  summary: { checked: number; mismatches: number; firstMismatchTick: number | null };
  restore: { checked: number; mismatches: number } | null;
}

/** Entities listed per realm at most (a big realm would make the page unusable, not more useful). */
const MAX_ENTITIES = 200;
const hex = (n: number | null | undefined): string => (n === null || n === undefined ? '–' : n.toString(16).padStart(8, '0'));
const empty = (cols: number, text: string): HTMLTableRowElement => h('tr', { class: 'empty-row' }, h('td', { class: 'empty', colspan: cols }, text));

export function renderChecks(body: HTMLElement, v: TickView): void {
  body.replaceChildren(
    ...(v.checks.length === 0
      ? [empty(5, 'No hash was recorded for this control tick (hash checkpoints: engine options hashEvery + journalHashes; snapshots every snapshotEvery ticks).')]
      : v.checks.map((c) =>
          h(
            'tr',
            { 'data-key': `${c.realm}:${c.source}`, 'data-match': String(c.match) },
            h('td', { class: 'mono' }, c.realm),
            h('td', { class: 'mono' }, hex(c.recorded)),
            h('td', { class: 'mono' }, hex(c.replayed)),
            h('td', {}, c.source),
            h('td', { class: c.match ? 'good' : 'bad' }, c.match ? 'match' : 'MISMATCH'),
          ),
        )),
  );
}

export function renderRealms(body: HTMLElement, v: TickView): void {
  body.replaceChildren(
    ...(v.realms.length === 0
      ? [empty(6, 'No realm at this control tick.')]
      : v.realms.map((r) =>
          h(
            'tr',
            { 'data-key': r.realmId },
            h('td', { class: 'mono', 'data-col': 'realm' }, r.realmId),
            h('td', {}, r.kind),
            h('td', {}, h('span', { class: `badge ${r.state}` }, r.state)),
            h('td', { class: 'num', 'data-col': 'tick' }, fmtInt(r.localTick)),
            h('td', { class: 'num', 'data-col': 'entities' }, fmtInt(v.entities[r.realmId]?.length ?? r.entities)),
            h('td', { class: 'mono', 'data-col': 'hash' }, hex(v.hashes[r.realmId])),
          ),
        )),
  );
}

export function renderEntities(body: HTMLElement, v: TickView): void {
  const rows: HTMLTableRowElement[] = [];
  for (const [realm, list] of Object.entries(v.entities)) {
    for (const e of list.slice(0, MAX_ENTITIES)) {
      rows.push(h('tr', { 'data-key': `${realm}/${e.id}` }, h('td', { class: 'mono' }, realm), h('td', { class: 'mono' }, e.id), h('td', {}, e.kind), h('td', { class: 'num' }, e.x.toFixed(1)), h('td', { class: 'num' }, e.y.toFixed(1))));
    }
    if (list.length > MAX_ENTITIES) rows.push(empty(5, `${realm}: ${fmtInt(list.length - MAX_ENTITIES)} more not shown`));
  }
  body.replaceChildren(...(rows.length === 0 ? [empty(5, 'No entities at this control tick.')] : rows));
}

export function renderEvents(list: HTMLElement, v: TickView): void {
  list.replaceChildren(
    ...(v.events.length === 0
      ? [h('li', { class: 'sub' }, 'No cross-realm event was routed at this tick.')]
      : v.events.map((e) => h('li', { 'data-type': e.type, 'data-from': e.from }, h('span', { class: 'what' }, e.type), ` ${e.from} → ${e.to.join(', ') || 'nobody'} `, h('span', { class: 'sub' }, `(${e.via}) ${preview(e.data, 60)}`)))),
  );
}

export function renderOperations(list: HTMLElement, v: TickView): void {
  const say = (o: TickOperation): string => {
    switch (o.t) {
      case 'input':
        return `input to ${o.realm ?? '?'} from ${o.player ?? '?'}: ${preview(o.data, 60)}`;
      case 'pub':
        return `published event (${fmtInt(o.bytes ?? 0)} bytes)`;
      case 'reg':
        return `registered ${o.reg?.realmId ?? '?'}`;
      default:
        return `${o.t} ${o.realm ?? ''}`;
    }
  };
  list.replaceChildren(...(v.operations.length === 0 ? [h('li', { class: 'sub' }, 'Nothing journaled with this tick.')] : v.operations.map((o) => h('li', { 'data-op': o.t }, say(o)))));
}
