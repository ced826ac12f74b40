// Who sends to whom: realms on a ring, an arrow per (source → target) pair weighted by the
// events of the last minute, and a bright dot travelling along the arrow for each event.
import { Canvas, themeColor } from './canvas.js';
import { colorOf } from './stats.js';

interface Edge {
  from: string;
  to: string;
  times: number[];
  total: number;
}

interface Particle {
  from: string;
  to: string;
  t0: number;
  color: string;
}

const WINDOW_MS = 60_000;
const FLIGHT_MS = 1100;
const MAX_PARTICLES = 240;
export const EXTERNAL = 'external';

export class FlowGraph {
  private readonly edges = new Map<string, Edge>();
  private particles: Particle[] = [];
  private realms: string[] = [];
  private readonly canvas: Canvas;
  private readonly c = { text: '#e6ebf5', muted: '#8a96ab', edge: '#3a4a66', node: '#18202f', ring: '#2a3548' };
  private running = false;

  constructor(el: HTMLCanvasElement) {
    this.canvas = new Canvas(el, () => this.kick());
    this.c.text = themeColor('--text', this.c.text);
    this.c.muted = themeColor('--muted', this.c.muted);
    this.c.node = themeColor('--surface-2', this.c.node);
    this.c.ring = themeColor('--border', this.c.ring);
  }

  /** Events seen in the last minute, over all pairs. */
  get recent(): number {
    let n = 0;
    for (const e of this.edges.values()) n += e.times.length;
    return n;
  }

  setRealms(ids: string[]): void {
    this.realms = ids;
    this.kick();
  }

  add(now: number, from: string, to: readonly string[], type: string): void {
    for (const t of to) {
      const k = `${from}\u0000${t}`;
      let e = this.edges.get(k);
      if (e === undefined) {
        e = { from, to: t, times: [], total: 0 };
        this.edges.set(k, e);
      }
      e.total++;
      if (e.times.length < 5000) e.times.push(now);
      if (this.particles.length < MAX_PARTICLES) this.particles.push({ from, to: t, t0: performance.now(), color: colorOf(type, 80, 68) });
    }
    this.kick();
  }

  /** Starts the animation loop if it is not running (it stops itself when nothing moves). */
  kick(): void {
    if (this.running) return;
    this.running = true;
    requestAnimationFrame(() => this.frame());
  }

  private frame(): void {
    const moving = this.draw();
    // Dots in flight: about 30 frames a second is smooth enough and half the work of 60.
    if (moving) setTimeout(() => requestAnimationFrame(() => this.frame()), 28);
    else this.running = false;
  }

  private nodes(): string[] {
    const set = new Set(this.realms);
    for (const e of this.edges.values()) {
      if (e.times.length === 0) continue;
      set.add(e.from);
      set.add(e.to);
    }
    const list = [...set].filter((n) => n !== EXTERNAL);
    if (set.has(EXTERNAL)) list.push(EXTERNAL);
    return list;
  }

