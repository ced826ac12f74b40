// The 3D multiverse page in headless chromium (WebGL through SwiftShader) against a real engine +
// gateway with the demo realms: one object per realm, an arc after a published event, click → entities.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_REALMS } from '../engine/demo.js';
import { TOKEN, openPage, startBrowserStack, waitLive, type BrowserStack } from './browser-helpers.js';
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

let stack: BrowserStack;
beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.close();
});

describe('3D multiverse (/space.html)', () => {
  it('draws every realm in WebGL, an arc for a published event, and a click opens the entity view', async () => {
    const { page, errors, context } = await openPage(stack, '/space.html');
    await waitLive(page);
    expect(await page.getAttribute('#space', 'data-renderer')).toBe('webgl');
    const n = stack.engine.list().length;
    expect(n).toBe(DEMO_REALMS.length);
    await page.waitForFunction((want) => document.getElementById('space')?.dataset.realms === String(want), n, { timeout: 15_000 });

    const res = await fetch(`${stack.base}/api/publish`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'space_probe', to: 'forest' }),
    });
    expect(res.status).toBe(202);
    await page.waitForFunction(() => (document.getElementById('space')?.dataset.arcTypes ?? '').split(' ').includes('space_probe'), null, { timeout: 15_000 });

    const shot = fileURLToPath(new URL('../docs/screenshots/space-3d.png', import.meta.url));
    mkdirSync(fileURLToPath(new URL('../docs/screenshots/', import.meta.url)), { recursive: true });
    await page.screenshot({ path: shot });

    const at = await page.evaluate(() => (window as unknown as { tickverseSpace?: { screenOf(id: string): { x: number; y: number } | null } }).tickverseSpace?.screenOf('tavern') ?? null);
    expect(at).not.toBeNull();
    const box = await page.locator('#space').boundingBox();
    await page.mouse.click(box!.x + at!.x, box!.y + at!.y);
    await page.waitForURL(/entities\.html#realm=tavern$/, { timeout: 10_000 });
    expect(errors).toEqual([]);
    await context.close();
  });
});
