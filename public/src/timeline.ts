// The time-travel page: a slider over the recorded control ticks (GET /api/timeline), and the
// multiverse replayed to the chosen one (GET /api/timeline/:tick): its realms, entities,
// events, journaled operations and the hash verdict — a mismatch in red, never hidden.
// Admin routes: the tab's admin token (the same sessionStorage key the dashboard keeps it in).
import { $, setText } from './lib/dom.js';
import { fmtInt } from './lib/format.js';
import { renderChecks, renderEntities, renderEvents, renderOperations, renderRealms, type TickView } from './timeline-render.js';
import { HttpError, adminCall } from './lib/admin-http.js';

/** As in lib/connection.ts: the token entered on any admin page of this tab. */
const TOKEN_KEY = 'tickverse.adminToken';

interface TimelineSummary {
  snapshots: { controlTick: number; phase: string }[];
  boots: { controlTick: number }[];
  checkpoints: number[];
  ranges: { from: number; to: number | null }[];
  liveControlTick: number;
  journalHashes: boolean;
}


const slider = $<HTMLInputElement>('#tt-slider');
const back = $<HTMLButtonElement>('#tt-back');
const fwd = $<HTMLButtonElement>('#tt-fwd');
const tickLabel = $('#tt-tick');
const verdict = $('#tt-verdict');
const status = $('#conn-status');
const errorBox = $('#tt-error');
const tokenCard = $('#token-card');

let token: string | null = readToken();
let shown: TickView | null = null;
let wanted = 0;
let loading: Promise<void> | null = null;

function readToken(): string | null {
  try {
    return sessionStorage.getItem(TOKEN_KEY);
  } catch {
    return null; // storage disabled: the token lives in memory only
  }
}

async function call<T>(path: string): Promise<T> {
  if (token === null) throw new HttpError(401, 'UNAUTHORIZED', 'enter the admin token first');
  return adminCall<T>(token, 'GET', path);
}

function explain(e: unknown): string {
  if (!(e instanceof HttpError)) return e instanceof Error ? e.message : String(e);
  if (e.code === 'UNAUTHORIZED') return `Not allowed: ${e.message}. Enter the admin token.`;
  if (e.code === 'NO_DATA_DIR') return 'This server keeps its state in memory only (no data directory), so there is nothing recorded to travel through. Start it with TICKVERSE_DATA_DIR set.';
  if (e.code === 'NOT_FOUND') return `${e.message}.`;
  return `${e.message} (${e.code})`;
}

function fail(e: unknown): void {
  errorBox.hidden = false;
  setText(errorBox, explain(e));
  status.dataset.state = 'offline';
  setText(status, 'Error');
  if (e instanceof HttpError && e.code === 'UNAUTHORIZED') tokenCard.hidden = false;
}

function show(v: TickView): void {
  shown = v;
  errorBox.hidden = true;
  setText(tickLabel, `#${v.controlTick}`);
  verdict.dataset.verdict = v.verdict;
  const bad = v.checks.filter((c) => !c.match).map((c) => c.realm);
  setText(verdict, v.verdict === 'match' ? `✓ hashes match (${v.checks.length})` : v.verdict === 'mismatch' ? `✕ MISMATCH: ${bad.join(', ')}` : 'not verified at this tick');
  const s = v.summary;
  setText($('#checks-summary'), `since the start point: ${fmtInt(s.checked)} checked, ${fmtInt(s.mismatches)} mismatched${s.firstMismatchTick === null ? '' : `, first at #${s.firstMismatchTick}`}`);
  const restore = v.restore === null ? '' : ` · restore check ${v.restore.mismatches === 0 ? 'ok' : `${v.restore.mismatches} MISMATCHED`}`;
  setText($('#tt-meta'), `replayed from the ${v.start.from === 'snapshot' ? 'snapshot' : 'start with recovery'} at #${v.start.controlTick}${restore}`);
  renderChecks($('#check-table tbody'), v);
  renderRealms($('#realm-table tbody'), v);
  renderEntities($('#entity-table tbody'), v);
  renderEvents($('#event-list'), v);
  renderOperations($('#op-list'), v);
  status.dataset.state = 'live';
  setText(status, `At #${v.controlTick}`);
  back.disabled = v.controlTick <= Number(slider.min);
  fwd.disabled = v.controlTick >= Number(slider.max);
}

/** Goes to `tick`; moves asked for while one is loading collapse into the last one. */
function go(tick: number): void {
  wanted = Math.max(Number(slider.min), Math.min(Number(slider.max), tick));
  slider.value = String(wanted);
  setText(tickLabel, `#${wanted}`);
  if (loading !== null) return;
  loading = (async () => {
    while (shown?.controlTick !== wanted) {
      const target = wanted;
      verdict.dataset.verdict = 'loading';
      setText(verdict, 'replaying…');
      status.dataset.state = 'connecting';
      setText(status, `Replaying to #${target}…`);
      try {
        show(await call<TickView>(`api/timeline/${target}`));
      } catch (e) {
        fail(e);
        break;
      }
    }
  })().finally(() => (loading = null));
}

async function load(): Promise<void> {
  try {
    const t = await call<TimelineSummary>('api/timeline');
    tokenCard.hidden = true;
    if (t.ranges.length === 0) throw new Error('Nothing recorded yet: the first snapshot has not been written (every snapshotEvery control ticks).');
    const from = Math.min(...t.ranges.map((r) => r.from));
    const to = t.liveControlTick;
    slider.min = String(from);
    slider.max = String(Math.max(from, to));
    const hashes = t.checkpoints.length > 0 ? `${fmtInt(t.checkpoints.length)} hash checkpoints` : 'no hash checkpoints (journalHashes off)';
    setText($('#tt-range'), `recorded #${from}–#${to} · ${t.snapshots.length} snapshots (${t.snapshots.map((s) => `#${s.controlTick}`).join(', ')}) · ${hashes}`);
    go(shown?.controlTick ?? Math.max(from, to - 1));
  } catch (e) {
    fail(e);
  }
}

slider.addEventListener('input', () => setText(tickLabel, `#${slider.value}`));
slider.addEventListener('change', () => go(Number(slider.value)));
back.addEventListener('click', () => go((shown?.controlTick ?? wanted) - 1));
fwd.addEventListener('click', () => go((shown?.controlTick ?? wanted) + 1));
$<HTMLFormElement>('#token-form').addEventListener('submit', (ev) => {
  ev.preventDefault();
  const t = $<HTMLInputElement>('#token-input').value.trim();
  if (t === '') return;
  token = t;
  try {
    sessionStorage.setItem(TOKEN_KEY, t);
  } catch {
    // memory only
  }
  void load();
});

if (token === null) {
  tokenCard.hidden = false;
  status.dataset.state = 'offline';
  setText(status, 'Token needed');
} else void load();
