// @ts-nocheck
// Process figures from /proc (Linux): the RSS high-water mark and the current RSS of this
// process. Elsewhere they fall back to what Node itself reports.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

function statusKiB(field: string): number | null {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
    return m === null ? null : Number(m[1]);
  } catch {
    return null;
  }
}

/** Peak resident set size since the process started (VmHWM), bytes. */
export function peakRssBytes(): number {
  const kib = statusKiB('VmHWM');
  return kib === null ? process.resourceUsage().maxRSS * 1024 : kib * 1024;
}

export function rssBytes(): number {
  const kib = statusKiB('VmRSS');
  return kib === null ? process.memoryUsage.rss() : kib * 1024;
}

/** CPU time of the whole process (every thread, workers included) since `since`, ms. */
export function cpuSinceMs(since: NodeJS.CpuUsage): { user: number; system: number } {
  const d = process.cpuUsage(since);
  return { user: d.user / 1000, system: d.system / 1000 };
}

/** Busy and total CPU time of the whole machine so far (/proc/stat, clock ticks); null off Linux. */
export function machineTicks(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

let clkTck: number | null = null;

/** CPU time of this process's main thread (the thread whose id is the pid), ms; null off Linux. */
export function mainThreadCpuMs(): number | null {
  try {
    if (clkTck === null) {
      try {
        clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
      } catch {
        clkTck = 100;
      }
    }
    const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is [0], utime [11], stime [12].
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(f[11]) + Number(f[12])) * 1000) / clkTck;
  } catch {
    return null;
  }
}
