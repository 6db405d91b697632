// The binary frames that cross threads, declared once for both sides. A frame is a fixed
// 12-byte header followed by length-prefixed fields; which fields a type carries is listed
// beside it. Decoded fields are views into the ring: valid only while the handler runs.
import assert from 'node:assert/strict';
import { SIBLINGS_MAX } from '../constants.js';

export const MessageType = {
  /**
   * main → coordinator. fields: storageKey, targets, context, value, and optionally expiry (f64
   * ms, empty for none) then the write's ts when not now (f64 ms). quorum = w. Reply fields:
   * context, existed (1 byte), and the counter's new value (decimal) with FrameFlag.COUNTER.
   */
  PUT: 2,
  /** main → any worker. fields: storageKey. Reply carries the worker's local record. */
  EXPLAIN: 3,
  /** main → worker: commit, close storage, reply, exit. No fields. */
  STOP: 4,
  /** main → worker: its counters and storage state as JSON (WorkerStatsReply). No fields. */
  STATS: 5,
  /** main → worker: discard every pending hint (tests of anti-entropy). No fields. */
  DROP_HINTS: 6,
  /** worker → main. status 0: fields depend on the request; otherwise fields: message. */
  REPLY: 10,
  /** coordinator → replica. fields: storageKey, record, and hintOwner (1 byte) when the replica stands in for a down worker. */
  REPLICATE: 20,
  /** replica → coordinator. status; fields: existed before (1 byte) when status is 0, else message. */
  REPLICATE_ACK: 21,
  /** coordinator or main (read repair) → replica, no reply. fields: storageKey, record. */
  REPAIR: 24,
  /** hint holder → owner, back up. fields: storageKey, record. */
  HANDOFF: 25,
  /** owner → hint holder. status; fields: storageKey. */
  HANDOFF_ACK: 26,
  /** anti-entropy between replicas of a partition. fields: one opaque exchange message. */
  ANTI_ENTROPY: 27,
  /** purging worker → every other worker. fields: one packed list of (storage key, tombstone record) pairs it would purge. */
  PURGE_CHECK: 28,
  /** answer to PURGE_CHECK. fields: one byte per key, 1 when those tombstones bury what this worker holds. */
  PURGE_CHECK_REPLY: 29,
  /** purging worker → every other worker, no reply. fields: the packed (key, record) pairs every worker agreed on. */
  PURGE: 30,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** Flag bits of the header's flags byte. */
export const FrameFlag = {
  TOMBSTONE: 1,
  LWW: 2,
  /** The put supersedes every version the coordinator holds (plain SET and DEL). */
  REPLACE: 4,
  /**
   * A REPLICATE carries, after the record, the record its coordinator made it from (empty:
   * none). A replica holding exactly those bytes stores the new record as it is, without
   * decoding or merging: the merge would give the new record back.
   */
  BASED: 8,
  /**
   * INCRBY: the value field is the delta (i64, big-endian); the coordinator mints a counter
   * version from its local versions and replies with the new value as a third field.
   */
  COUNTER: 16,
} as const;

/**
 * A request's targets: (slot, hintOwner) byte pairs, the preference list with down workers
 * replaced by stand-ins. NO_HINT marks a worker of the list itself.
 */
export const NO_HINT = 255;

export function encodeTargets(slots: readonly number[], hintOwners: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(slots.length * 2);
  for (let i = 0; i < slots.length; i++) {
    bytes[2 * i] = slots[i] as number;
    bytes[2 * i + 1] = hintOwners[i] ?? NO_HINT;
  }
  return bytes;
}

export interface Target {
  slot: number;
  /** The down worker this target stands in for, or NO_HINT. */
  hintOwner: number;
}

export function decodeTargets(bytes: Uint8Array | undefined): Target[] {
  const targets: Target[] = [];
  if (bytes === undefined) return targets;
  for (let i = 0; i + 1 < bytes.length; i += 2)
    targets.push({ slot: bytes[i] as number, hintOwner: bytes[i + 1] as number });
  return targets;
}

const TYPE_OFFSET = 0;
const FLAGS_OFFSET = 1;
const QUORUM_OFFSET = 2;
const STATUS_OFFSET = 3;
const REQUEST_ID_OFFSET = 4;
const PARTITION_OFFSET = 8;
export const FRAME_HEADER_BYTES = 12;
/** A get's reply carries its context and every sibling. */
const FIELD_COUNT_MAX = SIBLINGS_MAX + 8;

export interface Frame {
  type: MessageTypeCode;
  flags: number;
  quorum: number;
  status: number;
  requestId: number;
  partition: number;
  fields: Uint8Array[];
}

export interface FrameHeader {
  type: MessageTypeCode;
  flags?: number;
  quorum?: number;
  status?: number;
  requestId: number;
  partition?: number;
}

/**
 * Builds one frame at a time in a reusable scratch buffer that grows as needed, so the hot
 * path allocates nothing per message. `finish()` returns the bytes to hand to a ring.
 */
const encoder = new TextEncoder();

export class FrameWriter {
  private scratch = new Uint8Array(64 * 1024);
  private view = new DataView(this.scratch.buffer);
  private length = 0;

  begin(header: FrameHeader): this {
    this.length = FRAME_HEADER_BYTES;
    const v = this.view;
    v.setUint8(TYPE_OFFSET, header.type);
    v.setUint8(FLAGS_OFFSET, header.flags ?? 0);
    v.setUint8(QUORUM_OFFSET, header.quorum ?? 0);
    v.setUint8(STATUS_OFFSET, header.status ?? 0);
    v.setUint32(REQUEST_ID_OFFSET, header.requestId, true);
    v.setUint32(PARTITION_OFFSET, header.partition ?? 0, true);
    return this;
  }

  field(bytes: Uint8Array): this {
    this.reserve(4 + bytes.length);
    this.view.setUint32(this.length, bytes.length, true);
    this.scratch.set(bytes, this.length + 4);
    this.length += 4 + bytes.length;
    return this;
  }

  stringField(text: string): this {
    const most = 4 + text.length * 3;
    this.reserve(most);
    const { written } = encoder.encodeInto(text, this.scratch.subarray(this.length + 4));
    this.view.setUint32(this.length, written, true);
    this.length += 4 + written;
    return this;
  }

  finish(): Uint8Array {
    return this.scratch.subarray(0, this.length);
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.scratch.length) return;
    const grown = new Uint8Array(Math.max(this.scratch.length * 2, this.length + extra));
    grown.set(this.scratch.subarray(0, this.length));
    this.scratch = grown;
    this.view = new DataView(grown.buffer);
  }
}

