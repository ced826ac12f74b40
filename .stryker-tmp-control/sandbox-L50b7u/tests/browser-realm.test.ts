// @ts-nocheck
// The realm view in a real headless chromium: realms placed by STAT7, entities animated
// from the state stream (the canvas changes between two moments), coordinates listed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import { openPage, screenshot, startBrowserStack, waitLive, type BrowserStack } from './browser-helpers.js';

let stack: BrowserStack;
beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('realm view (/realm.html)', () => {
  it('places the demo realms and animates their entities from the state stream', async () => {
    const { page, errors, context } = await openPage(stack, '/realm.html');
    await waitLive(page);
    const entities = DEMO_REALMS.reduce((n, r) => n + stack.engine.get(r.realm_id).entities, 0);
    await page.waitForFunction(
      ([realms, ents]) => {
        const c = document.getElementById('scene');
        return Number(c?.dataset.realms) === realms && Number(c?.dataset.entities) >= ents - 1;
      },
      [DEMO_REALMS.length, entities] as const,
      { timeout: 15_000 },
    );
    const before = await page.$eval('#scene', (c) => ({ frames: Number((c as HTMLCanvasElement).dataset.frames), image: (c as HTMLCanvasElement).toDataURL() }));
    await page.waitForFunction((n) => Number(document.getElementById('scene')?.dataset.frames) >= n + 20, before.frames, { timeout: 15_000 });
    await page.waitForFunction((img) => (document.getElementById('scene') as HTMLCanvasElement).toDataURL() !== img, before.image, { timeout: 10_000 });

    // The coordinate list names each realm with its canonical STAT7 string.
    for (const r of DEMO_REALMS) {
      const text = await page.textContent(`#realm-list a[data-realm="${r.realm_id}"]`);
      expect(text).toContain(stack.engine.get(r.realm_id).stat7Canonical);
    }
    expect(await page.textContent('#scene-count')).toMatch(/3 realms · \d+ entities/);

    // Hovering a realm explains it.
    const box = (await page.locator('#scene').boundingBox())!;
    await page.mouse.move(box.x + box.width - 60, box.y + 60);
    await page.mouse.move(box.x + box.width * 0.25, box.y + box.height * 0.5);
    await page.waitForFunction(() => !(document.getElementById('tooltip')?.hidden ?? true), null, { timeout: 5000 });
    expect(await page.textContent('#tooltip')).toMatch(/stat7:|·/);
    await page.mouse.move(0, 0);

    await screenshot(page, 'realm');
    expect(errors).toEqual([]);
    await context.close();
  });
});
