// The dashboard (/): health, version and uptime; the realm table, live; the control-tick
// chart (duration and barrier, p50/p99); shard load; the cross-realm event feed and flow
// picture; the admin panel; and the backups panel (dashboard-backups.ts).
import { Topic, type EventPush, type RealmInfo, type TickPush } from '../../client/index.js';
import { initAdmin } from './admin.js';
import { initBackups } from './dashboard-backups.js';
import { renderNodes, type HealthNodes } from './dashboard-nodes.js';
import { connectPage } from './lib/connection.js';
import { $, frameThrottle, h, setText } from './lib/dom.js';
import { FlowGraph } from './lib/flow-graph.js';
import { clockTime, fmtBytes, fmtDuration, fmtInt, fmtMs, fmtRate, preview } from './lib/format.js';
import { LiveTable } from './lib/live-table.js';
import { RealmStore } from './lib/realm-store.js';
import { RateMeter, colorOf } from './lib/stats.js';
import { TickChart } from './lib/tick-chart.js';

const conn = connectPage([Topic.REGISTRY, Topic.TICKS, Topic.ALL_EVENTS]);
const { client } = conn;
const store = new RealmStore(conn, 1000);

// ---- realm table ----
const chip = (text: string, color?: string): HTMLElement => {
  const el = h('span', { class: color === undefined ? 'chip' : 'chip c' }, text);
  if (color !== undefined) el.style.setProperty('--c', color);
  return el;
};
const filterInput = $<HTMLInputElement>('#realm-filter');
const realmTable = new LiveTable<RealmInfo>($<HTMLTableElement>('#realm-table'), {
  key: (r) => r.realmId,
  limit: 500,
  sort: { key: 'order', dir: 1 },
  sortKeys: { order: (r) => r.registeredAtControlTick },
  empty: () =>
    !store.loaded
      ? conn.state === 'live'
        ? 'Loading realms…'
        : 'Waiting for the server…'
      : store.realms.size === 0
        ? 'No realms yet. Register a game from Admin below, over the WebSocket API or with POST /api/realms.'
        : 'No realm matches the filter.',
  onRowClick: (r) => {
    location.href = `entities.html#realm=${encodeURIComponent(r.realmId)}`;
  },
  rowClass: (r) => `state-${r.state}`,
  columns: [
    {
      key: 'realm',
      label: 'Realm',
      value: (r) => r.realmId,
      render: (r, td) => {
        if (td.dataset.for === r.realmId && td.firstElementChild !== null) return;
        td.dataset.for = r.realmId;
        td.classList.add('realm-cell');
        td.replaceChildren(h('div', { class: 'id' }, r.realmId), h('div', { class: 'desc', title: r.description }, r.description || r.kind));
      },
    },
    {
      key: 'game',
      label: 'Game · developer',
      value: (r) => r.gameId,
      render: (r, td) => {
        const key = `${r.gameId}\u0000${r.developerName}`;
        if (td.dataset.for === key) return;
        td.dataset.for = key;
        td.classList.add('two-line');
        td.replaceChildren(h('div', { 'data-part': 'game' }, r.gameId), h('div', { class: 'sub', 'data-part': 'developer' }, r.developerName || '–'));
      },
    },
    {
      key: 'stat7',
      label: 'STAT7',
      value: (r) => r.stat7Canonical,
      title: 'horizon · polarity · adjacency (hover for the full coordinate)',
      render: (r, td) => {
        if (td.dataset.for === r.stat7Canonical) return;
        td.dataset.for = r.stat7Canonical;
        td.title = `${r.stat7Canonical}\nhash ${r.stat7Hash}`;
        td.replaceChildren(h('span', { class: 'chips' }, chip(r.stat7.horizon), chip(r.stat7.polarity), chip(r.stat7.adjacency, colorOf(r.stat7.adjacency)), chip(`d${r.stat7.dimensionality}`)));
      },
    },
    { key: 'shard', label: 'Shard', value: (r) => r.shard, numeric: true },
    {
      key: 'state',
      label: 'State',
      value: (r) => r.state,
      render: (r, td) => {
        const want = `badge ${r.state}`;
        let b = td.firstElementChild as HTMLElement | null;
        if (b === null) {
          b = h('span');
          td.append(b);
        }
        if (b.className !== want) b.className = want;
        setText(b, r.state);
        td.title = r.error ?? '';
      },
    },
    { key: 'tick', label: 'Tick', title: 'local tick', value: (r) => r.localTick, text: (r) => fmtInt(r.localTick), numeric: true },
    { key: 'entities', label: 'Entities', value: (r) => r.entities, text: (r) => fmtInt(r.entities), numeric: true, flash: true },
    { key: 'in', label: 'Events in', value: (r) => r.eventsIn, text: (r) => fmtInt(r.eventsIn), numeric: true, flash: true },
    { key: 'out', label: 'Events out', value: (r) => r.eventsOut, text: (r) => fmtInt(r.eventsOut), numeric: true, flash: true },
  ],
});
const filterWords = (): string[] => filterInput.value.toLowerCase().split(/\s+/).filter(Boolean);
realmTable.filter = (r) => {
  const words = filterWords();
  if (words.length === 0) return true;
  const hay = `${r.realmId} ${r.gameId} ${r.developerName} ${r.kind} ${r.state} ${r.stat7Canonical} ${r.description}`.toLowerCase();
  return words.every((w) => hay.includes(w));
};
filterInput.addEventListener('input', () => realmTable.refresh());

