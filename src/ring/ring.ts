// The ring: Dynamo's partitioning strategy 3. The 32-bit hash space is cut into Q equal
// partitions, each owned by one worker slot; a partition's preference list is its owner
// followed by the owners of the next partitions clockwise, skipping repeats, until n workers.
// Everything here is pure: rings are frozen values, and persisting them is the caller's job.
import assert from 'node:assert/strict';
import { PARTITION_COUNT_MAX, WORKER_COUNT_MAX } from '../constants.js';
import { KvError } from '../errors.js';

export interface Ring {
  readonly partitionCount: number;
  readonly workerCount: number;
  /** owners[p] is the worker slot that owns partition p. */
  readonly owners: readonly number[];
}

/** Size of the 32-bit position space that partitions cut into equal ranges. */
const POSITION_SPACE = 0x1_0000_0000;
/** Version of the persisted form, so a later layout can be told apart from this one. */
const RING_JSON_FORMAT = 1;
/**
 * Rebalance keeps a worker's partitions at least this far apart when it can: two partitions
 * of one worker closer than n put it twice in some windows of n, which shrinks its replica
 * load below n per partition. Bucket n is small (default 3), so looking further buys nothing.
 */
const SPACING_HORIZON = 8;

/** The partition a 32-bit ring position falls in: the top log2(Q) bits of the position. */
export function partitionOf(position: number, partitionCount: number): number {
  assert(position >>> 0 === position, 'a ring position is a uint32');
  assert(partitionCountProblem(partitionCount) === undefined, 'the partition count was validated');
  // Q divides 2^32 exactly, so the division is exact; a shift would break for Q = 1 (>>> 32).
  return Math.floor(position / (POSITION_SPACE / partitionCount));
}

/**
 * A balanced ring laid out round robin (owner of p is p mod S). Any n <= S consecutive
 * partitions then have distinct owners, except across the wrap from Q-1 to 0 when S does not
 * divide Q. So each worker's replica count is exactly nQ/S when S divides Q, and otherwise is
 * qn or qn + min(n, Q mod S) with q = floor(Q/S): always less than n away from nQ/S.
 */
export function createRing(partitionCount: number, workerCount: number): Ring {
  const problem = partitionCountProblem(partitionCount) ?? workerCountProblem(workerCount, partitionCount);
  if (problem !== undefined) throw new KvError('BAD_REQUEST', problem);
  const owners = Array.from({ length: partitionCount }, (_, p) => p % workerCount);
  return freezeRing(partitionCount, workerCount, owners);
}

/** The n distinct workers that hold partition's replicas, coordinator (owner) first. */
export function preferenceList(ring: Ring, partition: number, n: number): number[] {
  checkReplicaCount(ring, n);
  assert(
    Number.isInteger(partition) && partition >= 0 && partition < ring.partitionCount,
    'partition in range',
  );
  return walkClockwise(ring, partition, n, new Int32Array(ring.workerCount), 1);
}

/** Every partition's preference list, indexed by partition; callers cache the result. */
export function preferenceLists(ring: Ring, n: number): number[][] {
  checkReplicaCount(ring, n);
  const listed = new Int32Array(ring.workerCount);
  return ring.owners.map((_, partition) => walkClockwise(ring, partition, n, listed, partition + 1));
}

/** Partitions owned per worker slot. */
export function ownershipCounts(ring: Ring): number[] {
  const counts = new Array<number>(ring.workerCount).fill(0);
  for (const owner of ring.owners) counts[owner] = (counts[owner] ?? 0) + 1;
  return counts;
}

/** Partitions each worker slot holds a replica of, that is, appears in the preference list of. */
export function replicaCounts(ring: Ring, n: number): number[] {
  const counts = new Array<number>(ring.workerCount).fill(0);
  for (const list of preferenceLists(ring, n)) {
    for (const worker of list) counts[worker] = (counts[worker] ?? 0) + 1;
  }
  return counts;
}

/**
 * The ring for a new worker count, reached by moving the fewest whole partitions: slots at or
 * above workerCount give up everything, and each remaining slot keeps as many of its own as a
 * balanced target allows. `moved` lists, ascending, the partitions whose owner changed; their
 * data must move with them. Deterministic: the same ring and count give the same result.
 */
export function rebalance(ring: Ring, workerCount: number): { ring: Ring; moved: number[] } {
  assert.equal(ring.owners.length, ring.partitionCount, 'a ring has one owner per partition');
  const problem = workerCountProblem(workerCount, ring.partitionCount);
  if (problem !== undefined) throw new KvError('BAD_REQUEST', problem);
  const counts = keptCounts(ring, workerCount);
  const targets = targetCounts(counts, ring.partitionCount);
  const moved = choosePartitionsToMove(ring, counts, targets);
  const deficits = targets.map((target, worker) => target - (counts[worker] ?? 0));
  const owners = Array.from(ring.owners);
  for (const partition of moved) owners[partition] = chooseRecipient(owners, partition, deficits);
  return { ring: freezeRing(ring.partitionCount, workerCount, owners), moved };
}

