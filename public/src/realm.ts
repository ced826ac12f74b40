// The realm view: every realm placed by its STAT7 coordinate (horizon across, polarity
// down; frame colour = adjacency cluster, glow = luminosity, pips = dimensionality) with its
// entities moving inside, interpolated between state frames; cross-realm events fly between
// realms and transferred entities travel from one realm to the next.
import { Topic, type EntityView, type RealmInfo, type StateFrame } from '../../client/index.js';
import { HORIZONS, POLARITIES } from '../../protocol/stat7.js';
import { Canvas, roundRect, themeColor } from './lib/canvas.js';
import { connectPage, describeError } from './lib/connection.js';
import { $, h, setText } from './lib/dom.js';
import { fmtField, fmtInt } from './lib/format.js';
import { kindColor } from './lib/kinds.js';
import { RealmStore } from './lib/realm-store.js';
import { colorOf } from './lib/stats.js';

const conn = connectPage([Topic.REGISTRY, Topic.ALL_EVENTS]);
const { client } = conn;
const store = new RealmStore(conn, 2000);
const sceneEl = $<HTMLCanvasElement>('#scene');
const canvas = new Canvas(sceneEl);
const tooltip = $('#tooltip');
const banner = $('#banner');

interface Ent {
  e: EntityView;
  fx: number;
  fy: number;
  at: number;
}

interface SceneRealm {
  id: string;
  ents: Map<string, Ent>;
  synced: boolean;
  /** Smoothed time between frames, ms: how long a move is interpolated over. */
  interval: number;
  lastFrame: number;
  frames: number;
  bounds: { minX: number; minY: number; maxX: number; maxY: number };
}

interface Box {
  info: RealmInfo;
  x: number;
  y: number;
  w: number;
  h: number;
  /** World area inside the box and its scale. */
  wx: number;
  wy: number;
  s: number;
}

interface Flight {
  from: string;
  to: string;
  t0: number;
  color: string;
  /** Entity transfer: positions in world units of each realm; else a realm-to-realm event pulse. */
  fromPos?: [number, number];
  toPos?: [number, number];
  label?: string;
}

const scene = new Map<string, SceneRealm>();
const joined = new Set<string>();
const joining = new Set<string>();
const recentlyGone = new Map<string, { realm: string; x: number; y: number; t: number }>();
let flights: Flight[] = [];
let boxes: Box[] = [];
let framesTotal = 0;
let joinProblem: string | null = null;

const C = {
  text: themeColor('--text', '#e6ebf5'),
  muted: themeColor('--muted', '#8a96ab'),
  faint: themeColor('--faint', '#5b667a'),
  grid: themeColor('--grid', '#1f2838'),
  surface: themeColor('--surface', '#121826'),
  amber: themeColor('--amber', '#f5b94a'),
};
const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

function sceneRealm(id: string): SceneRealm {
  let s = scene.get(id);
  if (s === undefined) {
    s = { id, ents: new Map(), synced: false, interval: 100, lastFrame: 0, frames: 0, bounds: { minX: 0, minY: 0, maxX: 1, maxY: 1 } };
    scene.set(id, s);
  }
  return s;
}

/** Where an entity is drawn now: between its previous and its latest position. */
function displayed(s: SceneRealm, en: Ent, now: number): [number, number] {
  const t = Math.min(1, Math.max(0, (now - en.at) / s.interval));
  return [en.fx + (en.e.x - en.fx) * t, en.fy + (en.e.y - en.fy) * t];
}

function grow(s: SceneRealm, e: EntityView): void {
  const b = s.bounds;
  b.minX = Math.min(b.minX, e.x);
  b.minY = Math.min(b.minY, e.y);
  b.maxX = Math.max(b.maxX, e.x);
  b.maxY = Math.max(b.maxY, e.y);
}

function upsert(s: SceneRealm, e: EntityView, now: number): void {
  const en = s.ents.get(e.id);
  if (en !== undefined) {
    const [x, y] = displayed(s, en, now);
    en.fx = x;
    en.fy = y;
    en.e = e;
    en.at = now;
  } else {
    s.ents.set(e.id, { e, fx: e.x, fy: e.y, at: now });
    const gone = recentlyGone.get(e.id);
    if (gone !== undefined && gone.realm !== s.id && now - gone.t < 6000) {
      recentlyGone.delete(e.id);
      flights.push({ from: gone.realm, to: s.id, t0: now, color: kindColor(e.kind), fromPos: [gone.x, gone.y], toPos: [e.x, e.y], label: String(e.name ?? e.id) });
    }
  }
  grow(s, e);
}

