// The realm view's geometry: realms in horizon lanes across and polarity lanes down (only the
// lanes in use), each box scaled to its realm's world; and the arcs of events and transfers
// flying between boxes.
import type { RealmInfo } from '../../client/index.js';
import { HORIZONS, POLARITIES } from '../../protocol/stat7.js';
import { themeColor } from './lib/canvas.js';
import { scene, type Flight } from './realm-scene.js';

export interface Box {
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

export interface Lanes {
  cols: string[];
  rows: string[];
  padL: number;
  padT: number;
  cw: number;
  ch: number;
  narrow: boolean;
}

export const C = {
  text: themeColor('--text', '#e6ebf5'),
  muted: themeColor('--muted', '#8a96ab'),
  faint: themeColor('--faint', '#5b667a'),
  grid: themeColor('--grid', '#1f2838'),
  surface: themeColor('--surface', '#121826'),
  amber: themeColor('--amber', '#f5b94a'),
};
export const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';

export function layout(realms: readonly RealmInfo[], w: number, hh: number): Box[] {
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
export let lanes: Lanes = { cols: [] as string[], rows: [] as string[], padL: 0, padT: 0, cw: 0, ch: 0, narrow: false };

function center(boxes: readonly Box[], id: string, w: number): [number, number] {
  const b = boxes.find((x) => x.info.realmId === id);
  if (b === undefined) return [w / 2, -20];
  return [b.x + b.w / 2, b.y + b.h / 2];
}

export function drawFlight(ctx: CanvasRenderingContext2D, boxes: readonly Box[], f: Flight, now: number, w: number): void {
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
    a = center(boxes, f.from, w);
    z = center(boxes, f.to, w);
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
