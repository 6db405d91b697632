// Version sets: the values a key holds. Each version carries a dot, the one event that made
// it (the coordinating worker's id and a counter), and a clock, the causal past its writer
// had seen (the context of the put). A version is superseded exactly when another version's
// clock covers its dot and its clock: that writer saw it and all it had seen. These are dotted
// version vectors (as in Riak 2): with plain vector clocks, two puts coordinated by the same
// worker with the same context (or none) get clocks that compare equal or ordered, and one
// acknowledged write is lost. Results come in one canonical order, so replicas with the same
// set encode identical records.
import assert from 'node:assert/strict';
import {
  actorOf,
  clockSortOrder,
  descends,
  EMPTY_CLOCK,
  merge,
  truncate,
  UINT32_MAX,
  type VClock,
} from './vclock.js';

export type Policy = 'siblings' | 'lww';

/** The write that created a version: worker id and that worker's counter for this key. */
export interface Dot {
  readonly node: number;
  readonly counter: number;
}

export interface Version {
  readonly dot: Dot;
  /**
   * What the writer had seen: its put's context. Never includes its own dot, except once lww has
   * joined into the winner the clock of a later write that had seen it.
   */
  readonly clock: VClock;
  /** Wall-clock ms when the coordinator created the version. */
  readonly ts: number;
  /** null marks a tombstone: the key was deleted with this clock. */
  readonly value: Uint8Array | null;
  /**
   * The replace floor: every version with a lower ts is superseded, seen or not. A replace
   * write (Redis's SET and DEL, an HTTP write without a context) sets it to its own ts, so it
   * supersedes what every replica holds, not only what its coordinator held; a merge gives
   * the highest floor to every version that survives it, so the floor outlives the write that
   * set it. Absent means 0.
   */
  readonly floor?: number;
  /**
   * With a floor: the join of the full clocks of every version a floor dropped, carried like
   * the floor. A version dropped by a floor may be the last record of its worker's counter,
   * which that worker needs to make fresh dots (newVersion reads it here).
   */
  readonly past?: VClock;
  /**
   * When the version expires, in wall-clock ms (Redis's EXPIRE, SET EX): from then on it reads as
   * a tombstone of its own ts (absent if it is the newest), and the expiry sweep writes that
   * tombstone. Part of the write, so every copy of one dot carries the same expiry. Absent means
   * never. Always the last field, so versions come in four shapes: with or without a floor, with
   * or without an expiry (writes without expiry keep the two shapes of before).
   */
  readonly expiresAt?: number;
}

/** Whether the version has expired at `now` (ms): Redis's test, the expiry time itself is still live. */
export function isExpired(version: Version, now: number): boolean {
  return version.expiresAt !== undefined && version.expiresAt < now;
}

/** A live value at `now`: not a tombstone, not expired. */
export function isLive(version: Version, now: number): boolean {
  return version.value !== null && !isExpired(version, now);
}

function floorOf(version: Version): number {
  return version.floor ?? 0;
}

function pastOf(version: Version): VClock {
  return version.past ?? EMPTY_CLOCK;
}

function counterOf(clock: VClock, node: number): number {
  for (const entry of clock) if (entry.node === node) return entry.counter;
  return 0;
}

/** True when `clock` has seen the event `dot`. */
export function covers(clock: VClock, dot: Dot): boolean {
  return counterOf(clock, dot.node) >= dot.counter;
}

function sameDot(a: Dot, b: Dot): boolean {
  return a.node === b.node && a.counter === b.counter;
}

/** The version's full vector clock: its past plus its own dot. */
export function versionClock(version: Version): VClock {
  return merge(version.clock, [{ node: version.dot.node, counter: version.dot.counter, ts: version.ts }]);
}

/** A total order: ts, dot, clock, then content. 0 only for identical versions. */
export function versionSortOrder(a: Version, b: Version): number {
  return (
    a.ts - b.ts ||
    a.dot.node - b.dot.node ||
    a.dot.counter - b.dot.counter ||
    clockSortOrder(a.clock, b.clock) ||
    floorOf(a) - floorOf(b) ||
    clockSortOrder(pastOf(a), pastOf(b)) ||
    (a.expiresAt ?? 0) - (b.expiresAt ?? 0) ||
    contentOrder(a, b)
  );
}

/** Tombstones before values, then values by bytes. */
function contentOrder(a: Version, b: Version): number {
  if (a.value === null || b.value === null) return (a.value === null ? 0 : 1) - (b.value === null ? 0 : 1);
  return Buffer.compare(a.value, b.value);
}

