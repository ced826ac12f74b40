// Number, duration and byte formatting for the pages (tabular, short, unit-bearing).

const intFmt = new Intl.NumberFormat('en-US');

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? intFmt.format(Math.round(n)) : '–';
}

/** A millisecond figure with sensible precision: 0.042 ms, 3.18 ms, 41.2 ms, 1.25 s. */
export function fmtMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 100) return `${ms.toFixed(0)} ms`;
  if (ms >= 10) return `${ms.toFixed(1)} ms`;
  if (ms >= 1) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(3)} ms`;
}

/** Uptime style: 12s, 4m 05s, 2h 07m, 3d 04h. */
export function fmtDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms) || ms < 0) return '–';
  const s = Math.floor(ms / 1000);
  const pad = (n: number): string => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${pad(s % 60)}s`;
  const hr = Math.floor(m / 60);
  if (hr < 24) return `${hr}h ${pad(m % 60)}m`;
  return `${Math.floor(hr / 24)}d ${pad(hr % 24)}h`;
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return '–';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function fmtRate(perSec: number): string {
  if (!Number.isFinite(perSec)) return '–';
  if (perSec >= 100) return `${fmtInt(perSec)}/s`;
  if (perSec >= 10) return `${perSec.toFixed(1)}/s`;
  return `${perSec.toFixed(2)}/s`;
}

/** An entity field for a table cell: positions always with 2 decimals, other numbers with at most 2. */
export function fmtField(v: unknown, key = ''): string {
  if (typeof v === 'number') return key === 'x' || key === 'y' ? v.toFixed(2) : Number.isInteger(v) ? String(v) : v.toFixed(2);
  if (v === undefined || v === null) return '';
  return String(v);
}

/** A short one-line preview of an event's data. */
export function preview(v: unknown, max = 80): string {
  let s: string;
  try {
    s = v === undefined ? '' : JSON.stringify(v) ?? '';
  } catch {
    s = String(v);
  }
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function clockTime(d: Date = new Date()): string {
  return d.toLocaleTimeString('en-GB', { hour12: false });
}
