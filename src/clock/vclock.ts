// Vector clocks: one (worker id, counter, timestamp) entry per worker that coordinated a write.
// A clock is an immutable array sorted by node with unique nodes, so every operation is one
// linear merge walk and two equal clocks are structurally equal. A missing entry means counter
// 0, so canonical clocks never hold a zero counter. Timestamps only serve truncation.
import assert from 'node:assert/strict';

export interface ClockEntry {
  /**
   * The actor: a worker id (uint32, stable across restarts of that worker's storage) plus
   * lane × 2^32 (see actorOf). Lane 0 is the worker itself; a worker mints in another lane only
   * when a sibling of its own lane would otherwise be covered by the context a put returns.
   */
  readonly node: number;
  /** Writes this worker coordinated in the version's history (uint32, at least 1). */
  readonly counter: number;
  /** Wall-clock ms since the epoch of the entry's last increment. */
  readonly ts: number;
}

/** Sorted by node ascending, unique nodes, counters at least 1. */
export type VClock = readonly ClockEntry[];

/** compare(a, b) === 'before' means a happened before b. */
export type Order = 'before' | 'after' | 'equal' | 'concurrent';

export const EMPTY_CLOCK: VClock = Object.freeze([]);

export const UINT32_MAX = 0xffff_ffff;

/** Lanes per worker: a key holds at most SIBLINGS_MAX (64) versions, so 65 always leaves one free. */
export const LANE_COUNT = 256;
const LANE_SPAN = 2 ** 32;
/** The largest actor: worker id UINT32_MAX in the last lane (below 2^40, an exact double). */
export const NODE_MAX = UINT32_MAX + (LANE_COUNT - 1) * LANE_SPAN;

/** The clock node of a worker's lane. */
export function actorOf(workerId: number, lane: number): number {
  assert(
    Number.isInteger(workerId) && workerId >= 0 && workerId <= UINT32_MAX,
    `worker id ${workerId} is not a uint32`,
  );
  assert(Number.isInteger(lane) && lane >= 0 && lane < LANE_COUNT, `lane ${lane} is out of range`);
  return workerId + lane * LANE_SPAN;
}

/** The worker that minted events of this clock node. */
export function workerOfNode(node: number): number {
  return node % LANE_SPAN;
}

export function compare(a: VClock, b: VClock): Order {
  let aAhead = false;
  let bAhead = false;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.node < y.node)) {
      aAhead = true;
      i++;
    } else if (x === undefined || y.node < x.node) {
      bAhead = true;
      j++;
    } else {
      if (x.counter > y.counter) aAhead = true;
      else if (x.counter < y.counter) bAhead = true;
      i++;
      j++;
    }
    // Once both sides are ahead somewhere nothing later can change the answer.
    if (aAhead && bAhead) return 'concurrent';
  }
  if (aAhead) return 'after';
  return bAhead ? 'before' : 'equal';
}

/** a has seen everything b has seen (a >= b pointwise); equal clocks descend each other. */
export function descends(a: VClock, b: VClock): boolean {
  const order = compare(a, b);
  return order === 'after' || order === 'equal';
}

/** The least clock that descends both: pointwise max counter, and the later ts of the two entries. */
export function merge(a: VClock, b: VClock): VClock {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: ClockEntry[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const x = a[i];
    const y = b[j];
    if (y === undefined || (x !== undefined && x.node < y.node)) {
      out.push(x!);
      i++;
    } else if (x === undefined || y.node < x.node) {
      out.push(y);
      j++;
    } else {
      out.push(mergeEntry(x, y));
      i++;
      j++;
    }
  }
  return out;
}

function mergeEntry(x: ClockEntry, y: ClockEntry): ClockEntry {
  if (x.counter >= y.counter && x.ts >= y.ts) return x;
  if (y.counter >= x.counter && y.ts >= x.ts) return y;
  return { node: x.node, counter: Math.max(x.counter, y.counter), ts: Math.max(x.ts, y.ts) };
}

/** The clock of a write that node coordinates on top of c, made at wall-clock time now. */
export function increment(c: VClock, node: number, now: number): VClock {
  assert(Number.isInteger(node) && node >= 0 && node <= NODE_MAX, `clock node ${node} is out of range`);
  assert(Number.isFinite(now), `clock timestamp ${now} is not finite`);
  const at = c.findIndex((e) => e.node >= node);
  const old = at === -1 ? undefined : c[at];
  if (old === undefined || old.node !== node) {
    const index = at === -1 ? c.length : at;
    return [...c.slice(0, index), { node, counter: 1, ts: now }, ...c.slice(index)];
  }
  // Four billion writes coordinated by one worker on one key is not an operating condition.
  assert(old.counter < UINT32_MAX, `clock counter of node ${node} would overflow uint32`);
  const out = c.slice();
  out[at] = { node, counter: old.counter + 1, ts: now };
  return out;
}

/**
 * Keeps at most limit entries by dropping those with the oldest ts first (the Dynamo paper's
 * scheme; ties drop the lower node id, so every replica truncates alike). A truncated clock
 * may later look concurrent with, or be dominated by, a clock it really descended: callers
 * count `dropped` in stats.
 */
export function truncate(c: VClock, limit: number): { clock: VClock; dropped: number } {
  assert(Number.isInteger(limit) && limit >= 0, `clock entry limit ${limit} is not a natural number`);
  const dropped = c.length - limit;
  if (dropped <= 0) return { clock: c, dropped: 0 };
  const oldestFirst = [...c].sort((x, y) => x.ts - y.ts || x.node - y.node);
  const gone = new Set(oldestFirst.slice(0, dropped).map((e) => e.node));
  return { clock: c.filter((e) => !gone.has(e.node)), dropped };
}

/** A total order on clocks (by node, counter, ts of each entry, then length) for sorting only. */
export function clockSortOrder(a: VClock, b: VClock): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const diff = x.node - y.node || x.counter - y.counter || x.ts - y.ts;
    if (diff !== 0) return diff;
  }
  return a.length - b.length;
}
