// Shard threads: piscina owns their lifecycle (spawn, resource limits, replacement of a dead
// thread); each shard is one long-running piscina task, so ticks never pass through its task
// queue. This module also owns each shard's two rings and the main-thread ends of them.
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { FrameRing } from '../protocol/ring.js';
import { FrameWriter } from '../protocol/frame-writer.js';
import type { ShardExit, ShardInit } from '../protocol/shard-init.js';
import type { ReloadChannelInit, ReloadCommand, ReloadReply } from '../protocol/shard-messages.js';
import { createStatsTable } from '../protocol/stats-table.js';
import { MainBarrier } from './barrier.js';
import { shardEntryUrl } from './worker-url.js';
import type { ResolvedOptions } from './options.js';

export interface ShardLink {
  readonly shard: number;
  readonly inRing: FrameRing;
  readonly outRing: FrameRing;
  /** Main → shard writer with an ordered backlog (the in-ring never drops a frame). */
  readonly writer: FrameWriter;
  alive: boolean;
  task: Promise<ShardExit> | null;
  abort: AbortController;
  /** Incremented at each (re)start, so a late failure of a replaced task is ignored. */
  generation: number;
  /** Kind reloads (engine/reload.ts): the main end of the shard's port, its far end until the shard takes it, and the "message waits" counter. */
  readonly reload: { port: MessagePort; far: MessagePort; flag: Int32Array };
}

export type ShardExitHandler = (shard: number, error: unknown) => void;

export class ShardPool {
  readonly barrier: MainBarrier;
  readonly links: ShardLink[];
  /** Per-shard realm stats tables; they outlive a shard's threads. */
  readonly stats: SharedArrayBuffer[];
  private readonly pool: Piscina;
  private onExit: ShardExitHandler = () => undefined;
  /** The kind modules a (re)started shard loads: the options' list, with reloaded kinds' new versions in place. */
  kindModules: string[];
  /** Answers of the shards to kind reload commands. */
  onReloadReply: (reply: ReloadReply) => void = () => undefined;

  constructor(private readonly opts: ResolvedOptions) {
    this.barrier = new MainBarrier(opts.shards);
    this.kindModules = [...opts.kindModules];
    this.links = Array.from({ length: opts.shards }, (_, shard) => this.freshLink(shard, 0));
    this.stats = Array.from({ length: opts.shards }, () => createStatsTable(opts.maxRealms));
    this.pool = new Piscina({
      filename: shardEntryUrl.href,
      minThreads: opts.shards,
      maxThreads: opts.shards,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.POSITIVE_INFINITY,
      // Our shards block in Atomics.wait on their own barrier; piscina needs no atomics of its own.
      atomics: 'disabled',
      resourceLimits: { ...opts.shardResourceLimits },
    });
  }

  private freshLink(shard: number, generation: number): ShardLink {
    const inRing = FrameRing.create(this.opts.ringBytes);
    const channel = new MessageChannel();
    channel.port1.on('message', (m: ReloadReply) => this.onReloadReply(m));
    channel.port1.unref(); // the engine's own keep-alive holds the process while it runs
    return {
      shard,
      inRing,
      outRing: FrameRing.create(this.opts.ringBytes),
      writer: Object.assign(new FrameWriter(inRing), { backlogLimit: 16 * this.opts.ringBytes }),
      alive: false,
      task: null,
      abort: new AbortController(),
      generation,
      reload: { port: channel.port1, far: channel.port2, flag: new Int32Array(new SharedArrayBuffer(4)) },
    };
  }

  /** A kind reload command for `shard`'s current thread; it reads it at its next round. */
  postReload(shard: number, cmd: ReloadCommand): void {
    const r = this.links[shard]!.reload;
    r.port.postMessage(cmd);
    Atomics.add(r.flag, 0, 1); // after the post: a shard that sees the count finds the message
  }

  get aliveCount(): number {
    let n = 0;
    for (const l of this.links) if (l.alive) n++;
    return n;
  }

  /** Starts every shard; `onExit` hears of a shard that ended without being stopped. */
  start(startRound: number, onExit: ShardExitHandler): void {
    this.onExit = onExit;
    for (const link of this.links) this.run(link, startRound);
  }

  /** Replaces a dead shard with a new thread and new rings; it joins at round startRound + 1. */
  restart(shard: number, startRound: number): ShardLink {
    const old = this.links[shard]!;
    old.abort.abort();
    old.reload.port.close();
    const link = this.freshLink(shard, old.generation + 1);
    this.links[shard] = link;
    this.run(link, startRound);
    return link;
  }

  /** Terminates a shard's thread (piscina terminates a running task's worker on abort). */
  kill(shard: number): void {
    this.links[shard]?.abort.abort();
  }

  private run(link: ShardLink, startRound: number): void {
    const init: ShardInit & ReloadChannelInit = {
      shard: link.shard,
      shards: this.opts.shards,
      barrier: this.barrier.sab,
      inRing: link.inRing.sab,
      outRing: link.outRing.sab,
      stats: this.stats[link.shard]!,
      mode: this.opts.mode,
      tickHz: this.opts.tickHz,
      ticksPerControl: this.opts.ticksPerControl,
      hashEvery: this.opts.hashEvery,
      maxRealmStateBytes: this.opts.maxRealmStateBytes,
      spin: this.opts.spin,
      kindModules: [...this.kindModules],
      startRound,
      generation: link.generation,
      reload: { port: link.reload.far, flag: link.reload.flag.buffer as SharedArrayBuffer },
    };
    this.barrier.setGeneration(link.shard, link.generation);
    link.alive = true;
    link.task = this.pool.run(init, { signal: link.abort.signal, transferList: [link.reload.far] }) as Promise<ShardExit>;
    link.task.then(
      () => undefined,
      (error: unknown) => {
        if (this.links[link.shard] !== link || !link.alive) return;
        link.alive = false;
        this.onExit(link.shard, error);
        this.barrier.nudge();
      },
    );
  }

  async stop(): Promise<void> {
    this.barrier.stop();
    const tasks = this.links.map((l) => l.task);
    for (const l of this.links) l.alive = false;
    await Promise.allSettled(tasks);
    await this.pool.destroy();
    for (const l of this.links) l.reload.port.close();
  }
}