function remove(s: SceneRealm, id: string, now: number): void {
  const en = s.ents.get(id);
  if (en === undefined) return;
  const [x, y] = displayed(s, en, now);
  recentlyGone.set(id, { realm: s.id, x, y, t: now });
  s.ents.delete(id);
}

client.on('state', (f: StateFrame, view) => {
  const now = performance.now();
  const s = sceneRealm(f.realm);
  if (s.lastFrame > 0) s.interval = Math.min(1000, Math.max(30, s.interval * 0.8 + (now - s.lastFrame) * 0.2));
  s.lastFrame = now;
  s.frames++;
  framesTotal++;
  if (f.key === true) {
    for (const id of [...s.ents.keys()]) if (!view.entities.has(id)) remove(s, id, now);
    for (const e of view.entities.values()) upsert(s, e, now);
  } else {
    // Removed first: an id removed and added again in one frame moved within the view.
    for (const id of view.lastRemoved) if (!view.entities.has(id)) remove(s, id, now);
    for (const id of view.lastChanged) {
      const e = view.entities.get(id);
      if (e !== undefined) upsert(s, e, now);
    }
  }
  s.synced = view.synced;
});

client.on('event', (e) => {
  if (flights.length > 200) return;
  const now = performance.now();
  for (const to of e.to.slice(0, 8)) flights.push({ from: e.from, to, t0: now, color: colorOf(e.type, 80, 68) });
});

client.on('left', (l) => {
  joined.delete(l.realm);
  scene.delete(l.realm);
});

// ---- which realms to watch: all of them, up to the gateway's per-connection join limit ----
function syncJoins(): void {
  if (conn.state !== 'live') return;
  const limit = conn.hello?.limits.maxJoins ?? 16;
  const realms = store.sorted();
  for (const id of [...joined]) {
    if (!store.realms.has(id)) {
      joined.delete(id);
      scene.delete(id);
    }
  }
  for (const r of realms) {
    if (joined.size + joining.size >= limit) break;
    if (joined.has(r.realmId) || joining.has(r.realmId)) continue;
    joining.add(r.realmId);
    client
      .join(r.realmId)
      .then(
        () => {
          joined.add(r.realmId);
          sceneRealm(r.realmId);
          joinProblem = null;
          // A realm with cells streams only what is around a focus: start near its origin (shift-click moves it).
          if (r.cellSize > 0) client.focus(r.realmId, r.cellSize * 1.5, r.cellSize * 1.5).catch(() => {});
        },
        (e: unknown) => {
          joinProblem = `Cannot show “${r.realmId}”: ${describeError(e)}`;
        },
      )
      .finally(() => {
        joining.delete(r.realmId);
        renderInfo();
      });
  }
  renderInfo();
}
store.onChange(syncJoins);
conn.onOpen((_h, resumed) => {
  if (!resumed) {
    joined.clear();
    syncJoins();
  }
});
conn.onState((s) => {
  if (s !== 'live') for (const r of scene.values()) r.synced = false;
});

