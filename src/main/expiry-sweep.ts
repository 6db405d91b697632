// The expiry sweep: turns expired versions into tombstones through the ordinary write path, so
// an expired key stops taking space and stops being handed around by repair, hints and
// anti-entropy as a value. Reads do not need it (an expired version reads as absent already);
// it is housekeeping, paced like the tombstone purge: every EXPIRY_SWEEP_INTERVAL_MS it reads at
// most EXPIRY_SWEEP_SCAN_RECORDS_MAX records, resuming where the last run stopped, from the
// first reachable worker of each partition's clockwise list (its owner while that is up), and
// writes at most EXPIRY_SWEEP_WRITES_MAX tombstones, waiting for them before the next run.
// A whole cycle over every partition that met no value with an expiry, with no write of one
// since the cycle began, leaves the sweep idle until the next such write (Db notes them): a
// store without expiring keys pays one cycle after start-up and nothing after.
//
// The tombstone of a key is a plain delete (not a replace write) whose context is the join of
// the expired versions' clocks, written at the newest expired version's ts plus
// EXPIRY_TOMBSTONE_OFFSET_MS: it supersedes exactly the expired versions, so a sibling or a
// newer write it never saw stays, and it sorts where the expired version did, so what a GET
// answers is the same before and after the sweep.
import {
  decodeRecord,
  encodeContext,
  isExpired,
  merge,
  recordExpiry,
  type VClock,
  versionClock,
} from '../clock/index.js';
import {
  EXPIRY_SWEEP_INTERVAL_MS,
  EXPIRY_SWEEP_SCAN_RECORDS_MAX,
  EXPIRY_SWEEP_WRITES_MAX,
  EXPIRY_TOMBSTONE_OFFSET_MS,
} from '../constants.js';
import { KvError } from '../errors.js';
import type { Bucket } from './db.js';
import type { ReplicaReader } from './replica-reader.js';

/** What the sweep needs of the database. */
export interface SweepHost {
  readonly reader: ReplicaReader;
  readonly partitionCount: number;
  /** The worker whose copy of the partition is swept: the first reachable one clockwise, if any. */
  sweepSlot(partition: number): number | undefined;
  bucket(name: string): Bucket;
}

interface Expiry {
  bucket: string;
  key: Buffer;
  context: VClock;
  at: number;
}

export interface SweepCounters {
  /** Tombstones the sweep wrote (one per key, for all of its expired versions). */
  expiredKeys: number;
  /** Tombstone writes that failed (quorum, timeout): the key is found again by a later run. */
  failedWrites: number;
}

export class ExpirySweep {
  readonly counters: SweepCounters = { expiredKeys: 0, failedWrites: 0 };
  private readonly host: SweepHost;
  private readonly timer: NodeJS.Timeout;
  private partition = 0;
  /** The first key of `partition` not read yet; undefined: from the partition's start. */
  private from: Buffer | undefined;
  private running = false;
  private stopped = false;
  /** No value with an expiry anywhere, as far as a whole cycle saw: nothing to do until one is written. */
  private idle = false;
  /** Whether this cycle met a value with an expiry (expired or not), or one was written meanwhile. */
  private cycleSawExpiry = false;

  constructor(host: SweepHost) {
    this.host = host;
    this.timer = setInterval(() => this.run(), EXPIRY_SWEEP_INTERVAL_MS);
    this.timer.unref();
  }

  /** A value with an expiry was written: sweeping is needed again. */
  noteExpiringWrite(): void {
    this.idle = false;
    this.cycleSawExpiry = true;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** One run: a bounded scan, then its tombstones; a run still writing makes the next one skip. */
  private run(): void {
    if (this.running || this.stopped || this.idle) return;
    const found = this.scan(Date.now());
    if (found.length === 0) return;
    this.running = true;
    Promise.all(found.map((expiry) => this.expire(expiry))).finally(() => {
      this.running = false;
    });
  }

  private scan(now: number): Expiry[] {
    const { reader, partitionCount } = this.host;
    reader.refresh();
    const found: Expiry[] = [];
    let budget = EXPIRY_SWEEP_SCAN_RECORDS_MAX;
    for (let visited = 0; visited < partitionCount && budget > 0; visited++) {
      const slot = this.host.sweepSlot(this.partition);
      const records =
        slot === undefined ? [] : reader.partitionPage(slot, this.partition, this.from, budget + 1);
      let next: Buffer | undefined;
      for (const { key, record } of records) {
        if (budget === 0 || found.length === EXPIRY_SWEEP_WRITES_MAX) {
          next = key;
          break;
        }
        budget--;
        const expiry = recordExpiry(record, now);
        if (expiry !== 'none') this.cycleSawExpiry = true;
        if (expiry === 'expired') found.push(expiryOf(key, record, now));
      }
      if (next !== undefined) {
        this.from = next;
        return found;
      }
      this.from = undefined;
      this.partition = (this.partition + 1) % partitionCount;
      if (this.partition === 0) {
        // A cycle ends. Tombstones written from it are waited for before the next run, which
        // finds what they missed (a failed write leaves the value, seen as expired again).
        this.idle = !this.cycleSawExpiry && found.length === 0;
        this.cycleSawExpiry = false;
        if (this.idle) return found;
      }
    }
    return found;
  }

  private async expire({ bucket, key, context, at }: Expiry): Promise<void> {
    try {
      await this.host.bucket(bucket).delete(key, { context: encodeContext(context), at });
      this.counters.expiredKeys++;
    } catch (error) {
      if (!(error instanceof KvError)) throw error;
      // Quorum, timeout, closing: the expired versions stay and read as absent; a later run retries.
      this.counters.failedWrites++;
    }
  }
}

/** The tombstone that supersedes the record's expired values: their clocks, after their newest ts. */
function expiryOf(storageKey: Buffer, record: Buffer, now: number): Expiry {
  let context: VClock = [];
  let newest = 0;
  for (const version of decodeRecord(record)) {
    if (version.value === null || !isExpired(version, now)) continue;
    context = merge(context, versionClock(version));
    newest = Math.max(newest, version.ts);
  }
  // Storage key: u16 partition, u8 bucket name bytes, bucket name, key (Db.place).
  const bucketBytes = storageKey[2] as number;
  return {
    bucket: storageKey.toString('utf8', 3, 3 + bucketBytes),
    key: storageKey.subarray(3 + bucketBytes),
    context,
    at: newest + EXPIRY_TOMBSTONE_OFFSET_MS,
  };
}