/** The persisted form: plain JSON, owners listed in partition order. */
export function ringToJson(ring: Ring): object {
  return {
    format: RING_JSON_FORMAT,
    partitionCount: ring.partitionCount,
    workerCount: ring.workerCount,
    owners: Array.from(ring.owners),
  };
}

/** Reads the persisted form back, refusing anything createRing or rebalance could not produce. */
export function ringFromJson(json: unknown): Ring {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw malformed(`it is ${describeKind(json)}, not an object`);
  }
  const { format, partitionCount, workerCount, owners } = json as Record<string, unknown>;
  // Each check runs only once the ones before it passed, so the casts below are sound.
  const problem =
    (format === RING_JSON_FORMAT ? undefined : `format is ${show(format)}; expected ${RING_JSON_FORMAT}`) ??
    partitionCountProblem(partitionCount) ??
    workerCountProblem(workerCount, partitionCount as number) ??
    ownersProblem(owners, partitionCount as number, workerCount as number);
  if (problem !== undefined) throw malformed(problem);
  return freezeRing(partitionCount as number, workerCount as number, Array.from(owners as number[]));
}

function freezeRing(partitionCount: number, workerCount: number, owners: number[]): Ring {
  return Object.freeze({ partitionCount, workerCount, owners: Object.freeze(owners) });
}

/**
 * Walks clockwise from start collecting distinct owners. `listed[w] === stamp` marks w as
 * already in this list, so one array serves every list of a preferenceLists call.
 */
function walkClockwise(ring: Ring, start: number, n: number, listed: Int32Array, stamp: number): number[] {
  const list: number[] = [];
  const mask = ring.partitionCount - 1;
  for (let step = 0; step < ring.partitionCount && list.length < n; step++) {
    const owner = ring.owners[(start + step) & mask]!;
    if (listed[owner] !== stamp) {
      listed[owner] = stamp;
      list.push(owner);
    }
  }
  assert.equal(list.length, n, 'every worker owns a partition, so one turn of the ring finds n workers');
  return list;
}

function checkReplicaCount(ring: Ring, n: number): void {
  if (Number.isInteger(n) && n >= 1 && n <= ring.workerCount) return;
  throw new KvError(
    'BAD_REQUEST',
    `n is ${n}; it must be an integer from 1 to the number of workers, ${ring.workerCount} (option workers)`,
  );
}

function partitionCountProblem(partitionCount: unknown): string | undefined {
  const q = partitionCount;
  if (
    typeof q === 'number' &&
    Number.isInteger(q) &&
    q >= 1 &&
    q <= PARTITION_COUNT_MAX &&
    (q & (q - 1)) === 0
  ) {
    return undefined;
  }
  return `partition count is ${show(q)}; it must be a power of two from 1 to ${PARTITION_COUNT_MAX} (option partitions)`;
}

function workerCountProblem(workerCount: unknown, partitionCount: number): string | undefined {
  const limit = Math.min(WORKER_COUNT_MAX, partitionCount);
  const s = workerCount;
  if (typeof s === 'number' && Number.isInteger(s) && s >= 1 && s <= limit) return undefined;
  return (
    `worker count is ${show(s)}; it must be an integer from 1 to ${limit} ` +
    `(at most ${WORKER_COUNT_MAX}, and no more than the ${partitionCount} partitions) (option workers)`
  );
}

function ownersProblem(owners: unknown, partitionCount: number, workerCount: number): string | undefined {
  if (!Array.isArray(owners) || owners.length !== partitionCount) {
    return `owners must be an array of ${partitionCount} worker slots`;
  }
  const bad = owners.findIndex((o) => !(Number.isInteger(o) && o >= 0 && o < workerCount));
  if (bad >= 0) {
    return `owners[${bad}] is ${show(owners[bad])}; it must be a worker slot from 0 to ${workerCount - 1}`;
  }
  // Every ring this module writes is balanced, and preference lists need every worker to own
  // a partition; anything else was edited or damaged, and routing by it would be wrong.
  const counts = ownershipCounts({ partitionCount, workerCount, owners });
  const low = Math.floor(partitionCount / workerCount);
  const high = Math.ceil(partitionCount / workerCount);
  const worker = counts.findIndex((count) => count < low || count > high);
  if (worker < 0) return undefined;
  return (
    `worker ${worker} owns ${counts[worker]} partitions; a balanced ring of ${partitionCount} ` +
    `partitions on ${workerCount} workers gives each ${low === high ? low : `${low} or ${high}`}`
  );
}

/** A value as an error message should quote it: text in quotes, so "4" is told from 4. */
function show(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : String(value);
}

