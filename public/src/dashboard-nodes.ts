// The dashboard's Nodes panel (scale-out, docs/scale-out.md): shown only when /api/health says
// this server is a node of a multi-node multiverse; one row per live node, this one marked.
import { $, h } from './lib/dom.js';
import { fmtInt } from './lib/format.js';

export interface HealthNodes {
  node?: string;
  nodes?: { node: string; url: string; realms: number; entities: number }[];
}

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
}
