// @ts-nocheck
// docs/protocol.md and docs/gateway.md stay in sync with the code: every op, push, close
// code, topic form, gateway option and metric is documented.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CloseCode, OPS, Push, Topic } from '../protocol/wire.js';
import { resolveGatewayOptions } from '../gateway/options.js';
import { createMetrics } from '../gateway/metrics.js';
import { newStats } from '../gateway/stats.js';
import type { Engine } from '../engine/index.js';

const protocol = readFileSync(new URL('../docs/protocol.md', import.meta.url), 'utf8');
const gateway = readFileSync(new URL('../docs/gateway.md', import.meta.url), 'utf8');

describe('gateway docs', () => {
  it('protocol.md documents every op, push, close code and topic', () => {
    for (const op of OPS) expect(protocol, `op ${op} in the table`).toMatch(new RegExp(`\\| \`${op}\` \\|`));
    for (const p of Object.values(Push)) expect(protocol, `push ${p}`).toContain(`op: "${p}"`);
    for (const [name, code] of Object.entries(CloseCode)) expect(protocol, `close ${name}`).toMatch(new RegExp(`\\| ${code} \\| ${name} \\|`));
    for (const t of [Topic.REGISTRY, Topic.TICKS, Topic.ALL_EVENTS, `${Topic.EVENT_PREFIX}<type>`, `${Topic.REALM_EVENTS_PREFIX}<realmId>`]) {
      expect(protocol, `topic ${t}`).toContain(`\`${t}\``);
    }
  });

  it('gateway.md documents every option and metric', () => {
    const opts = resolveGatewayOptions({ token: 'a-long-enough-token' }, {});
    for (const k of Object.keys(opts)) expect(gateway, `option ${k}`).toMatch(new RegExp(`\`${k}\``));
    const fakeEngine = { stats: () => ({ controlTick: 0, eventsRouted: 0, realmsByState: {} }), shardCount: 1 } as unknown as Engine;
    const m = createMetrics(fakeEngine, newStats(), false);
    for (const metric of m.registry.getMetricsAsArray()) {
      expect(gateway, `metric ${metric.name}`).toContain(`\`${metric.name}`);
    }
  });
});
