// The dashboard's Nodes panel (scale-out, docs/scale-out.md): shown only when /api/health says
// this server is a node of a multi-node multiverse; one row per live node, this one marked,
// and this node's part in transfers and takeovers.
import type { ClusterStats } from '../../protocol/cluster.js';
import { $, h } from './lib/dom.js';
import { fmtInt } from './lib/format.js';

export interface HealthNodes {
  node?: string;
  nodes?: { node: string; url: string; realms: number; entities: number }[];
  cluster?: ClusterStats;
}

const plural = (n: number, one: string, many = `${one}s`): string => `${fmtInt(n)} ${n === 1 ? one : many}`;

export function renderNodes(health: HealthNodes | null): void {
  const panel = $('#nodes');
  const nodes = health?.nodes;
  panel.hidden = nodes === undefined;
  if (nodes === undefined) return;
  const rows = nodes.map((n) =>
    h(
      'tr',
      { 'data-node': n.node },
      h('td', {}, n.node, n.node === health?.node ? h('span', { class: 'sub' }, ' (this node)') : ''),
      h('td', {}, n.url === '' ? '–' : h('a', { href: `${n.url}/` }, n.url)),
      h('td', { class: 'num' }, fmtInt(n.realms)),
      h('td', { class: 'num' }, fmtInt(n.entities)),
    ),
  );
  $('#node-table tbody').replaceChildren(...rows);
  $('#nodes-hint').textContent = `${nodes.length} live node${nodes.length === 1 ? '' : 's'} on NATS`;
  const c = health?.cluster;
  $('#node-stats').textContent =
    c === undefined
      ? ''
      : `This node: ${plural(c.transfers.sent, 'entity', 'entities')} transferred out, ${fmtInt(c.transfers.landed)} in, ${fmtInt(c.transfers.inFlight)} in flight, ${fmtInt(c.transfers.refused)} refused · ${plural(c.adopted, 'realm')} taken over from dead nodes${c.hashMismatches > 0 ? ` (${fmtInt(c.hashMismatches)} with another hash than recorded)` : ''} · ${plural(c.fencedWrites, 'snapshot write')} refused as stale.`;
}
