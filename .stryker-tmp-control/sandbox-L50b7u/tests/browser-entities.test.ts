// @ts-nocheck
// The entity viewer in a real headless chromium: NPC positions change live, filter and
// sort work, one entity can be followed (fields and path), and a transferred entity can be
// followed into its new realm.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cellText, openPage, screenshot, startBrowserStack, waitLive, type BrowserStack } from './browser-helpers.js';

let stack: BrowserStack;
beforeAll(async () => {
  // 10 Hz: the merchant stays 60 local ticks (6 s) in each realm, time enough to follow it.
  stack = await startBrowserStack({ engine: { tickHz: 10, ticksPerControl: 2 } });
});
afterAll(async () => {
  await stack?.close();
});

const rowIds = (page: import('playwright-core').Page): Promise<string[]> => page.$$eval('#entity-table tbody tr[data-key]', (trs) => trs.map((tr) => tr.getAttribute('data-key') ?? ''));

describe('entity viewer (/entities.html)', () => {
  it('shows a realm’s NPCs with positions changing live; filters and sorts them', async () => {
    const { page, errors, context } = await openPage(stack, '/entities.html#realm=forest');
    await waitLive(page);
    await page.waitForFunction(() => document.querySelector('#entity-table tbody tr[data-key="deer-0"]') !== null, null, { timeout: 15_000 });
    expect(await page.$eval('#realm-pick', (s) => (s as HTMLSelectElement).value)).toBe('forest');

    // Same entities as the engine has.
    const engineIds = (await stack.engine.entities('forest')).map((e) => e.id).filter((id) => id.startsWith('deer-') || id.startsWith('wolf-'));
    const pageIds = await rowIds(page);
    for (const id of engineIds) expect(pageIds).toContain(id);

    // Positions at two moments.
    const x0 = await cellText(page, '#entity-table', 'deer-0', 'x');
    const y0 = await cellText(page, '#entity-table', 'deer-0', 'y');
    expect(Number(x0)).not.toBeNaN();
    await page.waitForFunction(
      ([x, y]) => {
        const row = document.querySelector('#entity-table tr[data-key="deer-0"]');
        return row !== null && (row.querySelector('td[data-col="x"]')?.textContent !== x || row.querySelector('td[data-col="y"]')?.textContent !== y);
      },
      [x0, y0] as const,
      { timeout: 10_000 },
    );
    // Fields the kind exposes are columns too.
    expect(await cellText(page, '#entity-table', 'deer-0', 'name')).toBe('Deer 1');
    expect(await cellText(page, '#entity-table', 'deer-0', 'mood')).not.toBe('');

    // Filter.
    await page.fill('#entity-filter', 'wolf');
    await page.waitForFunction(() => {
      const ids = Array.from(document.querySelectorAll('#entity-table tbody tr[data-key]')).map((tr) => tr.getAttribute('data-key') ?? '');
      return ids.length > 0 && ids.every((id) => id.startsWith('wolf-'));
    }, null, { timeout: 5000 });
    expect((await rowIds(page)).length).toBe(3);
    await page.fill('#entity-filter', '');
    await page.waitForFunction(() => document.querySelectorAll('#entity-table tbody tr[data-key]').length >= 11, null, { timeout: 5000 });

    // Sort by x (numbers sort largest first on the first click), read in one go.
    await page.click('#entity-table th[data-col="x"] button');
    await page.waitForFunction(() => document.querySelector('#entity-table th[data-col="x"]')?.getAttribute('aria-sort') === 'descending', null, { timeout: 5000 });
    const xs = await page.$$eval('#entity-table tbody tr[data-key] td[data-col="x"]', (tds) => tds.map((td) => Number(td.textContent)));
    expect(xs.length).toBeGreaterThan(5);
    for (let i = 1; i < xs.length; i++) expect(xs[i]!).toBeLessThanOrEqual(xs[i - 1]!);

    expect(errors).toEqual([]);
    await context.close();
  });

  it('follows one entity: its fields update and its path is drawn', async () => {
    const { page, errors, context } = await openPage(stack, '/entities.html#realm=forest');
    await waitLive(page);
    await page.waitForFunction(() => document.querySelector('#entity-table tbody tr[data-key="wolf-0"]') !== null, null, { timeout: 15_000 });
    await page.click('#entity-table tbody tr[data-key="wolf-0"] td[data-col="id"]');
    await page.waitForFunction(() => document.querySelector('#detail dd[data-field="x"]') !== null, null, { timeout: 5000 });
    expect(await page.textContent('#detail-title')).toBe('Following Wolf 1');
    expect(await page.isVisible('#follow-map')).toBe(true);
    expect(await page.getAttribute('#entity-table tr[data-key="wolf-0"]', 'class')).toContain('selected');
    expect(new URL(page.url()).hash).toContain('entity=wolf-0');
    const x0 = await page.textContent('#detail dd[data-field="x"]');
    const y0 = await page.textContent('#detail dd[data-field="y"]');
    await page.waitForFunction(
      ([x, y]) => document.querySelector('#detail dd[data-field="x"]')?.textContent !== x || document.querySelector('#detail dd[data-field="y"]')?.textContent !== y,
      [x0, y0] as const,
      { timeout: 10_000 },
    );
    // Its path on the map grows as it moves.
    await page.waitForFunction(() => Number(document.getElementById('follow-map')?.dataset.trail) >= 20, null, { timeout: 15_000 });
    await screenshot(page, 'entities', false);

    // Switching realms through the picker.
    await page.selectOption('#realm-pick', 'tavern');
    await page.waitForFunction(() => document.querySelector('#entity-table tbody tr[data-key="barkeep"]') !== null, null, { timeout: 10_000 });
    expect(new URL(page.url()).hash).toContain('realm=tavern');
    expect(errors).toEqual([]);
    await context.close();
  });

  it('follows the travelling merchant into the realm it was transferred to', async () => {
    // Wherever the merchant is now, follow it there and wait for it to move on.
    let home = 'tavern';
    for (const r of ['tavern', 'forest']) if ((await stack.engine.entities(r)).some((e) => e.id === 'merchant')) home = r;
    const { page, errors, context } = await openPage(stack, `/entities.html#realm=${home}&entity=merchant`);
    await waitLive(page);
    await page.waitForFunction(() => document.querySelector('#detail dd[data-field="name"]')?.textContent === 'Mira the Merchant', null, { timeout: 15_000 });
    // The merchant leaves at a control tick; the viewer notices and finds where it went.
    await page.waitForFunction(() => document.querySelector('#detail a[data-follow-realm]') !== null, null, { timeout: 40_000 });
    const next = await page.getAttribute('#detail a[data-follow-realm]', 'data-follow-realm');
    expect(next).not.toBe(home);
    expect(await page.textContent('#detail .note')).toContain('left');
    await page.click('#detail a[data-follow-realm]');
    await page.waitForFunction((r) => (document.getElementById('realm-pick') as HTMLSelectElement).value === r, next, { timeout: 10_000 });
    await page.waitForFunction(() => document.querySelector('#entity-table tr[data-key="merchant"].selected') !== null, null, { timeout: 10_000 });
    expect(await page.textContent('#detail-title')).toBe('Following Mira the Merchant');
    expect(await page.textContent('#detail dd[data-field="name"]')).toBe('Mira the Merchant');
    expect(errors).toEqual([]);
    await context.close();
  });
});
