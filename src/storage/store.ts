// One worker's LMDB environment: the records of every partition it holds, in one database
// keyed by storage key (partition prefix first, so a partition is one key range), plus a
// small metadata database. A single database rather than one per partition lets writes to
// many partitions share one transaction (lmdb-js batches the puts of one event-loop turn:
// group commit), and moving or scanning a partition is a range over its 2-byte prefix.
// A failed commit (full disk) puts the store in a failed state: every write is refused
// with STORAGE at once, reads go on, and a periodic probe write ends the state once space
// has come back. Writing on to an environment whose commits fail ended, here, in heap
// corruption after thousands of failures.
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { type Database, open, type RootDatabase } from 'lmdb';
import { isOldTombstones } from '../clock/index.js';
import { STORAGE_PROBE_FREE_BYTES_MIN, STORAGE_PROBE_INTERVAL_MS } from '../constants.js';
import { KvError } from '../errors.js';

export type Durability = 'commit' | 'sync' | 'async';

export interface StoreOptions {
  path: string;
  durability: Durability;
  mapBytes: number;
}

const WORKER_ID_KEY = 'workerId';
const PROBE_KEY = 'storageProbe';
/** Named databases (meta, hints) are entries of LMDB's main database too. */
const NAMED_DB_COUNT = 2;
const EMPTY = Buffer.alloc(0);
const ASYNC_SYNC_INTERVAL_MS = 1000;

/** lmdb-js marks the reused buffer getBinaryFast returns (not in its typings). */
type FastBuffer = Buffer & { isGlobal?: boolean };

/**
 * The record a caller read just before writing, in the same synchronous step (so no other
 * write or read came between): spares the write a second read for its observer.
 */
export interface Previous {
  readonly record: Uint8Array | undefined;
}

/** A pending removal in `pending`, one object per removal so each knows if it is the newest: reads see no record. */
interface Removal {
  readonly removed: true;
}

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** How a store's commits fare: counted since it opened. */
export interface StorageCounters {
  /** Write operations whose commit failed. */
  failedCommits: number;
  /** Writes refused without being tried, while the store was failed. */
  refusedWrites: number;
  /** Probe writes tried while failed. */
  probes: number;
}

/**
 * Opens a worker's LMDB environment. The worker and the main thread's read path
 * (main/replica-reader.ts) both open it through here: lmdb-js shares one MDB_env per path in a
 * process, and one environment must never be opened with two sets of flags.
 */
export function openEnvironment(options: StoreOptions): RootDatabase<Buffer, Buffer> {
  return open<Buffer, Buffer>({
    path: options.path,
    keyEncoding: 'binary',
    encoding: 'binary',
    compression: false,
    mapSize: options.mapBytes,
    maxDbs: 4,
    noSync: options.durability === 'async',
  });
}

export class Store {
  readonly workerId: number;
  readonly durability: Durability;
  readonly path: string;
  readonly storageCounters: StorageCounters = { failedCommits: 0, refusedWrites: 0, probes: 0 };
  /** Told when the store enters the failed state (true) and when a probe ends it (false). */
  onFailedChange: ((failed: boolean) => void) | null = null;
  private readonly root: RootDatabase<Buffer, Buffer>;
  private readonly meta: Database<unknown, string>;
  /** Why the last commit failed, while writes are refused; null while commits succeed. */
  private failure: string | null = null;
  private failedAtMs = 0;
  private probeTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /**
   * Records written but not yet committed, by storage key. A read must see them: the
   * coordinator reads, merges and writes in one synchronous step, and two writes to one key
   * in the same batch must merge with each other, not each with the committed record.
   */
  private readonly pending = new Map<string, Uint8Array | Removal>();
  /** Hints: versions this worker holds for an owner that was down, keyed [owner slot][storage key]. */
  private readonly hintDb: Database<Buffer, Buffer>;
  private hintTotal = 0;
  /** Records that hold tombstones only, counted at open and kept current by every write. */
  private tombstoneTotal = 0;
  private hintCountStale = true;
  private syncTimer: NodeJS.Timeout | null = null;
  /** Syncs the `async` timer completed (reported in stats, so a test can see the timer run). */
  syncsDone = 0;
  /**
   * Told of every write and removal with the record it replaces (the Merkle trees; `after` is
   * undefined for a removal), and again, reversed, when its commit failed; must not keep
   * either view.
   */
  observer:
    | ((key: Uint8Array, before: Uint8Array | undefined, after: Uint8Array | undefined) => void)
    | null = null;

