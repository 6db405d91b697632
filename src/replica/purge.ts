// Tombstone purge (Riak's delete_mode, Cassandra's gc_grace). A delete leaves a tombstone so
// that a replica which missed it learns of it instead of handing the old value back. Once the
// tombstone is older than the grace period, every worker holds old tombstones or nothing for
// the key, and no hint (an older version waiting for its owner) is pending anywhere, nothing
// can bring the old value back and the record may go. Each worker purges the partitions it
// owns, in rounds of one partition: it collects the records that hold only old tombstones,
// asks every other worker whether it holds the same or nothing, and then every worker removes
// the keys all agreed on, checking again inside its own removal, so a write that arrived in
// the meantime stays. Workers other than the owner may hold such a key as a stand-in's leftover
// copy, which is why every worker is asked, not only the preference list. A round carries the
// old tombstones of as many candidate partitions as fit in PURGE_KEYS_PER_ROUND_MAX keys.
import { decodeRecord, isOldTombstones, mergeVersions, type Version } from '../clock/index.js';
import {
  PURGE_INTERVAL_MS,
  PURGE_KEYS_PER_ROUND_MAX,
  PURGE_ROUND_BYTES_MAX,
  PURGE_ROUND_TIMEOUT_MS,
  PURGE_SCAN_RECORDS_MAX,
} from '../constants.js';
import { preferenceLists, type Ring } from '../ring/index.js';
import { HINTS_PENDING } from '../transport/control.js';
import { type Frame, MessageType } from '../transport/frames.js';
import type { Links, WorkerStats } from './links.js';

interface Round {
  readonly id: number;
  readonly keys: Uint8Array[];
  /** Each key's record here: old tombstones only. */
  readonly records: Uint8Array[];
  /** Per key: every worker that answered holds old tombstones only, or nothing. */
  readonly agreed: boolean[];
  /** Partitions scanned whole with nothing left for later: done if every key is agreed on. */
  readonly finished: number[];
  readonly waiting: Set<number>;
  readonly startedAt: number;
}

const AGREE = 1;
const REFUSE = 0;

function partitionOfKey(key: Uint8Array): number {
  return ((key[0] ?? 0) << 8) | (key[1] ?? 0);
}

export class TombstonePurge {
  private readonly links: Links;
  private readonly stats: WorkerStats;
  private readonly workerCount: number;
  private readonly graceMs: number;
  /** Partitions whose preference list this worker heads: the ones it purges. */
  private readonly owned: ReadonlySet<number>;
  /** Owned partitions that may hold tombstones: every one at start-up, then those a tombstone was written to. */
  private readonly candidates = new Set<number>();
  private round: Round | null = null;
  /** Where a scan cut short by its budget goes on: a partition and the first key not yet read. */
  private resume: { partition: number; key: Uint8Array } | null = null;
  private nextId = 1;
  private lastRun = 0;

  constructor(links: Links, stats: WorkerStats, ring: Ring, graceMs: number) {
    this.links = links;
    this.stats = stats;
    this.workerCount = ring.workerCount;
    this.graceMs = graceMs;
    const owned = new Set<number>();
    preferenceLists(ring, 1).forEach(([owner], partition) => {
      if (owner === links.slot) owned.add(partition);
    });
    this.owned = owned;
    for (const partition of owned) this.candidates.add(partition);
  }

  /** The store's write hook: a tombstone written to an owned partition makes it a candidate. */
  noteWrite(key: Uint8Array, after: Uint8Array | undefined): void {
    if (after === undefined || !isOldTombstones(after, Number.POSITIVE_INFINITY)) return;
    const partition = partitionOfKey(key);
    if (this.owned.has(partition)) this.candidates.add(partition);
  }

  /** Called every serve-loop turn: publishes this worker's hint count and starts a round now and then. */
  tick(now: number): void {
    if (now - this.lastRun < PURGE_INTERVAL_MS) return;
    this.lastRun = now;
    const { control, store, slot } = this.links;
    control.set(slot, HINTS_PENDING, Math.min(store.hintCount(), 0x7fff_ffff));
    if (this.round !== null) {
      if (now - this.round.startedAt < PURGE_ROUND_TIMEOUT_MS) return;
      this.round = null; // an answer was lost (a worker died or was cut off): try again later
    }
    if (this.candidates.size === 0 || !this.everyWorkerQuiet()) return;
    this.startRound(now);
  }

