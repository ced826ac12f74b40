// @ts-nocheck
// Admin actions from the dashboard in a real headless chromium: a missing or bad token is
// refused in words; with the token, register / pause / resume / publish / unregister each
// change the engine (checked on the engine object) and the page shows the result.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from './gateway-helpers.js';
import { TOKEN, cellText, openPage, screenshot, startBrowserStack, waitLive, type BrowserStack } from './browser-helpers.js';
import type { Page } from 'playwright-core';

let stack: BrowserStack;
beforeAll(async () => {
  stack = await startBrowserStack();
});
afterAll(async () => {
  await stack?.close();
});

/** Waits for the newest admin log line to settle (✓ or ✕) and returns it. */
async function result(page: Page, contains: string): Promise<{ kind: string; text: string }> {
  await page.waitForFunction(
    (c) => {
      const li = document.querySelector('#admin-log li');
      return li !== null && li.getAttribute('data-result') !== 'pending' && (li.textContent ?? '').includes(c);
    },
    contains,
    { timeout: 15_000 },
  );
  return page.$eval('#admin-log li', (li) => ({ kind: li.getAttribute('data-result') ?? '', text: li.textContent ?? '' }));
}

async function waitRealms(page: Page): Promise<void> {
  await waitLive(page);
  await page.waitForFunction(() => document.querySelector('#realm-table tbody tr[data-key="tavern"]') !== null, null, { timeout: 15_000 });
  await page.waitForFunction(() => document.querySelector('#action-realm option[value="tavern"]') !== null, null, { timeout: 15_000 });
}

describe('admin actions (dashboard)', () => {
  it('refuses actions without a token and with a wrong one, and says so', async () => {
    const { page, errors, context } = await openPage(stack, '/');
    await waitRealms(page);

    await page.selectOption('#action-realm', 'tavern');
    await page.click('#act-pause');
    const noToken = await result(page, 'Pause');
    expect(noToken.kind).toBe('err');
    expect(noToken.text).toContain('Enter the admin token first');

    await page.fill('#token-input', 'not-the-right-token-at-all');
    await page.click('#token-use');
    const bad = await result(page, 'refused');
    expect(bad.kind).toBe('err');
    expect(bad.text).toContain('The server refused this token');
    expect(await page.getAttribute('#token-state', 'data-refused')).toBe('true');
    expect(await page.textContent('#token-state')).toContain('refused');

    await page.click('#act-pause');
    expect((await result(page, 'Pause failed')).text).toContain('Enter the admin token first');
    expect(stack.engine.get('tavern').state).toBe('running');
    await screenshot(page, 'admin-bad-token', false);
    expect(errors).toEqual([]);
    await context.close();
  });

  it('with the token: register, pause, resume, publish and unregister change the engine and the page', async () => {
    const { page, errors, context } = await openPage(stack, '/');
    await waitRealms(page);

    await page.fill('#token-input', TOKEN);
    await page.click('#token-use');
    expect((await result(page, 'Token accepted')).kind).toBe('ok');
    expect(await page.getAttribute('#token-state', 'data-active')).toBe('true');

    // Register a test game (a tavern, so it has NPCs).
    await page.fill('#reg-realm', 'test-browser');
    await page.selectOption('#reg-kind', 'tavern');
    await page.click('#reg-submit');
    const reg = await result(page, 'Registered');
    expect(reg.kind).toBe('ok');
    expect(reg.text).toContain('test-browser');
    const info = stack.engine.get('test-browser');
    expect(info.gameId).toBe('test-game');
    expect(info.kind).toBe('tavern');
    expect(info.stat7.adjacency).toBe('cluster_test');
    await page.waitForFunction(() => document.querySelector('#realm-table tbody tr[data-key="test-browser"]') !== null, null, { timeout: 10_000 });

    // A duplicate is refused, in words.
    await page.fill('#reg-realm', 'tavern');
    await page.click('#reg-submit');
    const dup = await result(page, 'Register “tavern” failed');
    expect(dup.kind).toBe('err');
    expect(dup.text).toMatch(/DUPLICATE_REALM/);

    // Pause and resume.
    await page.selectOption('#action-realm', 'tavern');
    await page.click('#act-pause');
    expect((await result(page, 'Paused “tavern”')).kind).toBe('ok');
    expect(stack.engine.get('tavern').state).toBe('paused');
    await page.waitForFunction(() => document.querySelector('#realm-table tr[data-key="tavern"] td[data-col="state"]')?.textContent === 'paused', null, { timeout: 10_000 });
    const pausedAt = stack.engine.get('tavern').localTick;
    await page.click('#act-resume');
    expect((await result(page, 'Resumed “tavern”')).kind).toBe('ok');
    expect(stack.engine.get('tavern').state).toBe('running');
    await page.waitForFunction(() => document.querySelector('#realm-table tr[data-key="tavern"] td[data-col="state"]')?.textContent === 'running', null, { timeout: 10_000 });
    await until('tavern ticking again', () => stack.engine.get('tavern').localTick > pausedAt);

    // Publish to one realm: the engine delivers it and the feed shows it.
    const lobbyIn = stack.engine.get('lobby').eventsIn;
    await page.fill('#pub-type', 'browser-ping');
    await page.selectOption('#pub-target', 'realm');
    await page.selectOption('#pub-to', 'lobby');
    await page.fill('#pub-data', '{"n": 42}');
    await page.click('#pub-submit');
    const pub = await result(page, 'Published');
    expect(pub.kind).toBe('ok');
    expect(pub.text).toContain('routed at control tick');
    await until('the event delivered to lobby', () => stack.engine.get('lobby').eventsIn > lobbyIn);
    await page.waitForFunction(() => document.querySelector('#event-feed li[data-type="browser-ping"]') !== null, null, { timeout: 10_000 });
    const line = await page.textContent('#event-feed li[data-type="browser-ping"]');
    expect(line).toContain('API');
    expect(line).toContain('lobby');
    expect(line).toContain('42');

    // Bad JSON is caught before sending.
    await page.fill('#pub-data', '{oops');
    await page.click('#pub-submit');
    const badJson = await result(page, 'not valid JSON');
    expect(badJson.kind).toBe('err');

    // Unregister (two clicks).
    await page.selectOption('#action-realm', 'test-browser');
    await page.click('#act-unregister');
    expect(await page.textContent('#act-unregister')).toContain('Confirm');
    expect(stack.engine.list().some((r) => r.realmId === 'test-browser')).toBe(true);
    await page.click('#act-unregister');
    expect((await result(page, 'Unregistered “test-browser”')).kind).toBe('ok');
    expect(stack.engine.list().some((r) => r.realmId === 'test-browser')).toBe(false);
    await page.waitForFunction(() => document.querySelector('#realm-table tbody tr[data-key="test-browser"]') === null, null, { timeout: 10_000 });

    await page.locator('#admin').screenshot({ path: `${(await import('./browser-helpers.js')).ARTIFACTS}admin.png` });
    expect(await cellText(page, '#realm-table', 'tavern', 'state')).toBe('running');
    expect(errors).toEqual([]);
    await context.close();
  });
});
