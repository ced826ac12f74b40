// @ts-nocheck
// A tiny typed event emitter (no node:events, so the client bundles for browsers).

type AnyFn = (...args: unknown[]) => void;

export class Emitter<E extends Record<string, unknown[]>> {
  private readonly handlers = new Map<keyof E, Set<AnyFn>>();

  /** Adds a listener; returns the function that removes it. */
  on<K extends keyof E>(event: K, fn: (...args: E[K]) => void): () => void {
    let set = this.handlers.get(event);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(event, set);
    }
    set.add(fn as unknown as AnyFn);
    return () => this.off(event, fn);
  }

  off<K extends keyof E>(event: K, fn: (...args: E[K]) => void): void {
    this.handlers.get(event)?.delete(fn as unknown as AnyFn);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.handlers.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (e) {
        // A listener's bug must not break the connection; surface it asynchronously.
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }
}
