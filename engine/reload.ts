// Hot reload of a realm kind (docs/realm-kinds.md#hot-reload), main-thread side. Three steps,
// each a command to every live shard over its reload port (engine/shard-pool.ts):
//   load    each shard imports the new version (a cache-busting ?v=N URL: ESM has no unload);
//   swap    at the start of one round R, on every shard, each realm of the kind is snapshotted
//           with the old code and restored into the new one, which then runs that round on trial;
//   commit  or, when any realm's restore or trial threw, revert: every realm of the kind goes back
//           to the old code, so a kind never runs two versions. All or nothing, across shards.
import { ErrorCode, TickverseError, isTickverseError } from '../protocol/errors.js';
import type { ReloadCommand, ReloadFailure, ReloadReply } from '../protocol/shard-messages.js';
import { kindModuleUrl } from './options.js';
import type { Realms } from './realms.js';
import type { ShardIo } from './shard-io.js';
import type { EngineLogger, KindReloadReport } from './types.js';

/** A shard answers within this (an import under load takes milliseconds; a shard that died never answers). */
const ANSWER_MS = 15_000;
/** Failures named in the error message; the rest are counted. */
const SHOWN = 5;

type Op = ReloadReply['op'];
type ReplyOf<O extends Op> = Extract<ReloadReply, { op: O }>;

interface Asked {
  readonly want: Set<number>;
  readonly got: ReloadReply[];
  resolve(r: ReloadReply[]): void;
  reject(e: Error): void;
  readonly timer: NodeJS.Timeout;
}

const failed = (message: string, detail?: Record<string, unknown>): TickverseError => new TickverseError(ErrorCode.RELOAD_FAILED, message, detail);

export class KindReloader {
  private token = 0;
  private version = 0;
  /** Reloads run one at a time, in the order asked. */
  private chain: Promise<unknown> = Promise.resolve();
  private readonly asked = new Map<string, Asked>();

  constructor(
    private readonly io: ShardIo,
    private readonly realms: Realms,
    /** The round the control loop runs now (commands for round + 2 reach every shard before it starts). */
    private readonly round: () => number,
    private readonly log: EngineLogger,
  ) {
    io.pool.onReloadReply = (r) => this.heard(r);
  }

  reload(spec: unknown): Promise<KindReloadReport> {
    const run = this.chain.then(() => this.run(spec));
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The engine stopped: reloads in flight fail now. */
  close(error: Error): void {
    for (const [key, a] of this.asked) {
      this.asked.delete(key);
      clearTimeout(a.timer);
      a.reject(error);
    }
  }

  private async run(spec: unknown): Promise<KindReloadReport> {
    if (typeof spec !== 'string' || spec.length === 0) throw new TickverseError(ErrorCode.INVALID_ARGUMENT, `module must be a non-empty string (a path, file: URL or package name); received ${JSON.stringify(spec) ?? String(spec)}`);
    let base: string;
    try {
      base = kindModuleUrl(spec);
    } catch (e) {
      throw failed(`kind module ${spec} cannot be loaded: ${isTickverseError(e) ? e.message.replace(/^option "kindModules" must be /, 'want ') : String(e)}`, { module: spec, stage: 'load' });
    }
    const url = `${base.replace(/[?#].*$/, '')}?v=${++this.version}`;
    const shards = this.io.pool.links.filter((l) => l.alive).map((l) => l.shard);
    if (shards.length === 0) throw new TickverseError(ErrorCode.SHARD_FAILED, 'no shard is running to load the kind');
    const token = ++this.token;

    const drop = (): void => shards.forEach((s) => this.io.pool.postReload(s, { op: 'drop', token }));
    const loaded = await this.ask(shards, { op: 'load', token, url }, 'loaded').catch((e: unknown) => {
      drop();
      throw e;
    });
    if (loaded.some((r) => !r.ok)) drop();
    for (const r of loaded) if (!r.ok) throw failed(`kind module ${spec} failed to load on shard ${r.shard}: ${r.message}; the old code keeps running`, { module: spec, stage: 'load' });
    const first = loaded[0] as Extract<ReplyOf<'loaded'>, { ok: true }>;
    const kind = first.name;

    let swapped: ReplyOf<'swapped'>[] = [];
    let failures: ReloadFailure[];
    try {
      swapped = await this.ask(shards, { op: 'swap', token, round: this.round() + 2 }, 'swapped');
      failures = swapped.flatMap((s) => s.failed);
    } catch (e) {
      failures = [{ realm: '*', message: e instanceof Error ? e.message : String(e) }];
    }
    if (failures.length > 0) {
      await this.ask(shards, { op: 'revert', token, round: this.round() + 2 }, 'reverted').catch((e: unknown) => this.log.error({ kind, error: String(e) }, 'kind reload: revert not confirmed'));
      const shown = failures.slice(0, SHOWN).map((f) => (f.realm === '*' ? f.message : `realm "${f.realm}": ${f.message}`));
      const more = failures.length > SHOWN ? `; and ${failures.length - SHOWN} more` : '';
      this.log.warn({ kind, module: spec, failures: failures.length }, 'kind reload rolled back');
      throw failed(`reload of kind "${kind}" from ${spec} rolled back, every realm of it is on the old code with its state: ${shown.join('; ')}${more}`, { kind, module: spec, stage: 'realm', realms: failures.map((f) => f.realm) });
    }

    for (const s of shards) this.io.pool.postReload(s, { op: 'commit', token });
    this.remember(first.replaces, url);
    this.realms.hello({ kinds: [{ name: kind, subscribes: first.subscribes, cell: first.cell }] });
    const round = swapped[0]!.round;
    const realms = swapped.reduce((n, s) => n + s.realms, 0);
    this.log.info({ kind, module: url, realms, controlTick: round }, 'kind reloaded');
    return { kind, realms, controlTick: round, module: url };
  }

  /** Shards started from now on (restarts, replacements) load the new version in place of the old. */
  private remember(replaces: string | null, url: string): void {
    const list = this.io.pool.kindModules;
    const at = replaces === null ? -1 : list.indexOf(replaces);
    if (at >= 0) list[at] = url;
    else list.push(url);
  }

  private ask<O extends Op>(shards: number[], cmd: ReloadCommand, answer: O): Promise<ReplyOf<O>[]> {
    const key = `${cmd.token}:${answer}`;
    const want = new Set(shards);
    const reply = new Promise<ReloadReply[]>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.asked.delete(key);
        reject(failed(`shard ${[...want].join(', ')} did not answer the kind reload (${cmd.op}) within ${ANSWER_MS} ms`));
      }, ANSWER_MS);
      timer.unref();
      this.asked.set(key, { want, got: [], resolve, reject, timer });
    });
    for (const s of shards) this.io.pool.postReload(s, cmd);
    return reply as Promise<ReplyOf<O>[]>;
  }

  private heard(r: ReloadReply): void {
    const key = `${r.token}:${r.op}`;
    const a = this.asked.get(key);
    if (a === undefined || !a.want.delete(r.shard)) return;
    a.got.push(r);
    if (a.want.size > 0) return;
    this.asked.delete(key);
    clearTimeout(a.timer);
    a.resolve(a.got.sort((x, y) => x.shard - y.shard));
  }
}
