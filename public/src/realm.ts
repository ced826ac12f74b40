// The realm view: every realm placed by its STAT7 coordinate (horizon across, polarity
// down; frame colour = adjacency cluster, glow = luminosity, pips = dimensionality) with its
// entities moving inside, interpolated between state frames; cross-realm events fly between
// realms and transferred entities travel from one realm to the next. The model is in
// realm-scene.ts, the geometry and the flights' arcs in realm-layout.ts.
import { Topic, type StateFrame } from '../../client/index.js';
import { Canvas, roundRect } from './lib/canvas.js';
import { connectPage, describeError } from './lib/connection.js';
import { $, h, setText } from './lib/dom.js';
import { fmtField, fmtInt } from './lib/format.js';
import { kindColor } from './lib/kinds.js';
import { RealmStore } from './lib/realm-store.js';
import { colorOf } from './lib/stats.js';
import { C, FONT, drawFlight, lanes, layout, type Box } from './realm-layout.js';
import { displayed, flights, prune, remove, scene, sceneRealm, upsert, type Ent } from './realm-scene.js';

const conn = connectPage([Topic.REGISTRY, Topic.ALL_EVENTS]);
const { client } = conn;
const store = new RealmStore(conn, 2000);
const sceneEl = $<HTMLCanvasElement>('#scene');
const canvas = new Canvas(sceneEl);
const tooltip = $('#tooltip');
const banner = $('#banner');

const joined = new Set<string>();
const joining = new Set<string>();
let boxes: Box[] = [];
let framesTotal = 0;
let joinProblem: string | null = null;

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
  boxes = layout(store.sorted().filter((r) => joined.has(r.realmId) || scene.has(r.realmId)), w, hh);

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
  prune(now);
  for (const f of flights) drawFlight(ctx, boxes, f, now, w);

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
