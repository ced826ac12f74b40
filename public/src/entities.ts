// The entity viewer: pick a realm, watch its entities update live from the state stream,
// filter and sort them, and follow one (its fields and its path; across a transfer too).
import { Topic, type EntityView, type RealmView } from '../../client/index.js';
import { Canvas, roundRect, themeColor } from './lib/canvas.js';
import { connectPage, describeError } from './lib/connection.js';
import { $, frameThrottle, h, hashParams, setHashParams, setText } from './lib/dom.js';
import { fmtField, fmtInt } from './lib/format.js';
import { LiveTable, type Column } from './lib/live-table.js';
import { RealmStore } from './lib/realm-store.js';
import { kindColor } from './lib/kinds.js';

const conn = connectPage([Topic.REGISTRY]);
const { client } = conn;
const store = new RealmStore(conn, 2000);

const pick = $<HTMLSelectElement>('#realm-pick');
const filterInput = $<HTMLInputElement>('#entity-filter');
const kindSelect = $<HTMLSelectElement>('#kind-filter');
const banner = $('#banner');
const summary = $('#realm-summary');

let current: string | null = hashParams().get('realm');
let view: RealmView | null = null;
let stopView: (() => void) | null = null;
let joinError: string | null = null;
let following: string | null = hashParams().get('entity');
let lastSeen: EntityView | null = null;
let goneAtTick: number | null = null;
let foundIn: string | null = null;
let trail: [number, number][] = [];
const bounds = { minX: 0, minY: 0, maxX: 1, maxY: 1 };

const showBanner = (text: string | null): void => {
  banner.hidden = text === null;
  if (text !== null) setText(banner, text);
};

// ---- table ----
const PREFERRED = ['id', 'kind', 'name', 'x', 'y'];
function columnsFor(keys: string[], sample: EntityView | undefined): Column<EntityView>[] {
  return keys.map((k) => {
    const numeric = typeof sample?.[k] === 'number';
    return {
      key: k,
      label: k,
      numeric,
      // Positions move every frame; flash only the fields that change now and then (mood …).
      flash: k !== 'id' && k !== 'x' && k !== 'y',
      className: k === 'id' ? 'mono' : undefined,
      value: (e: EntityView) => {
        const v = e[k];
        return typeof v === 'number' ? v : v === undefined ? '' : String(v);
      },
      text: (e: EntityView) => fmtField(e[k], k),
    };
  });
}

const table = new LiveTable<EntityView>($<HTMLTableElement>('#entity-table'), {
  key: (e) => e.id,
  columns: columnsFor(PREFERRED, undefined),
  limit: 2000,
  sort: { key: 'id', dir: 1 },
  empty: () => {
    if (conn.state !== 'live' && view === null) return 'Waiting for the server…';
    if (store.loaded && store.realms.size === 0) return 'No realms yet: register a game on the dashboard, then pick it here.';
    if (current === null) return 'Pick a realm above.';
    if (joinError !== null) return joinError;
    if (view === null || !view.synced) return 'Waiting for the realm’s first keyframe…';
    if (view.entities.size === 0) return 'This realm has no entities right now.';
    return 'No entity matches the filter.';
  },
  onRowClick: (e) => follow(e.id),
  rowClass: (e) => `kind-${e.kind}`,
});
table.filter = (e) => {
  if (kindSelect.value !== '' && e.kind !== kindSelect.value) return false;
  const words = filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return true;
  const hay = Object.values(e).map((v) => String(v).toLowerCase()).join(' ');
  return words.every((w) => hay.includes(w));
};
filterInput.addEventListener('input', () => render());
kindSelect.addEventListener('change', () => render());

