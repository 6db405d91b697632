// The replica role of a worker: it answers READ with its local record, merges REPLICATE and
// REPAIR records into its own (reconcile keeps every concurrent version), and acknowledges
// a REPLICATE only after the merged record is committed.
import {
  decodeRecord,
  encodeRecord,
  mergeVersions,
  newestValue,
  type Policy,
  sameVersions,
  type Version,
} from '../clock/index.js';
import { errorCodeToStatus, KvError } from '../errors.js';
import { copyField, type Frame, FrameFlag, MessageType, type MessageTypeCode } from '../transport/frames.js';
import { type Links, newWorkerStats } from './links.js';

const EMPTY = new Uint8Array(0);
const FAST_OUTCOME: MergeOutcome = { changed: true, existed: false };
const EXISTED = Uint8Array.of(1);
const NOT_EXISTED = Uint8Array.of(0);

/** A key's local record and its decoded versions (see Replica.localVersions). */
export interface LocalRecord {
  readonly record: Uint8Array | undefined;
  readonly versions: Version[];
}

export interface MergeOutcome {
  /** The merge changed the local record, which was then committed. */
  changed: boolean;
  /** The local record held a live value before the merge (what plain GET would have answered). */
  existed: boolean;
}

export function frameToPolicy(flags: number): Policy {
  return (flags & FrameFlag.LWW) !== 0 ? 'lww' : 'siblings';
}

export class Replica {
  readonly stats = newWorkerStats();
  private readonly links: Links;

  constructor(links: Links) {
    this.links = links;
  }

  /**
   * This worker's versions of a key, decoded (and so copied out of LMDB's read buffer), and the
   * bytes they came from: a write made in the same synchronous step passes them on to the store.
   */
  localVersions(key: Uint8Array): LocalRecord {
    const record = this.links.store.read(key);
    return { record, versions: record === undefined ? [] : decodeRecord(record) };
  }

  /**
   * Merges `incoming` into the local record and commits the result. Resolves without writing
   * when the merge changes nothing (a repeat delivery or an already-repaired replica).
   */
  async mergeAndWrite(key: Uint8Array, incoming: readonly Version[], policy: Policy): Promise<MergeOutcome> {
    const previous = this.localVersions(key);
    const local = previous.versions;
    const existed = newestValue(local) !== undefined;
    const merged = mergeVersions(local, incoming, policy);
    if (sameVersions(merged, local)) return { changed: false, existed };
    this.stats.replicaWrites++;
    await this.links.store.write(key, encodeRecord(merged), previous);
    return { changed: true, existed };
  }

  /**
   * A coordinator's record made from `base` (empty: from nothing). When this replica holds
   * exactly the base, the merge would give the record back: it is stored as it came. Otherwise
   * it is merged as any other. `existed` is false on the fast path: the coordinator held the
   * same bytes and has answered for them.
   */
  private writeOverBase(
    key: Uint8Array,
    record: Uint8Array,
    base: Uint8Array,
    policy: Policy,
  ): Promise<MergeOutcome> {
    const local = this.links.store.read(key);
    const same =
      local === undefined
        ? base.length === 0
        : Buffer.from(local.buffer, local.byteOffset, local.byteLength).equals(base);
    if (!same) return this.mergeAndWrite(key, decodeRecord(record), policy);
    this.stats.replicaWrites++;
    return this.links.store.write(key, copyField(record), { record: local }).then(() => FAST_OUTCOME);
  }

  /**
   * Anti-entropy's merge of a peer's whole record. The worker does not know the key's bucket
   * policy, so versions are reconciled as siblings; an lww read reduces them again.
   */
  async mergeRecord(key: Uint8Array, record: Uint8Array): Promise<boolean> {
    const { changed } = await this.mergeAndWrite(Buffer.from(key), decodeRecord(record), 'siblings');
    if (changed) this.stats.antiEntropyRepairs++;
    return changed;
  }

  replicate(from: number, frame: Frame, acknowledge: boolean): void {
    const key = copyField(frame.fields[0]);
    const policy = frameToPolicy(frame.flags);
    const based = (frame.flags & FrameFlag.BASED) !== 0;
    const hintOwner = frame.fields[based ? 3 : 2]?.[0];
    const merged = based
      ? this.writeOverBase(key, frame.fields[1] ?? EMPTY, frame.fields[2] ?? EMPTY, policy)
      : this.mergeAndWrite(key, decodeRecord(frame.fields[1] ?? EMPTY), policy);
    // A stand-in keeps the version like any replica, plus a durable hint naming its owner.
    const done =
      hintOwner === undefined
        ? merged
        : Promise.all([merged, this.hold(hintOwner, key)]).then(([outcome]) => outcome);
    done.then(
      (outcome) => acknowledge && this.ack(from, frame.requestId, null, outcome.existed),
      (error: unknown) => acknowledge && this.ack(from, frame.requestId, error, false),
    );
  }

  private async hold(owner: number, key: Uint8Array): Promise<void> {
    this.stats.hintsStored++;
    await this.links.store.addHint(owner, key);
  }

  /** A hinted version coming home: merge it, then tell the holder it may drop its hint. */
  acceptHandoff(from: number, frame: Frame): void {
    const key = copyField(frame.fields[0]);
    const incoming = decodeRecord(frame.fields[1] ?? EMPTY);
    this.mergeAndWrite(key, incoming, frameToPolicy(frame.flags)).then(
      () => this.sendHandoffAck(from, frame.requestId, key, 0),
      () => this.sendHandoffAck(from, frame.requestId, key, errorCodeToStatus('STORAGE')),
    );
  }

  private sendHandoffAck(to: number, requestId: number, key: Uint8Array, status: number): void {
    const { writer, endpoint } = this.links;
    endpoint.send(to, writer.begin({ type: MessageType.HANDOFF_ACK, requestId, status }).field(key).finish());
    endpoint.flushSoon();
  }

  explain(from: number, frame: Frame): void {
    this.sendLocalRecord(from, MessageType.REPLY, frame);
  }

  /** Answers with this worker's record of the frame's key (empty when it holds none). */
  private sendLocalRecord(to: number, type: MessageTypeCode, frame: Frame): void {
    const record = this.links.store.read(frame.fields[0] ?? EMPTY);
    const { writer, endpoint } = this.links;
    writer.begin({ type, requestId: frame.requestId }).field(record ?? EMPTY);
    endpoint.send(to, writer.finish());
  }

  /** A REPLICATE's answer: on success, whether this replica held a live value before (DEL's reply). */
  private ack(to: number, requestId: number, error: unknown, existed: boolean): void {
    const { writer, endpoint } = this.links;
    if (error === null) {
      writer.begin({ type: MessageType.REPLICATE_ACK, requestId }).field(existed ? EXISTED : NOT_EXISTED);
    } else {
      const failure = error instanceof KvError ? error : new KvError('INTERNAL', String(error));
      writer.begin({ type: MessageType.REPLICATE_ACK, requestId, status: errorCodeToStatus(failure.code) });
      writer.stringField(failure.message);
    }
    endpoint.send(to, writer.finish());
    // Acks leave from commit callbacks, outside the serve loop's turn.
    endpoint.flushSoon();
  }
}
