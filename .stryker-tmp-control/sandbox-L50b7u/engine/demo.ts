// @ts-nocheck
// The demo multiverse that `npm start` brings up: a tavern and a forest (as in the seed
// orchestrator) whose merchant travels between them, plus a relay realm for a networked game.
import type { RealmRegistration } from '../protocol/realm.js';

export const DEMO_REALMS: readonly RealmRegistration[] = Object.freeze([
  {
    realm_id: 'tavern',
    game_id: 'tickverse-demo',
    developer_name: 'Tickverse',
    description: 'The Prancing Tick: patrons, a barkeep and a travelling merchant',
    kind: 'tavern',
    realm_type: 'tavern',
    adjacency: 'cluster_main',
    resonance: 0.7,
    density: 0.4,
    stat7: { horizon: 'PEAK', polarity: 'ORDER' },
  },
  {
    realm_id: 'forest',
    game_id: 'tickverse-demo',
    developer_name: 'Tickverse',
    description: 'Whispering Woods: deer, wolves and rumours for the tavern',
    kind: 'forest',
    realm_type: 'forest',
    adjacency: 'cluster_main',
    resonance: 0.4,
    density: 0.8,
    stat7: { horizon: 'EMERGENCE', polarity: 'CHAOS' },
  },
  {
    realm_id: 'lobby',
    game_id: 'tickverse-demo',
    developer_name: 'Tickverse',
    description: 'A relay realm: entities and events come from game clients',
    realm_type: 'lobby',
    adjacency: 'cluster_edge',
    resonance: 0.2,
    density: 0.1,
  },
]);