function renderInfo(): void {
  const realms = store.sorted();
  const limit = conn.hello?.limits.maxJoins ?? 16;
  const hidden = realms.length - [...joined].filter((id) => store.realms.has(id)).length;
  let msg: string | null = joinProblem;
  if (msg === null && store.loaded && hidden > 0 && joined.size >= limit) msg = `Showing ${joined.size} of ${realms.length} realms: the gateway lets one connection watch at most ${limit}.`;
  banner.hidden = msg === null;
  if (msg !== null) setText(banner, msg);

  const list = $('#realm-list');
  if (!store.loaded) return;
  if (realms.length === 0) {
    if (list.dataset.empty !== '1') {
      list.dataset.empty = '1';
      list.replaceChildren(h('p', { class: 'muted' }, 'No realms yet. Register a game on the dashboard (Admin) or over the API and it appears here.'));
    }
    return;
  }
  list.dataset.empty = '0';
  const want = realms.map((r) => r.realmId).join('\n');
  if (list.dataset.ids !== want) {
    list.dataset.ids = want;
    list.replaceChildren(
      ...realms.map((r) => {
        const a = h('a', { href: `entities.html#realm=${encodeURIComponent(r.realmId)}`, 'data-realm': r.realmId }, h('div', {}, h('span', { class: 'dot' }), h('b', {}, r.realmId), h('span', { class: 'muted', 'data-part': 'meta' })), h('div', { class: 'canon' }, r.stat7Canonical));
        ($('.dot', a) as HTMLElement).style.setProperty('--c', colorOf(r.stat7.adjacency));
        return a;
      }),
    );
  }
  for (const r of realms) {
    const meta = list.querySelector<HTMLElement>(`a[data-realm="${CSS.escape(r.realmId)}"] [data-part="meta"]`);
    if (meta !== null) setText(meta, ` · ${r.state} · ${fmtInt(r.entities)} entities`);
  }
}
store.onChange(renderInfo);

// ---- layout: horizon lanes across, polarity lanes down (only the lanes in use) ----
function layout(w: number, hh: number): Box[] {
  const realms = store.sorted().filter((r) => joined.has(r.realmId) || scene.has(r.realmId));
  const cols = HORIZONS.filter((x) => realms.some((r) => r.stat7.horizon === x));
  const rows = POLARITIES.filter((p) => realms.some((r) => r.stat7.polarity === p));
  const narrow = w < 560;
  const padL = narrow ? 16 : 96;
  const padT = narrow ? 40 : 34;
  const pad = 12;
  const cw = (w - padL - pad) / Math.max(1, cols.length);
  const ch = (hh - padT - pad) / Math.max(1, rows.length);
  const out: Box[] = [];
  cols.forEach((hz, ci) => {
    rows.forEach((pol, ri) => {
      const here = realms.filter((r) => r.stat7.horizon === hz && r.stat7.polarity === pol);
      if (here.length === 0) return;
      const kc = Math.ceil(Math.sqrt(here.length * (cw / Math.max(1, ch))));
      const k = Math.max(1, Math.min(here.length, kc));
      const kr = Math.ceil(here.length / k);
      const tw = cw / k;
      const th = ch / kr;
      here.forEach((info, i) => {
        const x = padL + ci * cw + (i % k) * tw + 8;
        const y = padT + ri * ch + Math.floor(i / k) * th + 8;
        const bw = tw - 16;
        const bh = th - 16;
        const s = scene.get(info.realmId);
        const b = s?.bounds ?? { minX: 0, minY: 0, maxX: 1, maxY: 1 };
        const worldW = Math.max(1, b.maxX - b.minX);
        const worldH = Math.max(1, b.maxY - b.minY);
        const head = 26;
        const inner = 12;
        const scale = Math.max(0.01, Math.min((bw - inner * 2) / worldW, (bh - head - inner * 2) / worldH));
        out.push({ info, x, y, w: bw, h: bh, s: scale, wx: x + (bw - worldW * scale) / 2 - b.minX * scale, wy: y + head + (bh - head - worldH * scale) / 2 - b.minY * scale });
      });
    });
  });
  lanes = { cols: [...cols], rows: [...rows], padL, padT, cw, ch, narrow };
  return out;
}
let lanes = { cols: [] as string[], rows: [] as string[], padL: 0, padT: 0, cw: 0, ch: 0, narrow: false };

function center(id: string, w: number): [number, number] {
  const b = boxes.find((x) => x.info.realmId === id);
  if (b === undefined) return [w / 2, -20];
  return [b.x + b.w / 2, b.y + b.h / 2];
}

/** Frames are drawn at most 30 times a second: smooth enough for dots, half the CPU of 60. */
const FRAME_MS = 1000 / 30;
let lastDraw = 0;

function loop(t: number): void {
  requestAnimationFrame(loop);
  if (t - lastDraw < FRAME_MS - 2) return;
  lastDraw = t;
  draw();
}

