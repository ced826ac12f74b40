// The control-tick chart: duration and its barrier part, p50 and p99 per time bucket over
// the last minutes, drawn on a canvas (bands from p50 to p99, a line at each).
import { Canvas, themeColor } from './canvas.js';
import { percentile, sortedCopy } from './stats.js';
import { fmtMs } from './format.js';

interface Bucket {
  t0: number;
  dur: number[];
  bar: number[];
  seen: number;
  /** Percentiles, computed once the bucket is closed. */
  done: { d50: number; d99: number; b50: number; b99: number } | null;
}

const MAX_PER_BUCKET = 4000;

export interface Summary {
  count: number;
  d50: number;
  d99: number;
  b50: number;
  b99: number;
}

export class TickChart {
  readonly windowMs: number;
  readonly bucketMs: number;
  samples = 0;
  private buckets: Bucket[] = [];
  private readonly canvas: Canvas;
  private readonly c = {
    grid: '#222c3d',
    text: '#8a96ab',
    dur: '#6ea8fe',
    bar: '#f5b94a',
  };

  constructor(el: HTMLCanvasElement, windowMs = 5 * 60_000, bucketMs = 2000) {
    this.windowMs = windowMs;
    this.bucketMs = bucketMs;
    this.canvas = new Canvas(el, () => this.draw());
    this.c.grid = themeColor('--grid', this.c.grid);
    this.c.text = themeColor('--muted', this.c.text);
    this.c.dur = themeColor('--accent', this.c.dur);
    this.c.bar = themeColor('--amber', this.c.bar);
  }

  add(now: number, durationMs: number, barrierMs: number): void {
    const t0 = Math.floor(now / this.bucketMs) * this.bucketMs;
    let b = this.buckets[this.buckets.length - 1];
    if (b === undefined || b.t0 !== t0) {
      if (b !== undefined) this.close(b);
      b = { t0, dur: [], bar: [], seen: 0, done: null };
      this.buckets.push(b);
      const cut = now - this.windowMs - this.bucketMs;
      while (this.buckets.length > 0 && this.buckets[0]!.t0 < cut) this.buckets.shift();
    }
    b.seen++;
    this.samples++;
    if (b.dur.length < MAX_PER_BUCKET) {
      b.dur.push(durationMs);
      b.bar.push(barrierMs);
    } else {
      // Reservoir: every sample of the bucket has the same chance to be kept.
      const j = Math.floor(Math.random() * b.seen);
      if (j < MAX_PER_BUCKET) {
        b.dur[j] = durationMs;
        b.bar[j] = barrierMs;
      }
    }
  }

  /** p50/p99 over the samples of the last `ms`. */
  summary(now: number, ms = 60_000): Summary {
    const dur: number[] = [];
    const bar: number[] = [];
    for (const b of this.buckets) {
      if (b.t0 + this.bucketMs < now - ms) continue;
      dur.push(...b.dur);
      bar.push(...b.bar);
    }
    const d = sortedCopy(dur);
    const br = sortedCopy(bar);
    return { count: d.length, d50: percentile(d, 50), d99: percentile(d, 99), b50: percentile(br, 50), b99: percentile(br, 99) };
  }

