// @ts-nocheck
// The dashboard in a real headless chromium against a real engine + gateway with the demo
// realms: the realm table lists them and moves, the control-tick chart changes, health,
// version, uptime, shard load and the event feed fill in, on a laptop and a phone screen.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import { PHONE, cellText, openPage, screenshot, startBrowserStack, waitLive, type BrowserStack } from './browser-helpers.js';

const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
const IDS = DEMO_REALMS.map((r) => r.realm_id);

let stack: BrowserStack;
beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.close();
});

const num = (s: string): number => Number(s.replace(/[^0-9.-]/g, ''));

describe('dashboard (/)', () => {
  it('lists every demo realm with its metadata, and the table moves between two moments', async () => {
    const { page, errors, context } = await openPage(stack, '/');
    await waitLive(page);
    await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#realm-table tbody tr[data-key="${id}"]`) !== null), IDS, { timeout: 15_000 });

    for (const reg of DEMO_REALMS) {
      const info = stack.engine.get(reg.realm_id);
      expect(await cellText(page, '#realm-table', reg.realm_id, 'realm')).toContain(reg.realm_id);
      expect(await cellText(page, '#realm-table', reg.realm_id, 'game')).toContain(reg.game_id);
      expect(await cellText(page, '#realm-table', reg.realm_id, 'game')).toContain(reg.developer_name!);
      expect(await cellText(page, '#realm-table', reg.realm_id, 'shard')).toBe(String(info.shard));
      expect(await cellText(page, '#realm-table', reg.realm_id, 'state')).toBe('running');
      const stat7 = await cellText(page, '#realm-table', reg.realm_id, 'stat7');
      expect(stat7).toContain(info.stat7.horizon);
      expect(stat7).toContain(info.stat7.adjacency);
      const title = await page.$eval(`#realm-table tr[data-key="${reg.realm_id}"] td[data-col="stat7"]`, (td) => td.getAttribute('title'));
      expect(title).toContain(info.stat7Canonical);
    }

    // The same cells at two moments: local ticks keep rising on the page.
    const tick1 = num(await cellText(page, '#realm-table', 'tavern', 'tick'));
    const entities = num(await cellText(page, '#realm-table', 'forest', 'entities'));
    expect(entities).toBeGreaterThan(0);
    await page.waitForFunction(
      (t) => Number((document.querySelector('#realm-table tr[data-key="tavern"] td[data-col="tick"]')?.textContent ?? '').replace(/[^0-9]/g, '')) > t + 5,
      tick1,
      { timeout: 15_000 },
    );
    expect(stack.engine.get('tavern').localTick).toBeGreaterThan(tick1);

    // Health, version, uptime, control tick, realms.
    await page.waitForFunction(() => document.getElementById('kpi-health')?.textContent === 'OK', null, { timeout: 10_000 });
    await page.waitForFunction(() => /^\d+s$|^\d+m/.test(document.getElementById('kpi-uptime')?.textContent ?? ''), null, { timeout: 10_000 });
    expect(await page.textContent('#kpi-version')).toBe(VERSION);
    expect(await page.textContent('#kpi-realms')).toBe(String(IDS.length));
    expect(await page.textContent('#kpi-ct')).toMatch(/^#\d/);

    // Shard load: one row per shard, with its realms.
    await page.waitForFunction((n) => document.querySelectorAll('#shards .shard').length === n, stack.engine.stats().shards, { timeout: 10_000 });
    const shardText = await page.textContent('#shards');
    expect(shardText).toMatch(/Shard 0[\s\S]*% busy/);
    expect(shardText).toMatch(/\d+ realms · \d+ entities/);

    // Cross-realm events: the demo realms emit them (bells, rumours, the merchant leaving).
    await page.waitForFunction(() => document.querySelectorAll('#event-feed li[data-type]').length > 0, null, { timeout: 20_000 });
    const first = await page.$eval('#event-feed li[data-type]', (li) => ({ type: li.getAttribute('data-type'), from: li.getAttribute('data-from'), text: li.textContent }));
    expect(IDS).toContain(first.from);
    expect(first.text).toContain('→');

    await screenshot(page, 'dashboard');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('draws the control-tick chart (duration and barrier, p50/p99) and it changes between two moments', async () => {
    const { page, errors, context } = await openPage(stack, '/');
    await waitLive(page);
    await page.waitForFunction(() => Number(document.getElementById('tick-chart')?.dataset.samples ?? 0) >= 5, null, { timeout: 15_000 });
    const before = await page.$eval('#tick-chart', (c) => ({ samples: Number((c as HTMLCanvasElement).dataset.samples), image: (c as HTMLCanvasElement).toDataURL() }));
    expect(before.image.length).toBeGreaterThan(1000);
    await page.waitForFunction((n) => Number(document.getElementById('tick-chart')?.dataset.samples ?? 0) >= n + 10, before.samples, { timeout: 15_000 });
    await page.waitForFunction((img) => (document.getElementById('tick-chart') as HTMLCanvasElement).toDataURL() !== img, before.image, { timeout: 15_000 });
    for (const id of ['#leg-d50', '#leg-d99', '#leg-b50', '#leg-b99']) expect(await page.textContent(id)).toMatch(/^\d+(\.\d+)? (ms|s)$/);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('fits a phone screen: no sideways scrolling, realms readable', async () => {
    const { page, errors, context } = await openPage(stack, '/', PHONE);
    await waitLive(page);
    await page.waitForFunction((ids) => ids.every((id) => document.querySelector(`#realm-table tbody tr[data-key="${id}"]`) !== null), IDS, { timeout: 15_000 });
    await page.waitForFunction(() => Number(document.getElementById('tick-chart')?.dataset.samples ?? 0) >= 5, null, { timeout: 15_000 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    // Each realm row is a visible block with its labelled values.
    const box = await page.locator('#realm-table tr[data-key="tavern"]').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.width).toBeLessThanOrEqual(PHONE.width);
    expect(await page.isVisible('#realm-table tr[data-key="tavern"] td[data-col="state"]')).toBe(true);
    await screenshot(page, 'dashboard-phone');
    expect(errors).toEqual([]);
    await context.close();
  });
});