function describeKind(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

function malformed(detail: string): KvError {
  return new KvError('BAD_REQUEST', `ring file is malformed: ${detail}`);
}

/** Partitions per slot of the new ring that are owned now; slots beyond the old count own none. */
function keptCounts(ring: Ring, workerCount: number): number[] {
  const counts = new Array<number>(workerCount).fill(0);
  for (const owner of ring.owners) if (owner < workerCount) counts[owner] = (counts[owner] ?? 0) + 1;
  return counts;
}

/**
 * Balanced targets (floor or ceil of Q/S) that keep the most partitions in place: the Q mod S
 * larger targets go to the slots owning most now, ties to the lower slot so the result is
 * deterministic. A slot keeps min(owned, target), so no other choice keeps more.
 */
function targetCounts(counts: number[], partitionCount: number): number[] {
  const workerCount = counts.length;
  const base = Math.floor(partitionCount / workerCount);
  const order = counts.map((_, worker) => worker);
  order.sort((a, b) => (counts[b] ?? 0) - (counts[a] ?? 0) || a - b);
  const targets = new Array<number>(workerCount).fill(base);
  for (const worker of order.slice(0, partitionCount % workerCount)) targets[worker] = base + 1;
  return targets;
}

/**
 * Every partition of a removed slot, plus each remaining slot's surplus over its target. The
 * i-th of the M surplus picks is taken near the point (i + 1/2) Q / M from a donor not ahead of
 * its share, so recipients get partitions spread around the ring; near that point it takes the
 * donor partition closest to another of the same donor's, so the donors' remaining partitions
 * spread out too (see SPACING_HORIZON).
 */
function choosePartitionsToMove(ring: Ring, counts: number[], targets: number[]): number[] {
  const moved = ring.owners.flatMap((owner, partition) => (owner < counts.length ? [] : [partition]));
  const surplus = counts.map((count, worker) => Math.max(0, count - (targets[worker] ?? 0)));
  const total = surplus.reduce((sum, s) => sum + s, 0);
  const given = new Array<number>(counts.length).fill(0);
  // Owners left after the picks so far; a picked partition is -1, owned by no donor.
  const staying = Array.from(ring.owners);
  const reach = Math.floor(ring.partitionCount / (4 * Math.max(total, 1)));
  for (let i = 0; i < total; i++) {
    const due = Math.floor(((2 * i + 1) * ring.partitionCount) / (2 * total));
    // Donor w may have given ceil((i + 1) s_w / M) after this pick. These allowances sum to at
    // least i + 1 while only i were given, so some donor is always eligible.
    const eligible = (owner: number) =>
      owner >= 0 && (given[owner] ?? 0) * total < (i + 1) * (surplus[owner] ?? 0);
    const partition = pickNear(staying, due, reach, eligible);
    given[staying[partition]!] = (given[staying[partition]!] ?? 0) + 1;
    staying[partition] = -1;
    moved.push(partition);
  }
  return moved.sort((a, b) => a - b);
}

/**
 * Among eligible partitions within `reach` of `due`, the one nearest another partition of its
 * owner (the nearest to `due`, clockwise first, on a tie); if there is none that close, the
 * first eligible one further out. Some exists: an eligible donor still has partitions to give.
 */
function pickNear(
  staying: number[],
  due: number,
  reach: number,
  eligible: (owner: number) => boolean,
): number {
  const mask = staying.length - 1;
  let best = -1;
  let bestSpacing = Number.POSITIVE_INFINITY;
  for (let distance = 0; distance < staying.length && (best < 0 || distance <= reach); distance++) {
    for (const partition of [(due + distance) & mask, (due - distance) & mask]) {
      const owner = staying[partition]!;
      if (!eligible(owner)) continue;
      const spacing = spacingTo(staying, partition, owner);
      if (spacing < bestSpacing) {
        best = partition;
        bestSpacing = spacing;
      }
    }
  }
  assert(best >= 0, 'an eligible donor has partitions left to give');
  return best;
}

/**
 * The slot with a deficit whose nearest other partition is farthest from this one (up to the
 * horizon), then the one short of the most partitions, then the lowest slot.
 */
function chooseRecipient(owners: number[], partition: number, deficits: number[]): number {
  let best = -1;
  let bestSpacing = -1;
  deficits.forEach((deficit, worker) => {
    if (deficit <= 0) return;
    const spacing = spacingTo(owners, partition, worker);
    if (spacing > bestSpacing || (spacing === bestSpacing && deficit > (deficits[best] ?? 0))) {
      best = worker;
      bestSpacing = spacing;
    }
  });
  assert(best >= 0, 'partitions moved equal the total deficit, so some slot still needs one');
  deficits[best] = (deficits[best] ?? 0) - 1;
  return best;
}

/** Distance from partition to the nearest other partition owned by worker, capped at the horizon. */
function spacingTo(owners: readonly number[], partition: number, worker: number): number {
  const mask = owners.length - 1;
  const reach = Math.min(SPACING_HORIZON, owners.length >> 1);
  for (let d = 1; d <= reach; d++) {
    if (owners[(partition + d) & mask] === worker || owners[(partition - d) & mask] === worker) return d;
  }
  return SPACING_HORIZON;
}
