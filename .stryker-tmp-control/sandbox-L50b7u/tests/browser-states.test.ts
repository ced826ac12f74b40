// @ts-nocheck
// The pages' states in a real headless chromium: "no realms yet" on an empty engine, a
// realm registered elsewhere appearing live, and "disconnected, retrying" when the server
// goes away (a proxy in front of the gateway drops and refuses connections), then live
// again, by itself, when it comes back.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LAPTOP, openPage, outageProxy, screenshot, startBrowserStack, waitLive, type BrowserStack, type Outage } from './browser-helpers.js';

let stack: BrowserStack;
let proxy: Outage;
beforeAll(async () => {
  stack = await startBrowserStack({ demo: false, engine: { shards: 1 } });
  proxy = await outageProxy(stack.gateway.port);
});
afterAll(async () => {
  await proxy?.close();
  await stack?.close();
});

/** Only the browser's own reports of the refused connections are expected while the server is away. */
const OUTAGE_NOISE = /WebSocket connection to .* failed|ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|net::ERR_/;

describe('page states', () => {
  it('says "no realms yet" on every page of an empty multiverse', async () => {
    const dash = await openPage(stack, '/');
    await waitLive(dash.page);
    await dash.page.waitForFunction(() => (document.querySelector('#realm-table td.empty')?.textContent ?? '').startsWith('No realms yet'), null, { timeout: 10_000 });
    expect(await dash.page.textContent('#kpi-realms-sub')).toBe('no realms yet');

    const ents = await openPage(stack, '/entities.html');
    await waitLive(ents.page);
    await ents.page.waitForFunction(() => (document.querySelector('#entity-table td.empty')?.textContent ?? '').startsWith('No realms yet'), null, { timeout: 10_000 });

    const realm = await openPage(stack, '/realm.html');
    await waitLive(realm.page);
    await realm.page.waitForFunction(() => (document.getElementById('realm-list')?.textContent ?? '').startsWith('No realms yet'), null, { timeout: 10_000 });
    await screenshot(realm.page, 'realm-empty', false);

    // A realm registered from code shows up without a reload (registry push).
    await stack.engine.register({ realm_id: 'late', game_id: 'late-game', developer_name: 'Someone', kind: 'forest' });
    await dash.page.waitForFunction(() => document.querySelector('#realm-table tbody tr[data-key="late"]') !== null, null, { timeout: 10_000 });
    await ents.page.waitForFunction(() => document.querySelector('#entity-table tbody tr[data-key="deer-0"]') !== null, null, { timeout: 15_000 });
    await realm.page.waitForFunction(() => Number(document.getElementById('scene')?.dataset.realms) === 1, null, { timeout: 10_000 });

    for (const p of [dash, ents, realm]) {
      expect(p.errors).toEqual([]);
      await p.context.close();
    }
  });

  it('shows "disconnected, retrying" while the gateway is away, then recovers by itself', async () => {
    if (!stack.engine.list().some((r) => r.realmId === 'late')) await stack.engine.register({ realm_id: 'late', game_id: 'late-game', kind: 'forest' });
    const { page, errors, context } = await openPage(stack, '/', LAPTOP, proxy.base);
    await waitLive(page);
    await page.waitForFunction(() => document.querySelector('#realm-table tbody tr[data-key="late"]') !== null, null, { timeout: 10_000 });
    expect(errors).toEqual([]);

    proxy.down();
    await page.waitForFunction(() => document.getElementById('conn-status')?.dataset.state === 'retrying', null, { timeout: 10_000 });
    expect(await page.textContent('#conn-status')).toMatch(/Disconnected — retrying/);
    await page.waitForFunction(() => document.getElementById('kpi-health')?.textContent === 'Offline', null, { timeout: 5000 });
    await screenshot(page, 'dashboard-retrying', false);

    proxy.up();
    await waitLive(page, 20_000);
    const samples = Number(await page.getAttribute('#tick-chart', 'data-samples'));
    await page.waitForFunction((n) => Number(document.getElementById('tick-chart')?.dataset.samples) > n + 5, samples, { timeout: 10_000 });
    await page.waitForFunction(() => document.getElementById('kpi-health')?.textContent === 'OK', null, { timeout: 10_000 });
    expect(await page.isVisible('#realm-table tbody tr[data-key="late"]')).toBe(true);

    expect(errors.filter((e) => !OUTAGE_NOISE.test(e))).toEqual([]);
    await context.close();
  });
});
