// The dashboard's Backups panel: the backups in the server's data directory (name, time,
// size, control tick), Create, and per backup Restore and Delete (each asks for a second
// click). It speaks the admin HTTP routes (/api/backups…) with the tab's admin token as a
// Bearer header; every action ends in a line in the panel's log, errors in words.
import type { BackupCreated, BackupInfo, BackupRestored } from '../../client/index.js';
import type { PageConnection } from './lib/connection.js';
import { $, h } from './lib/dom.js';
import { clockTime, fmtBytes, fmtInt } from './lib/format.js';
import { HttpError, adminCall } from './lib/admin-http.js';

const ARM_MS = 4000;
const POLL_MS = 15_000;


/** Why an action did not happen, in words (never an empty string). */
function explain(e: unknown, action: 'list' | 'create' | 'restore' | 'delete'): string {
  if (!(e instanceof HttpError)) return e instanceof Error ? e.message || e.name : String(e);
  switch (e.code) {
    case 'UNAUTHORIZED':
      return `Not allowed: ${e.message}. Check the admin token.`;
    case 'NO_DATA_DIR':
      return 'This server keeps its state in memory only (no data directory), so it cannot take or restore backups. Start it with TICKVERSE_DATA_DIR set.';
    case 'NOT_FOUND':
      return 'That backup is no longer there (deleted or pruned meanwhile); the list is refreshed.';
    case 'INVALID_ARGUMENT':
      return action === 'restore' ? `The backup file is damaged or not a Tickverse backup, so nothing was changed (${e.message}).` : `${e.message} (${e.code})`;
    case 'NETWORK':
      return 'The server could not be reached, so nothing was done. Try again once the status says Live.';
    default:
      return `${e.message} (${e.code})`;
  }
}

