// The embedded API: open() starts the workers on a data directory and returns a Db whose
// buckets route each request to the first live worker of the key's preference list, which
// coordinates it. The main thread only validates, hashes and hands frames over.

import { existsSync, rmSync } from 'node:fs';
import {
  contextText,
  decodeContext,
  decodeRecord,
  encodeContext,
  encodeRecord,
  INT64_MAX,
  INT64_MIN,
  isCounterVersion,
  isExpired,
  joinClocks,
  mergeVersions,
  newestValue,
  type Policy,
  readableValues,
  sameVersions,
  soleValue,
  type VClock,
  type Version,
  versionClock,
} from '../clock/index.js';
import {
  type BucketProps,
  type BucketPropsInput,
  type Config,
  checkBucketProps,
  defaultWorkerCount,
  type OpenOptions,
  parseConfig,
  resolveQuorum,
  type SymbolicQuorum,
} from '../config.js';
import { PARTITION_COUNT_DEFAULT } from '../constants.js';
import { KvError } from '../errors.js';
import { ringHash } from '../native/index.js';
import { ownershipCounts, partitionOf, preferenceLists, type Ring, replicaCounts } from '../ring/index.js';
import { Health, STORAGE_FAILED } from '../transport/control.js';
import { encodeTargets, FrameFlag, frameBytes, MessageType, NO_HINT } from '../transport/frames.js';
import type { WorkerStatsReply } from '../worker/protocol.js';
import { ActivityWatch } from './activity.js';
import { type BackupResult, backupStore } from './backup.js';
import { BUCKET_FILES, BucketRegistry, checkBucketName } from './buckets.js';
import { DirLock } from './dir-lock.js';
import type { EngineEventListener } from './events.js';
import { ExpirySweep } from './expiry-sweep.js';
import { WorkerPool } from './pool.js';
import { ReplicaReader } from './replica-reader.js';
import { checkPartitionCount, loadOrCreateRing, RING_FILE } from './ring-file.js';

export type Bytes = string | Uint8Array;
/** r or w: a count of replicas, or Riak's 'one', 'quorum', 'all', 'default'. */
export type Quorum = number | SymbolicQuorum;

export interface GetResult {
  /** Every concurrent value (siblings); empty when the key is missing or deleted. */
  values: Buffer[];
  /**
   * What Redis's GET answers: the newest version's value by timestamp, or null when there is
   * none or the newest version is a delete (older concurrent values stay in `values`).
   */
  newest: Buffer | null;
  /** Opaque: pass it to the next put or delete of this key to supersede what was read. */
  context: string;
  /** When the newest value expires (ms since the epoch), or null when it does not or there is none. */
  expiresAt: number | null;
}

export interface WriteResult {
  context: string;
  /** Whether a replica that acknowledged held a live value before this write (what DEL reports). */
  existed: boolean;
}

export interface WriteOptions {
  /** The context of the read this write is based on; without one the write is blind. */
  context?: string;
  w?: Quorum;
  /**
   * Supersede every version older than this write on every replica, seen or not, as Redis's
   * SET and DEL do (its timestamp becomes the key's replace floor).
   */
  replace?: boolean;
  /** The written value expires this many ms from now (Redis's SET PX); reads then find it absent. */
  ttlMs?: number;
  /** The written value expires at this time, in ms since the epoch (SET PXAT); not with ttlMs. */
  expiresAt?: number;
  /**
   * @internal A delete written at this timestamp (ms) instead of now, or later if its context
   * is newer: the expiry sweep's tombstone takes the place of the version it expires.
   */
  at?: number;
}

export interface WorkerReport {
  worker: number;
  workerId: number;
  alive: boolean;
  /** 'up', 'suspect' (heartbeat stalled or requests timed out: routed around) or 'down'. */
  health: 'up' | 'suspect' | 'down';
  respawns: number;
  /** The current thread's id: a respawned worker keeps its workerId and gets a new threadId. */
  threadId: number;
  partitionsOwned: number;
  partitionsReplicated: number;
  /** 'failed' while the worker refuses writes because a commit failed (full disk): reads go on. */
  storage: StorageHealth;
  /** Why its storage failed, while it is failed; null when it is not, or the worker did not answer. */
  storageError: string | null;
  /** The worker's own counters; null when it did not answer. */
  counters: Record<string, number> | null;
}

export type StorageHealth = 'ok' | 'failed';

export interface WorkerHealth {
  worker: number;
  health: 'up' | 'suspect' | 'down';
  storage: StorageHealth;
}

