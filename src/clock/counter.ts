// Conflict-free counters (a PN-counter, as Riak's counters are): a counter version's value holds
// each actor's total of increments and of decrements, and counter siblings merge by taking each
// actor's maximum, so concurrent increments through different coordinators all count. An actor
// is one incarnation of a worker (its worker id and a number drawn when its coordinator starts):
// an incarnation always reads its own latest entry from its store's pending writes, and a worker
// killed before its last write committed comes back as a new actor, so it never mints an entry
// its dead self had already minted. A counter version is marked by the record's counter flag;
// in memory its value is a CounterBytes (a Uint8Array subclass), so Version keeps its two shapes.
//
//   counter = u8 format (1) | f64 base ts | i64 base | u16 entry count | entry*
//   entry   = u32 worker id | u32 incarnation | u64 increments | u64 decrements
//
// The value is base + Σ increments − Σ decrements. The base carries a plain integer string the
// counter started from (INCR of "10"); merged bases take the newest by base ts.
import { newestValue, type Version } from './versions.js';

/** A counter version's value bytes: the class is the counter flag while the record is decoded. */
export class CounterBytes extends Uint8Array {}

export interface CounterEntry {
  readonly worker: number;
  readonly incarnation: number;
  readonly increments: bigint;
  readonly decrements: bigint;
}

export interface CounterState {
  readonly baseTs: number;
  readonly base: bigint;
  /** Sorted by worker, then incarnation; one entry per actor. */
  readonly entries: readonly CounterEntry[];
}

export interface CounterActor {
  readonly worker: number;
  readonly incarnation: number;
}

const COUNTER_FORMAT = 1;
const HEADER_BYTES = 1 + 8 + 8 + 2;
const ENTRY_BYTES = 4 + 4 + 8 + 8;
const ENTRY_COUNT_MAX = 0xffff;
export const INT64_MIN = -(2n ** 63n);
export const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;
const EMPTY_STATE: CounterState = { baseTs: 0, base: 0n, entries: [] };

export function isCounterVersion(version: Version): boolean {
  return version.value instanceof CounterBytes;
}

export function encodeCounter(state: CounterState): CounterBytes {
  if (state.entries.length > ENTRY_COUNT_MAX) throw new Error('counter has too many actors');
  const bytes = new CounterBytes(HEADER_BYTES + state.entries.length * ENTRY_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, COUNTER_FORMAT);
  view.setFloat64(1, state.baseTs);
  view.setBigInt64(9, state.base);
  view.setUint16(17, state.entries.length);
  let offset = HEADER_BYTES;
  for (const entry of state.entries) {
    view.setUint32(offset, entry.worker);
    view.setUint32(offset + 4, entry.incarnation);
    view.setBigUint64(offset + 8, entry.increments);
    view.setBigUint64(offset + 16, entry.decrements);
    offset += ENTRY_BYTES;
  }
  return bytes;
}

