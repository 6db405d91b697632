// Runs anti-entropy inside a worker: builds the Merkle trees of every partition at start-up,
// keeps them current through the store's write hook, and paces exchanges with the other
// replicas of the partitions this worker owns — a few at a time, round robin, with the
// partitions shared with a worker that just came back first. The exchange protocol itself
// lives in anti-entropy.ts; this file is the worker's host for it.
import { AE_EXCHANGES_ACTIVE_MAX, AE_START_INTERVAL_MS, AE_SWEEP_INTERVAL_MS } from '../constants.js';
import { preferenceLists, type Ring } from '../ring/index.js';
import { HEALTH, Health } from '../transport/control.js';
import { MessageType } from '../transport/frames.js';
import { AntiEntropy } from './anti-entropy.js';
import type { Links } from './links.js';
import { TreeSet } from './merkle.js';
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
  private next = 0;
  private lastStart = 0;
  private lastSweep = 0;

  constructor(links: Links, replica: Replica, ring: Ring, n: number) {
    this.links = links;
    const store = links.store;
    this.trees = new TreeSet({ load: (partition) => store.partitionRecords(partition) });
    // Build every tree before serving: a tree built later from committed data would miss
    // writes still pending at that moment, and its leaves would never be right again.
    for (let partition = 0; partition < ring.partitionCount; partition++) this.trees.get(partition);
    store.observer = (key, before, after) => this.trees.update(key, before, after);
    this.lists = preferenceLists(ring, n);
    this.lists.forEach((list, partition) => {
      if (list[0] !== links.slot) return;
      for (const peer of list.slice(1)) this.duties.push([partition, peer]);
    });
    this.lastHealth = Array.from({ length: ring.workerCount }, () => Health.UP);
    this.engine = new AntiEntropy({
      slot: links.slot,
      tree: (partition) => this.trees.get(partition),
      recordsInLeaves: (partition, leaves) => this.recordsInLeaves(partition, leaves),
      merge: (key, record) => replica.mergeRecord(key, record),
      send: (peer, message) => this.send(peer, message),
      accepts: (partition, peer) => this.isReplica(partition, peer) && this.isReplica(partition, links.slot),
    });
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
    for (let tries = 0; tries < this.duties.length && this.engine.active < AE_EXCHANGES_ACTIVE_MAX; tries++) {
      const duty = this.urgent.shift() ?? (this.duties[this.next++ % this.duties.length] as [number, number]);
      const [partition, peer] = duty;
      if (!this.links.control.isUp(peer)) continue;
      this.engine.start(partition, peer);
    }
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