export interface DbStats {
  uptimeMs: number;
  partitions: number;
  /** Stale replicas sent the merged record by gets (served in the main thread). */
  readRepairs: number;
  workers: WorkerReport[];
}

export interface ExplainedVersion {
  value: Buffer | null;
  clock: VClock;
  ts: number;
  /** When the version expires (ms since the epoch), or null when it does not. */
  expiresAt: number | null;
  /** Whether it had expired when explain read it: it then reads as absent. */
  expired: boolean;
}

export interface Explanation {
  partition: number;
  preferenceList: number[];
  replicas: { worker: number; workerId: number; versions: ExplainedVersion[] }[];
}

export interface Bucket {
  readonly name: string;
  readonly props: BucketProps;
  get(key: Bytes, options?: { r?: Quorum }): Promise<GetResult>;
  put(key: Bytes, value: Bytes, options?: WriteOptions): Promise<WriteResult>;
  delete(key: Bytes, options?: WriteOptions): Promise<WriteResult>;
  /**
   * Adds `by` (an int64) to the key's conflict-free counter and resolves with its new value
   * (Redis's INCRBY; see clock/counter.ts). A request whose coordinator died is not sent again:
   * it rejects with TIMEOUT and may or may not have counted.
   */
  increment(key: Bytes, by?: bigint, options?: { w?: number }): Promise<bigint>;
  explain(key: Bytes): Promise<Explanation>;
}

/** Where a key lives: its storage key (partition prefix, bucket, key) and partition. */
interface Placement {
  storageKey: Uint8Array;
  partition: number;
}

function toBytes(value: Bytes): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

export class Db implements Bucket {
  readonly name = 'default';
  readonly ring: Ring;
  readonly config: Config;
  readonly buckets: BucketRegistry;
  private readonly pool: WorkerPool;
  /** @internal Reads replicas' storage in this thread for gets. */
  readonly reader: ReplicaReader;
  private readRepairs = 0;
  /**
   * Writes in flight by storage key: a get of such a key waits for them, so a client that
   * pipelines SET then GET reads its own write, as it did when both went through one
   * coordinator's ring in order.
   */
  private readonly writesInFlight = new Map<string, Set<Promise<unknown>>>();
  private readonly lock: DirLock;
  private readonly listsByN = new Map<number, number[][]>();
  private readonly healthyTargets = new Map<number, Uint8Array[]>();
  private readonly defaultView: BucketView;
  private readonly openedAt = Date.now();
  private closing: Promise<void> | null = null;
  private activity: ActivityWatch | null = null;
  /** What open() found worth telling the operator (a flag the stored props override). */
  readonly warnings: string[] = [];
  /** @internal Turns expired versions into tombstones in the background. */
  readonly expirySweep: ExpirySweep;

  private constructor(config: Config, ring: Ring, pool: WorkerPool, lock: DirLock, buckets: BucketRegistry) {
    this.config = config;
    this.ring = ring;
    this.pool = pool;
    this.lock = lock;
    this.reader = new ReplicaReader({
      dir: config.dir,
      workerCount: ring.workerCount,
      durability: config.durability,
      mapBytes: config.mapBytes,
    });
    this.buckets = buckets;
    this.defaultView = new BucketView(this, 'default');
    this.expirySweep = new ExpirySweep({
      reader: this.reader,
      partitionCount: ring.partitionCount,
      sweepSlot: (partition) =>
        this.preferenceList(partition, ring.workerCount).find((slot) => this.pool.reachable(slot)),
      bucket: (name) => this.bucket(name),
    });
  }

  get props(): BucketProps {
    return this.buckets.props('default');
  }

  static async open(options: OpenOptions): Promise<Db> {
    const config = parseConfig(options);
    // A start that fails leaves no directory it created behind (a typo'd flag must not leave
    // a half-made store that a second try would then open).
    const created = !existsSync(config.dir);
    // Before anything reads or writes the directory: a second database on it would run a
    // second set of workers with the same ids over the same LMDB environments.
    const lock = DirLock.acquire(config.dir);
    let buckets: BucketRegistry | undefined;
    try {
      const ring = loadOrCreateRing(
        config.dir,
        config.partitions ?? PARTITION_COUNT_DEFAULT,
        config.workers,
        defaultWorkerCount(config.defaultBucket.n),
      );
      checkPartitionCount(ring, config.partitions, config.dir);
      buckets = new BucketRegistry(config.dir, config.defaultBucket, ring.workerCount, {
        maxBuckets: config.maxBuckets,
      });
      // Stored props win (propsDisagreements): the flags' props are checked and used only
      // when none are stored; the workers are told the n that applies.
      const stored = buckets.storedDefault();
      if (stored === null) checkBucketProps(config.defaultBucket, config.defaultBucket, ring.workerCount);
      const effective: Config = stored === null ? config : { ...config, defaultBucket: stored };
      const pool = await WorkerPool.start(effective, ring);
      const db = new Db(effective, ring, pool, lock, buckets);
      db.warnings.push(...propsDisagreements(options, stored));
      return db;
    } catch (error) {
      buckets?.close();
      lock.release();
      if (created) rmSync(config.dir, { recursive: true, force: true });
      throw error;
    }
  }