export function initBackups(conn: PageConnection): void {
  const { admin } = conn;
  const body = $<HTMLTableSectionElement>('#backup-table tbody');
  const log = $<HTMLOListElement>('#backup-log');
  const createBtn = $<HTMLButtonElement>('#backup-create');
  const refreshBtn = $<HTMLButtonElement>('#backup-refresh');
  let armed: { key: string; button: HTMLButtonElement; label: string; timer: ReturnType<typeof setTimeout> } | null = null;

  const write = (kind: 'ok' | 'err' | 'pending', text: string, li?: HTMLLIElement): HTMLLIElement => {
    const item = li ?? h('li');
    item.className = kind;
    item.dataset.result = kind;
    item.replaceChildren(h('span', { class: 'icon', 'aria-hidden': 'true' }, kind === 'ok' ? '✓' : kind === 'err' ? '✕' : '…'), h('span', { class: 'when' }, clockTime()), h('span', { class: 'msg' }, text));
    if (li === undefined) log.prepend(item);
    while (log.children.length > 20) log.lastElementChild?.remove();
    return item;
  };

  /** One admin HTTP call; the JSON answer, or an HttpError with the server's code. */
  const call = async <T>(method: 'GET' | 'POST' | 'DELETE', path: string): Promise<T> => {
    const token = admin.token;
    if (token === null) throw new Error('Enter the admin token first (Admin → Token).');
    return adminCall<T>(token, method, path);
  };

  const emptyRow = (text: string): HTMLTableRowElement => h('tr', { class: 'empty-row' }, h('td', { class: 'empty', colspan: 5 }, text));

  const disarm = (): void => {
    if (armed === null) return;
    clearTimeout(armed.timer);
    armed.button.classList.remove('armed');
    armed.button.textContent = armed.label;
    armed = null;
  };

  /** First click arms the button (its text asks to confirm); a second one within ARM_MS acts. */
  const confirmed = (key: string, button: HTMLButtonElement, label: string, ask: string): boolean => {
    if (armed?.key === key) {
      disarm();
      return true;
    }
    disarm();
    armed = { key, button, label, timer: setTimeout(disarm, ARM_MS) };
    button.classList.add('armed');
    button.textContent = ask;
    return false;
  };

  const row = (b: BackupInfo): HTMLTableRowElement => {
    const taken = new Date(b.time);
    const restoreBtn = h('button', { class: 'btn danger', type: 'button', 'data-action': 'restore' }, 'Restore…');
    const deleteBtn = h('button', { class: 'btn danger', type: 'button', 'data-action': 'delete' }, 'Delete…');
    restoreBtn.addEventListener('click', () => {
      if (confirmed(`restore:${b.name}`, restoreBtn, 'Restore…', 'Confirm: replace every realm')) void restore(b.name, restoreBtn);
    });
    deleteBtn.addEventListener('click', () => {
      if (confirmed(`delete:${b.name}`, deleteBtn, 'Delete…', 'Confirm: delete the file')) void remove(b.name, deleteBtn);
    });
    return h(
      'tr',
      { 'data-key': b.name },
      h('td', { 'data-col': 'name', 'data-label': 'Name' }, b.name),
      h('td', { 'data-col': 'time', 'data-label': 'Taken', title: b.time }, `${b.time.slice(0, 10)} ${clockTime(taken)}`),
      h('td', { 'data-col': 'size', 'data-label': 'Size', class: 'num', title: `${fmtInt(b.size)} bytes` }, fmtBytes(b.size)),
      h('td', { 'data-col': 'tick', 'data-label': 'Control tick', class: 'num' }, b.controlTick === null ? '–' : `#${fmtInt(b.controlTick)}`),
      h('td', { 'data-col': 'actions', 'data-label': 'Actions', style: 'padding-left:24px' }, h('span', { class: 'actions', style: 'display:flex;gap:6px;flex-wrap:wrap' }, restoreBtn, deleteBtn)),
    );
  };

  /**
   * Whether the server keeps a data directory, from /api/health (`recovery` is null exactly when
   * the engine has none), asked once per connection: a memory-only server is told apart without
   * a refused request every poll. null: not known (the list is asked for, and says so itself).
   */
  let storage: Promise<boolean | null> | null = null;
  const hasDataDir = (): Promise<boolean | null> =>
    (storage ??= fetch('api/health', { cache: 'no-store' })
      .then((r) => r.json() as Promise<{ recovery?: unknown }>)
      .then((j) => (j.recovery === undefined ? null : j.recovery !== null))
      .catch(() => null));
  const memoryOnly = 'This server keeps its state in memory only (no data directory), so it has no backups. Start it with TICKVERSE_DATA_DIR set.';

  let generation = 0;
  /** Reloads the list (only the latest reload is shown); failures show in the table, and in the log when `report` asks. */
  const refresh = async (report = false): Promise<void> => {
    const gen = ++generation;
    if (admin.token === null || admin.refused) {
      disarm();
      body.replaceChildren(emptyRow(admin.refused ? 'The admin token was refused: enter the right one (Admin, above) to see the backups.' : 'Enter the admin token (Admin, above) to see the backups.'));
      return;
    }
    try {
      if ((await hasDataDir()) === false) {
        if (gen !== generation) return;
        createBtn.disabled = true;
        body.replaceChildren(emptyRow(memoryOnly));
        return;
      }
      const list = await call<BackupInfo[]>('GET', 'api/backups');
      if (gen !== generation) return;
      disarm();
      body.dataset.count = String(list.length);
      // Newest first.
      body.replaceChildren(...(list.length === 0 ? [emptyRow('No backups yet: Create backup takes one.')] : [...list].reverse().map(row)));
      if (report) write('ok', `${list.length} backup${list.length === 1 ? '' : 's'} listed.`);
    } catch (e) {
      if (gen !== generation) return;
      body.replaceChildren(emptyRow(`Could not list the backups: ${explain(e, 'list')}`));
      if (report) write('err', `Listing failed: ${explain(e, 'list')}`);
    }
  };

  /** Runs one action: a pending line, the request, then ✓ or ✕ in words, then a fresh list. */
  const run = async (what: string, button: HTMLButtonElement, action: 'create' | 'restore' | 'delete', fn: () => Promise<string>): Promise<void> => {
    const line = write('pending', `${what}…`);
    button.disabled = true;
    try {
      write('ok', await fn(), line);
    } catch (e) {
      write('err', `${what} failed: ${explain(e, action)}`, line);
    } finally {
      button.disabled = false;
      await refresh();
    }
  };

  const restore = (name: string, button: HTMLButtonElement): Promise<void> =>
    run(`Restore “${name}”`, button, 'restore', async () => {
      const r = await call<BackupRestored>('POST', `api/backups/${encodeURIComponent(name)}/restore`);
      const hashes = r.hashMismatches === 0 ? `all ${r.hashesChecked} state hashes match` : `${r.hashMismatches} of ${r.hashesChecked} state hashes differ`;
      return `Restored “${r.name}”: ${fmtInt(r.realms)} realms from control tick #${fmtInt(r.controlTick)}; ${hashes}.`;
    });

  const remove = (name: string, button: HTMLButtonElement): Promise<void> =>
    run(`Delete “${name}”`, button, 'delete', async () => {
      await call<{ name: string; deleted: true }>('DELETE', `api/backups/${encodeURIComponent(name)}`);
      return `Deleted “${name}”.`;
    });

  createBtn.addEventListener('click', () => {
    void run('Create a backup', createBtn, 'create', async () => {
      const b = await call<BackupCreated>('POST', 'api/backups');
      return `Backup “${b.name}” taken: ${fmtInt(b.realms)} realms at control tick #${fmtInt(b.controlTick)}, ${fmtBytes(b.size)}.`;
    });
  });
  refreshBtn.addEventListener('click', () => void refresh(true));

  // The list follows the token (given, refused, forgotten); scheduled backups show up by polling.
  admin.onChange(() => void refresh());
  conn.onOpen(() => {
    // A reconnect may reach a restarted server with another configuration.
    storage = null;
    createBtn.disabled = false;
    void refresh();
  });
  setInterval(() => {
    if (conn.state === 'live' && armed === null && document.visibilityState === 'visible') void refresh();
  }, POLL_MS);
}
