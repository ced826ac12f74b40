// @ts-nocheck
// OTP-style restart intensity: at most `max` restarts per `periodMs` for each shard; past it
// the shard stays down and its realms are marked failed instead of crash-looping.
export class RestartBudget {
  private readonly log = new Map<number, number[]>();

  constructor(
    private readonly max: number,
    private readonly periodMs: number,
  ) {}

  /** Records a restart at `now` if the budget allows it; false = exhausted. */
  take(shard: number, now: number): boolean {
    const recent = (this.log.get(shard) ?? []).filter((t) => now - t < this.periodMs);
    if (recent.length >= this.max) {
      this.log.set(shard, recent);
      return false;
    }
    recent.push(now);
    this.log.set(shard, recent);
    return true;
  }
}