  get workerCount(): number {
    return this.ring.workerCount;
  }

  /**
   * Calls `listener` for every engine event as it happens: a worker suspected, failed,
   * respawned or recovered, and per window the hints delivered and keys repaired by
   * anti-entropy (src/main/events.ts; formatEvent makes a log line of one). Returns the removal.
   */
  onEvent(listener: EngineEventListener): () => void {
    this.activity ??= new ActivityWatch(() => this.stats(), this.pool.events);
    return this.pool.events.add(listener);
  }

  get workerIds(): readonly number[] {
    return this.pool.workerIds;
  }

  /**
   * A bucket by name. With props, they are validated, stored in the data directory and apply
   * to every later request of that bucket; without, the stored props (or the defaults) apply.
   */
  bucket(name: string, props?: BucketPropsInput): Bucket {
    checkBucketName(name);
    if (props !== undefined) this.buckets.set(name, props);
    // Views hold no state of their own (props are read per request), so none is cached.
    return name === 'default' ? this.defaultView : new BucketView(this, name);
  }

  /**
   * Each worker's health as the failure detector sees it now, and whether its storage refuses
   * writes (both read from shared memory: no round trip to the workers).
   */
  health(): WorkerHealth[] {
    return Array.from({ length: this.ring.workerCount }, (_, worker) => ({
      worker,
      health: HEALTH_NAMES[this.pool.health[worker] ?? Health.DOWN],
      storage: this.storageHealth(worker),
    }));
  }

  private storageHealth(worker: number): StorageHealth {
    return this.pool.control.get(worker, STORAGE_FAILED) === 0 ? 'ok' : 'failed';
  }

  /**
   * Fault injection for tests and demonstrations (the HTTP /admin routes call these only
   * when the server runs with --fault-injection). Worker numbers are ring slots.
   */
  readonly faults = {
    kill: (worker: number) => this.pool.kill(this.checkWorker(worker)),
    pause: (worker: number) => this.pool.pause(this.checkWorker(worker)),
    isolate: (worker: number) => this.pool.isolate(this.checkWorker(worker)),
    heal: (worker: number) => this.pool.heal(this.checkWorker(worker)),
    /** Discards every pending hint of the workers that are up, so only anti-entropy can repair what they carried. */
    dropHints: async (): Promise<void> => {
      const drops = [];
      for (let slot = 0; slot < this.ring.workerCount; slot++) {
        if (this.pool.health[slot] !== Health.UP) continue;
        const id = this.pool.nextId();
        drops.push(
          this.pool.send(
            slot,
            id,
            this.pool.writer.begin({ type: MessageType.DROP_HINTS, requestId: id }).finish(),
          ),
        );
      }
      await Promise.all(drops);
    },
  };

  /**
   * A consistent copy of the store in `dir` (new or empty) while it serves: every worker's
   * environment, the ring and the bucket props. `open({ dir })` opens the copy.
   */
  backup(dir: string): Promise<BackupResult> {
    if (this.closing !== null) return Promise.reject(new KvError('CLOSED', 'the database is closed'));
    return backupStore(
      {
        dir: this.config.dir,
        workerCount: this.ring.workerCount,
        copyEnvironment: (slot, path) => this.reader.backup(slot, path),
        files: [RING_FILE, ...BUCKET_FILES],
      },
      dir,
    );
  }

  /** Stale replicas sent the merged record by gets since open (also in stats()). */
  get readRepairCount(): number {
    return this.readRepairs;
  }

  private checkWorker(worker: number): number {
    if (!Number.isInteger(worker) || worker < 0 || worker >= this.ring.workerCount) {
      throw new KvError(
        'BAD_REQUEST',
        `worker must be 0 to ${this.ring.workerCount - 1}; got ${String(worker)}`,
      );
    }
    return worker;
  }

  /** Health and counters of every worker, and how the ring spreads partitions over them. */
  async stats(): Promise<DbStats> {
    const owned = ownershipCounts(this.ring);
    const replicated = replicaCounts(this.ring, this.props.n);
    const workers = await Promise.all(
      Array.from({ length: this.ring.workerCount }, (_, slot) => this.workerReport(slot, owned, replicated)),
    );
    return {
      uptimeMs: Date.now() - this.openedAt,
      partitions: this.ring.partitionCount,
      readRepairs: this.readRepairs,
      workers,
    };
  }

