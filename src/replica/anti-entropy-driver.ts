// Runs anti-entropy inside a worker: builds the Merkle trees of every partition at start-up,
// keeps them current through the store's write hook, and paces exchanges with the other
// replicas of the partitions this worker owns — a few at a time, round robin, with the
// partitions shared with a worker that just came back first. A pair whose trees have not
// changed since an exchange found them equal is skipped (shared change counters say so), so
// an idle store exchanges nothing. The exchange protocol itself lives in anti-entropy.ts;
// this file is the worker's host for it.
import { AE_EXCHANGES_ACTIVE_MAX, AE_START_INTERVAL_MS, AE_SWEEP_INTERVAL_MS } from '../constants.js';
import { preferenceLists, type Ring } from '../ring/index.js';
import { HEALTH, Health } from '../transport/control.js';
import { MessageType } from '../transport/frames.js';
import type { TreeGenerations } from '../transport/tree-generations.js';
import { AntiEntropy, type ExchangeSummary } from './anti-entropy.js';
import type { Links } from './links.js';
import { partitionOfStorageKey, TreeSet } from './merkle.js';
import type { Replica } from './replica.js';

export class AntiEntropyDriver {
  readonly engine: AntiEntropy;
  private readonly links: Links;
  private readonly trees: TreeSet;
  /** Replicas of each partition (the default bucket's n), from the ring. */
  private readonly lists: number[][];
  /** (partition, peer) pairs this worker starts exchanges for: it owns the partition. */
  private readonly duties: [number, number][] = [];
  private readonly urgent: [number, number][] = [];
  private readonly lastHealth: number[];
  private readonly generations: TreeGenerations;
  /**
   * By `${partition}:${peer}`: both trees' change counters when an exchange that found no
   * difference started. While both are unchanged, the pair needs no exchange.
   */
  private readonly agreed = new Map<string, [mine: number, theirs: number]>();
  /** Counters read as each exchange this worker initiated started, by exchange id. */
  private readonly startedAt = new Map<number, [mine: number, theirs: number]>();
  /** Set by tick(): the last pass did not get through every duty without starting one. */
  private behind = true;
  /** Duties passed over because neither tree changed since the pair last agreed. */
  exchangesSkipped = 0;
  private next = 0;
  private lastStart = 0;
  private lastSweep = 0;

  constructor(links: Links, replica: Replica, ring: Ring, n: number, generations: TreeGenerations) {
    this.links = links;
    this.generations = generations;
    const store = links.store;
    this.trees = new TreeSet({ load: (partition) => store.partitionRecords(partition) });
    // Build every tree before serving: a tree built later from committed data would miss
    // writes still pending at that moment, and its leaves would never be right again.
    for (let partition = 0; partition < ring.partitionCount; partition++) this.trees.get(partition);
    // Fresh trees (a start or a respawn): no peer may rely on what it agreed with before.
    generations.bumpAll(links.slot);
    store.observer = (key, before, after) => {
      this.trees.update(key, before, after);
      generations.bump(links.slot, partitionOfStorageKey(key));
    };
    this.lists = preferenceLists(ring, n);
    this.lists.forEach((list, partition) => {
      if (list[0] !== links.slot) return;
      for (const peer of list.slice(1)) this.duties.push([partition, peer]);
    });
    this.lastHealth = Array.from({ length: ring.workerCount }, () => Health.UP);
    this.engine = new AntiEntropy(
      {
        slot: links.slot,
        tree: (partition) => this.trees.get(partition),
        recordsInLeaves: (partition, leaves) => this.recordsInLeaves(partition, leaves),
        merge: (key, record) => replica.mergeRecord(key, record),
        send: (peer, message) => this.send(peer, message),
        accepts: (partition, peer) =>
          this.isReplica(partition, peer) && this.isReplica(partition, links.slot),
      },
      { onFinish: (summary) => this.onFinish(summary) },
    );
  }

  /** Called every serve-loop turn: sweeps stalled exchanges and starts new ones at a steady pace. */
  tick(now: number): void {
    if (now - this.lastSweep >= AE_SWEEP_INTERVAL_MS) {
      this.lastSweep = now;
      this.engine.sweep(now);
      this.noticeReturns();
    }
    if (now - this.lastStart < AE_START_INTERVAL_MS || this.duties.length === 0) return;
    this.lastStart = now;
    let tries = 0;
    let started = false;
    for (; tries < this.duties.length && this.engine.active < AE_EXCHANGES_ACTIVE_MAX; tries++) {
      const urgent = this.urgent.shift();
      const [partition, peer] = urgent ?? (this.duties[this.next++ % this.duties.length] as [number, number]);
      if (!this.links.control.isUp(peer)) continue;
      const mine = this.generations.get(this.links.slot, partition);
      const theirs = this.generations.get(peer, partition);
      if (urgent === undefined && this.unchangedSinceAgreed(partition, peer, mine, theirs)) {
        this.exchangesSkipped++;
        continue;
      }
      const id = this.engine.start(partition, peer);
      if (id !== undefined) this.startedAt.set(id, [mine, theirs]);
      started = true;
    }
    // A pass over every duty that started nothing found the store in agreement.
    this.behind = started || tries < this.duties.length || this.urgent.length > 0;
  }

  /** Whether exchanges are running or duties may still need one (the worker then wakes often). */
  get busy(): boolean {
    return this.behind || this.urgent.length > 0 || this.engine.active > 0;
  }

  private unchangedSinceAgreed(partition: number, peer: number, mine: number, theirs: number): boolean {
    const agreed = this.agreed.get(`${partition}:${peer}`);
    return agreed !== undefined && agreed[0] === mine && agreed[1] === theirs;
  }

  /**
   * Remembers the counters of an exchange this worker initiated that found no difference.
   * One that found (and repaired) differences is not an agreement: its merges changed the
   * counters, and the next exchange, finding the trees equal, records one.
   */
  private onFinish(summary: ExchangeSummary): void {
    if (!summary.initiator) return;
    const counters = this.startedAt.get(summary.id);
    this.startedAt.delete(summary.id);
    if (counters === undefined || summary.outcome !== 'done' || summary.differingLeaves > 0) return;
    this.agreed.set(`${summary.partition}:${summary.peer}`, counters);
  }

  onMessage(from: number, message: Uint8Array): void {
    this.engine.onMessage(from, message);
  }

  /** A peer that was down or suspect and is up again gets its shared partitions compared first. */
  private noticeReturns(): void {
    for (let peer = 0; peer < this.lastHealth.length; peer++) {
      const health = this.links.control.get(peer, HEALTH);
      if (health === Health.UP && this.lastHealth[peer] !== Health.UP) {
        for (const duty of this.duties) if (duty[1] === peer) this.urgent.push(duty);
      }
      this.lastHealth[peer] = health;
    }
  }

  private isReplica(partition: number, slot: number): boolean {
    return this.lists[partition]?.includes(slot) ?? false;
  }

  private *recordsInLeaves(partition: number, leaves: ReadonlySet<number>) {
    const tree = this.trees.get(partition);
    for (const entry of this.links.store.partitionRecords(partition)) {
      if (leaves.has(tree.leafOf(entry.key))) yield entry;
    }
  }

  private send(peer: number, message: Uint8Array): void {
    const { writer, endpoint } = this.links;
    try {
      endpoint.send(
        peer,
        writer.begin({ type: MessageType.ANTI_ENTROPY, requestId: 0 }).field(message).finish(),
      );
      endpoint.flushSoon();
    } catch {
      // A full ring drops this message; the exchange notices the gap and is abandoned, retried later.
    }
  }
}
