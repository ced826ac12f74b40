// The dashboard in a real headless chromium against a real engine + gateway with the demo
// realms: the realm table lists them and moves, the control-tick chart changes, health,
// version, uptime, shard load and the event feed fill in, on a laptop and a phone screen;
// and the Backups panel (with a data directory in a temp dir) creates, lists, restores and deletes.
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import { PHONE, TOKEN, cellText, openPage, screenshot, startBrowserStack, waitLive, type BrowserStack } from './browser-helpers.js';

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

describe('dashboard backups panel', () => {
  it('on a server without a data directory: says so in words, Create is off, and no request is refused', async () => {
    const { page, errors, context } = await openPage(stack, '/');
    await waitLive(page);
    await page.fill('#token-input', TOKEN);
    await page.click('#token-use');
    await page.waitForFunction(() => (document.querySelector('#backup-table tbody')?.textContent ?? '').includes('memory only'), null, { timeout: 10_000 });
    expect(await page.textContent('#backup-table tbody')).toContain('TICKVERSE_DATA_DIR');
    expect(await page.isDisabled('#backup-create')).toBe(true);
    await page.click('#backup-refresh');
    await page.waitForFunction(() => (document.querySelector('#backup-table tbody')?.textContent ?? '').includes('memory only'), null, { timeout: 10_000 });
    expect(errors).toEqual([]);
    await context.close();
  });


  let durable: BrowserStack;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'tickverse-browser-backups-'));
    durable = await startBrowserStack({ engine: { dataDir } });
  });
  afterAll(async () => {
    await durable?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const registry = () => durable.engine.list().map((r) => [r.realmId, r.kind, r.state]);

  /** Waits for the newest line of the backups log to settle (✓ or ✕) with `contains`, and returns it. */
  async function logLine(page: Page, contains: string): Promise<{ kind: string; text: string }> {
    await page.waitForFunction(
      (c) => {
        const li = document.querySelector('#backup-log li');
        return li !== null && li.getAttribute('data-result') !== 'pending' && (li.textContent ?? '').includes(c);
      },
      contains,
      { timeout: 15_000 },
    );
    return page.$eval('#backup-log li', (li) => ({ kind: li.getAttribute('data-result') ?? '', text: li.textContent ?? '' }));
  }

  it('creates a backup with the button, lists it, restores it after a second click, and says why a damaged one is refused', async () => {
    const { page, errors, context } = await openPage(durable, '/');
    await waitLive(page);
    expect(await page.textContent('#backup-table tbody')).toContain('Enter the admin token');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-use');
    await page.waitForFunction(() => (document.querySelector('#backup-table tbody')?.textContent ?? '').includes('No backups yet'), null, { timeout: 10_000 });

    await durable.engine.onControlTick(durable.engine.controlTick + 2);
    const before = registry();
    await page.click('#backup-create');
    const created = await logLine(page, 'taken');
    expect(created.kind).toBe('ok');
    const [name] = await readdir(join(dataDir, 'backups'));
    expect(name).toMatch(/^backup-\d+-\d+\.tvsnap$/);
    expect(created.text).toContain(name);
    const row = `#backup-table tbody tr[data-key="${name}"]`;
    await page.waitForSelector(row, { timeout: 10_000 });
    expect(await cellText(page, '#backup-table', name!, 'name')).toBe(name);
    const tick = Number(/^backup-(\d+)-/.exec(name!)![1]);
    expect(await cellText(page, '#backup-table', name!, 'tick')).toBe(`#${tick.toLocaleString('en-US')}`);
    const size = (await readFile(join(dataDir, 'backups', name!))).length;
    expect(await page.getAttribute(`${row} td[data-col="size"]`, 'title')).toBe(`${size.toLocaleString('en-US')} bytes`);
    expect(await cellText(page, '#backup-table', name!, 'time')).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    // Change the multiverse, then restore: the first click only asks.
    await durable.engine.register({ realm_id: 'after-backup', game_id: 'test', kind: 'tavern' });
    await durable.engine.pause('tavern');
    const changed = registry();
    expect(changed).not.toEqual(before);
    await page.click(`${row} button[data-action="restore"]`);
    expect(await page.textContent(`${row} button[data-action="restore"]`)).toContain('Confirm');
    expect(registry()).toEqual(changed);
    await page.click(`${row} button[data-action="restore"]`);
    const restored = await logLine(page, 'Restored');
    expect(restored.kind).toBe('ok');
    expect(restored.text).toContain(`${before.length} realms`);
    expect(restored.text).toContain('state hashes match');
    expect(registry()).toEqual(before);

    // A damaged file is refused in words and changes nothing.
    const bytes = await readFile(join(dataDir, 'backups', name!));
    await writeFile(join(dataDir, 'backups', 'damaged.tvsnap'), bytes.subarray(0, Math.floor(bytes.length / 2)));
    await page.click('#backup-refresh');
    const damaged = '#backup-table tbody tr[data-key="damaged.tvsnap"]';
    await page.waitForSelector(damaged, { timeout: 10_000 });
    await durable.engine.register({ realm_id: 'after-restore', game_id: 'test', kind: 'tavern' });
    const now = registry();
    await page.click(`${damaged} button[data-action="restore"]`);
    await page.click(`${damaged} button[data-action="restore"]`);
    const refused = await logLine(page, 'damaged.tvsnap');
    expect(refused.kind).toBe('err');
    expect(refused.text).toContain('damaged or not a Tickverse backup, so nothing was changed');
    expect(registry()).toEqual(now);

    // Delete it, after a second click too.
    await page.click(`${damaged} button[data-action="delete"]`);
    await page.click(`${damaged} button[data-action="delete"]`);
    expect((await logLine(page, 'Deleted')).kind).toBe('ok');
    await page.waitForSelector(damaged, { state: 'detached', timeout: 10_000 });
    expect(await readdir(join(dataDir, 'backups'))).toEqual([name]);

    await screenshot(page, 'dashboard-backups');
    // The refused restore's 400 is the one HTTP error expected.
    expect(errors.filter((e) => !e.includes('damaged.tvsnap/restore') && !e.includes('400 (Bad Request)'))).toEqual([]);
    await context.close();
  });
});