/** Bytes a frame with these field lengths takes, to check limits before building it. */
export function frameBytes(fieldLengths: readonly number[]): number {
  let total = FRAME_HEADER_BYTES;
  for (const length of fieldLengths) total += 4 + length;
  return total;
}

let cachedBuffer: ArrayBufferLike | null = null;
let cachedView: DataView | null = null;

/** One DataView per underlying buffer, kept for the common case of many frames from one ring. */
function viewOf(bytes: Uint8Array): DataView {
  if (cachedBuffer !== bytes.buffer || cachedView === null) {
    cachedBuffer = bytes.buffer;
    cachedView = new DataView(bytes.buffer);
  }
  return cachedView;
}

export function decodeFrame(bytes: Uint8Array, offset: number, length: number): Frame {
  assert(length >= FRAME_HEADER_BYTES, `frame of ${length} bytes is shorter than its header`);
  const view = viewOf(bytes);
  const base = bytes.byteOffset + offset;
  const fields: Uint8Array[] = [];
  let at = FRAME_HEADER_BYTES;
  while (at < length) {
    assert(fields.length < FIELD_COUNT_MAX, 'frame has too many fields');
    const fieldLength = view.getUint32(base + at, true);
    assert(at + 4 + fieldLength <= length, 'frame field overruns the frame');
    fields.push(new Uint8Array(bytes.buffer, base + at + 4, fieldLength));
    at += 4 + fieldLength;
  }
  return {
    type: view.getUint8(base + TYPE_OFFSET) as MessageTypeCode,
    flags: view.getUint8(base + FLAGS_OFFSET),
    quorum: view.getUint8(base + QUORUM_OFFSET),
    status: view.getUint8(base + STATUS_OFFSET),
    requestId: view.getUint32(base + REQUEST_ID_OFFSET, true),
    partition: view.getUint32(base + PARTITION_OFFSET, true),
    fields,
  };
}

const decoder = new TextDecoder();

export function fieldText(field: Uint8Array | undefined): string {
  return field === undefined ? '' : decoder.decode(field);
}

/** Copies a field out of shared memory so it may be kept after the handler returns. */
export function copyField(field: Uint8Array | undefined): Buffer {
  return field === undefined ? Buffer.alloc(0) : Buffer.from(field);
}