  /**
   * One worker's report, as stats() gives it: a caller polling often (the dashboard) asks each
   * worker on its own so that a hung one does not hold back the others' figures.
   */
  workerStats(worker: number): Promise<WorkerReport> {
    const slot = this.checkWorker(worker);
    return this.workerReport(slot, ownershipCounts(this.ring), replicaCounts(this.ring, this.props.n));
  }

  private async workerReport(slot: number, owned: number[], replicated: number[]): Promise<WorkerReport> {
    let reply: WorkerStatsReply | null = null;
    // A worker the detector suspects (or paused, cut off) is not asked: its answer would come
    // at the request timeout, if ever, and hold up every report.
    if (this.pool.reachable(slot)) {
      const id = this.pool.nextId();
      const frame = this.pool.writer.begin({ type: MessageType.STATS, requestId: id }).finish();
      reply = await this.pool.send(slot, id, frame).then(
        ([json]) => JSON.parse(Buffer.from(json ?? EMPTY).toString()) as WorkerStatsReply,
        () => null,
      );
    }
    return {
      worker: slot,
      workerId: this.pool.workerIds[slot] ?? 0,
      alive: this.pool.alive[slot] === true,
      health: HEALTH_NAMES[this.pool.health[slot] ?? Health.DOWN],
      respawns: this.pool.respawns[slot] ?? 0,
      threadId: this.pool.threadId(slot),
      partitionsOwned: owned[slot] ?? 0,
      partitionsReplicated: replicated[slot] ?? 0,
      storage: this.storageHealth(slot),
      storageError: reply?.storageError ?? null,
      counters: reply?.counters ?? null,
    };
  }

  get(key: Bytes, options?: { r?: Quorum }): Promise<GetResult> {
    return this.defaultView.get(key, options);
  }

  put(key: Bytes, value: Bytes, options?: WriteOptions): Promise<WriteResult> {
    return this.defaultView.put(key, value, options);
  }

  delete(key: Bytes, options?: WriteOptions): Promise<WriteResult> {
    return this.defaultView.delete(key, options);
  }

  increment(key: Bytes, by?: bigint, options?: { w?: number }): Promise<bigint> {
    return this.defaultView.increment(key, by, options);
  }

  explain(key: Bytes): Promise<Explanation> {
    return this.defaultView.explain(key);
  }

  /** Commits everything, stops the workers and releases the directory; a second call waits for the first. */
  close(): Promise<void> {
    this.activity?.stop();
    this.expirySweep.stop();
    this.closing ??= this.pool
      .close()
      .then(() => this.reader.close())
      .finally(() => {
        this.buckets.close();
        this.lock.release();
      });
    return this.closing;
  }

  /** @internal Resolves once every write of the key in flight now has settled. */
  writesSettled(placement: Placement): Promise<unknown> | undefined {
    const writes = this.writesInFlight.get(storageKeyId(placement.storageKey));
    return writes === undefined ? undefined : Promise.allSettled(writes);
  }

  /** @internal Tracks a write until it settles (see writesInFlight). */
  trackWrite<T>(placement: Placement, write: Promise<T>): Promise<T> {
    const id = storageKeyId(placement.storageKey);
    let writes = this.writesInFlight.get(id);
    if (writes === undefined) {
      writes = new Set();
      this.writesInFlight.set(id, writes);
    }
    writes.add(write);
    const settled = () => {
      if (writes.delete(write) && writes.size === 0) this.writesInFlight.delete(id);
    };
    write.then(settled, settled);
    return write;
  }

  /**
   * @internal A get, served in this thread: reads the key's record in every reachable replica's
   * storage (the preference list, with stand-ins for workers the detector sees down or
   * suspect), needs at least r of them, reconciles them, and sends the merged record to every
   * replica that held something older or nothing (read repair).
   */
  readReplicas(placement: Placement, n: number, r: number, policy: Policy): GetResult {
    if (this.closing !== null) throw new KvError('CLOSED', 'the database is closed');
    const encoded = this.targets(placement.partition, n);
    const slots: number[] = [];
    for (let i = 0; i < encoded.length; i += 2) {
      const slot = encoded[i] as number;
      if (this.pool.reachable(slot)) slots.push(slot);
    }
    if (slots.length < r) {
      throw new KvError(
        'QUORUM',
        `read quorum not met: ${slots.length} of ${n} replicas reachable; ${r} needed`,
      );
    }
    this.reader.refresh();
    return this.readAgreeing(placement, slots) ?? this.reconcileReplicas(placement, slots, policy);
  }