  /** Draws one frame; returns whether anything is still moving. */
  draw(): boolean {
    const now = Date.now();
    const pnow = performance.now();
    for (const [k, e] of this.edges) {
      while (e.times.length > 0 && e.times[0]! < now - WINDOW_MS) e.times.shift();
      if (e.times.length === 0 && !this.realms.includes(e.from)) this.edges.delete(k);
    }
    this.particles = this.particles.filter((p) => pnow - p.t0 < FLIGHT_MS);

    const { ctx, w, h } = this.canvas.begin();
    const nodes = this.nodes();
    const cx = w / 2;
    const cy = h / 2;
    const rx = Math.max(30, w / 2 - 70);
    const ry = Math.max(30, h / 2 - 34);
    const pos = new Map<string, [number, number]>();
    nodes.forEach((n, i) => {
      const a = -Math.PI / 2 + (i / Math.max(1, nodes.length)) * Math.PI * 2;
      pos.set(n, nodes.length === 1 ? [cx, cy] : [cx + rx * Math.cos(a), cy + ry * Math.sin(a)]);
    });

    ctx.font = '12px system-ui, -apple-system, "Segoe UI", sans-serif';
    if (nodes.length === 0) {
      ctx.fillStyle = this.c.muted;
      ctx.textAlign = 'center';
      ctx.fillText('No realms yet', cx, cy);
      return false;
    }

    const maxCount = Math.max(1, ...[...this.edges.values()].map((e) => e.times.length));
    for (const e of this.edges.values()) {
      if (e.times.length === 0) continue;
      const a = pos.get(e.from);
      const b = pos.get(e.to);
      if (a === undefined || b === undefined) continue;
      const weight = Math.log1p(e.times.length) / Math.log1p(maxCount);
      ctx.strokeStyle = colorOf(e.from, 55, 60, 0.25 + 0.45 * weight);
      ctx.lineWidth = 1 + 4 * weight;
      this.path(ctx, a, b, 1);
      ctx.stroke();
      this.arrowHead(ctx, a, b, colorOf(e.from, 55, 60, 0.5 + 0.4 * weight));
    }

    for (const p of this.particles) {
      const a = pos.get(p.from);
      const b = pos.get(p.to);
      if (a === undefined || b === undefined) continue;
      const t = Math.min(1, (pnow - p.t0) / FLIGHT_MS);
      const [px, py] = this.pointOn(a, b, t);
      ctx.save();
      ctx.shadowColor = p.color;
      ctx.shadowBlur = 10;
      ctx.fillStyle = p.color;
      ctx.beginPath();
      ctx.arc(px, py, 3.2, 0, Math.PI * 2);
      ctx.fill();
      ctx.restore();
    }

    for (const n of nodes) {
      const [x, y] = pos.get(n)!;
      const color = n === EXTERNAL ? this.c.muted : colorOf(n);
      ctx.fillStyle = this.c.node;
      ctx.strokeStyle = color;
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(x, y, 9, 0, Math.PI * 2);
      ctx.fill();
      ctx.stroke();
      ctx.fillStyle = n === EXTERNAL ? this.c.muted : this.c.text;
      ctx.textAlign = 'center';
      const label = n === EXTERNAL ? 'API (external)' : n.length > 18 ? `${n.slice(0, 17)}…` : n;
      const below = y >= cy;
      ctx.fillText(label, x, below ? y + 24 : y - 16);
    }
    return this.particles.length > 0;
  }

  /** Control point of the curve from a to b: bent to one side, so a→b and b→a do not overlap. */
  private control(a: [number, number], b: [number, number]): [number, number] {
    const mx = (a[0] + b[0]) / 2;
    const my = (a[1] + b[1]) / 2;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len = Math.hypot(dx, dy) || 1;
    const bend = Math.min(60, len * 0.22);
    return [mx - (dy / len) * bend, my + (dx / len) * bend];
  }

  private path(ctx: CanvasRenderingContext2D, a: [number, number], b: [number, number], _w: number): void {
    ctx.beginPath();
    if (a[0] === b[0] && a[1] === b[1]) {
      ctx.arc(a[0], a[1] - 18, 12, 0, Math.PI * 2);
      return;
    }
    const c = this.control(a, b);
    ctx.moveTo(a[0], a[1]);
    ctx.quadraticCurveTo(c[0], c[1], b[0], b[1]);
  }

  private pointOn(a: [number, number], b: [number, number], t: number): [number, number] {
    if (a[0] === b[0] && a[1] === b[1]) {
      const ang = Math.PI / 2 + t * Math.PI * 2;
      return [a[0] + 12 * Math.cos(ang), a[1] - 18 + 12 * Math.sin(ang)];
    }
    const c = this.control(a, b);
    const u = 1 - t;
    return [u * u * a[0] + 2 * u * t * c[0] + t * t * b[0], u * u * a[1] + 2 * u * t * c[1] + t * t * b[1]];
  }

  private arrowHead(ctx: CanvasRenderingContext2D, a: [number, number], b: [number, number], color: string): void {
    if (a[0] === b[0] && a[1] === b[1]) return;
    // Direction at the end of the curve, stopping at the node's edge.
    const [px, py] = this.pointOn(a, b, 0.9);
    const [ex, ey] = this.pointOn(a, b, 0.985);
    const ang = Math.atan2(ey - py, ex - px);
    const tipX = b[0] - Math.cos(ang) * 11;
    const tipY = b[1] - Math.sin(ang) * 11;
    ctx.fillStyle = color;
    ctx.beginPath();
    ctx.moveTo(tipX, tipY);
    ctx.lineTo(tipX - Math.cos(ang - 0.45) * 9, tipY - Math.sin(ang - 0.45) * 9);
    ctx.lineTo(tipX - Math.cos(ang + 0.45) * 9, tipY - Math.sin(ang + 0.45) * 9);
    ctx.closePath();
    ctx.fill();
  }
}
