// The tavern: patrons and a barkeep wander; a travelling merchant visits, then leaves for
// the forest (an entity transfer); rumours from the forest change the patrons' mood.
import { defineKind } from '../define-kind.js';
import { arrive, bump, makeNpc, maxPlayersParam, nextRealm, note, npcWorldParts, wander, type DemoEvents, type NpcWorld } from './npc-world.js';

const PATRON_MOODS = ['cheerful', 'thirsty', 'gossiping', 'sleepy'];

export default defineKind<NpcWorld, DemoEvents>({
  name: 'tavern',
  create(params, ctx) {
    const patrons = typeof params.patrons === 'number' ? Math.min(1000, Math.max(0, params.patrons)) : 6;
    const w: NpcWorld = { width: 20, height: 12, npcs: [], counters: {}, log: [], next: nextRealm(params, 'forest'), nextKnown: false, maxPlayers: maxPlayersParam(params) };
    w.npcs.push(makeNpc(ctx, w, 'barkeep', 'npc', 'Barkeep Brannoc', 'busy'));
    for (let i = 0; i < patrons; i++) {
      const mood = PATRON_MOODS[Math.floor(ctx.random() * PATRON_MOODS.length)] ?? 'cheerful';
      w.npcs.push(makeNpc(ctx, w, `patron-${i}`, 'npc', `Patron ${i + 1}`, mood));
    }
    if (params.merchant !== false) {
      const m = makeNpc(ctx, w, 'merchant', 'merchant', 'Mira the Merchant', 'haggling');
      m.timer = 40;
      w.npcs.push(m);
    }
    return w;
  },
  tick(w, ctx) {
    wander(w, ctx, 2);
    for (const n of w.npcs) {
      if (n.kind === 'npc' && n.id !== 'barkeep' && ctx.random() < 0.01) {
        n.mood = PATRON_MOODS[Math.floor(ctx.random() * PATRON_MOODS.length)] ?? n.mood;
        if (n.mood === 'thirsty') bump(w, 'drinks');
      }
      if (n.kind === 'merchant' && n.timer === 0) {
        const to = w.nextKnown ? w.next : null;
        n.timer = 60;
        if (to !== null) {
          ctx.transfer(n.id, to);
          ctx.emit({ to, type: 'merchant-departed', data: { merchant: n.id, from: ctx.realmId } });
        }
      }
    }
    if (ctx.tick % 50 === 0) ctx.emit({ type: 'bell', data: { tick: ctx.tick, from: ctx.realmId } });
  },
  on: {
    rumor(w, ev) {
      bump(w, 'event:rumor');
      for (const n of w.npcs) if (n.kind === 'npc' && n.id !== 'barkeep') n.mood = 'uneasy';
      note(w, `rumor from ${ev.from}`);
    },
    bell: (w) => bump(w, 'event:bell'),
  },
  direct: {
    // The forest says hello by selector once it runs: the merchant may travel there.
    hello(w, ev) {
      bump(w, 'event:hello');
      if (ev.from === w.next) w.nextKnown = true;
    },
  },
  onOtherEvent: (w, ev) => bump(w, `event:${ev.type}`),
  ...npcWorldParts,
  importEntity(w, entity) {
    if (arrive(w, entity, 1, w.height / 2) !== null) bump(w, 'arrivals');
  },
});