  /**
   * The common case of a get, without decoding: every replica read holds the same bytes, one
   * version or none. Null when they differ or the record needs decoding (then the replicas
   * are read again and reconciled).
   */
  private readAgreeing(placement: Placement, slots: readonly number[]): GetResult | null {
    let first: Buffer | undefined;
    for (let i = 0; i < slots.length; i++) {
      const record = this.reader.read(slots[i] as number, placement.storageKey);
      // The read buffer is reused by the next read: keep a copy of the first to compare with.
      if (i === 0) first = record === undefined ? undefined : Buffer.from(record);
      else if (record === undefined ? first !== undefined : first === undefined || !first.equals(record))
        return null;
    }
    if (first === undefined) return new ReadOutcome([], null, []);
    const value = soleValue(first);
    if (value === undefined) return null;
    if (value === null) return new ReadOutcome([], null, first);
    const buffer = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    return new ReadOutcome([buffer], buffer, first);
  }

  private reconcileReplicas(placement: Placement, slots: readonly number[], policy: Policy): GetResult {
    const answers: Version[][] = [];
    let merged: Version[] = [];
    for (const slot of slots) {
      const record = this.reader.read(slot, placement.storageKey);
      const versions = record === undefined ? [] : decodeRecord(record);
      answers.push(versions);
      merged = mergeVersions(merged, versions, policy);
    }
    if (merged.length > 0) this.repair(placement, slots, answers, merged, policy);
    if (merged.some(isCounterVersion)) return counterResult(merged);
    // An expired version reads as absent; it stays in the context, so a write supersedes it.
    const now = Date.now();
    const values: Buffer[] = [];
    for (const version of merged) {
      if (version.value !== null && !isExpired(version, now))
        values.push(Buffer.from(version.value.buffer, version.value.byteOffset, version.value.byteLength));
    }
    const newestVersion = newestValue(merged, now);
    // Versions come in sort order, newest last, so the newest live value is the last value.
    const newest = newestVersion === undefined ? null : (values[values.length - 1] ?? null);
    return new ReadOutcome(values, newest, merged, newestVersion?.expiresAt ?? null);
  }

  private repair(
    placement: Placement,
    slots: readonly number[],
    answers: readonly Version[][],
    merged: readonly Version[],
    policy: Policy,
  ): void {
    let record: Uint8Array | null = null;
    slots.forEach((slot, i) => {
      if (sameVersions(answers[i] as Version[], merged)) return;
      record ??= encodeRecord(merged);
      const flags = policy === 'lww' ? FrameFlag.LWW : 0;
      const frame = this.pool.writer
        .begin({ type: MessageType.REPAIR, requestId: 0, partition: placement.partition, flags })
        .field(placement.storageKey)
        .field(record)
        .finish();
      // A full ring only delays repair: the next read or anti-entropy finds the difference again.
      if (this.pool.post(slot, frame)) this.readRepairs++;
    });
  }

  /** @internal The workers whose storage this thread may read now (up, not paused or cut off). */
  readableSlots(): number[] {
    if (this.closing !== null) throw new KvError('CLOSED', 'the database is closed');
    const slots: number[] = [];
    for (let slot = 0; slot < this.ring.workerCount; slot++) if (this.pool.reachable(slot)) slots.push(slot);
    return slots;
  }

  /** @internal Places a key of a bucket on the ring. */
  place(bucket: string, key: Bytes): Placement {
    const keyBytes = toBytes(key);
    if (keyBytes.length > this.config.maxKeyBytes) {
      throw new KvError(
        'TOOLARGE',
        `key is ${keyBytes.length} bytes; maxKeyBytes is ${this.config.maxKeyBytes}`,
      );
    }
    const bucketLength = Buffer.byteLength(bucket);
    const storageKey = Buffer.allocUnsafe(3 + bucketLength + keyBytes.length);
    storageKey[2] = bucketLength;
    storageKey.write(bucket, 3, 'utf8');
    storageKey.set(keyBytes, 3 + bucketLength);
    // The ring position hashes bucket and key, not the partition prefix written after it.
    const partition = partitionOf(ringHash(storageKey.subarray(2)), this.ring.partitionCount);
    storageKey.writeUInt16BE(partition, 0);
    return { storageKey, partition };
  }

  /** @internal The first n distinct workers clockwise from the partition's owner. */
  preferenceList(partition: number, n: number): number[] {
    let lists = this.listsByN.get(n);
    if (lists === undefined) {
      lists = preferenceLists(this.ring, n);
      this.listsByN.set(n, lists);
    }
    return lists[partition] as number[];
  }