const render = frameThrottle(() => {
  const ents = view?.synced === true ? [...view.entities.values()] : [];
  // Columns: the usual ones first, then any other field the realm's kind exposes.
  const keys = new Set<string>();
  for (const e of ents) for (const k of Object.keys(e)) keys.add(k);
  const extra = [...keys].filter((k) => !PREFERRED.includes(k)).sort();
  const cols = [...PREFERRED.filter((k) => k === 'id' || k === 'kind' || k === 'x' || k === 'y' || keys.has(k)), ...extra];
  if (cols.join('\u0000') !== table.columnKeys.join('\u0000')) table.setColumns(columnsFor(cols, ents[0]));
  table.selected = following;
  table.update(ents);

  const kinds = [...new Set(ents.map((e) => e.kind))].sort();
  const haveKinds = [...kindSelect.options].slice(1).map((o) => o.value);
  if (kinds.join() !== haveKinds.join() && kinds.length > 0) {
    const keep = kindSelect.value;
    kindSelect.replaceChildren(h('option', { value: '' }, 'All kinds'), ...kinds.map((k) => h('option', { value: k }, k)));
    kindSelect.value = kinds.includes(keep) ? keep : '';
  }
  setText($('#entity-count'), view?.synced === true ? `${fmtInt(table.matched)} of ${fmtInt(ents.length)} entities · local tick ${fmtInt(view.tick)}` : '\u00a0');
  for (const e of ents) {
    bounds.minX = Math.min(bounds.minX, e.x);
    bounds.minY = Math.min(bounds.minY, e.y);
    bounds.maxX = Math.max(bounds.maxX, e.x);
    bounds.maxY = Math.max(bounds.maxY, e.y);
  }
  renderDetail();
});

// ---- realm picker ----
function renderPicker(): void {
  const realms = store.sorted();
  const opts = realms.length === 0 ? [h('option', { value: '' }, store.loaded ? 'No realms yet' : 'Loading realms…')] : realms.map((r) => h('option', { value: r.realmId }, `${r.realmId} (${fmtInt(r.entities)})`));
  const want = opts.map((o) => `${o.value}|${o.textContent}`).join('\n');
  const have = [...pick.options].map((o) => `${o.value}|${o.textContent}`).join('\n');
  if (want !== have) pick.replaceChildren(...opts);
  if (current !== null && store.realms.has(current)) pick.value = current;
  const info = current === null ? undefined : store.realms.get(current);
  if (info !== undefined) setText(summary, `${info.description || info.kind} · game ${info.gameId} · shard ${info.shard} · ${info.state}`);
  else if (store.loaded && realms.length === 0) setText(summary, 'No realms yet: register a game on the dashboard.');
  if (store.loaded && current === null && realms.length > 0) {
    const first = realms.find((r) => r.state === 'running' && r.entities > 0) ?? realms[0]!;
    void select(first.realmId);
  } else if (store.loaded && current !== null && view === null && joinError === null && store.realms.has(current) && conn.state === 'live') {
    void select(current, true);
  }
  if (store.loaded && realms.length === 0) render();
}
store.onChange(renderPicker);
pick.addEventListener('change', () => {
  if (pick.value !== '') void select(pick.value);
});

let joining: string | null = null;
async function select(realm: string, force = false): Promise<void> {
  if (!force && realm === current && view !== null) return;
  if (joining === realm) return;
  const previous = current;
  if (previous !== null && previous !== realm && view !== null) client.leave(previous).catch(() => {});
  stopView?.();
  stopView = null;
  view = null;
  joinError = null;
  if (previous !== realm) {
    unfollow();
    Object.assign(bounds, { minX: 0, minY: 0, maxX: 1, maxY: 1 });
  }
  current = realm;
  setHashParams({ realm, entity: following });
  pick.value = realm;
  render();
  if (conn.state !== 'live') return;
  joining = realm;
  try {
    const v = await client.join(realm);
    if (current !== realm) {
      client.leave(realm).catch(() => {});
      return;
    }
    view = v;
    stopView = v.onChange(() => render());
    showBanner(null);
    render();
  } catch (e) {
    joinError = `Cannot watch “${realm}”: ${describeError(e)}`;
    showBanner(joinError);
    render();
  } finally {
    joining = null;
  }
}

