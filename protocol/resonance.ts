// The orchestrator's `resonance` is a genre word ("adventure", "social", …); STAT7 has no word
// dimension, so a word becomes a polarity and a luminosity (docs/migration.md): the words the
// orchestrator's games used come from a fixed table, any other word from its FNV-1a hash, so
// the same word always lands at the same place.
import { fnv1a } from './frames.js';
import { POLARITIES, type Polarity } from './stat7.js';

export interface Resonance {
  polarity: Polarity;
  luminosity: number;
}

export const RESONANCE_WORDS: Readonly<Record<string, Resonance>> = {
  default: { polarity: 'BALANCE', luminosity: 0.5 },
  social: { polarity: 'BALANCE', luminosity: 0.7 },
  adventure: { polarity: 'CHAOS', luminosity: 0.8 },
  wilderness: { polarity: 'CHAOS', luminosity: 0.4 },
  combat: { polarity: 'CHAOS', luminosity: 0.9 },
  exploration: { polarity: 'CREATIVITY', luminosity: 0.6 },
  creative: { polarity: 'CREATIVITY', luminosity: 0.7 },
  mystery: { polarity: 'LOGIC', luminosity: 0.3 },
  puzzle: { polarity: 'LOGIC', luminosity: 0.5 },
  strategy: { polarity: 'LOGIC', luminosity: 0.6 },
  trade: { polarity: 'ORDER', luminosity: 0.6 },
  civic: { polarity: 'ORDER', luminosity: 0.5 },
  horror: { polarity: 'CHAOS', luminosity: 0.1 },
};

/** A genre word → where it sits in STAT7: the table's entry, else one derived from the word's hash. */
export function resonanceOf(word: string): Resonance {
  const key = word.trim().toLowerCase();
  const known = RESONANCE_WORDS[key];
  if (known !== undefined) return known;
  const h = fnv1a(key);
  return { polarity: POLARITIES[h % POLARITIES.length]!, luminosity: ((h >>> 8) % 101) / 100 };
}