  private constructor(
    root: RootDatabase<Buffer, Buffer>,
    meta: Database<unknown, string>,
    options: StoreOptions,
  ) {
    this.root = root;
    this.meta = meta;
    this.durability = options.durability;
    this.path = options.path;
    this.hintDb = root.openDB<Buffer, Buffer>('hints', { keyEncoding: 'binary', encoding: 'binary' });
    const stored = meta.get(WORKER_ID_KEY);
    this.workerId = typeof stored === 'number' ? stored : randomInt(1, 0xffff_ffff);
  }

  static async open(options: StoreOptions): Promise<Store> {
    mkdirSync(options.path, { recursive: true });
    const root = openEnvironment(options);
    const meta = root.openDB<unknown, string>('meta', { encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    const store = new Store(root, meta, options);
    if (options.durability === 'async') {
      // LMDB's no-sync leaves flushing to the OS; sync once a second, like Redis's appendfsync everysec.
      const syncable = root as unknown as { sync(callback: (error?: Error) => void): void }; // not in lmdb-js's typings
      const synced = (error?: Error) => {
        if (error === undefined || error === null) store.syncsDone++;
      };
      store.syncTimer = setInterval(() => syncable.sync(synced), ASYNC_SYNC_INTERVAL_MS);
      store.syncTimer.unref();
    }
    for (const { value } of root.getRange({})) if (isTombstones(value)) store.tombstoneTotal++;
    // A worker id is born with its storage and survives restarts of the worker.
    if (meta.get(WORKER_ID_KEY) === undefined) await meta.put(WORKER_ID_KEY, store.workerId);
    return store;
  }

  /** The record under `key`, uncommitted writes included; a view the caller must not keep past the next write. */
  read(key: Uint8Array): Uint8Array | undefined {
    const waiting = this.pending.get(keyString(key));
    if (waiting !== undefined) return waiting instanceof Uint8Array ? waiting : undefined;
    const found = this.root.getBinaryFast(Buffer.from(key.buffer, key.byteOffset, key.byteLength)) as
      | FastBuffer
      | undefined;
    if (found === undefined) return undefined;
    // getBinaryFast may hand back lmdb-js's shared read buffer: only lastSize bytes are this value.
    return found.isGlobal === true
      ? found.subarray(0, (this.root as unknown as { lastSize: number }).lastSize)
      : found;
  }

  /** True while writes are refused because a commit failed. */
  get failed(): boolean {
    return this.failure !== null;
  }

  /** Why the last commit failed, while the store is failed; null otherwise. */
  get failureReason(): string | null {
    return this.failure;
  }

  /**
   * Writes a record; resolves once it is committed (and flushed to disk when durability is
   * `sync`). Rejects with KvError STORAGE when the commit fails (full disk), and at once,
   * without writing, while the store is failed.
   */
  async write(key: Uint8Array, record: Uint8Array, previous?: Previous): Promise<void> {
    this.checkWritable();
    const id = keyString(key);
    // The caller read the key in the same synchronous step: its view is still the record now.
    const before = previous === undefined ? this.read(key) : previous.record;
    this.observer?.(key, before, record);
    this.countTombstones(before, record);
    this.pending.set(id, record);
    try {
      await this.root.put(Buffer.from(key), Buffer.from(record.buffer, record.byteOffset, record.byteLength));
      if (this.durability === 'sync') await this.root.flushed;
    } catch (error) {
      this.settle(key, id, record, true);
      throw this.commitFailed(error);
    }
    this.settle(key, id, record, false);
  }

  /**
   * A write's or removal's commit finished: the newest pending one for a key clears it, older
   * ones leave it be. When it failed, the observer and the tombstone count were told it
   * replaced the key's last record, but the key holds what last committed instead. (A failed
   * one that a newer one replaced needs nothing: the newer one's own outcome settles the key.)
   */
  private settle(key: Uint8Array, id: string, written: Uint8Array | Removal, failed: boolean): void {
    if (this.pending.get(id) !== written) return;
    this.pending.delete(id);
    if (!failed) return;
    const believed = written instanceof Uint8Array ? written : undefined;
    const stored = this.read(key);
    this.observer?.(key, believed, stored);
    this.countTombstones(believed, stored);
  }

  /**
   * Removes the record under `key` when `removable` holds for it now (a check and a removal in
   * one synchronous step, so no write can slip between them); resolves true once committed.
   */
  async removeIf(key: Uint8Array, removable: (record: Uint8Array) => boolean): Promise<boolean> {
    this.checkWritable();
    const before = this.read(key);
    if (before === undefined || !removable(before)) return false;
    const id = keyString(key);
    const removal: Removal = { removed: true };
    this.observer?.(key, before, undefined);
    this.countTombstones(before, undefined);
    this.pending.set(id, removal);
    try {
      await this.root.remove(Buffer.from(key));
    } catch (error) {
      this.settle(key, id, removal, true);
      throw this.commitFailed(error);
    }
    this.settle(key, id, removal, false);
    return true;
  }

  private countTombstones(before: Uint8Array | undefined, after: Uint8Array | undefined): void {
    if (before !== undefined && isTombstones(before)) this.tombstoneTotal--;
    if (after !== undefined && isTombstones(after)) this.tombstoneTotal++;
  }

  /** Records holding tombstones only (deleted keys not purged yet). */
  tombstoneCount(): number {
    return this.tombstoneTotal;
  }

  /** Records in the data database (live, siblings and tombstones alike), from LMDB's own count. */
  recordCount(): number {
    const stats = this.root.getStats() as { entryCount: number };
    return stats.entryCount - NAMED_DB_COUNT;
  }

  /** Records a hint durably: this worker holds `key` on behalf of `owner`. */
  async addHint(owner: number, key: Uint8Array): Promise<void> {
    this.checkWritable();
    await this.commit(this.hintDb.put(Buffer.concat([Uint8Array.of(owner), key]), EMPTY));
    this.hintCountStale = true;
  }

  async removeHint(owner: number, key: Uint8Array): Promise<void> {
    this.checkWritable();
    await this.commit(this.hintDb.remove(Buffer.concat([Uint8Array.of(owner), key])));
    this.hintCountStale = true;
  }

  /** Up to `limit` hinted keys for `owner`, in key order. */
  hintsFor(owner: number, limit: number): Uint8Array[] {
    const start = Buffer.of(owner);
    const end = Buffer.of(owner + 1);
    const keys: Uint8Array[] = [];
    for (const hintKey of this.hintDb.getKeys({ start, end, limit }))
      keys.push(Buffer.from(hintKey.subarray(1)));
    return keys;
  }

  /**
   * Pending hints. lmdb-js counts by walking the database, so the count is taken again only
   * when asked after a change (handoff asks every 250 ms), not on every hint written.
   */
  hintCount(): number {
    if (this.hintCountStale) {
      this.hintCountStale = false;
      this.hintTotal = this.hintDb.getCount();
    }
    return this.hintTotal;
  }

  async dropHints(): Promise<void> {
    this.checkWritable();
    await this.commit(this.hintDb.clearAsync());
    this.hintCountStale = true;
  }

  /**
   * Every record of one partition in key order (for explain, handoff, anti-entropy and purge),
   * or those from `from` on (inclusive) to resume a scan.
   */
  *partitionRecords(
    partition: number,
    from?: Uint8Array,
  ): Generator<{ key: Uint8Array; record: Uint8Array }> {
    const start = from === undefined ? Buffer.from([partition >> 8, partition & 0xff]) : Buffer.from(from);
    const end = Buffer.from([(partition + 1) >> 8, (partition + 1) & 0xff]);
    const range = this.root.getRange(partition === 0xffff ? { start } : { start, end });
    for (const { key, value } of range) yield { key, record: value };
  }

  /**
   * lmdb-js leaves one promise of every failed commit unhandled (the one it makes itself to
   * start a batch). The worker's process-wide handler passes each unhandled rejection here:
   * true when it was such a commit failure, which then counts like any other.
   */
  absorbRejection(reason: unknown): boolean {
    if (!isCommitFailure(reason)) return false;
    this.enterFailed(reason);
    return true;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    if (this.probeTimer !== null) clearTimeout(this.probeTimer);
    // A last commit that failed has failed its writes already; closing goes on regardless.
    await Promise.resolve(this.root.committed).catch(() => {});
    await Promise.resolve(this.root.flushed).catch(() => {});
    await this.root.close();
  }

  private checkWritable(): void {
    if (this.failure === null) return;
    this.storageCounters.refusedWrites++;
    const seconds = Math.round((Date.now() - this.failedAtMs) / 1000);
    throw new KvError(
      'STORAGE',
      `writes to ${this.path} are refused since a commit failed ${seconds} s ago (${this.failure}); ` +
        `they resume once ${STORAGE_PROBE_FREE_BYTES_MIN} bytes are free and a probe write commits`,
    );
  }

  private async commit(operation: Promise<unknown>): Promise<void> {
    try {
      await operation;
    } catch (error) {
      throw this.commitFailed(error);
    }
  }

  /**
   * A write failed. A failed commit (not a write lmdb-js refused before committing, like a
   * closed database) puts the store in the failed state at once; a probe ends it. The
   * cause arrives separately and replaces the generic reason a moment later.
   */
  private commitFailed(error: unknown): KvError {
    if (!isCommitFailure(error)) {
      return new KvError('STORAGE', `write to ${this.path} failed: ${describe(error)}`);
    }
    this.storageCounters.failedCommits++;
    this.enterFailed(error);
    return new KvError('STORAGE', `commit failed in ${this.path}; writes are refused until space is freed`);
  }

  private enterFailed(error: CommitFailure): void {
    if (this.failure === null) {
      this.failure = error.message;
      this.failedAtMs = Date.now();
      this.onFailedChange?.(true);
      this.scheduleProbe();
    }
    void commitFailureReason(error).then((reason) => {
      if (this.failure !== null) this.failure = reason;
    });
  }

  private scheduleProbe(): void {
    if (this.closed || this.probeTimer !== null) return;
    this.probeTimer = setTimeout(() => {
      this.probeTimer = null;
      void this.probe();
    }, STORAGE_PROBE_INTERVAL_MS);
  }

  /** While failed: once the file system has room again, one small write tells whether commits succeed. */
  private async probe(): Promise<void> {
    if (this.closed || this.failure === null) return;
    if (!(await this.hasFreeSpace())) return this.scheduleProbe();
    this.storageCounters.probes++;
    try {
      await this.meta.put(PROBE_KEY, Date.now());
    } catch (error) {
      this.commitFailed(error);
      return this.scheduleProbe();
    }
    this.failure = null;
    this.onFailedChange?.(false);
  }

  private async hasFreeSpace(): Promise<boolean> {
    let stats: Awaited<ReturnType<typeof statfs>>;
    try {
      stats = await statfs(this.path);
    } catch {
      return true; // a file system that cannot tell: the probe write alone decides
    }
    // Blocks reserved for root count as free when this process is root: its writes may use them.
    const blocks = process.getuid?.() === 0 ? stats.bfree : stats.bavail;
    return blocks * stats.bsize >= STORAGE_PROBE_FREE_BYTES_MIN;
  }
}

/** lmdb-js's failed commit: "Commit failed", with the cause in a promise of its own, `commitError`. */
interface CommitFailure extends Error {
  commitError: PromiseLike<unknown>;
}

function isCommitFailure(error: unknown): error is CommitFailure {
  const commitError = (error as { commitError?: unknown } | null)?.commitError;
  return (
    error instanceof Error && typeof (commitError as PromiseLike<unknown> | undefined)?.then === 'function'
  );
}

/**
 * The cause of a failed commit ("No space left on device"). lmdb-js rejects commitError in
 * the same callback as the commit's writes, so it has settled by now; handling it here also
 * keeps it from being an unhandled rejection of its own.
 */
async function commitFailureReason(error: CommitFailure): Promise<string> {
  const cause = Promise.resolve(error.commitError).then(
    () => error.message,
    (reason: unknown) => describe(reason),
  );
  return Promise.race([cause, nextTurn().then(() => error.message)]);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function isTombstones(record: Uint8Array): boolean {
  return isOldTombstones(record, Number.POSITIVE_INFINITY);
}