conn.onOpen((_hello, resumed) => {
  // After a reconnect the SDK rejoins and resyncs from a keyframe; a first connect joins here.
  if (!resumed && current !== null) void select(current, true);
});
client.on('left', (l) => {
  if (l.realm !== current) return;
  stopView?.();
  stopView = null;
  view = null;
  joinError = `“${l.realm}” was unregistered.`;
  showBanner(`“${l.realm}” was unregistered; pick another realm.`);
  current = null;
  render();
});

// ---- follow one entity ----
const detailBody = $('#detail-body');
const unfollowBtn = $<HTMLButtonElement>('#unfollow');
const mapEl = $<HTMLCanvasElement>('#follow-map');
const map = new Canvas(mapEl, () => renderDetail());

function follow(id: string): void {
  if (following !== id) {
    trail = [];
    lastSeen = null;
    goneAtTick = null;
    foundIn = null;
  }
  following = id;
  setHashParams({ realm: current, entity: id });
  render();
}
function unfollow(): void {
  following = null;
  trail = [];
  lastSeen = null;
  goneAtTick = null;
  foundIn = null;
  setHashParams({ realm: current, entity: null });
}
unfollowBtn.addEventListener('click', () => {
  unfollow();
  render();
});

let searching = false;
async function searchElsewhere(id: string): Promise<void> {
  if (searching) return;
  searching = true;
  try {
    for (const r of store.sorted().slice(0, 32)) {
      if (r.realmId === current) continue;
      const res = await client.entities(r.realmId).catch(() => null);
      if (res?.entities.some((e) => e.id === id) === true && following === id) {
        foundIn = r.realmId;
        renderDetail();
        return;
      }
    }
  } finally {
    searching = false;
  }
}

function renderDetail(): void {
  unfollowBtn.hidden = following === null;
  if (following === null) {
    mapEl.hidden = true;
    setText($('#detail-title'), 'Follow an entity');
    if (detailBody.dataset.mode !== 'none') {
      detailBody.dataset.mode = 'none';
      detailBody.replaceChildren(h('p', { class: 'placeholder' }, 'Click a row to follow that entity: its fields update live and its path is drawn here.'));
    }
    return;
  }
  const e = view?.synced === true ? view.entities.get(following) : undefined;
  if (e !== undefined) {
    lastSeen = e;
    goneAtTick = null;
    foundIn = null;
    const last = trail[trail.length - 1];
    if (last === undefined || last[0] !== e.x || last[1] !== e.y) {
      trail.push([e.x, e.y]);
      if (trail.length > 300) trail.shift();
    }
  } else if (view?.synced === true && lastSeen !== null && goneAtTick === null) {
    goneAtTick = view.tick;
    void searchElsewhere(following);
  }
  const shown = e ?? lastSeen;
  setText($('#detail-title'), shown === null ? `Following ${following}` : `Following ${String(shown.name ?? shown.id)}`);
  if (detailBody.dataset.mode !== 'entity') {
    detailBody.dataset.mode = 'entity';
    detailBody.replaceChildren(
      h('p', { class: 'placeholder', 'data-part': 'waiting' }, 'Waiting for this entity to appear…'),
      h('dl', { 'data-testid': 'follow-fields' }),
      h('div', { class: 'note', 'data-part': 'gone' }, h('span', { 'data-part': 'gone-text' }), h('div', { 'data-part': 'found' })),
    );
  }
  $('[data-part="waiting"]', detailBody).hidden = shown !== null;
  const dl = $('dl', detailBody);
  if (shown !== null) {
    const keys = Object.keys(shown);
    const dts = [...dl.querySelectorAll('dt')].map((dt) => dt.textContent);
    if (dts.join('\u0000') !== keys.join('\u0000')) dl.replaceChildren(...keys.flatMap((k) => [h('dt', {}, k), h('dd', { 'data-field': k })]));
    dl.querySelectorAll<HTMLElement>('dd').forEach((dd, i) => setText(dd, fmtField(shown[keys[i]!], keys[i])));
  }
  const gone = $('[data-part="gone"]', detailBody);
  gone.hidden = goneAtTick === null;
  if (goneAtTick !== null) {
    setText($('[data-part="gone-text"]', gone), `${String(lastSeen?.name ?? following)} left “${current}” around local tick ${fmtInt(goneAtTick)} (transferred or removed).`);
    const found = $('[data-part="found"]', gone);
    if (foundIn === null) found.replaceChildren();
    else if (found.dataset.realm !== foundIn) {
      found.dataset.realm = foundIn;
      found.replaceChildren('Now in ', h('a', { href: `#realm=${encodeURIComponent(foundIn)}&entity=${encodeURIComponent(following)}`, 'data-follow-realm': foundIn }, `“${foundIn}”: follow it there`));
    }
  }
  mapEl.hidden = false;
  drawMap();
}