  /** @internal Sends a PUT to the key's coordinator: the first live worker of its list. */
  coordinate(
    type: typeof MessageType.PUT,
    placement: Placement,
    n: number,
    quorum: number,
    flags: number,
    fields: Uint8Array[],
    firstAttempt = true,
  ): Promise<Buffer[]> {
    if (this.closing !== null) return Promise.reject(new KvError('CLOSED', 'the database is closed'));
    const targets = this.targets(placement.partition, n);
    if (targets.length < 2 * quorum) {
      const message = `only ${targets.length / 2} of ${n} replicas are reachable; ${quorum} needed`;
      return Promise.reject(new KvError('QUORUM', message));
    }
    const id = this.pool.nextId();
    const writer = this.pool.writer.begin({
      type,
      requestId: id,
      partition: placement.partition,
      quorum,
      flags,
    });
    writer.field(placement.storageKey).field(targets);
    for (const field of fields) writer.field(field);
    // The coordinator is the first target: the first healthy worker of the preference list.
    const failover = firstAttempt
      ? () => this.coordinate(type, placement, n, quorum, flags, fields, false)
      : undefined;
    return this.pool.send(targets[0] as number, id, writer.finish(), failover);
  }

  /**
   * Sloppy quorum: the preference list with every worker that is not UP replaced by the next
   * UP worker clockwise outside the list, which keeps the versions with a hint naming the
   * worker it stands in for. Healthy rings (the common case) use a cached encoding.
   */
  private targets(partition: number, n: number): Uint8Array {
    let cached = this.healthyTargets.get(n);
    if (cached === undefined) {
      cached = preferenceLists(this.ring, n).map((list) => encodeTargets(list, []));
      this.healthyTargets.set(n, cached);
    }
    if (this.pool.allUp) return cached[partition] as Uint8Array;
    const clockwise = this.preferenceList(partition, this.ring.workerCount);
    const list = clockwise.slice(0, n);
    const spares = clockwise.slice(n).filter((slot) => this.pool.health[slot] === Health.UP);
    const slots: number[] = [];
    const hints: number[] = [];
    for (const slot of list) {
      if (this.pool.health[slot] === Health.UP) {
        slots.push(slot);
        hints.push(NO_HINT);
        continue;
      }
      const spare = spares.shift();
      if (spare === undefined) continue;
      slots.push(spare);
      hints.push(slot);
    }
    return encodeTargets(slots, hints);
  }

  /** @internal Reads one key's record from every live worker's own storage. */
  async explainPlacement(placement: Placement, n: number): Promise<Explanation> {
    const replicas: Explanation['replicas'] = [];
    const asks = [];
    for (let slot = 0; slot < this.ring.workerCount; slot++) {
      if (!this.pool.alive[slot]) continue;
      const id = this.pool.nextId();
      const frame = this.pool.writer
        .begin({ type: MessageType.EXPLAIN, requestId: id })
        .field(placement.storageKey)
        .finish();
      asks.push(
        // A worker that does not answer is left out: explain reports what it could read.
        this.pool.send(slot, id, frame).then(
          ([record]) => {
            if (record === undefined || record.length === 0) return;
            const now = Date.now();
            const versions = decodeRecord(record).map((version) => ({
              value: version.value === null ? null : Buffer.from(version.value),
              clock: versionClock(version),
              ts: version.ts,
              expiresAt: version.expiresAt ?? null,
              expired: isExpired(version, now),
            }));
            replicas.push({ worker: slot, workerId: this.pool.workerIds[slot] as number, versions });
          },
          () => {},
        ),
      );
    }
    await Promise.all(asks);
    replicas.sort((a, b) => a.worker - b.worker);
    return {
      partition: placement.partition,
      preferenceList: this.preferenceList(placement.partition, n),
      replicas,
    };
  }

  /** @internal Checks a value against the limits before anything is sent. */
  checkValue(value: Uint8Array, storageKey: Uint8Array, context: string): void {
    if (value.length > this.config.maxValueBytes) {
      throw new KvError(
        'TOOLARGE',
        `value is ${value.length} bytes; maxValueBytes is ${this.config.maxValueBytes}`,
      );
    }
    const bytes = frameBytes([storageKey.length, 64, context.length, value.length]);
    if (bytes > this.pool.frameBytesMax()) {
      throw new KvError(
        'TOOLARGE',
        `request is ${bytes} bytes; a ring frame holds ${this.pool.frameBytesMax()} (ringBytes)`,
      );
    }
  }
}

