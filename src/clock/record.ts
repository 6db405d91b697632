// Binary encoding of a version set: the value stored in LMDB and carried in thread frames.
// Fixed-width big-endian fields, no JSON, sized exactly before writing so one allocation
// suffices. The clock codec here is shared with the context (context.ts). Decoding checks
// every length and invariant, since a bad record means corruption or a programmer error.
//
//   record  = u8 format (2) | u16 version count | version*
//   version = u8 flags (bit 0: tombstone, bit 1: floor, bit 2: expiry, bit 3: counter) | f64 ts
//             | node | u32 dot counter | [f64 expiresAt] | [f64 floor | clock past] | clock
//             | u32 value bytes | value
//   clock   = u16 entry count | (node | u32 counter | f64 ts)*
//   node    = u16 lane | u32 worker id (format 2); u32 worker id (format 1, read only)
import assert from 'node:assert/strict';
import { CounterBytes } from './counter.js';
import { type ClockEntry, LANE_COUNT, NODE_MAX, UINT32_MAX, type VClock } from './vclock.js';
import { makeVersion, type Version } from './versions.js';

/** Format 1 (before lanes and floors) is still read, so older data directories open. */
export const RECORD_FORMAT = 2;
export type Format = 1 | 2;
const RECORD_HEADER_BYTES = 3;
const NODE_BYTES = 6;
const VERSION_FIXED_BYTES = 1 + 8 + NODE_BYTES + 4 + 2 + 4;
export const CLOCK_ENTRY_BYTES = NODE_BYTES + 4 + 8;
const FLOOR_BYTES = 8;
const FLAG_TOMBSTONE = 1;
const FLAG_FLOOR = 2;
const FLAG_EXPIRY = 4;
const EXPIRY_BYTES = 8;
/** The value is a counter's state (counter.ts). */
const FLAG_COUNTER = 8;
const LANE_SPAN = 2 ** 32;
const UINT16_MAX = 0xffff;
const EMPTY_BYTES = new Uint8Array(0);

/** Reports malformed input; the context and record decoders throw different error types. */
export type Fail = (message: string) => never;

/** Bounds-checked big-endian reads over a byte range. */
export class ByteReader {
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #fail: Fail;
  offset = 0;

  constructor(bytes: Uint8Array, fail: Fail) {
    this.#bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#fail = fail;
  }

  get remaining(): number {
    return this.#bytes.byteLength - this.offset;
  }

  fail(message: string): never {
    return this.#fail(`${message} (at byte ${this.offset} of ${this.#bytes.byteLength})`);
  }

  need(byteCount: number, what: string): void {
    if (this.remaining < byteCount) this.fail(`truncated ${what}: needs ${byteCount} bytes`);
  }

  u8(): number {
    this.need(1, 'u8');
    return this.#view.getUint8(this.offset++);
  }

  u16(): number {
    this.need(2, 'u16');
    const value = this.#view.getUint16(this.offset);
    this.offset += 2;
    return value;
  }

  /** A clock node: u16 lane and u32 worker id in format 2, a bare u32 in format 1. */
  node(format: Format): number {
    if (format === 1) return this.u32();
    const lane = this.u16();
    if (lane >= LANE_COUNT) this.fail(`clock node lane ${lane} is not below ${LANE_COUNT}`);
    return lane * LANE_SPAN + this.u32();
  }

  u32(): number {
    this.need(4, 'u32');
    const value = this.#view.getUint32(this.offset);
    this.offset += 4;
    return value;
  }

  f64(): number {
    this.need(8, 'f64');
    const value = this.#view.getFloat64(this.offset);
    this.offset += 8;
    return value;
  }

