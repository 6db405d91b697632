// Version sets: the values a key holds. Each version carries a dot, the one event that made
// it (the coordinating worker's id and a counter), and a clock, the causal past its writer
// had seen (the context of the put). A version is superseded exactly when another version's
// clock covers its dot and its clock: that writer saw it and all it had seen. These are dotted
// version vectors (as in Riak 2): with plain vector clocks, two puts coordinated by the same
// worker with the same context (or none) get clocks that compare equal or ordered, and one
// acknowledged write is lost. Results come in one canonical order, so replicas with the same
// set encode identical records.
import assert from 'node:assert/strict';
import { clockSortOrder, descends, EMPTY_CLOCK, merge, truncate, UINT32_MAX, type VClock } from './vclock.js';

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
 * losers' clocks), so their clocks are joined: what one copy has seen, the write has seen.
 */
function dedupeDots(versions: readonly Version[]): Version[] {
  const byDot = new Map<string, Version>();
  for (const version of versions) {
    const id = `${version.dot.node}:${version.dot.counter}`;
    const seen = byDot.get(id);
    if (seen === undefined) byDot.set(id, version);
    else if (seen.clock !== version.clock)
      byDot.set(id, { ...seen, clock: merge(seen.clock, version.clock) });
  }
  return [...byDot.values()];
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

function dropSuperseded(versions: readonly Version[]): Version[] {
  const kept = versions.filter((v) => !versions.some((other) => supersedes(other, v)));
  return kept.sort(versionSortOrder);
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
  /** Clock entries dropped by truncation. */
  truncated: number;
}

/**
 * The coordinator's step of a put: a new version with a fresh dot (above every counter of
 * this worker in the local record and the context, so it is never mistaken for an older
 * write) over the client's context, merged with the local versions the context has not seen.
 */
export function newVersion(
  local: readonly Version[],
  context: VClock,
  node: number,
  now: number,
  value: Uint8Array | null,
  policy: Policy,
  clockEntriesMax: number,
): NewVersion {
  let highest = counterOf(context, node);
  for (const version of local) {
    if (version.dot.node === node) highest = Math.max(highest, version.dot.counter);
    highest = Math.max(highest, counterOf(version.clock, node));
  }
  assert(highest < UINT32_MAX, `counter of worker ${node} would overflow`);
  const { clock, dropped } = truncate(context, clockEntriesMax);
  const written: Version = { dot: { node, counter: highest + 1 }, clock, ts: now, value };
  return { versions: reconcile([...local, written], policy), written, truncated: dropped };
}

/** The join of every version's full clock: the context a get returns, which a put then supersedes. */
export function joinClocks(versions: readonly Version[]): VClock {
  let clock = EMPTY_CLOCK;
  for (const version of versions) clock = merge(clock, versionClock(version));
  return clock;
}

/** The newest live value (highest ts, ties by sort order): what plain GET returns. */
export function newestValue(versions: readonly Version[]): Version | undefined {
  let best: Version | undefined;
  for (const version of versions) {
    if (version.value !== null && (best === undefined || versionSortOrder(version, best) > 0)) best = version;
  }
  return best;
}

/** True when the key holds nothing live: no versions, or tombstones only. */
export function isDeleted(versions: readonly Version[]): boolean {
  return versions.every((version) => version.value === null);
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