/**
 * A get's answer. The context's text is made when asked for: Redis's GET never asks, and
 * joining the clocks and encoding them was a fifth of a get's work.
 */
class ReadOutcome implements GetResult {
  readonly values: Buffer[];
  readonly newest: Buffer | null;
  readonly expiresAt: number | null;
  /** The reconciled versions, or the one record every replica agreed on (decoded if asked). */
  readonly #merged: readonly Version[] | Uint8Array;
  #context: string | null = null;

  constructor(
    values: Buffer[],
    newest: Buffer | null,
    merged: readonly Version[] | Uint8Array,
    expiresAt: number | null = null,
  ) {
    this.values = values;
    this.newest = newest;
    this.#merged = merged;
    this.expiresAt = expiresAt;
  }

  get context(): string {
    const merged = this.#merged;
    this.#context ??= encodeContext(joinClocks(merged instanceof Uint8Array ? decodeRecord(merged) : merged));
    return this.#context;
  }

  toJSON(): GetResult {
    return { values: this.values, newest: this.newest, context: this.context, expiresAt: this.expiresAt };
  }
}

/** A write's answer: the context arrives as bytes from the coordinator; its text is made when asked for. */
class WriteOutcome implements WriteResult {
  readonly existed: boolean;
  readonly #bytes: Uint8Array;
  #context: string | null = null;

  constructor(bytes: Uint8Array, existed: boolean) {
    this.#bytes = bytes;
    this.existed = existed;
  }

  get context(): string {
    this.#context ??= contextText(this.#bytes);
    return this.#context;
  }

  toJSON(): WriteResult {
    return { context: this.context, existed: this.existed };
  }
}

/** A storage key as a map key (latin1 maps bytes to characters one to one). */
function storageKeyId(storageKey: Uint8Array): string {
  return Buffer.from(storageKey.buffer, storageKey.byteOffset, storageKey.byteLength).toString('latin1');
}

/** A get of a key holding counter versions: their merged value stands for all of them. */
function counterResult(merged: readonly Version[]): GetResult {
  const { values, newest } = readableValues(merged);
  const toBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return new ReadOutcome(values.map(toBuffer), newest === null ? null : toBuffer(newest), merged);
}

const EMPTY = new Uint8Array(0);
const HEALTH_NAMES = ['up', 'suspect', 'down'] as const;

class BucketView implements Bucket {
  readonly name: string;
  private readonly db: Db;

  constructor(db: Db, name: string) {
    this.db = db;
    this.name = name;
  }

  /** Read on every request, so a change of the bucket's props applies to the next one. */
  get props(): BucketProps {
    return this.db.buckets.props(this.name);
  }

  async get(key: Bytes, options: { r?: Quorum } = {}): Promise<GetResult> {
    const props = this.props;
    const r = quorum('r', options.r, props);
    const placement = this.db.place(this.name, key);
    const earlier = this.db.writesSettled(placement);
    if (earlier !== undefined) await earlier;
    return this.db.readReplicas(placement, props.n, r, props.policy);
  }

  put(key: Bytes, value: Bytes, options: WriteOptions = {}): Promise<WriteResult> {
    return this.write(key, toBytes(value), options, 0);
  }

  delete(key: Bytes, options: WriteOptions = {}): Promise<WriteResult> {
    return this.write(key, EMPTY, options, FrameFlag.TOMBSTONE);
  }

  async increment(key: Bytes, by = 1n, options: { w?: number } = {}): Promise<bigint> {
    if (typeof by !== 'bigint' || by < INT64_MIN || by > INT64_MAX) {
      throw new KvError('BAD_REQUEST', `increment must be a bigint within int64; got ${String(by)}`);
    }
    const props = this.props;
    const w = quorum('w', options.w, props);
    const placement = this.db.place(this.name, key);
    const delta = Buffer.alloc(8);
    delta.writeBigInt64BE(by);
    let flags = FrameFlag.COUNTER;
    if (props.policy === 'lww') flags |= FrameFlag.LWW;
    // Not sent again through another coordinator when the first dies or is suspected: the first
    // may have counted it already, and a second send would count it twice.
    const [, , total] = await this.db.trackWrite(
      placement,
      this.db.coordinate(MessageType.PUT, placement, props.n, w, flags, [EMPTY, delta], false),
    );
    this.db.reader.noteCommit();
    this.db.buckets.noteWrite(this.name);
    return BigInt(Buffer.from(total ?? EMPTY).toString('latin1'));
  }

  explain(key: Bytes): Promise<Explanation> {
    return this.db.explainPlacement(this.db.place(this.name, key), this.props.n);
  }

