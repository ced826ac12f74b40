// @ts-nocheck
// Helpers for the browser tests: Debian's chromium driven by playwright-core (never a
// browser download) against a real engine + gateway on port 0 with the demo realms;
// console errors collected per page; screenshots saved to tests/artifacts/.
import { existsSync, mkdirSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { Engine, type EngineOptions } from '../engine/index.js';
import { DEMO_REALMS } from '../engine/demo.js';
import { startGateway, type Gateway, type GatewayOptions } from '../gateway/index.js';

export const TOKEN = 'browser-test-token-0123456789';
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const ARTIFACTS = fileURLToPath(new URL('./artifacts/', import.meta.url));
// From tests/ (vitest) or dist/tests/ (compiled): the repository's public/assets/.
const ASSETS = [new URL('../public/assets/', import.meta.url), new URL('../../public/assets/', import.meta.url)]
  .map((u) => fileURLToPath(u))
  .find((p) => existsSync(p)) ?? fileURLToPath(new URL('../public/assets/', import.meta.url));

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Fails early, with the fix, when the page bundles or the browser are missing. */
export function checkPrerequisites(): void {
  for (const page of ['dashboard', 'entities', 'realm']) {
    if (!existsSync(`${ASSETS}${page}.js`)) throw new Error(`public/assets/${page}.js is missing: run "npm run build" (it bundles the pages) before the browser tests`);
  }
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
}

export interface BrowserStack {
  engine: Engine;
  gateway: Gateway;
  browser: Browser;
  base: string;
  /** Browser first, then gateway, then engine. */
  close(): Promise<void>;
}

export interface StackOptions {
  demo?: boolean;
  engine?: EngineOptions;
  gateway?: GatewayOptions;
}

/** Engine (realtime, 20 Hz, a control tick every 2 local ticks) + gateway on port 0 + chromium. */
export async function startBrowserStack(o: StackOptions = {}): Promise<BrowserStack> {
  checkPrerequisites();
  const engine = new Engine({ shards: 2, mode: 'realtime', tickHz: 20, ticksPerControl: 2, ...o.engine });
  await engine.start();
  let gateway: Gateway | null = null;
  let browser: Browser | null = null;
  try {
    if (o.demo !== false) for (const reg of DEMO_REALMS) await engine.register(reg);
    const gwOptions: GatewayOptions = { port: 0, host: '127.0.0.1', token: TOKEN, defaultMetrics: false, ...o.gateway };
    gateway = await startGateway(engine, gwOptions);
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const stack: BrowserStack = {
      engine,
      gateway,
      browser,
      base: `http://127.0.0.1:${gateway.port}`,
      async close() {
        await browser?.close().catch(() => {});
        await stack.gateway.close().catch(() => {});
        await engine.stop();
      },
    };
    return stack;
  } catch (e) {
    await browser?.close().catch(() => {});
    await gateway?.close().catch(() => {});
    await engine.stop();
    throw e;
  }
}

export interface OpenedPage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen on the page. */
  errors: string[];
}

export const LAPTOP = { width: 1440, height: 900 };
export const PHONE = { width: 390, height: 844 };

/** A fresh context (no shared storage) with one page at `path`, console errors recorded. */
export async function openPage(stack: BrowserStack, path: string, viewport = LAPTOP, base = stack.base): Promise<OpenedPage> {
  const context = await stack.browser.newContext({ viewport, deviceScaleFactor: 1, reducedMotion: 'no-preference' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  await page.goto(base + path, { waitUntil: 'load' });
  return { context, page, errors };
}

/** Waits until the page's connection pill says Live. */
export async function waitLive(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForFunction(() => document.getElementById('conn-status')?.dataset.state === 'live', null, { timeout });
}

export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = `${ARTIFACTS}${name}.png`;
  await page.screenshot({ path, fullPage });
  return path;
}

/** Text of a cell of the realm table (dashboard) or entity table (viewer). */
export async function cellText(page: Page, table: string, row: string, col: string): Promise<string> {
  return page.$eval(`${table} tbody tr[data-key="${row}"] td[data-col="${col}"]`, (td) => td.textContent ?? '');
}

export interface Outage {
  /** http://127.0.0.1:<proxy port> */
  base: string;
  /** Drops every connection and refuses new ones, as if the server had gone away. */
  down(): void;
  up(): void;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of the gateway, to take "the server" away from a page and bring it
 * back on the same address (a uWS listen socket cannot rebind its port while the closed
 * connections sit in TIME_WAIT; Node's listener can, and here it never stops listening).
 */
export async function outageProxy(targetPort: number): Promise<Outage> {
  let isDown = false;
  const pairs = new Set<[Socket, Socket]>();
  const server: Server = createServer((client) => {
    if (isDown) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, '127.0.0.1');
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const down = (): void => {
    isDown = true;
    for (const [a, b] of [...pairs]) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    base: `http://127.0.0.1:${port}`,
    down,
    up() {
      isDown = false;
    },
    close() {
      down();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