function draw(): void {
  const now = performance.now();
  const { ctx, w, h: hh } = canvas.begin();
  boxes = layout(w, hh);

  // Lane labels and separators.
  ctx.font = `600 11px ${FONT}`;
  ctx.textBaseline = 'middle';
  lanes.cols.forEach((c, i) => {
    ctx.fillStyle = C.muted;
    ctx.textAlign = 'center';
    ctx.fillText(c, lanes.padL + i * lanes.cw + lanes.cw / 2, lanes.narrow ? 14 : 17);
    if (i > 0) {
      ctx.strokeStyle = C.grid;
      ctx.setLineDash([3, 5]);
      ctx.beginPath();
      ctx.moveTo(lanes.padL + i * lanes.cw, lanes.padT);
      ctx.lineTo(lanes.padL + i * lanes.cw, hh - 12);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  });
  lanes.rows.forEach((r, i) => {
    const y = lanes.padT + i * lanes.ch + lanes.ch / 2;
    ctx.fillStyle = C.muted;
    if (lanes.narrow) {
      ctx.textAlign = 'left';
      ctx.fillText(r, 4, lanes.padT + i * lanes.ch + 2);
    } else {
      ctx.textAlign = 'right';
      ctx.fillText(r, lanes.padL - 14, y);
    }
    if (i > 0) {
      ctx.strokeStyle = C.grid;
      ctx.setLineDash([3, 5]);
      ctx.beginPath();
      ctx.moveTo(lanes.narrow ? 0 : lanes.padL, lanes.padT + i * lanes.ch);
      ctx.lineTo(w - 12, lanes.padT + i * lanes.ch);
      ctx.stroke();
      ctx.setLineDash([]);
    }
  });
  if (!lanes.narrow && lanes.cols.length > 0) {
    ctx.fillStyle = C.faint;
    ctx.textAlign = 'left';
    ctx.font = `10px ${FONT}`;
    ctx.fillText('horizon →', 12, 17);
    ctx.fillText('polarity ↓', 12, 31);
  }

  let entities = 0;
  for (const b of boxes) entities += drawRealm(ctx, b, now);

  // Events and transfers in flight.
  flights = flights.filter((f) => now - f.t0 < (f.fromPos !== undefined ? 1400 : 1000));
  for (const f of flights) drawFlight(ctx, f, now, w);

  if (boxes.length === 0) {
    ctx.fillStyle = C.muted;
    ctx.textAlign = 'center';
    ctx.font = `15px ${FONT}`;
    const text = conn.state !== 'live' ? 'Waiting for the server…' : !store.loaded ? 'Loading realms…' : store.realms.size === 0 ? 'No realms yet — register a game and it appears here' : 'Joining realms…';
    ctx.fillText(text, w / 2, hh / 2);
  }

  if (now - lastInfo > 400) {
    lastInfo = now;
    sceneEl.dataset.realms = String(boxes.length);
    sceneEl.dataset.entities = String(entities);
    sceneEl.dataset.frames = String(framesTotal);
    setText($('#scene-count'), `${fmtInt(boxes.length)} realms · ${fmtInt(entities)} entities`);
    for (const [id, g] of recentlyGone) if (now - g.t > 6000) recentlyGone.delete(id);
  }
}
let lastInfo = 0;

function drawRealm(ctx: CanvasRenderingContext2D, b: Box, now: number): number {
  const { info } = b;
  const s = scene.get(info.realmId);
  const color = colorOf(info.stat7.adjacency);
  const lum = info.stat7.luminosity;
  ctx.save();
  ctx.shadowColor = colorOf(info.stat7.adjacency, 80, 60, 0.25 + 0.5 * lum);
  ctx.shadowBlur = 6 + 26 * lum;
  roundRect(ctx, b.x, b.y, b.w, b.h, 10);
  ctx.fillStyle = C.surface;
  ctx.fill();
  ctx.restore();
  roundRect(ctx, b.x, b.y, b.w, b.h, 10);
  ctx.strokeStyle = colorOf(info.stat7.adjacency, 60, 60, 0.75);
  ctx.lineWidth = 1.5;
  ctx.stroke();

  // Header: id, state, dimensionality pips.
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.font = `600 12px ${FONT}`;
  ctx.fillStyle = C.text;
  const label = b.w < 140 && info.realmId.length > 12 ? `${info.realmId.slice(0, 11)}…` : info.realmId;
  ctx.fillText(label, b.x + 10, b.y + 14);
  const lw = ctx.measureText(label).width;
  ctx.font = `11px ${FONT}`;
  ctx.fillStyle = info.state === 'running' ? C.faint : C.amber;
  if (b.w > lw + 140) ctx.fillText(`${info.state} · L${info.stat7.lineage}`, b.x + 18 + lw, b.y + 14);
  if (b.w > 120) {
    for (let i = 0; i < 7; i++) {
      ctx.beginPath();
      ctx.arc(b.x + b.w - 12 - (6 - i) * 7, b.y + 14, 2.2, 0, Math.PI * 2);
      ctx.fillStyle = i < info.stat7.dimensionality ? color : C.grid;
      ctx.fill();
    }
  }

  let count = 0;
  if (s !== undefined && s.synced && s.ents.size > 0) {
    // The realm's ground: the area its entities have covered so far.
    const g = s.bounds;
    ctx.fillStyle = 'rgba(255, 255, 255, 0.025)';
    roundRect(ctx, b.wx + g.minX * b.s - 6, b.wy + g.minY * b.s - 6, (g.maxX - g.minX) * b.s + 12, (g.maxY - g.minY) * b.s + 12, 6);
    ctx.fill();
  }
  if (s !== undefined && s.synced) {
    const r = Math.max(2.2, Math.min(5, b.s * 0.5 + 2));
    for (const en of s.ents.values()) {
      const [x, y] = displayed(s, en, now);
      const px = b.wx + x * b.s;
      const py = b.wy + y * b.s;
      ctx.fillStyle = kindColor(en.e.kind, info.state === 'paused' ? 0.45 : 0.95);
      ctx.beginPath();
      ctx.arc(px, py, en.e.kind === 'npc' ? r : r + 1.2, 0, Math.PI * 2);
      ctx.fill();
      if (en.e.kind !== 'npc' && b.w > 160) {
        ctx.fillStyle = C.muted;
        ctx.font = `10.5px ${FONT}`;
        ctx.textAlign = 'center';
        ctx.fillText(String(en.e.name ?? en.e.id), px, py - r - 8);
      }
      count++;
    }
    if (count === 0) {
      ctx.fillStyle = C.faint;
      ctx.textAlign = 'center';
      ctx.font = `11.5px ${FONT}`;
      ctx.fillText(info.kind === 'relay' ? 'relay: entities come from game clients' : 'no entities', b.x + b.w / 2, b.y + b.h / 2 + 8);
    }
  } else {
    ctx.fillStyle = C.faint;
    ctx.textAlign = 'center';
    ctx.font = `11.5px ${FONT}`;
    ctx.fillText(conn.state === 'live' ? 'waiting for a keyframe…' : 'disconnected', b.x + b.w / 2, b.y + b.h / 2 + 8);
  }
  if (info.state === 'paused') {
    ctx.fillStyle = 'rgba(11, 15, 23, 0.35)';
    roundRect(ctx, b.x, b.y, b.w, b.h, 10);
    ctx.fill();
    ctx.fillStyle = C.amber;
    ctx.font = `600 12px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText('PAUSED', b.x + b.w / 2, b.y + b.h - 14);
  }
  return count;
}

function drawFlight(ctx: CanvasRenderingContext2D, f: Flight, now: number, w: number): void {
  const transfer = f.fromPos !== undefined && f.toPos !== undefined;
  const dur = transfer ? 1400 : 1000;
  const t = Math.min(1, (now - f.t0) / dur);
  const e = t < 0.5 ? 2 * t * t : 1 - (-2 * t + 2) ** 2 / 2;
  let a: [number, number];
  let z: [number, number];
  const fb = boxes.find((b) => b.info.realmId === f.from);
  const tb = boxes.find((b) => b.info.realmId === f.to);
  if (transfer && fb !== undefined && tb !== undefined) {
    a = [fb.wx + f.fromPos![0] * fb.s, fb.wy + f.fromPos![1] * fb.s];
    z = [tb.wx + f.toPos![0] * tb.s, tb.wy + f.toPos![1] * tb.s];
  } else {
    a = center(f.from, w);
    z = center(f.to, w);
  }
  if (a[0] === z[0] && a[1] === z[1]) return;
  const mx = (a[0] + z[0]) / 2;
  const my = (a[1] + z[1]) / 2 - Math.min(120, Math.hypot(z[0] - a[0], z[1] - a[1]) * 0.3);
  const u = 1 - e;
  const x = u * u * a[0] + 2 * u * e * mx + e * e * z[0];
  const y = u * u * a[1] + 2 * u * e * my + e * e * z[1];
  ctx.save();
  ctx.globalAlpha = 0.22 * (1 - t);
  ctx.strokeStyle = f.color;
  ctx.lineWidth = 1.5;
  ctx.setLineDash([2, 4]);
  ctx.beginPath();
  ctx.moveTo(a[0], a[1]);
  ctx.quadraticCurveTo(mx, my, z[0], z[1]);
  ctx.stroke();
  ctx.setLineDash([]);
  ctx.globalAlpha = 1;
  ctx.shadowColor = f.color;
  ctx.shadowBlur = 12;
  ctx.fillStyle = f.color;
  ctx.beginPath();
  ctx.arc(x, y, transfer ? 4.5 : 3, 0, Math.PI * 2);
  ctx.fill();
  if (transfer && f.label !== undefined) {
    ctx.shadowBlur = 0;
    ctx.fillStyle = C.text;
    ctx.font = `11px ${FONT}`;
    ctx.textAlign = 'center';
    ctx.fillText(f.label, x, y - 10);
  }
  ctx.restore();
}

// ---- hover and click ----
function hit(px: number, py: number): { box: Box; ent: Ent | null } | null {
  const now = performance.now();
  for (const b of boxes) {
    if (px < b.x || px > b.x + b.w || py < b.y || py > b.y + b.h) continue;
    const s = scene.get(b.info.realmId);
    let best: Ent | null = null;
    let bestD = 10;
    if (s !== undefined) {
      for (const en of s.ents.values()) {
        const [x, y] = displayed(s, en, now);
        const d = Math.hypot(b.wx + x * b.s - px, b.wy + y * b.s - py);
        if (d < bestD) {
          bestD = d;
          best = en;
        }
      }
    }
    return { box: b, ent: best };
  }
  return null;
}

sceneEl.addEventListener('pointermove', (ev) => {
  const r = sceneEl.getBoundingClientRect();
  const px = ev.clientX - r.left;
  const py = ev.clientY - r.top;
  const found = hit(px, py);
  if (found === null) {
    tooltip.hidden = true;
    sceneEl.style.cursor = '';
    return;
  }
  sceneEl.style.cursor = 'pointer';
  const { box, ent } = found;
  const lines =
    ent !== null
      ? [`${String(ent.e.name ?? ent.e.id)} · ${ent.e.kind}`, Object.entries(ent.e).filter(([k]) => !['id', 'name', 'kind'].includes(k)).map(([k, v]) => `${k} ${fmtField(v, k)}`).join(' · ')]
      : [`${box.info.realmId} · ${box.info.state} · ${fmtInt(box.info.entities)} entities`, box.info.stat7Canonical];
  tooltip.replaceChildren(h('div', {}, h('b', {}, lines[0] ?? '')), h('div', { class: 'muted' }, lines[1] ?? ''));
  tooltip.hidden = false;
  const tx = Math.min(px + 14, r.width - tooltip.offsetWidth - 8);
  tooltip.style.left = `${Math.max(8, tx)}px`;
  tooltip.style.top = `${Math.max(8, py + 14)}px`;
});
sceneEl.addEventListener('pointerleave', () => {
  tooltip.hidden = true;
});
sceneEl.addEventListener('click', (ev) => {
  const r = sceneEl.getBoundingClientRect();
  const found = hit(ev.clientX - r.left, ev.clientY - r.top);
  if (found === null) return;
  const b = found.box;
  if (ev.shiftKey && b.info.cellSize > 0) {
    client.focus(b.info.realmId, (ev.clientX - r.left - b.wx) / b.s, (ev.clientY - r.top - b.wy) / b.s).catch(() => {});
    return;
  }
  const q = new URLSearchParams({ realm: found.box.info.realmId });
  if (found.ent !== null) q.set('entity', found.ent.e.id);
  location.href = `entities.html#${q.toString()}`;
});

requestAnimationFrame(loop);