  draw(now = Date.now()): void {
    const { ctx, w, h } = this.canvas.begin();
    const padL = 54;
    const padR = 12;
    const padT = 10;
    const padB = 24;
    const pw = Math.max(10, w - padL - padR);
    const ph = Math.max(10, h - padT - padB);
    // The x range grows with the history, from one minute up to the whole window.
    const first = this.buckets[0]?.t0 ?? now;
    const spanMs = Math.min(this.windowMs, Math.max(60_000, Math.ceil((now - first) / 60_000) * 60_000));
    const t1 = now;
    const t0 = now - spanMs;
    const points = this.buckets
      .filter((b) => b.t0 + this.bucketMs >= t0)
      .map((b) => ({ t: Math.min(t1, b.t0 + this.bucketMs / 2), s: this.stats(b) }));

    // Log scale: sub-millisecond medians and the occasional long tick stay readable together.
    const highs = points.map((p) => Math.max(p.s.d99, p.s.b99)).filter((v) => Number.isFinite(v) && v > 0);
    const lows = points.map((p) => Math.min(p.s.d50, p.s.b50)).filter((v) => Number.isFinite(v) && v > 0);
    let lo = 10 ** Math.floor(Math.log10(Math.max(0.001, Math.min(0.1, ...lows))));
    let hi = 10 ** Math.ceil(Math.log10(Math.max(lo * 10, ...highs, 1)));
    if (hi / lo < 100) lo = hi / 100;
    hi = Math.max(hi, lo * 10);
    const l0 = Math.log10(lo);
    const span = Math.log10(hi) - l0;
    const x = (t: number): number => padL + ((t - t0) / (t1 - t0)) * pw;
    const y = (v: number): number => padT + ph - ((Math.log10(Math.min(hi, Math.max(lo, v))) - l0) / span) * ph;

    ctx.font = '11px system-ui, -apple-system, "Segoe UI", sans-serif';
    ctx.textBaseline = 'middle';
    ctx.lineWidth = 1;
    for (let d = lo; d <= hi * 1.001; d *= 10) {
      for (const m of [1, 2, 5]) {
        const v = d * m;
        if (v > hi * 1.001) break;
        const yy = Math.round(y(v)) + 0.5;
        ctx.strokeStyle = this.c.grid;
        ctx.globalAlpha = m === 1 ? 1 : 0.45;
        ctx.beginPath();
        ctx.moveTo(padL, yy);
        ctx.lineTo(padL + pw, yy);
        ctx.stroke();
        ctx.globalAlpha = 1;
        if (m === 1) {
          ctx.fillStyle = this.c.text;
          ctx.textAlign = 'right';
          ctx.fillText(`${Number(v.toPrecision(1))} ms`, padL - 8, yy);
        }
      }
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'alphabetic';
    let stepMs = spanMs <= 60_000 ? 10_000 : spanMs <= 120_000 ? 20_000 : 60_000;
    while ((pw * stepMs) / spanMs < 52) stepMs *= 2; // keep labels apart on narrow screens
    for (let back = 0; back <= spanMs; back += stepMs) {
      const xx = x(t1 - back);
      ctx.fillStyle = this.c.text;
      const label = back === 0 ? 'now' : stepMs < 60_000 ? `−${back / 1000}s` : `−${back / 60_000}m`;
      ctx.fillText(label, Math.min(Math.max(xx, padL + 14), padL + pw - 14), h - 6);
    }

    if (points.length === 0) {
      ctx.fillStyle = this.c.text;
      ctx.textAlign = 'center';
      ctx.font = '13px system-ui, -apple-system, "Segoe UI", sans-serif';
      ctx.fillText('Waiting for control ticks…', padL + pw / 2, padT + ph / 2);
      return;
    }

    const series: [keyof NonNullable<Bucket['done']>, keyof NonNullable<Bucket['done']>, string][] = [
      ['d50', 'd99', this.c.dur],
      ['b50', 'b99', this.c.bar],
    ];
    for (const [lo, hi, color] of series) {
      // Band between p50 and p99, split where buckets are missing (e.g. while disconnected).
      for (const run of this.runs(points)) {
        ctx.beginPath();
        run.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.t), y(p.s[hi])) : ctx.lineTo(x(p.t), y(p.s[hi]))));
        for (let i = run.length - 1; i >= 0; i--) ctx.lineTo(x(run[i]!.t), y(run[i]!.s[lo]));
        ctx.closePath();
        ctx.globalAlpha = 0.16;
        ctx.fillStyle = color;
        ctx.fill();
        ctx.globalAlpha = 1;
        this.line(ctx, run, (p) => [x(p.t), y(p.s[hi])], color, 1, [4, 3], 0.75);
        this.line(ctx, run, (p) => [x(p.t), y(p.s[lo])], color, 2, [], 1);
      }
    }
  }

  private runs<P extends { t: number }>(points: P[]): P[][] {
    const out: P[][] = [];
    let cur: P[] = [];
    for (const p of points) {
      const prev = cur[cur.length - 1];
      if (prev !== undefined && p.t - prev.t > this.bucketMs * 2.5) {
        out.push(cur);
        cur = [];
      }
      cur.push(p);
    }
    if (cur.length > 0) out.push(cur);
    return out;
  }

  private line<P>(ctx: CanvasRenderingContext2D, pts: P[], at: (p: P) => [number, number], color: string, width: number, dash: number[], alpha: number): void {
    ctx.save();
    ctx.strokeStyle = color;
    ctx.lineWidth = width;
    ctx.lineJoin = 'round';
    ctx.setLineDash(dash);
    ctx.globalAlpha = alpha;
    ctx.beginPath();
    pts.forEach((p, i) => {
      const [px, py] = at(p);
      if (i === 0) ctx.moveTo(px, py);
      else ctx.lineTo(px, py);
    });
    if (pts.length === 1) {
      const [px, py] = at(pts[0]!);
      ctx.lineTo(px + 2, py);
    }
    ctx.stroke();
    ctx.restore();
  }

  private stats(b: Bucket): NonNullable<Bucket['done']> {
    if (b.done !== null) return b.done;
    return this.compute(b);
  }

  private close(b: Bucket): void {
    b.done = this.compute(b);
  }

  private compute(b: Bucket): NonNullable<Bucket['done']> {
    const d = sortedCopy(b.dur);
    const br = sortedCopy(b.bar);
    return { d50: percentile(d, 50), d99: percentile(d, 99), b50: percentile(br, 50), b99: percentile(br, 99) };
  }
}
