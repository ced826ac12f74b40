// The time-travel page in a real headless chromium against a real engine (realtime, demo
// realms, a data directory in a temp dir, hash checkpoints journaled) and gateway on port 0:
// the token, the slider over the recorded range, the realms and entities of the chosen
// control tick, one step back, and the hash verdict (match, and a MISMATCH in red when the
// recording was altered).
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Packr } from 'msgpackr';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seal, unseal } from '../engine/persist/files.js';
import type { JournalRecord } from '../engine/persist/records.js';
import { readTimeline } from '../engine/time-travel.js';
import { TOKEN, openPage, startBrowserStack, type BrowserStack } from './browser-helpers.js';
import { untilTick } from './helpers.js';

const SHOT = fileURLToPath(new URL('../docs/screenshots/timeline.png', import.meta.url));
let stack: BrowserStack;
let dir: string;
/** The control tick whose recorded tavern hash the test alters (in a journal file the engine no longer writes). */
let altered = 0;
const packr = new Packr({ useRecords: false, mapsAsObjects: true });

async function alterCheckpoint(tick: number): Promise<void> {
  for (const name of await readdir(join(dir, 'journal'))) {
    const path = join(dir, 'journal', name);
    const recs = unseal(new Uint8Array(await readFile(path))).records.map((r) => packr.unpack(r) as JournalRecord);
    const rec = recs.find((r) => r.t === 'hash' && r.tick === tick);
    if (rec === undefined || rec.t !== 'hash') continue;
    rec.hashes.tavern = (rec.hashes.tavern! ^ 1) >>> 0;
    await writeFile(path, Buffer.concat(recs.map((r) => seal(packr.pack(r)))));
    return;
  }
  throw new Error(`no hash checkpoint for control tick ${tick}`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tickverse-tl-'));
  stack = await startBrowserStack({ engine: { dataDir: dir, snapshotEvery: 10, snapshotRetain: 5, hashEvery: 1, journalHashes: true } });
  // Two snapshots on disk: the slider then spans more than one start point.
  await untilTick(stack.engine, 'two snapshots', () => (stack.engine.stats().lastSnapshot?.controlTick ?? 0) >= 20, 400);
  // A recording that disagrees with the replay at one tick: the page must say so, not hide it.
  altered = (await readTimeline(dir)).ranges[0]!.from + 2;
  await alterCheckpoint(altered);
});
afterAll(async () => {
  await stack?.close();
  await rm(dir, { recursive: true, force: true });
});

const shownTick = (page: Page): Promise<string | null> => page.textContent('#tt-tick');

async function moveSlider(page: Page, tick: number): Promise<void> {
  await page.$eval(
    '#tt-slider',
    (el, t) => {
      const input = el as HTMLInputElement;
      input.value = String(t);
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    },
    tick,
  );
}

async function waitShown(page: Page, tick: number): Promise<void> {
  await page.waitForFunction((t) => document.getElementById('conn-status')?.textContent === `At #${t}`, tick, { timeout: 20_000 });
}

describe('time travel page (/timeline.html)', () => {
  it('asks for the token, then replays the chosen control tick: realms, entities, events and a hash verdict', async () => {
    const { page, errors, context } = await openPage(stack, '/timeline.html');
    await page.waitForSelector('#token-card:not([hidden])');
    await page.fill('#token-input', TOKEN);
    await page.click('#token-form button[type="submit"]');
    await page.waitForFunction(() => document.getElementById('tt-verdict')?.dataset.verdict === 'match', null, { timeout: 20_000 });

    const min = Number(await page.getAttribute('#tt-slider', 'min'));
    const max = Number(await page.getAttribute('#tt-slider', 'max'));
    expect(min).toBeGreaterThan(0);
    expect(max).toBeGreaterThan(min + 10);
    // A tick between the two snapshots.
    const target = min + 6;
    await moveSlider(page, target);
    await waitShown(page, target);
    expect(await shownTick(page)).toBe(`#${target}`);
    expect(await page.getAttribute('#tt-verdict', 'data-verdict')).toBe('match');
    expect(await page.textContent('#tt-verdict')).toContain('hashes match');
    for (const id of ['tavern', 'forest']) {
      expect(await page.$(`#realm-table tbody tr[data-key="${id}"]`)).not.toBeNull();
      expect(await page.$$eval(`#entity-table tbody tr[data-key^="${id}/"]`, (rows) => rows.length)).toBeGreaterThan(0);
      expect(await page.$eval(`#check-table tbody tr[data-key="${id}:checkpoint"]`, (tr) => tr.getAttribute('data-match'))).toBe('true');
    }
    // The hash the page shows is the one the live engine recorded at that tick.
    const shownHash = await page.$eval('#realm-table tbody tr[data-key="tavern"] td[data-col="hash"]', (td) => td.textContent ?? '');
    const entities1 = await page.$$eval('#entity-table tbody tr', (rows) => rows.map((r) => r.textContent).join('|'));

    await page.click('#tt-back');
    await waitShown(page, target - 1);
    expect(await page.getAttribute('#tt-verdict', 'data-verdict')).toBe('match');
    expect(await page.$eval('#realm-table tbody tr[data-key="tavern"] td[data-col="hash"]', (td) => td.textContent ?? '')).not.toBe(shownHash);
    await page.click('#tt-fwd');
    await waitShown(page, target);
    expect(await page.$$eval('#entity-table tbody tr', (rows) => rows.map((r) => r.textContent).join('|'))).toBe(entities1);
    // Forward a few and the events list fills at some tick (the forest's rumours, the tavern's bell, the merchant).
    let sawEvent = false;
    for (let t = target + 1; t <= target + 30 && !sawEvent; t++) {
      await page.click('#tt-fwd');
      await waitShown(page, t);
      sawEvent = (await page.$$('#event-list li[data-type]')).length > 0;
    }
    expect(sawEvent).toBe(true);
    await page.screenshot({ path: SHOT, fullPage: true });

    // The altered tick: MISMATCH, in red, naming the realm; the other realms still match.
    await moveSlider(page, altered);
    await waitShown(page, altered);
    expect(await page.getAttribute('#tt-verdict', 'data-verdict')).toBe('mismatch');
    expect(await page.textContent('#tt-verdict')).toContain('MISMATCH: tavern');
    expect(await page.$eval('#tt-verdict', (el) => getComputedStyle(el).backgroundColor)).toBe('rgb(255, 107, 107)');
    expect(await page.$eval('#check-table tbody tr[data-key="tavern:checkpoint"]', (tr) => [tr.getAttribute('data-match'), tr.lastElementChild?.textContent])).toEqual(['false', 'MISMATCH']);
    expect(await page.$eval('#check-table tbody tr[data-key="forest:checkpoint"]', (tr) => tr.getAttribute('data-match'))).toBe('true');
    expect(errors).toEqual([]);
    await context.close();
  });
});