  /** A copy, so the result outlives the input buffer (LMDB reuses its read buffer). */
  bytes(byteCount: number): Uint8Array {
    this.need(byteCount, 'byte string');
    const start = this.offset;
    this.offset += byteCount;
    return new Uint8Array(this.#bytes.subarray(start, this.offset));
  }
}

export function encodedClockBytes(entryCount: number): number {
  return 2 + entryCount * CLOCK_ENTRY_BYTES;
}

function writeNode(view: DataView, offset: number, node: number): number {
  assert(Number.isInteger(node) && node >= 0 && node <= NODE_MAX, `clock node ${node} is out of range`);
  view.setUint16(offset, Math.floor(node / LANE_SPAN));
  view.setUint32(offset + 2, node % LANE_SPAN);
  return offset + NODE_BYTES;
}

export function writeClock(view: DataView, offset: number, clock: VClock): number {
  assert(clock.length <= UINT16_MAX, `clock has ${clock.length} entries; the encoding holds ${UINT16_MAX}`);
  view.setUint16(offset, clock.length);
  offset += 2;
  for (const entry of clock) {
    offset = writeNode(view, offset, entry.node);
    view.setUint32(offset, entry.counter);
    view.setFloat64(offset + 4, entry.ts);
    offset += 12;
  }
  return offset;
}

/** Reads a clock and checks its invariants: nodes strictly ascending, counters >= 1, finite ts. */
export function readClock(reader: ByteReader, entryCountMax: number, format: Format): VClock {
  const count = reader.u16();
  if (count > entryCountMax) reader.fail(`clock has ${count} entries; at most ${entryCountMax} are allowed`);
  const entryBytes = format === 1 ? 16 : CLOCK_ENTRY_BYTES;
  reader.need(count * entryBytes, `clock of ${count} entries`);
  const clock: ClockEntry[] = [];
  let previous = -1;
  for (let i = 0; i < count; i++) {
    const node = reader.node(format);
    const counter = reader.u32();
    const ts = reader.f64();
    if (node <= previous) reader.fail(`clock nodes are not strictly ascending (${node} after ${previous})`);
    if (counter === 0) reader.fail(`clock entry of node ${node} has counter 0`);
    if (!Number.isFinite(ts)) reader.fail(`clock entry of node ${node} has timestamp ${ts}`);
    clock.push({ node, counter, ts });
    previous = node;
  }
  return clock;
}

export function encodedRecordBytes(versions: readonly Version[]): number {
  let byteCount = RECORD_HEADER_BYTES;
  for (const version of versions) {
    byteCount += VERSION_FIXED_BYTES + version.clock.length * CLOCK_ENTRY_BYTES;
    if ((version.floor ?? 0) !== 0) byteCount += FLOOR_BYTES + encodedClockBytes(version.past?.length ?? 0);
    if (version.expiresAt !== undefined) byteCount += EXPIRY_BYTES;
    byteCount += version.value?.byteLength ?? 0;
  }
  return byteCount;
}

export function encodeRecord(versions: readonly Version[]): Uint8Array {
  const bytes = new Uint8Array(encodedRecordBytes(versions));
  encodeRecordInto(versions, bytes, 0);
  return bytes;
}

/**
 * Writes the record at target[offset..] (for frames written straight into a ring) and
 * returns the offset after it. The caller checks space with encodedRecordBytes first.
 */
export function encodeRecordInto(versions: readonly Version[], target: Uint8Array, offset: number): number {
  assert(
    versions.length <= UINT16_MAX,
    `record has ${versions.length} versions; the encoding holds ${UINT16_MAX}`,
  );
  assert(target.byteLength - offset >= encodedRecordBytes(versions), 'record does not fit its target');
  const view = new DataView(target.buffer, target.byteOffset, target.byteLength);
  view.setUint8(offset, RECORD_FORMAT);
  view.setUint16(offset + 1, versions.length);
  offset += RECORD_HEADER_BYTES;
  for (const version of versions) {
    const floor = version.floor ?? 0;
    const expiresAt = version.expiresAt;
    const kind =
      version.value === null ? FLAG_TOMBSTONE : version.value instanceof CounterBytes ? FLAG_COUNTER : 0;
    view.setUint8(
      offset,
      kind | (floor !== 0 ? FLAG_FLOOR : 0) | (expiresAt !== undefined ? FLAG_EXPIRY : 0),
    );
    view.setFloat64(offset + 1, version.ts);
    offset = writeNode(view, offset + 9, version.dot.node);
    view.setUint32(offset, version.dot.counter);
    offset += 4;
    if (expiresAt !== undefined) {
      assert(Number.isFinite(expiresAt), `expiry ${expiresAt} is not finite`);
      view.setFloat64(offset, expiresAt);
      offset += EXPIRY_BYTES;
    }
    if (floor !== 0) {
      view.setFloat64(offset, floor);
      offset = writeClock(view, offset + FLOOR_BYTES, version.past ?? []);
    }
    offset = writeClock(view, offset, version.clock);
    const value = version.value ?? EMPTY_BYTES;
    assert(value.byteLength <= UINT32_MAX, 'value exceeds the encoding limit of 4 GiB');
    view.setUint32(offset, value.byteLength);
    target.set(value, offset + 4);
    offset += 4 + value.byteLength;
  }
  return offset;
}

const failRecord: Fail = (message) => {
  throw new Error(`record is malformed: ${message}`);
};

/**
 * Decodes a whole record. Values are copied out of bytes, so the result stays valid after the
 * caller's buffer is reused (lmdb-js getBinaryFast, ring slots). Throws Error on bad input.
 */
export function decodeRecord(bytes: Uint8Array): Version[] {
  const reader = new ByteReader(bytes, failRecord);
  const format = reader.u8();
  if (format !== 1 && format !== 2) reader.fail(`unknown format ${format}; this build reads 1 and 2`);
  const count = reader.u16();
  const versions: Version[] = [];
  for (let i = 0; i < count; i++) versions.push(readVersion(reader, format === 1 ? 1 : 2));
  if (reader.remaining !== 0) reader.fail(`${reader.remaining} trailing bytes`);
  return versions;
}

function readVersion(reader: ByteReader, format: Format): Version {
  const flags = reader.u8();
  const known = format === 1 ? FLAG_TOMBSTONE : FLAG_TOMBSTONE | FLAG_FLOOR | FLAG_COUNTER | FLAG_EXPIRY;
  if ((flags & ~known) !== 0) reader.fail(`unknown version flags ${flags}`);
  const ts = reader.f64();
  if (!Number.isFinite(ts)) reader.fail(`version timestamp ${ts} is not finite`);
  const dot = { node: reader.node(format), counter: reader.u32() };
  if (dot.counter === 0) reader.fail(`version dot of node ${dot.node} has counter 0`);
  let expiresAt: number | undefined;
  if ((flags & FLAG_EXPIRY) !== 0) {
    expiresAt = reader.f64();
    if (!Number.isFinite(expiresAt)) reader.fail(`version expiry ${expiresAt} is not finite`);
  }
  let floor = 0;
  let past: VClock = [];
  if ((flags & FLAG_FLOOR) !== 0) {
    floor = reader.f64();
    if (!(floor > 0 && floor <= ts)) reader.fail(`version floor ${floor} is not in (0, ts ${ts}]`);
    past = readClock(reader, UINT16_MAX, format);
  }
  const clock = readClock(reader, UINT16_MAX, format);
  const valueBytes = reader.u32();
  let value: Uint8Array | null = null;
  if ((flags & FLAG_TOMBSTONE) !== 0) {
    if (valueBytes !== 0) reader.fail(`tombstone carries ${valueBytes} value bytes`);
    if ((flags & FLAG_COUNTER) !== 0) reader.fail('a tombstone is marked as a counter');
  } else if ((flags & FLAG_COUNTER) !== 0) {
    reader.need(valueBytes, 'counter value');
    value = new CounterBytes(valueBytes);
    value.set(reader.bytes(valueBytes));
  } else {
    value = reader.bytes(valueBytes);
  }
  return makeVersion(dot, clock, ts, value, floor, past, expiresAt);
}

/**
 * Whether a record holds only tombstones, every one older than `before` (ms): a tombstone
 * purge candidate. Walks the bytes without decoding or copying, since the purge scan reads
 * every record of a partition. A malformed record is never a candidate.
 */
export function isOldTombstones(bytes: Uint8Array, before: number): boolean {
  // Every write asks (tombstone counts, purge candidates): a live first version answers at once.
  if (bytes.length > RECORD_HEADER_BYTES && ((bytes[RECORD_HEADER_BYTES] as number) & FLAG_TOMBSTONE) === 0)
    return false;
  try {
    const reader = new ByteReader(bytes, failRecord);
    const format = reader.u8();
    if (format !== 1 && format !== 2) return false;
    const count = reader.u16();
    if (count === 0) return false;
    for (let i = 0; i < count; i++) {
      const flags = reader.u8();
      if ((flags & FLAG_TOMBSTONE) === 0 || !(reader.f64() < before)) return false;
      reader.node(format);
      reader.u32();
      if ((flags & FLAG_EXPIRY) !== 0) reader.f64();
      if ((flags & FLAG_FLOOR) !== 0) {
        reader.f64();
        skipClock(reader, format);
      }
      skipClock(reader, format);
      if (reader.u32() !== 0) return false;
    }
    return reader.remaining === 0;
  } catch {
    return false;
  }
}

/**
 * The value of a record that holds exactly one version, as a view into `bytes` (null for a
 * tombstone), read without decoding clocks or copying: the common case of a get. Undefined
 * when the record holds another number of versions, or anything this walker leaves to
 * decodeRecord (format 1, flags it does not know, a malformed record).
 */
export function soleValue(bytes: Uint8Array): Uint8Array | null | undefined {
  try {
    const reader = new ByteReader(bytes, failRecord);
    if (reader.u8() !== RECORD_FORMAT || reader.u16() !== 1) return undefined;
    const flags = reader.u8();
    if ((flags & ~(FLAG_TOMBSTONE | FLAG_FLOOR)) !== 0) return undefined;
    reader.need(8 + NODE_BYTES + 4, 'version');
    reader.offset += 8 + NODE_BYTES + 4;
    if ((flags & FLAG_FLOOR) !== 0) {
      reader.f64();
      skipClock(reader, RECORD_FORMAT);
    }
    skipClock(reader, RECORD_FORMAT);
    const valueBytes = reader.u32();
    if (reader.remaining !== valueBytes) return undefined;
    if ((flags & FLAG_TOMBSTONE) !== 0) return valueBytes === 0 ? null : undefined;
    return bytes.subarray(reader.offset, reader.offset + valueBytes);
  } catch {
    return undefined;
  }
}

/** What a record holds for the expiry sweep: no value with an expiry, only unexpired ones, an expired one. */
export type RecordExpiry = 'none' | 'pending' | 'expired';

/**
 * Whether a record holds a value whose expiry is before `now` (ms): work for the expiry sweep;
 * 'pending' when its values with an expiry have not reached it. Walks the bytes without
 * decoding, as the sweep reads every record. A malformed record is 'none'.
 */
export function recordExpiry(bytes: Uint8Array, now: number): RecordExpiry {
  try {
    const reader = new ByteReader(bytes, failRecord);
    if (reader.u8() !== 2) return 'none';
    const count = reader.u16();
    let found: RecordExpiry = 'none';
    for (let i = 0; i < count; i++) {
      const flags = reader.u8();
      reader.f64();
      reader.node(2);
      reader.u32();
      if ((flags & FLAG_EXPIRY) !== 0) {
        const expiresAt = reader.f64();
        if ((flags & FLAG_TOMBSTONE) === 0) {
          if (expiresAt < now) return 'expired';
          found = 'pending';
        }
      }
      if ((flags & FLAG_FLOOR) !== 0) {
        reader.f64();
        skipClock(reader, 2);
      }
      skipClock(reader, 2);
      const valueBytes = reader.u32();
      reader.need(valueBytes, 'value');
      reader.offset += valueBytes;
    }
    return found;
  } catch {
    return 'none';
  }
}

function skipClock(reader: ByteReader, format: Format): void {
  const count = reader.u16();
  const entryBytes = format === 1 ? 16 : CLOCK_ENTRY_BYTES;
  reader.need(count * entryBytes, 'clock');
  reader.offset += count * entryBytes;
}