addEventListener('hashchange', () => {
  const p = hashParams();
  const realm = p.get('realm');
  const ent = p.get('entity');
  if (realm !== null && realm !== current) void select(realm);
  if (ent !== null && ent !== following) follow(ent);
});

const colors = { grid: '#1f2838', trail: '#6ea8fe', text: '#8a96ab' };
colors.grid = themeColor('--grid', colors.grid);
colors.trail = themeColor('--accent', colors.trail);
colors.text = themeColor('--muted', colors.text);

function drawMap(): void {
  mapEl.dataset.trail = String(trail.length);
  const { ctx, w, h: hh } = map.begin();
  const pad = 14;
  const bw = Math.max(1, bounds.maxX - bounds.minX);
  const bh = Math.max(1, bounds.maxY - bounds.minY);
  const s = Math.min((w - pad * 2) / bw, (hh - pad * 2) / bh);
  const ox = (w - bw * s) / 2;
  const oy = (hh - bh * s) / 2;
  const X = (x: number): number => ox + (x - bounds.minX) * s;
  const Y = (y: number): number => oy + (y - bounds.minY) * s;
  ctx.strokeStyle = colors.grid;
  ctx.lineWidth = 1;
  roundRect(ctx, ox - 4, oy - 4, bw * s + 8, bh * s + 8, 6);
  ctx.stroke();
  if (view?.synced === true) {
    for (const e of view.entities.values()) {
      if (e.id === following) continue;
      ctx.fillStyle = kindColor(e.kind, 0.55);
      ctx.beginPath();
      ctx.arc(X(e.x), Y(e.y), 2.5, 0, Math.PI * 2);
      ctx.fill();
    }
  }
  if (trail.length > 1) {
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    for (let i = 1; i < trail.length; i++) {
      const a = trail[i - 1]!;
      const b = trail[i]!;
      ctx.strokeStyle = `rgba(110, 168, 254, ${(0.1 + (0.8 * i) / trail.length).toFixed(3)})`;
      ctx.beginPath();
      ctx.moveTo(X(a[0]), Y(a[1]));
      ctx.lineTo(X(b[0]), Y(b[1]));
      ctx.stroke();
    }
  }
  const at = trail[trail.length - 1];
  if (at !== undefined) {
    const gone = goneAtTick !== null;
    ctx.fillStyle = gone ? colors.text : kindColor(lastSeen?.kind ?? 'npc', 1);
    ctx.beginPath();
    ctx.arc(X(at[0]), Y(at[1]), 5, 0, Math.PI * 2);
    ctx.fill();
    ctx.strokeStyle = gone ? colors.text : colors.trail;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(X(at[0]), Y(at[1]), 10, 0, Math.PI * 2);
    ctx.stroke();
  }
}

conn.onState((s) => {
  if (s !== 'live') render();
});
render();
