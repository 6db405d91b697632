// The main thread's read path (issue 8): it opens every worker's LMDB environment (lmdb-js
// shares one MDB_env per path across the threads of a process, so these are the workers' own
// environments) and serves a get by reading the key's record from each reachable replica's
// MVCC snapshot, without a thread crossing. It never writes: each environment keeps one
// writer, its worker, and read repair goes to the stale replicas as REPAIR frames.
//
// Freshness: lmdb-js keeps a read transaction until a setTimeout(0) fires, so a get in the
// same macrotask as the acknowledgement of a put could read a snapshot older than that put.
// Every acknowledged write marks the snapshots stale, and the next read renews them first.
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import { type Durability, openEnvironment } from '../storage/store.js';

/** lmdb-js marks the reused buffer getBinaryFast returns (not in its typings). */
type FastBuffer = Buffer & { isGlobal?: boolean };

export interface ReaderOptions {
  dir: string;
  workerCount: number;
  durability: Durability;
  mapBytes: number;
}

export class ReplicaReader {
  private readonly roots: RootDatabase<Buffer, Buffer>[];
  private stale = false;
  /** Records read from each worker's environment (found or not): the dashboard's gets per worker. */
  readonly readsBySlot: Float64Array;

  constructor(options: ReaderOptions) {
    // Through the worker's own opener: one environment, one set of flags. A second open with
    // other flags is what preceded the MDB_BAD_TXN seen once.
    this.roots = Array.from({ length: options.workerCount }, (_, slot) =>
      openEnvironment({
        path: join(options.dir, `worker-${slot}`),
        durability: options.durability,
        mapBytes: options.mapBytes,
      }),
    );
    this.readsBySlot = new Float64Array(options.workerCount);
  }

  /** A write was acknowledged: the next read must see it. */
  noteCommit(): void {
    this.stale = true;
  }

  /** Renews every snapshot if a write was acknowledged since the last renewal. */
  refresh(): void {
    if (!this.stale) return;
    this.stale = false;
    for (const root of this.roots) root.resetReadTxn();
  }

  /**
   * The record under `storageKey` in a worker's environment, or undefined. The bytes may be
   * lmdb-js's shared read buffer: decode them before the next read.
   */
  read(slot: number, storageKey: Uint8Array): Uint8Array | undefined {
    const root = this.roots[slot];
    if (root === undefined) return undefined;
    this.readsBySlot[slot] = (this.readsBySlot[slot] as number) + 1;
    const key = Buffer.from(storageKey.buffer, storageKey.byteOffset, storageKey.byteLength);
    const found = root.getBinaryFast(key) as FastBuffer | undefined;
    if (found === undefined) return undefined;
    return found.isGlobal === true
      ? found.subarray(0, (root as unknown as { lastSize: number }).lastSize)
      : found;
  }

  /** Copies a worker's environment into `path` (an existing empty directory) from one snapshot. */
  backup(slot: number, path: string): Promise<void> {
    const root = this.roots[slot];
    if (root === undefined) return Promise.reject(new Error(`no environment for worker ${slot}`));
    return root.backup(path, false);
  }

  /**
   * Every (storage key, record) of one partition in a worker's environment, in key order. Keys
   * and records are copies: the caller may keep them.
   */
  *partitionRecords(slot: number, partition: number): Generator<{ key: Buffer; record: Buffer }> {
    const root = this.roots[slot];
    if (root === undefined) return;
    const start = Buffer.from([partition >> 8, partition & 0xff]);
    const end = Buffer.from([(partition + 1) >> 8, (partition + 1) & 0xff]);
    const range = root.getRange(partition === 0xffff ? { start } : { start, end });
    for (const { key, value } of range) yield { key: Buffer.from(key), record: Buffer.from(value) };
  }

  /**
   * Up to `limit` records of one partition in a worker's environment, in key order from `from`
   * (inclusive; the partition's start when undefined). Keys and records are copies.
   */
  partitionPage(
    slot: number,
    partition: number,
    from: Uint8Array | undefined,
    limit: number,
  ): { key: Buffer; record: Buffer }[] {
    const root = this.roots[slot];
    if (root === undefined) return [];
    const start = from === undefined ? Buffer.from([partition >> 8, partition & 0xff]) : Buffer.from(from);
    const end = Buffer.from([(partition + 1) >> 8, (partition + 1) & 0xff]);
    const range = root.getRange(partition === 0xffff ? { start, limit } : { start, end, limit });
    const out: { key: Buffer; record: Buffer }[] = [];
    for (const { key, value } of range) out.push({ key: Buffer.from(key), record: Buffer.from(value) });
    return out;
  }

  async close(): Promise<void> {
    await Promise.all(this.roots.map((root) => root.close()));
  }
}
