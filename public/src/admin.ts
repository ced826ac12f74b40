// The dashboard's admin panel: the token, then register a test game, pause / resume /
// unregister a realm, and publish an event. Each action ends in a line in the log: what
// happened (with the server's answer) or, in words, why it did not.
import type { RealmInfo, RealmRegistration } from '../../client/index.js';
import { describeError, type PageConnection } from './lib/connection.js';
import { $, h } from './lib/dom.js';
import { clockTime } from './lib/format.js';
import type { RealmStore } from './lib/realm-store.js';

const ARM_MS = 4000;

function randomSuffix(): string {
  const bytes = new Uint8Array(3);
  crypto.getRandomValues(bytes);
  return [...bytes].map((b) => b.toString(36).padStart(2, '0')).join('').slice(0, 5);
}

export function initAdmin(conn: PageConnection, store: RealmStore): void {
  const { client, admin } = conn;
  const log = $<HTMLOListElement>('#admin-log');
  const tokenInput = $<HTMLInputElement>('#token-input');
  const tokenState = $('#token-state');
  const realmSelect = $<HTMLSelectElement>('#action-realm');
  const pubTo = $<HTMLSelectElement>('#pub-to');
  const regRealm = $<HTMLInputElement>('#reg-realm');

  const write = (kind: 'ok' | 'err' | 'pending', text: string, li?: HTMLLIElement): HTMLLIElement => {
    const icon = kind === 'ok' ? '✓' : kind === 'err' ? '✕' : '…';
    const item = li ?? h('li');
    item.className = kind;
    item.dataset.result = kind;
    item.replaceChildren(h('span', { class: 'icon', 'aria-hidden': 'true' }, icon), h('span', { class: 'when' }, clockTime()), h('span', { class: 'msg' }, text));
    if (li === undefined) log.prepend(item);
    while (log.children.length > 30) log.lastElementChild?.remove();
    return item;
  };

  /** Runs one admin action: a pending line, the token check, the request, then ✓ or ✕ in words. */
  const run = async (what: string, button: HTMLButtonElement | null, action: () => Promise<string>): Promise<void> => {
    const line = write('pending', `${what}…`);
    if (button !== null) button.disabled = true;
    try {
      await admin.ensure();
      write('ok', await action(), line);
    } catch (e) {
      write('err', `${what} failed: ${describeError(e)}`, line);
    } finally {
      if (button !== null) button.disabled = false;
      renderToken();
    }
  };

  // ---- token ----
  const renderToken = (): void => {
    const active = admin.active;
    const refused = admin.refused;
    tokenState.dataset.active = String(active);
    tokenState.dataset.refused = String(refused && !active);
    tokenState.textContent = active
      ? 'Token accepted: admin actions are enabled on this connection.'
      : refused
        ? 'Token refused by the server.'
        : admin.token !== null
          ? 'Token kept for this tab; it is checked again after each reconnect.'
          : 'No token: admin actions will be refused.';
  };
  admin.onChange(renderToken);
  renderToken();
  if (admin.token !== null) tokenInput.value = admin.token;

  $<HTMLFormElement>('#token-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const btn = $<HTMLButtonElement>('#token-use');
    btn.disabled = true;
    const line = write('pending', 'Checking the token…');
    admin
      .use(tokenInput.value)
      .then(
        () => write('ok', 'Token accepted: admin actions are enabled.', line),
        (e: unknown) => write('err', describeError(e), line),
      )
      .finally(() => {
        btn.disabled = false;
        renderToken();
      });
  });
  $('#token-forget').addEventListener('click', () => {
    admin.forget();
    tokenInput.value = '';
    write('ok', 'Token forgotten for this tab (the current connection stays authenticated until it reconnects).');
  });

  // ---- realm pickers follow the registry ----
  const fillRealms = (select: HTMLSelectElement, realms: RealmInfo[]): void => {
    const want = realms.map((r) => r.realmId);
    const have = [...select.options].map((o) => o.value);
    if (want.length > 0 && want.length === have.length && want.every((v, i) => v === have[i])) {
      [...select.options].forEach((o, i) => {
        const label = `${realms[i]!.realmId} · ${realms[i]!.state}`;
        if (o.textContent !== label) o.textContent = label;
      });
      return;
    }
    const keep = select.value;
    select.replaceChildren(...(realms.length === 0 ? [h('option', { value: '' }, 'No realms yet')] : realms.map((r) => h('option', { value: r.realmId }, `${r.realmId} · ${r.state}`))));
    if (want.includes(keep)) select.value = keep;
  };
  store.onChange(() => {
    const realms = store.sorted();
    fillRealms(realmSelect, realms);
    fillRealms(pubTo, realms);
  });

  // ---- register ----
  regRealm.value = `test-${randomSuffix()}`;
  $<HTMLFormElement>('#register-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const form = ev.currentTarget as HTMLFormElement;
    const f = new FormData(form);
    const str = (k: string): string => String(f.get(k) ?? '').trim();
    const realmId = str('realm_id');
    if (realmId === '') {
      write('err', 'Register failed: enter a realm id (letters, digits, - _ .).');
      return;
    }
    const reg: RealmRegistration = {
      realm_id: realmId,
      game_id: str('game_id') || 'test-game',
      developer_name: str('developer_name') || 'Admin dashboard',
      description: 'A test game registered from the admin dashboard',
      ...(str('adjacency') !== '' ? { adjacency: str('adjacency') } : {}),
      stat7: { horizon: str('horizon') as never, polarity: str('polarity') as never },
      ...(str('kind') !== '' ? { kind: str('kind') } : {}),
    };
    void run(`Register “${realmId}”`, $<HTMLButtonElement>('#reg-submit'), async () => {
      const info = await client.register(reg);
      regRealm.value = `test-${randomSuffix()}`;
      void store.refresh();
      return `Registered “${info.realmId}” (game ${info.gameId}, kind ${info.kind}) on shard ${info.shard}: ${info.state}, ${info.stat7Canonical}`;
    });
  });

  // ---- pause / resume / unregister ----
  const selected = (): string => {
    const v = realmSelect.value;
    if (v === '') throw new Error('Pick a realm first.');
    return v;
  };
  const pauseBtn = $<HTMLButtonElement>('#act-pause');
  const resumeBtn = $<HTMLButtonElement>('#act-resume');
  const unregBtn = $<HTMLButtonElement>('#act-unregister');
  pauseBtn.addEventListener('click', () => {
    let id = '';
    void run('Pause', pauseBtn, async () => {
      id = selected();
      const info = await client.pause(id);
      void store.refresh();
      return `Paused “${id}”: state is now ${info.state} at local tick ${info.localTick}.`;
    });
  });
  resumeBtn.addEventListener('click', () => {
    void run('Resume', resumeBtn, async () => {
      const id = selected();
      const info = await client.resume(id);
      void store.refresh();
      return `Resumed “${id}”: state is now ${info.state}.`;
    });
  });
  let armed: { realm: string; timer: ReturnType<typeof setTimeout> } | null = null;
  const disarm = (): void => {
    if (armed !== null) clearTimeout(armed.timer);
    armed = null;
    unregBtn.classList.remove('armed');
    unregBtn.textContent = 'Unregister…';
  };
  realmSelect.addEventListener('change', disarm);
  unregBtn.addEventListener('click', () => {
    const id = realmSelect.value;
    if (id === '') {
      write('err', 'Unregister failed: pick a realm first.');
      return;
    }
    if (armed === null || armed.realm !== id) {
      disarm();
      armed = { realm: id, timer: setTimeout(disarm, ARM_MS) };
      unregBtn.classList.add('armed');
      unregBtn.textContent = `Confirm: unregister ${id}`;
      return;
    }
    disarm();
    void run(`Unregister “${id}”`, unregBtn, async () => {
      await client.unregister(id);
      void store.refresh();
      return `Unregistered “${id}”: the realm and its state are gone.`;
    });
  });

  // ---- publish ----
  const target = $<HTMLSelectElement>('#pub-target');
  const showTarget = (): void => {
    $('#pub-to-wrap').hidden = target.value !== 'realm';
    $('#pub-adj-wrap').hidden = target.value !== 'selector';
  };
  target.addEventListener('change', showTarget);
  showTarget();
  $<HTMLFormElement>('#publish-form').addEventListener('submit', (ev) => {
    ev.preventDefault();
    const type = $<HTMLInputElement>('#pub-type').value.trim();
    const raw = $<HTMLTextAreaElement>('#pub-data').value.trim();
    if (type === '') {
      write('err', 'Publish failed: enter an event type, e.g. "bell".');
      return;
    }
    let data: unknown;
    if (raw !== '') {
      try {
        data = JSON.parse(raw) as unknown;
      } catch (e) {
        write('err', `Publish failed: the data is not valid JSON (${(e as Error).message}).`);
        return;
      }
    }
    const mode = target.value;
    void run(`Publish “${type}”`, $<HTMLButtonElement>('#pub-submit'), async () => {
      let where = 'to the subscribers of the type';
      const params: Parameters<typeof client.publish>[0] = { type, ...(data !== undefined ? { data } : {}) };
      if (mode === 'realm') {
        if (pubTo.value === '') throw new Error('Pick the realm to send to.');
        params.to = pubTo.value;
        where = `to “${pubTo.value}”`;
      } else if (mode === 'selector') {
        const adj = $<HTMLInputElement>('#pub-adj').value.trim();
        if (adj === '') throw new Error('Enter the adjacency to select realms by.');
        params.selector = { adjacency: adj };
        where = `to realms in adjacency “${adj}”`;
      }
      const r = await client.publish(params);
      return `Published “${type}” ${where}: routed at control tick ${r.controlTick} (seq ${r.seq}).`;
    });
  });
}
