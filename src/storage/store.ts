// One worker's LMDB environment: the records of every partition it holds, in one database
// keyed by storage key (partition prefix first, so a partition is one key range), plus a
// small metadata database. A single database rather than one per partition lets writes to
// many partitions share one transaction (lmdb-js batches the puts of one event-loop turn:
// group commit), and moving or scanning a partition is a range over its 2-byte prefix.
import { randomInt } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { type Database, open, type RootDatabase } from 'lmdb';
import { isOldTombstones } from '../clock/index.js';
import { KvError } from '../errors.js';

export type Durability = 'commit' | 'sync' | 'async';

export interface StoreOptions {
  path: string;
  durability: Durability;
  mapBytes: number;
}

const WORKER_ID_KEY = 'workerId';
/** A pending removal in `pending`: reads see no record. */
const REMOVED = Symbol('removed');
/** Named databases (meta, hints) are entries of LMDB's main database too. */
const NAMED_DB_COUNT = 2;
const EMPTY = Buffer.alloc(0);
const ASYNC_SYNC_INTERVAL_MS = 1000;

/** lmdb-js marks the reused buffer getBinaryFast returns (not in its typings). */
type FastBuffer = Buffer & { isGlobal?: boolean };

function keyString(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

export class Store {
  readonly workerId: number;
  readonly durability: Durability;
  private readonly root: RootDatabase<Buffer, Buffer>;
  /**
   * Records written but not yet committed, by storage key. A read must see them: the
   * coordinator reads, merges and writes in one synchronous step, and two writes to one key
   * in the same batch must merge with each other, not each with the committed record.
   */
  private readonly pending = new Map<string, Uint8Array | typeof REMOVED>();
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
   * undefined for a removal); must not keep either view.
   */
  observer:
    | ((key: Uint8Array, before: Uint8Array | undefined, after: Uint8Array | undefined) => void)
    | null = null;

  private constructor(
    root: RootDatabase<Buffer, Buffer>,
    meta: Database<unknown, string>,
    durability: Durability,
  ) {
    this.root = root;
    this.durability = durability;
    this.hintDb = root.openDB<Buffer, Buffer>('hints', { keyEncoding: 'binary', encoding: 'binary' });
    const stored = meta.get(WORKER_ID_KEY);
    this.workerId = typeof stored === 'number' ? stored : randomInt(1, 0xffff_ffff);
  }

  static async open(options: StoreOptions): Promise<Store> {
    mkdirSync(options.path, { recursive: true });
    const root = open<Buffer, Buffer>({
      path: options.path,
      keyEncoding: 'binary',
      encoding: 'binary',
      compression: false,
      mapSize: options.mapBytes,
      maxDbs: 4,
      noSync: options.durability === 'async',
    });
    const meta = root.openDB<unknown, string>('meta', { encoding: 'msgpack', keyEncoding: 'ordered-binary' });
    const store = new Store(root, meta, options.durability);
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
    if (waiting === REMOVED) return undefined;
    if (waiting !== undefined) return waiting;
    const found = this.root.getBinaryFast(Buffer.from(key.buffer, key.byteOffset, key.byteLength)) as
      | FastBuffer
      | undefined;
    if (found === undefined) return undefined;
    // getBinaryFast may hand back lmdb-js's shared read buffer: only lastSize bytes are this value.
    return found.isGlobal === true
      ? found.subarray(0, (this.root as unknown as { lastSize: number }).lastSize)
      : found;
  }

  /**
   * Writes a record; resolves once it is committed (and flushed to disk when durability is
   * `sync`). Rejects with KvError STORAGE when the commit fails (full disk or map).
   */
  async write(key: Uint8Array, record: Uint8Array): Promise<void> {
    const id = keyString(key);
    const before = this.read(key);
    this.observer?.(key, before, record);
    this.countTombstones(before, record);
    this.pending.set(id, record);
    try {
      await this.root.put(Buffer.from(key), Buffer.from(record.buffer, record.byteOffset, record.byteLength));
      if (this.durability === 'sync') await this.root.flushed;
    } catch (error) {
      throw new KvError('STORAGE', `commit failed: ${(error as Error).message}`);
    } finally {
      // Only the newest pending write for a key may clear it; older commits leave it be.
      if (this.pending.get(id) === record) this.pending.delete(id);
    }
  }

  /**
   * Removes the record under `key` when `removable` holds for it now (a check and a removal in
   * one synchronous step, so no write can slip between them); resolves true once committed.
   */
  async removeIf(key: Uint8Array, removable: (record: Uint8Array) => boolean): Promise<boolean> {
    const before = this.read(key);
    if (before === undefined || !removable(before)) return false;
    const id = keyString(key);
    this.observer?.(key, before, undefined);
    this.countTombstones(before, undefined);
    this.pending.set(id, REMOVED);
    try {
      await this.root.remove(Buffer.from(key));
    } catch (error) {
      throw new KvError('STORAGE', `commit failed: ${(error as Error).message}`);
    } finally {
      if (this.pending.get(id) === REMOVED) this.pending.delete(id);
    }
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
    await this.hintDb.put(Buffer.concat([Uint8Array.of(owner), key]), EMPTY);
    this.hintCountStale = true;
  }

  async removeHint(owner: number, key: Uint8Array): Promise<void> {
    await this.hintDb.remove(Buffer.concat([Uint8Array.of(owner), key]));
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
    await this.hintDb.clearAsync();
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

  async close(): Promise<void> {
    if (this.syncTimer !== null) clearInterval(this.syncTimer);
    await this.root.committed;
    await this.root.flushed;
    await this.root.close();
  }
}

function isTombstones(record: Uint8Array): boolean {
  return isOldTombstones(record, Number.POSITIVE_INFINITY);
}
