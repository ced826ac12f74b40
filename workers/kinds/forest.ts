// The forest: deer and wolves wander; when a wolf comes close to a deer the forest sends a
// rumour to the tavern; the merchant passes through and heads back to the tavern.
import { defineKind } from '../define-kind.js';
import { arrive, bump, makeNpc, maxPlayersParam, nextRealm, note, npcWorldParts, wander, type DemoEvents, type NpcWorld } from './npc-world.js';

export default defineKind<NpcWorld, DemoEvents>({
  name: 'forest',
  create(params, ctx) {
    const deer = typeof params.deer === 'number' ? Math.min(1000, Math.max(0, params.deer)) : 8;
    const wolves = typeof params.wolves === 'number' ? Math.min(1000, Math.max(0, params.wolves)) : 3;
    const w: NpcWorld = { width: 60, height: 40, npcs: [], counters: {}, log: [], next: nextRealm(params, 'tavern'), nextKnown: true, maxPlayers: maxPlayersParam(params) };
    for (let i = 0; i < deer; i++) w.npcs.push(makeNpc(ctx, w, `deer-${i}`, 'npc', `Deer ${i + 1}`, 'grazing'));
    for (let i = 0; i < wolves; i++) w.npcs.push(makeNpc(ctx, w, `wolf-${i}`, 'npc', `Wolf ${i + 1}`, 'prowling'));
    return w;
  },
  tick(w, ctx) {
    wander(w, ctx, 4);
    if (ctx.tick === 1) ctx.emit({ type: 'hello', selector: { adjacency: ctx.stat7.adjacency }, data: { from: ctx.realmId } });
    for (const wolf of w.npcs) {
      if (!wolf.id.startsWith('wolf-') || wolf.timer > 0) continue;
      for (const deer of w.npcs) {
        if (!deer.id.startsWith('deer-')) continue;
        if (Math.abs(deer.x - wolf.x) < 2 && Math.abs(deer.y - wolf.y) < 2) {
          deer.mood = 'fleeing';
          wolf.timer = 30;
          bump(w, 'chases');
          ctx.emit({ type: 'rumor', data: { text: `${wolf.name} chased ${deer.name}`, tick: ctx.tick } });
          break;
        }
      }
    }
    for (const n of w.npcs) {
      if (n.kind === 'merchant' && n.timer === 0 && w.next !== null) {
        n.timer = 60;
        ctx.transfer(n.id, w.next);
      }
    }
  },
  on: { bell: (w) => bump(w, 'event:bell') },
  direct: {
    'merchant-departed'(w) {
      bump(w, 'event:merchant-departed');
      note(w, 'a merchant is on the road');
    },
  },
  onOtherEvent: (w, ev) => bump(w, `event:${ev.type}`),
  ...npcWorldParts,
  importEntity(w, entity) {
    arrive(w, entity, w.width / 2, 1);
  },
});