export function reconcile(versions: readonly Version[], policy: Policy): Version[] {
  const unique = dedupeDots(versions);
  return policy === 'lww' ? reconcileLww(unique) : dropSuperseded(unique);
}

/**
 * One version per dot. Copies of one write can differ only in clock (an lww winner learns the
 * losers' clocks), floor and past, so these are joined: what one copy has seen, the write has seen.
 */
function dedupeDots(versions: readonly Version[]): Version[] {
  const byDot = new Map<string, Version>();
  for (const version of versions) {
    const id = `${version.dot.node}:${version.dot.counter}`;
    const seen = byDot.get(id);
    if (seen === undefined) byDot.set(id, version);
    else if (
      seen.clock !== version.clock ||
      floorOf(seen) !== floorOf(version) ||
      seen.past !== version.past
    ) {
      const joined: Version = { ...seen, clock: merge(seen.clock, version.clock) };
      const floor = Math.max(floorOf(seen), floorOf(version));
      byDot.set(id, withFloor(joined, floor, merge(pastOf(seen), pastOf(version))));
    }
  }
  return [...byDot.values()];
}

/**
 * The version carrying this floor and past. Objects come in the four shapes of makeVersion only,
 * so the merge path stays polymorphic at worst (monomorphic while nothing expires).
 */
function withFloor(version: Version, floor: number, past: VClock): Version {
  if (floorOf(version) === floor && (version.past === past || clockSortOrder(pastOf(version), past) === 0)) {
    return version;
  }
  return makeVersion(version.dot, version.clock, version.ts, version.value, floor, past, version.expiresAt);
}

/**
 * A version in one of its four shapes, fields always in this order: without or with a floor
 * (floor 0 means none) and past, without or with an expiry (undefined means none).
 */
export function makeVersion(
  dot: Dot,
  clock: VClock,
  ts: number,
  value: Uint8Array | null,
  floor: number,
  past: VClock,
  expiresAt: number | undefined,
): Version {
  if (expiresAt === undefined)
    return floor === 0 ? { dot, clock, ts, value } : { dot, clock, ts, value, floor, past };
  return floor === 0
    ? { dot, clock, ts, value, expiresAt }
    : { dot, clock, ts, value, floor, past, expiresAt };
}

/**
 * x supersedes y when x's writer saw y and everything y had seen. An untruncated context that
 * covers a dot always descends that version's clock too (it joins whole replica sets), so the
 * second test only matters after truncation: then y stays a sibling rather than vanish with
 * the only record of some worker's counter, which that worker needs to make fresh dots.
 */
function supersedes(x: Version, y: Version): boolean {
  return !sameDot(x.dot, y.dot) && covers(x.clock, y.dot) && descends(x.clock, y.clock);
}

/**
 * Keeps the versions at or above the highest floor that no other version supersedes, each
 * carrying that floor. Supersession is transitive and a causal successor's ts is never below
 * its predecessors' (newVersion), so at least one version survives and any grouping of merges
 * gives the same set.
 */
function dropSuperseded(versions: readonly Version[]): Version[] {
  let floor = 0;
  for (const version of versions)
    if (version.floor !== undefined && version.floor > floor) floor = version.floor;
  const kept: Version[] = [];
  for (const v of versions) {
    if (v.ts >= floor && !versions.some((other) => supersedes(other, v))) kept.push(v);
  }
  if (floor === 0) return versions.length === 1 ? kept : kept.sort(versionSortOrder);
  let past = EMPTY_CLOCK;
  for (const version of versions) {
    if (version.past !== undefined && version.past !== past) past = merge(past, version.past);
    if (version.ts < floor) past = merge(past, versionClock(version));
  }
  const out = kept.map((version) => withFloor(version, floor, past));
  return out.length === 1 ? out : out.sort(versionSortOrder);
}

/**
 * Keeps the highest version by ts then dot, superseded or not, and joins every other version
 * into its clock so it supersedes them. Choosing among live versions only would make the result
 * depend on how merges are grouped: one group's winner can be superseded in another group, and
 * the two winners, each joined with the other's clock, then supersede each other.
 */
function reconcileLww(versions: readonly Version[]): Version[] {
  let winner: Version | undefined;
  for (const version of versions) if (winner === undefined || lwwOrder(version, winner) > 0) winner = version;
  if (winner === undefined) return [];
  let clock = winner.clock;
  for (const version of versions) {
    if (!sameDot(version.dot, winner.dot)) clock = merge(clock, versionClock(version));
  }
  return [clock === winner.clock ? winner : { ...winner, clock }];
}

function dotOrder(a: Version, b: Version): number {
  return a.dot.node - b.dot.node || a.dot.counter - b.dot.counter;
}