/** Decodes a counter value; throws Error on malformed bytes (a corrupt record). */
export function decodeCounter(bytes: Uint8Array): CounterState {
  const fail = (why: string): never => {
    throw new Error(`record is malformed: counter value ${why}`);
  };
  if (bytes.byteLength < HEADER_BYTES)
    fail(`is ${bytes.byteLength} bytes; the header alone is ${HEADER_BYTES}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint8(0) !== COUNTER_FORMAT) fail(`has format ${view.getUint8(0)}; this build reads 1`);
  const count = view.getUint16(17);
  if (bytes.byteLength !== HEADER_BYTES + count * ENTRY_BYTES) fail(`length does not match ${count} entries`);
  const entries: CounterEntry[] = [];
  for (let i = 0, offset = HEADER_BYTES; i < count; i++, offset += ENTRY_BYTES) {
    entries.push({
      worker: view.getUint32(offset),
      incarnation: view.getUint32(offset + 4),
      increments: view.getBigUint64(offset + 8),
      decrements: view.getBigUint64(offset + 16),
    });
  }
  return { baseTs: view.getFloat64(1), base: view.getBigInt64(9), entries };
}

function actorOrder(a: CounterActor, b: CounterActor): number {
  return a.worker - b.worker || a.incarnation - b.incarnation;
}

/** The join: each actor's highest totals, and the newer base. Commutative, associative, idempotent. */
export function mergeCounters(a: CounterState, b: CounterState): CounterState {
  const byActor = new Map<string, CounterEntry>();
  for (const entry of [...a.entries, ...b.entries]) {
    const id = `${entry.worker}:${entry.incarnation}`;
    const seen = byActor.get(id);
    byActor.set(
      id,
      seen === undefined
        ? entry
        : {
            worker: entry.worker,
            incarnation: entry.incarnation,
            increments: max(seen.increments, entry.increments),
            decrements: max(seen.decrements, entry.decrements),
          },
    );
  }
  const newer = a.baseTs > b.baseTs || (a.baseTs === b.baseTs && a.base >= b.base) ? a : b;
  return { baseTs: newer.baseTs, base: newer.base, entries: [...byActor.values()].sort(actorOrder) };
}

function max(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

export function counterTotal(state: CounterState): bigint {
  let total = state.base;
  for (const entry of state.entries) total += entry.increments - entry.decrements;
  return total;
}

/** The merge of every counter version among the versions (an empty counter when there is none). */
export function mergedCounter(versions: readonly Version[]): CounterState {
  let state = EMPTY_STATE;
  for (const version of versions) {
    if (version.value instanceof CounterBytes) state = mergeCounters(state, decodeCounter(version.value));
  }
  return state;
}

/** Redis's string2ll: an optional minus, no leading zeros or spaces, within int64. */
export function parseInt64(text: string): bigint | null {
  if (!/^(0|-?[1-9][0-9]{0,18})$/.test(text)) return null;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? null : value;
}

export type IncrementResult =
  | { readonly ok: true; readonly value: CounterBytes; readonly total: bigint }
  | { readonly ok: false; readonly message: string };

/**
 * The coordinator's step of INCRBY: the counter the key's versions show (the merged counter
 * siblings when the newest version is a counter; else a counter that starts from the newest
 * plain value, which must be an integer, or from 0 when there is none), plus delta in the
 * actor's own entry. Entries of older counter siblings are kept even when a plain value
 * restarts the count (the base absorbs them), so no actor's totals ever go down.
 */
export function incrementCounter(
  local: readonly Version[],
  delta: bigint,
  actor: CounterActor,
): IncrementResult {
  let state = mergedCounter(local);
  const newest = newestValue(local);
  if (newest === undefined || !(newest.value instanceof CounterBytes)) {
    let start = 0n;
    if (newest?.value != null) {
      const parsed = parseInt64(Buffer.from(newest.value).toString('latin1'));
      if (parsed === null) return { ok: false, message: 'value is not an integer or out of range' };
      start = parsed;
    }
    const entriesTotal = counterTotal(state) - state.base;
    const baseTs = Math.max(newest?.ts ?? 0, state.baseTs);
    state = { baseTs, base: start - entriesTotal, entries: state.entries };
  }
  const before = counterTotal(state);
  const total = before + delta;
  if (total < INT64_MIN || total > INT64_MAX) {
    return { ok: false, message: 'increment or decrement would overflow' };
  }
  const own = state.entries.find((entry) => actorOrder(entry, actor) === 0);
  const increments = (own?.increments ?? 0n) + (delta > 0n ? delta : 0n);
  const decrements = (own?.decrements ?? 0n) + (delta < 0n ? -delta : 0n);
  if (increments > UINT64_MAX || decrements > UINT64_MAX) {
    return { ok: false, message: 'increment or decrement would overflow' };
  }
  const entry: CounterEntry = {
    worker: actor.worker,
    incarnation: actor.incarnation,
    increments,
    decrements,
  };
  const entries = state.entries.filter((other) => actorOrder(other, actor) !== 0);
  entries.push(entry);
  entries.sort(actorOrder);
  return { ok: true, value: encodeCounter({ ...state, entries }), total };
}

/**
 * What a read shows of the versions: the plain values, and the merged counter's decimal value
 * once when counter siblings are among them; `newest` is the value of the newest version, the
 * merged counter when that version is a counter (null when it is a tombstone or there is none).
 */
export function readableValues(versions: readonly Version[]): {
  values: Uint8Array[];
  newest: Uint8Array | null;
} {
  const values: Uint8Array[] = [];
  let counter: Uint8Array | null = null;
  for (const version of versions) {
    if (version.value === null) continue;
    if (!(version.value instanceof CounterBytes)) values.push(version.value);
    else counter ??= Buffer.from(counterTotal(mergedCounter(versions)).toString());
  }
  if (counter !== null) values.push(counter);
  const newest = newestValue(versions);
  if (newest === undefined) return { values, newest: null };
  return { values, newest: newest.value instanceof CounterBytes ? counter : newest.value };
}
