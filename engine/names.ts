// Event types and STAT7 selectors travel as 32-bit hashes in frame headers. This table holds
// the one string behind each hash the multiverse has used, so a second string with the same
// hash is refused with HASH_COLLISION instead of being misrouted.
import { ErrorCode, TickverseError } from '../protocol/errors.js';
import { fnv1a } from '../protocol/frames.js';
import { canonicalSelector, selectorHash, type Stat7Selector } from '../protocol/stat7.js';

export class Names {
  private readonly types = new Map<number, string>();
  private readonly selectors = new Map<number, { canonical: string; selector: Stat7Selector }>();

  /** The hash of `type`, recording it; throws HASH_COLLISION if another type has that hash. */
  type(type: string): number {
    const hash = fnv1a(type);
    const known = this.types.get(hash);
    if (known === undefined) this.types.set(hash, type);
    else if (known !== type) {
      throw new TickverseError(ErrorCode.HASH_COLLISION, `event type "${type}" has the same 32-bit routing id as "${known}"; rename one of them`, { type, known });
    }
    return hash;
  }

  /** Checks a type reported by a shard under `hash`; false when it collides with a known one. */
  defineType(hash: number, type: string): boolean {
    if (fnv1a(type) !== hash) return false;
    const known = this.types.get(hash);
    if (known === undefined) this.types.set(hash, type);
    return known === undefined || known === type;
  }

  selector(selector: Stat7Selector): number {
    const hash = selectorHash(selector);
    if (!this.defineSelector(hash, selector)) {
      const known = this.selectors.get(hash)!.canonical;
      throw new TickverseError(ErrorCode.HASH_COLLISION, `selector ${canonicalSelector(selector)} has the same 32-bit routing id as ${known}`, { known });
    }
    return hash;
  }

  defineSelector(hash: number, selector: Stat7Selector): boolean {
    const canonical = canonicalSelector(selector);
    if (selectorHash(selector) !== hash) return false;
    const known = this.selectors.get(hash);
    if (known === undefined) this.selectors.set(hash, { canonical, selector });
    return known === undefined || known.canonical === canonical;
  }

  typeOf(hash: number): string | undefined {
    return this.types.get(hash);
  }

  selectorOf(hash: number): Stat7Selector | undefined {
    return this.selectors.get(hash)?.selector;
  }

  selectorHashes(): IterableIterator<number> {
    return this.selectors.keys();
  }
}