function lwwOrder(a: Version, b: Version): number {
  return a.ts - b.ts || dotOrder(a, b);
}

export function mergeVersions(a: readonly Version[], b: readonly Version[], policy: Policy): Version[] {
  return reconcile([...a, ...b], policy);
}

export interface NewVersion {
  /** The key's versions after the write: what the coordinator stores and replicates. */
  versions: Version[];
  /** The version this put created. */
  written: Version;
  /**
   * The context the put returns: it covers the written version and what the put's context
   * covered, and no version the writer had not seen, so a chain of puts, each sending the
   * context the last one returned, supersedes its own writes and nothing else.
   */
  context: VClock;
  /** Clock entries dropped by truncation. */
  truncated: number;
}

/**
 * The coordinator's step of a put: a new version with a fresh dot (above every counter of
 * its actor in the local record and the context, so it is never mistaken for an older write)
 * over the client's context, merged with the local versions the context has not seen.
 *
 * A dot's full clock covers every earlier counter of its actor. When a local sibling the
 * writer never saw has a dot of the worker's own lane (a blind put after a delete, say), the
 * context returned would cover that sibling too, and the client's next put would silently
 * supersede it; so the worker mints in its first lane that holds no such sibling (lanes are
 * extra clock nodes of one worker, see actorOf). A replace write first joins every local
 * version into its context and sets its floor to its ts. The ts is never below a timestamp
 * of the context, so a write that saw a replace write is never under its floor. `expiresAt`
 * (ms) makes the written version expire then.
 */
export function newVersion(
  local: readonly Version[],
  context: VClock,
  workerId: number,
  now: number,
  value: Uint8Array | null,
  policy: Policy,
  clockEntriesMax: number,
  replace = false,
  expiresAt?: number,
): NewVersion {
  const seen = replace ? merge(context, joinClocks(local)) : context;
  const { clock, dropped } = truncate(seen, clockEntriesMax);
  // A lane is busy only while a local version holds it, so one of the first local.length + 1 is
  // free (actorOf asserts the lane is in range).
  let node = actorOf(workerId, 0);
  for (let lane = 1; local.some((v) => v.dot.node === node && !covers(clock, v.dot)); lane++) {
    node = actorOf(workerId, lane);
  }
  let highest = counterOf(seen, node);
  for (const version of local) {
    if (version.dot.node === node) highest = Math.max(highest, version.dot.counter);
    highest = Math.max(highest, counterOf(version.clock, node), counterOf(pastOf(version), node));
  }
  assert(highest < UINT32_MAX, `counter of clock node ${node} would overflow`);
  let ts = now;
  for (const entry of seen) ts = Math.max(ts, entry.ts);
  const dot = { node, counter: highest + 1 };
  const written = makeVersion(dot, clock, ts, value, replace ? ts : 0, EMPTY_CLOCK, expiresAt);
  const versions = reconcile([...local, written], policy);
  return { versions, written, context: versionClock(written), truncated: dropped };
}

/** The join of every version's full clock: the context a get returns, which a put then supersedes. */
export function joinClocks(versions: readonly Version[]): VClock {
  let clock = EMPTY_CLOCK;
  for (const version of versions) clock = merge(clock, versionClock(version));
  return clock;
}

/**
 * What plain GET returns: the newest version (highest ts, ties by sort order) when it holds a
 * live value at `now` (ms); undefined when there is none or the newest is a tombstone (a newer
 * delete wins) or has expired (an expired version reads as a tombstone of its own ts, which is
 * what the expiry sweep turns it into).
 */
export function newestValue(versions: readonly Version[], now = Date.now()): Version | undefined {
  let best: Version | undefined;
  for (const version of versions)
    if (best === undefined || versionSortOrder(version, best) > 0) best = version;
  return best === undefined || !isLive(best, now) ? undefined : best;
}

/** True when the key holds nothing live at `now` (ms): no versions, or tombstones and expired ones only. */
export function isDeleted(versions: readonly Version[], now = Date.now()): boolean {
  return versions.every((version) => !isLive(version, now));
}

/** True when both hold the same set of versions, whatever their order or duplicates. */
export function sameVersions(a: readonly Version[], b: readonly Version[]): boolean {
  const x = canonicalSet(a);
  const y = canonicalSet(b);
  return x.length === y.length && x.every((version, i) => versionSortOrder(version, y[i] as Version) === 0);
}

function canonicalSet(versions: readonly Version[]): Version[] {
  const sorted = [...versions].sort(versionSortOrder);
  return sorted.filter((version, i) => i === 0 || versionSortOrder(sorted[i - 1] as Version, version) !== 0);
}