  /** Every worker is up and holds no hint: no older version can be on its way anywhere. */
  private everyWorkerQuiet(): boolean {
    const { control } = this.links;
    for (let worker = 0; worker < this.workerCount; worker++) {
      if (!control.isUp(worker) || control.get(worker, HINTS_PENDING) !== 0) return false;
    }
    return true;
  }

  /**
   * Scans candidate partitions for records holding old tombstones only, up to a round's worth
   * of keys, and asks every other worker about them.
   */
  private startRound(now: number): void {
    const before = now - this.graceMs;
    const keys: Uint8Array[] = [];
    const records: Uint8Array[] = [];
    const finished: number[] = [];
    let budget = PURGE_SCAN_RECORDS_MAX;
    let bytes = 0;
    const bytesMax = Math.min(PURGE_ROUND_BYTES_MAX, this.links.endpoint.frameBytesMax() - 64);
    const order = [...this.candidates];
    const resume = this.resume;
    this.resume = null;
    if (resume !== null && this.candidates.has(resume.partition)) {
      order.splice(order.indexOf(resume.partition), 1);
      order.unshift(resume.partition);
    }
    scan: for (const partition of order) {
      // Young tombstones, or keys past this round's room, leave the partition for later.
      let more = false;
      const from = resume?.partition === partition ? resume.key : undefined;
      for (const { key, record } of this.links.store.partitionRecords(partition, from)) {
        const entryBytes = 2 + key.length + 4 + record.length;
        if (budget-- === 0 || keys.length === PURGE_KEYS_PER_ROUND_MAX || bytes + entryBytes > bytesMax) {
          this.resume = { partition, key: Buffer.from(key) };
          break scan;
        }
        if (isOldTombstones(record, before)) {
          keys.push(Buffer.from(key));
          records.push(Buffer.from(record));
          bytes += entryBytes;
        } else if (isOldTombstones(record, Number.POSITIVE_INFINITY)) more = true;
      }
      // Only a partition scanned from its start can be done with.
      if (!more && from === undefined) finished.push(partition);
    }
    if (keys.length === 0) {
      for (const partition of finished) this.candidates.delete(partition);
      return;
    }
    const id = this.nextId;
    this.nextId = this.nextId >= 0x7fff_ffff ? 1 : this.nextId + 1;
    const waiting = new Set<number>();
    for (let worker = 0; worker < this.workerCount; worker++)
      if (worker !== this.links.slot) waiting.add(worker);
    const round: Round = {
      id,
      keys,
      records,
      agreed: keys.map(() => true),
      finished,
      waiting,
      startedAt: now,
    };
    this.round = round;
    const { writer, endpoint } = this.links;
    const packed = pack(keys, records);
    for (const worker of waiting) {
      writer.begin({ type: MessageType.PURGE_CHECK, requestId: id }).field(packed);
      try {
        endpoint.send(worker, writer.finish());
      } catch {
        this.round = null; // a full ring: this round waits for the next interval
        return;
      }
    }
    endpoint.flushSoon();
    if (waiting.size === 0) this.finish(round);
  }

  /**
   * Another worker's question, a (key, tombstones) pair per key: do the asker's tombstones
   * supersede whatever I hold? A leftover copy of an older value (a stand-in's) counts as
   * superseded; a newer write or a concurrent value does not.
   */
  onCheck(from: number, frame: Frame): void {
    const before = Date.now() - this.graceMs;
    const pairs = unpack(frame.fields[0] ?? new Uint8Array(0));
    const answers = new Uint8Array(pairs.length);
    pairs.forEach(([key, record], i) => {
      answers[i] = this.supersededHere(key, decodeRecord(record), before) ? AGREE : REFUSE;
    });
    const { writer, endpoint } = this.links;
    writer.begin({ type: MessageType.PURGE_CHECK_REPLY, requestId: frame.requestId }).field(answers);
    try {
      endpoint.send(from, writer.finish());
      endpoint.flushSoon();
    } catch {
      // A full ring: the asker's round times out and is tried again.
    }
  }

