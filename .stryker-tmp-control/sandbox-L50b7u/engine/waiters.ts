// @ts-nocheck
// Small promise bookkeeping: keyed waiters resolved later, all rejectable at stop.
export interface Waiter<T> {
  resolve(value: T): void;
  reject(error: unknown): void;
}

export class Waiters<K, T> {
  private readonly map = new Map<K, Waiter<T>[]>();

  wait(key: K): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const list = this.map.get(key);
      if (list === undefined) this.map.set(key, [{ resolve, reject }]);
      else list.push({ resolve, reject });
    });
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  resolve(key: K, value: T): void {
    const list = this.map.get(key);
    if (list === undefined) return;
    this.map.delete(key);
    for (const w of list) w.resolve(value);
  }

  reject(key: K, error: unknown): void {
    const list = this.map.get(key);
    if (list === undefined) return;
    this.map.delete(key);
    for (const w of list) w.reject(error);
  }

  /** Resolves every waiter whose key passes `due`; returns how many keys were resolved. */
  resolveWhere(due: (key: K) => boolean, value: T): number {
    if (this.map.size === 0) return 0;
    let n = 0;
    for (const key of [...this.map.keys()]) {
      if (!due(key)) continue;
      this.resolve(key, value);
      n++;
    }
    return n;
  }

  rejectAll(error: unknown): void {
    for (const key of [...this.map.keys()]) this.reject(key, error);
  }
}