const renderRealms = frameThrottle(() => {
  const realms = store.sorted();
  realmTable.update(realms);
  const hint = realmTable.matched > realmTable.shown ? `showing ${realmTable.shown} of ${realmTable.matched}; filter to narrow` : 'click a realm to see its entities';
  setText($('#realms-hint'), hint);
  const byState = new Map<string, number>();
  for (const r of realms) byState.set(r.state, (byState.get(r.state) ?? 0) + 1);
  setText($('#kpi-realms'), store.loaded ? fmintOrDash(realms.length) : '–');
  setText($('#kpi-realms-sub'), realms.length === 0 ? (store.loaded ? 'no realms yet' : '\u00a0') : [...byState].map(([s, n]) => `${n} ${s}`).join(' · '));
  flow.setRealms(realms.map((r) => r.realmId));
});
function fmintOrDash(n: number): string {
  return Number.isFinite(n) ? fmtInt(n) : '–';
}
store.onChange(renderRealms);
conn.onState(renderRealms);

// ---- control ticks: chart, KPI, shard load ----
const chart = new TickChart($<HTMLCanvasElement>('#tick-chart'));
const chartEl = $<HTMLCanvasElement>('#tick-chart');
const tickRate = new RateMeter(5000);
let lastTick: TickPush | null = null;
const shardLoad = new Map<number, number>();

client.on('tick', (t) => {
  const now = Date.now();
  chart.add(now, t.durationMs, t.barrierMs);
  tickRate.add(now);
  lastTick = t;
  for (const s of t.shards) {
    const round = Math.max(0.001, t.roundMs + t.durationMs);
    const load = Math.min(1, s.busyMs / round);
    const prev = shardLoad.get(s.shard);
    shardLoad.set(s.shard, prev === undefined ? load : prev * 0.8 + load * 0.2);
  }
  renderTicks();
});

const renderTicks = frameThrottle(() => {
  const t = lastTick;
  if (t === null) return;
  const now = Date.now();
  setText($('#kpi-ct'), `#${fmtInt(t.ct)}`);
  setText($('#kpi-ct-sub'), `${fmtRate(tickRate.perSecond(now))} · last ${fmtMs(t.durationMs)}`);
  chartEl.dataset.samples = String(chart.samples);
  chartEl.dataset.lastCt = String(t.ct);
  renderShards(t);
});

const shardsEl = $('#shards');
function renderShards(t: TickPush): void {
  if (t.shards.length === 0) {
    shardsEl.replaceChildren(h('p', { class: 'muted' }, 'No shards report yet.'));
    return;
  }
  const rows = shardsEl.querySelectorAll<HTMLElement>('.shard');
  if (rows.length !== t.shards.length) {
    shardsEl.replaceChildren(
      ...t.shards.map((s) =>
        h('div', { class: 'shard', 'data-shard': s.shard }, h('div', { class: 'top' }, h('b', {}, `Shard ${s.shard}`), h('span', { class: 'pct' })), h('div', { class: 'bar' }, h('span')), h('div', { class: 'meta' })),
      ),
    );
  }
  for (const s of t.shards) {
    const row = shardsEl.querySelector<HTMLElement>(`.shard[data-shard="${s.shard}"]`);
    if (row === null) continue;
    const load = shardLoad.get(s.shard) ?? 0;
    const pct = load * 100;
    setText($('.pct', row), `${pct < 10 ? pct.toFixed(1) : pct.toFixed(0)}% busy`);
    const bar = $('.bar > span', row);
    bar.style.width = `${Math.max(1, Math.min(100, pct)).toFixed(1)}%`;
    bar.className = pct > 85 ? 'hot' : pct > 60 ? 'warm' : '';
    setText($('.meta', row), `${fmtInt(s.realms)} realms · ${fmtInt(s.entities)} entities · rings out ${fmtBytes(s.outRingUsed)} / in ${fmtBytes(s.inRingUsed)}`);
  }
}

// Redraw the chart twice a second (time moves even without ticks) and refresh its legend.
setInterval(() => {
  const now = Date.now();
  chart.draw(now);
  const s = chart.summary(now, 60_000);
  setText($('#leg-d50'), fmtMs(s.d50));
  setText($('#leg-d99'), fmtMs(s.d99));
  setText($('#leg-b50'), fmtMs(s.b50));
  setText($('#leg-b99'), fmtMs(s.b99));
  flow.kick();
}, 500);