  onCheckReply(from: number, frame: Frame): void {
    const round = this.round;
    if (round === null || round.id !== frame.requestId || !round.waiting.delete(from)) return;
    const answers = frame.fields[0] ?? new Uint8Array(0);
    round.keys.forEach((_, i) => {
      if (answers[i] !== AGREE) round.agreed[i] = false;
    });
    if (round.waiting.size === 0) this.finish(round);
  }

  private finish(round: Round): void {
    this.round = null;
    const agreed = round.keys.flatMap((_key, i) => (round.agreed[i] ? [i] : []));
    // Keys some worker refused wait for anti-entropy or handoff: their partitions stay candidates.
    if (agreed.length === round.keys.length)
      for (const partition of round.finished) this.candidates.delete(partition);
    if (agreed.length === 0) return;
    const { writer, endpoint } = this.links;
    const packed = pack(
      agreed.map((i) => round.keys[i] as Uint8Array),
      agreed.map((i) => round.records[i] as Uint8Array),
    );
    for (let worker = 0; worker < this.workerCount; worker++) {
      if (worker === this.links.slot) continue;
      writer.begin({ type: MessageType.PURGE, requestId: 0 }).field(packed);
      try {
        endpoint.send(worker, writer.finish());
      } catch {
        // That worker keeps its tombstones: its own rounds or a later one of ours remove them.
      }
    }
    endpoint.flushSoon();
    for (const i of agreed) {
      this.remove(round.keys[i] as Uint8Array, decodeRecord(round.records[i] as Uint8Array));
    }
  }

  /** Every worker agreed: remove each key here if the tombstones still supersede what it holds. */
  onPurge(frame: Frame): void {
    for (const [key, record] of unpack(frame.fields[0] ?? new Uint8Array(0)))
      this.remove(key, decodeRecord(record));
  }

  /** Merging the tombstones into this worker's record would leave old tombstones only (or there is none). */
  private supersededHere(key: Uint8Array, tombstones: readonly Version[], before: number): boolean {
    const record = this.links.store.read(key);
    return record === undefined || buriedBy(tombstones, record, before);
  }

  private remove(key: Uint8Array, tombstones: readonly Version[]): void {
    const before = Date.now() - this.graceMs;
    this.links.store
      .removeIf(key, (record) => buriedBy(tombstones, record, before))
      .then(
        (removed) => {
          if (removed) this.stats.tombstonesPurged++;
        },
        () => {}, // a failed commit keeps the tombstone; a later round tries again
      );
  }
}

/** Merged with the tombstones, the record holds old tombstones only: they bury whatever it held. */
function buriedBy(tombstones: readonly Version[], record: Uint8Array, before: number): boolean {
  if (isOldTombstones(record, before)) return true;
  const merged = mergeVersions(decodeRecord(record), tombstones, 'siblings');
  return merged.every((version) => version.value === null && version.ts < before);
}

/** A round's keys and records in one frame field: (u16 key bytes, key, u32 record bytes, record)*. */
function pack(keys: readonly Uint8Array[], records: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (let i = 0; i < keys.length; i++) length += 6 + (keys[i]?.length ?? 0) + (records[i]?.length ?? 0);
  const out = Buffer.alloc(length);
  let at = 0;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as Uint8Array;
    const record = records[i] as Uint8Array;
    at = out.writeUInt16BE(key.length, at);
    out.set(key, at);
    at = out.writeUInt32BE(record.length, at + key.length);
    out.set(record, at);
    at += record.length;
  }
  return out;
}

/** The pairs of a packed field, copied out (the frame is a view into the ring). */
function unpack(field: Uint8Array): [Uint8Array, Uint8Array][] {
  const bytes = Buffer.from(field.buffer, field.byteOffset, field.byteLength);
  const pairs: [Uint8Array, Uint8Array][] = [];
  let at = 0;
  while (at < bytes.length) {
    const keyBytes = bytes.readUInt16BE(at);
    const key = Buffer.from(bytes.subarray(at + 2, at + 2 + keyBytes));
    at += 2 + keyBytes;
    const recordBytes = bytes.readUInt32BE(at);
    const record = Buffer.from(bytes.subarray(at + 4, at + 4 + recordBytes));
    at += 4 + recordBytes;
    pairs.push([key, record]);
  }
  return pairs;
}
