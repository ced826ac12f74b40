// The SSE fallback in a real headless chromium: the browser's own EventSource streams a realm
// (hello, then a keyframe and deltas as JSON), and after the connection is dropped it
// reconnects by itself with Last-Event-ID and is the same player, with a fresh keyframe.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPage, outageProxy, startBrowserStack, type BrowserStack } from './browser-helpers.js';
import { until } from './gateway-helpers.js';

let stack: BrowserStack;
beforeAll(async () => {
  stack = await startBrowserStack({ gateway: { reconnectGraceMs: 20_000 } });
});
afterAll(async () => {
  await stack?.close();
});

interface Seen {
  op: string;
  key?: boolean;
  session?: string;
  resumed?: boolean;
  id: string;
}

describe('SSE fallback in the browser (EventSource)', () => {
  it('streams a realm and resumes as the same player after the stream is dropped', async () => {
    // Through a proxy that can take the network away; the page is same-origin with the stream.
    const proxy = await outageProxy(stack.gateway.port);
    try {
      const { page, context } = await openPage(stack, '/favicon.svg', undefined, proxy.base);
      await page.evaluate(() => {
        const w = window as unknown as { seen: Seen[]; opens: number };
        w.seen = [];
        w.opens = 0;
        const es = new EventSource('/api/realms/tavern/stream');
        es.onopen = () => w.opens++;
        es.onmessage = (e) => {
          const m = JSON.parse(e.data as string) as Seen;
          w.seen.push({ op: m.op, key: m.key, session: m.session, resumed: m.resumed, id: e.lastEventId });
        };
      });
      const seen = (): Promise<Seen[]> => page.evaluate(() => (window as unknown as { seen: Seen[] }).seen);
      await page.waitForFunction(() => {
        const s = (window as unknown as { seen: Seen[] }).seen;
        return s.some((m) => m.op === 'state' && m.key === true) && s.some((m) => m.op === 'state' && m.key !== true);
      }, null, { timeout: 15_000 });
      const first = (await seen()).find((m) => m.op === 'hello')!;
      expect(first.resumed).toBe(false);
      expect(first.id).toMatch(/^s[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\.\d+$/);

      proxy.down();
      const before = (await seen()).length;
      await until('the gateway to see the stream go', () => stack.gateway.stats().connections === 0);
      proxy.up();

      // EventSource reconnects on its own, sending Last-Event-ID: the same player, a fresh keyframe.
      await page.waitForFunction(
        (n) => {
          const s = (window as unknown as { seen: Seen[] }).seen.slice(n);
          const h = s.findIndex((m) => m.op === 'hello');
          return h >= 0 && s.slice(h).some((m) => m.op === 'state' && m.key === true);
        },
        before,
        { timeout: 20_000 },
      );
      const again = (await seen()).slice(before).find((m) => m.op === 'hello')!;
      expect(again).toMatchObject({ session: first.session, resumed: true });
      expect(await page.evaluate(() => (window as unknown as { opens: number }).opens)).toBeGreaterThanOrEqual(2);
      await context.close();
    } finally {
      await proxy.close();
    }
  });
});