// ---- cross-realm events ----
const flow = new FlowGraph($<HTMLCanvasElement>('#flow-graph'));
const feedEl = $<HTMLOListElement>('#event-feed');
const eventRate = new RateMeter(10_000);
let pending: EventPush[] = [];
let eventsSeen = 0;
const FEED_MAX = 60;

client.on('event', (e) => {
  const now = Date.now();
  eventRate.add(now);
  eventsSeen++;
  flow.add(now, e.from, e.to, e.type);
  pending.push(e);
  if (pending.length > FEED_MAX) pending = pending.slice(-FEED_MAX);
  renderFeed();
});

const renderFeed = frameThrottle(() => {
  const batch = pending;
  pending = [];
  if (batch.length > 0) {
    feedEl.querySelector('.empty')?.remove();
    const items = batch.reverse().map((e) => {
      const type = h('span', { class: 'chip c' }, e.type);
      type.style.setProperty('--c', colorOf(e.type, 80, 68));
      const to = e.to.length === 0 ? 'nobody' : e.to.length > 4 ? `${e.to.slice(0, 4).join(', ')} +${e.to.length - 4}` : e.to.join(', ');
      return h(
        'li',
        { 'data-type': e.type, 'data-from': e.from },
        h('span', { class: 'ct', title: `control tick ${e.ct}, seq ${e.seq}` }, `#${e.ct}`),
        type,
        h('span', { class: 'route' }, h('b', {}, e.from === 'external' ? 'API' : e.from), ` → ${to}`, h('span', { class: 'muted' }, ` · ${e.via}`)),
        e.data === undefined || e.data === null ? null : h('code', { class: 'data' }, preview(e.data, 120)),
      );
    });
    feedEl.prepend(...items);
    while (feedEl.children.length > FEED_MAX) feedEl.lastElementChild?.remove();
  }
});

setInterval(() => {
  const now = Date.now();
  setText($('#feed-rate'), eventsSeen === 0 ? '\u00a0' : `${fmtRate(eventRate.perSecond(now))} · ${fmtInt(eventsSeen)} seen`);
}, 1000);

// ---- health, version, uptime, routed events ----
interface Health extends HealthNodes {
  status?: string;
  uptimeMs?: number;
  connections?: number;
  version?: string;
  shards?: number;
}
let health: Health | null = null;
let healthAt = 0;
let routed: { total: number; at: number } | null = null;
const routedRate = { perSec: Number.NaN };

async function pollHealth(): Promise<void> {
  if (conn.state !== 'live') return;
  try {
    const res = await fetch('api/health', { cache: 'no-store' });
    health = (await res.json()) as Health;
    healthAt = Date.now();
  } catch {
    health = null;
  }
  try {
    const s = await client.stats();
    const now = Date.now();
    if (routed !== null && now > routed.at) routedRate.perSec = ((s.engine.eventsRouted - routed.total) * 1000) / (now - routed.at);
    routed = { total: s.engine.eventsRouted, at: now };
    setText($('#kpi-events'), fmtInt(s.engine.eventsRouted));
    setText($('#kpi-events-sub'), `${Number.isFinite(routedRate.perSec) ? fmtRate(routedRate.perSec) : '–'} routed · ${fmtInt(s.gateway.connections)} connections`);
  } catch {
    // disconnected: the pill says so
  }
  renderHealth();
}

function renderHealth(): void {
  const version = health?.version ?? __TICKVERSE_VERSION__;
  setText($('#kpi-version'), version);
  setText($('#kpi-version-sub'), `wire v${conn.hello?.v ?? '–'}${health?.version === undefined ? ' · pages build' : ''}`);
  const kh = $('#kpi-health');
  if (conn.state !== 'live') {
    setText(kh, 'Offline');
    kh.className = 'value bad';
    setText($('#kpi-health-sub'), 'no connection to the server');
    return;
  }
  renderNodes(health);
  if (health === null) return;
  const ok = health.status === 'ok';
  setText(kh, ok ? 'OK' : (health.status ?? 'unknown'));
  kh.className = ok ? 'value ok' : 'value bad';
  setText($('#kpi-health-sub'), `${fmtInt(health.shards ?? 0)} shards · ${fmtInt(health.connections ?? 0)} connections`);
}

setInterval(() => {
  if (health?.uptimeMs === undefined) return;
  const up = health.uptimeMs + (conn.state === 'live' ? Date.now() - healthAt : 0);
  setText($('#kpi-uptime'), fmtDuration(up));
  setText($('#kpi-uptime-sub'), `since ${clockTime(new Date(Date.now() - up))}`);
}, 1000);
setInterval(() => void pollHealth(), 2000);
conn.onOpen(() => void pollHealth());
conn.onState(() => renderHealth());
renderHealth();

initAdmin(conn, store);
initBackups(conn);
