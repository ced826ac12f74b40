// The 3-D multiverse (/space.html): every realm placed by three chosen STAT7 dimensions,
// cross-realm events (`event:*` pushes) drawn as fading arcs; click a realm to open its entities.
import { Topic } from '../../client/index.js';
import { connectPage } from './lib/connection.js';
import { $, frameThrottle, setText } from './lib/dom.js';
import { RealmStore } from './lib/realm-store.js';
import { hueOf } from './lib/stats.js';
import { DIMENSIONS, place, type Dimension } from './space-map.js';
import { SpaceScene } from './space-scene.js';

const conn = connectPage([Topic.REGISTRY, Topic.ALL_EVENTS]);
const store = new RealmStore(conn, 1000);
const canvas = $<HTMLCanvasElement>('#space');
const selects = (['#axis-x', '#axis-y', '#axis-z'] as const).map((s) => $<HTMLSelectElement>(s));
const DEFAULTS: Dimension[] = ['adjacency', 'horizon', 'luminosity'];
selects.forEach((sel, i) => {
  for (const d of DIMENSIONS) sel.append(new Option(d, d, false, d === DEFAULTS[i]));
});

let scene: SpaceScene | null = null;
try {
  scene = new SpaceScene(canvas);
  canvas.dataset.renderer = 'webgl';
} catch (e) {
  canvas.dataset.renderer = 'none';
  canvas.dataset.reason = e instanceof Error ? e.message : String(e);
  setText($('#space-hint'), `WebGL is not available in this browser: ${canvas.dataset.reason}`);
}

const axes = (): [Dimension, Dimension, Dimension] => selects.map((s) => s.value as Dimension) as [Dimension, Dimension, Dimension];
const render = frameThrottle(() => {
  if (scene === null) return;
  scene.setRealms(place(store.sorted(), axes()));
  canvas.dataset.realms = String(scene.realmCount);
});
store.onChange(render);
for (const s of selects) s.addEventListener('change', render);

let recent: string[] = [];
conn.client.on('event', (e) => {
  if (scene === null) return;
  // The types of the latest drawn arcs, for tests and for a glance in the inspector.
  if (scene.addEvent(e.from, e.to, hueOf(e.type)) > 0) recent = [...recent.slice(-49), e.type];
  canvas.dataset.arcs = String(scene.arcsDrawn);
  canvas.dataset.arcTypes = recent.join(' ');
});

// A click (not a drag of the orbit) on a realm opens its entities.
let down: { x: number; y: number } | null = null;
canvas.addEventListener('pointerdown', (e) => (down = { x: e.clientX, y: e.clientY }));
canvas.addEventListener('pointerup', (e) => {
  if (scene === null || down === null || Math.hypot(e.clientX - down.x, e.clientY - down.y) > 4) return;
  const id = scene.pick(e.clientX, e.clientY);
  if (id !== null) location.href = `entities.html#realm=${encodeURIComponent(id)}`;
});

declare global {
  interface Window {
    tickverseSpace?: { screenOf(realmId: string): { x: number; y: number } | null };
  }
}
window.tickverseSpace = { screenOf: (id) => scene?.screenOf(id) ?? null };