  private async write(
    key: Bytes,
    value: Uint8Array,
    options: WriteOptions,
    flags: number,
  ): Promise<WriteResult> {
    const props = this.props;
    this.db.buckets.checkRoom(this.name);
    const w = quorum('w', options.w, props);
    const context = options.context ?? '';
    if (typeof context !== 'string') {
      throw new KvError('BAD_CONTEXT', 'context must be a string from an earlier get or put');
    }
    decodeContext(context); // fails fast with BAD_CONTEXT, before the request leaves this thread
    const placement = this.db.place(this.name, key);
    this.db.checkValue(value, placement.storageKey, context);
    if (props.policy === 'lww') flags |= FrameFlag.LWW;
    if (options.replace === true) flags |= FrameFlag.REPLACE;
    const fields = [Buffer.from(context, 'latin1'), value];
    const timing = writeTiming(options, flags);
    if (timing !== null) fields.push(...timing);
    if (timing !== null && (flags & FrameFlag.TOMBSTONE) === 0) this.db.expirySweep.noteExpiringWrite();
    const [contextOut, existed] = await this.db.trackWrite(
      placement,
      this.db.coordinate(MessageType.PUT, placement, props.n, w, flags, fields),
    );
    this.db.reader.noteCommit();
    this.db.buckets.noteWrite(this.name);
    return new WriteOutcome(contextOut ?? EMPTY, existed?.[0] === 1);
  }
}

/**
 * The PUT frame's optional fields: the expiry (8 bytes, f64 ms; empty for none), then the
 * write's timestamp when it is not now (the expiry sweep's tombstones). null when neither.
 */
function writeTiming(options: WriteOptions, flags: number): Uint8Array[] | null {
  const { ttlMs, expiresAt, at } = options;
  if (ttlMs === undefined && expiresAt === undefined && at === undefined) return null;
  if (ttlMs !== undefined && expiresAt !== undefined) {
    throw new KvError('BAD_REQUEST', 'give ttlMs or expiresAt, not both');
  }
  let expiry: number | undefined;
  if (ttlMs !== undefined) {
    if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
      throw new KvError('BAD_REQUEST', `ttlMs must be a number of ms above 0; got ${String(ttlMs)}`);
    }
    expiry = Date.now() + ttlMs;
  } else if (expiresAt !== undefined) {
    if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt) || expiresAt <= 0) {
      throw new KvError('BAD_REQUEST', `expiresAt must be ms since the epoch; got ${String(expiresAt)}`);
    }
    expiry = expiresAt;
  }
  if (expiry !== undefined && (flags & FrameFlag.TOMBSTONE) !== 0) {
    throw new KvError('BAD_REQUEST', 'a delete takes no expiry');
  }
  const fields = [expiry === undefined ? EMPTY : f64Bytes(expiry)];
  if (at !== undefined) {
    if (!Number.isFinite(at) || at <= 0)
      throw new KvError('BAD_REQUEST', `at must be ms since the epoch; got ${at}`);
    fields.push(f64Bytes(at));
  }
  return fields;
}

function f64Bytes(value: number): Uint8Array {
  const bytes = Buffer.allocUnsafe(8);
  bytes.writeDoubleBE(value, 0);
  return bytes;
}

function quorum(name: 'r' | 'w', symbolic: Quorum | undefined, props: BucketProps): number {
  const asked = resolveQuorum(symbolic, props.n, props[name]) as number;
  if (!Number.isInteger(asked) || asked < 1 || asked > props.n) {
    throw new KvError(
      'BAD_REQUEST',
      `${name} must be an integer from 1 to n=${props.n}; got ${String(asked)}`,
    );
  }
  return asked;
}

/**
 * The rule: a bucket's stored props win. The default bucket's n, r, w and policy given to
 * open() (ringkv start --n/--r/--w/--policy) apply only while it has none stored; they are
 * stored at its first write or props PUT, and changed after that with a props PUT.
 */
function propsDisagreements(options: OpenOptions, stored: BucketProps | null): string[] {
  if (stored === null) return [];
  const warnings: string[] = [];
  for (const name of ['n', 'r', 'w', 'policy'] as const) {
    const asked = options[name];
    if (asked === undefined || asked === stored[name]) continue;
    warnings.push(
      `${name}=${asked} (--${name}) is ignored: ${options.dir} stores the default bucket's ${name}=${stored[name]}, and stored props win over flags; change it with PUT /buckets/default/props`,
    );
  }
  return warnings;
}

export async function open(options: OpenOptions): Promise<Db> {
  return Db.open(options);
}
