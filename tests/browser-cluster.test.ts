// The dashboard of a node of a two-node multiverse (real nats-server, two in-process engines
// joined by ClusterNode) in Debian chromium: the Nodes panel lists both live nodes, this one
// marked; a single-node server shows no such panel.
import { chromium, type Browser } from 'playwright-core';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterNode } from '../cluster/node.js';
import { Engine } from '../engine/index.js';
import { startGateway, type Gateway } from '../gateway/index.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, TOKEN, checkPrerequisites, screenshot } from './browser-helpers.js';
import { natsServerPath, startNats } from './nats-helpers.js';

const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
});

async function node(natsUrl: string, id: string): Promise<{ engine: Engine; cluster: ClusterNode; gateway: Gateway }> {
  const engine = new Engine({ shards: 1, mode: 'realtime', tickHz: 20, ticksPerControl: 2 });
  await engine.start();
  closers.push(() => engine.stop());
  let port = 0;
  const cluster = await ClusterNode.start(engine, { natsUrl, nodeId: id, publicUrl: () => `http://127.0.0.1:${port}` });
  closers.push(() => cluster.stop());
  const gateway = await startGateway(engine, { port: 0, host: '127.0.0.1', token: TOKEN, cluster, defaultMetrics: false });
  port = gateway.port;
  closers.push(() => gateway.close());
  return { engine, cluster, gateway };
}

describe.skipIf(natsServerPath === null)('dashboard: nodes of a multiverse', () => {
  it('lists every live node with its address and realms', async () => {
    checkPrerequisites();
    const nats = await startNats();
    const a = await node(nats.url, 'web-a');
    const b = await node(nats.url, 'web-b');
    await a.cluster.register({ realm_id: 'on-a', game_id: 'g' });
    await a.cluster.register({ realm_id: 'on-b', game_id: 'g' });
    const browser: Browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    closers.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    await page.goto(`http://127.0.0.1:${a.gateway.port}/`);
    await page.waitForFunction(() => document.querySelectorAll('#node-table tbody tr').length === 2 && !document.getElementById('nodes')!.hidden, null, { timeout: 20_000 });
    // Heartbeats carry the realm counts: one realm each once both have renewed.
    await page.waitForFunction(() => Array.from(document.querySelectorAll('#node-table tbody tr td:nth-child(3)')).every((td) => td.textContent === '1'), null, { timeout: 20_000 });
    const rows = await page.$$eval('#node-table tbody tr', (trs) => trs.map((tr) => Array.from(tr.querySelectorAll('td')).map((td) => td.textContent ?? '')));
    expect(rows.map((r) => r[0])).toEqual(['web-a (this node)', 'web-b']);
    expect(rows[1]![1]).toBe(`http://127.0.0.1:${b.gateway.port}`);
    // An entity handed from on-a (this node) to on-b (web-b): this node's counters say so.
    await a.cluster.input('on-a', 'p', { set: { id: 'hero', x: 1, y: 1 } });
    await a.cluster.input('on-a', 'p', { transfer: { id: 'hero', to: 'on-b' } });
    await page.waitForFunction(() => document.getElementById('node-stats')?.textContent?.startsWith('This node: 1 entity transferred out, 0 in, 0 in flight'), null, { timeout: 20_000 });
    await screenshot(page, 'dashboard-nodes');
    // A single-node server: no Nodes panel.
    const single = new Engine({ shards: 1 });
    await single.start();
    closers.push(() => single.stop());
    const gw = await startGateway(single, { port: 0, host: '127.0.0.1', token: TOKEN, defaultMetrics: false });
    closers.push(() => gw.close());
    const p2 = await browser.newPage();
    await p2.goto(`http://127.0.0.1:${gw.port}/`);
    await p2.waitForFunction(() => document.getElementById('kpi-health')?.textContent === 'OK', null, { timeout: 20_000 });
    expect(await p2.$eval('#nodes', (el) => (el as HTMLElement).hidden)).toBe(true);
  });
});
