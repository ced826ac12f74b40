// Canvas sizing for sharp drawing on any screen: the backing store follows the element's
// CSS size times devicePixelRatio, and the context is scaled so code draws in CSS pixels.

export interface Surface {
  ctx: CanvasRenderingContext2D;
  /** Size in CSS pixels. */
  w: number;
  h: number;
}

export class Canvas {
  readonly ctx: CanvasRenderingContext2D;
  w = 0;
  h = 0;
  private dirty = true;

  constructor(readonly el: HTMLCanvasElement, private readonly onResize: () => void = () => {}) {
    const ctx = el.getContext('2d');
    if (ctx === null) throw new Error('this browser cannot draw on a canvas');
    this.ctx = ctx;
    if (typeof ResizeObserver === 'function') {
      new ResizeObserver(() => {
        this.dirty = true;
        this.onResize();
      }).observe(el);
    } else {
      addEventListener('resize', () => {
        this.dirty = true;
        this.onResize();
      });
    }
  }

  /** Matches the backing store to the element's size; call at the start of each draw. */
  begin(): Surface {
    const dpr = Math.min(3, window.devicePixelRatio || 1);
    if (this.dirty) {
      const r = this.el.getBoundingClientRect();
      this.w = Math.max(1, Math.round(r.width));
      this.h = Math.max(1, Math.round(r.height));
      const bw = Math.round(this.w * dpr);
      const bh = Math.round(this.h * dpr);
      if (this.el.width !== bw) this.el.width = bw;
      if (this.el.height !== bh) this.el.height = bh;
      this.dirty = false;
    }
    this.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    this.ctx.clearRect(0, 0, this.w, this.h);
    return { ctx: this.ctx, w: this.w, h: this.h };
  }
}

/** Theme colours read once from the CSS custom properties (so the canvas matches the page). */
export function themeColor(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v === '' ? fallback : v;
}

export function roundRect(ctx: CanvasRenderingContext2D, x: number, y: number, w: number, h: number, r: number): void {
  const rr = Math.max(0, Math.min(r, w / 2, h / 2));
  ctx.beginPath();
  ctx.moveTo(x + rr, y);
  ctx.arcTo(x + w, y, x + w, y + h, rr);
  ctx.arcTo(x + w, y + h, x, y + h, rr);
  ctx.arcTo(x, y + h, x, y, rr);
  ctx.arcTo(x, y, x + w, y, rr);
  ctx.closePath();
}

/** A "nice" axis maximum and step (1, 2, 2.5, 5 × 10^n) for about `ticks` gridlines. */
export function niceScale(max: number, ticks = 4): { max: number; step: number } {
  const m = max > 0 && Number.isFinite(max) ? max : 1;
  const raw = m / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / mag;
  const step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * mag;
  return { max: Math.ceil(m / step) * step, step };
}
