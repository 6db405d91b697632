// Goal: rebalancing to a new worker count keeps ownership balanced while moving the fewest whole
// partitions. Method: grow and shrink every ring of the Q x S matrix, checked against bounds.
import t from 'tap';
import type { Ring } from '../../../src/ring/index.js';
import {
  createRing,
  ownershipCounts,
  preferenceLists,
  rebalance,
  replicaCounts,
} from '../../../src/ring/index.js';

const PARTITION_COUNTS = [1, 2, 4, 8, 16, 64, 256, 1024];

interface Transition {
  from: Ring;
  to: number;
  name: string;
}

/** S -> S+1, S -> S-1, S -> 2S and 2S -> S from fresh rings, for S in 1..min(Q, 16). */
function* transitions(): Generator<Transition> {
  for (const q of PARTITION_COUNTS) {
    const most = Math.min(q, 64);
    for (let s = 1; s <= Math.min(q, 16); s++) {
      const from = createRing(q, s);
      const name = (to: number) => `Q=${q} S=${s}->${to}`;
      if (s + 1 <= most) yield { from, to: s + 1, name: name(s + 1) };
      if (s > 1) yield { from, to: s - 1, name: name(s - 1) };
      if (2 * s <= most) {
        yield { from, to: 2 * s, name: name(2 * s) };
        yield { from: createRing(q, 2 * s), to: s, name: `Q=${q} S=${2 * s}->${s}` };
      }
    }
  }
}

/**
 * The fewest partitions any balanced result must move. A slot that stays keeps at most
 * min(owned, target); targets are floor(Q/S') except for Q mod S' slots that get one more, and
 * giving those to slots owning more than floor(Q/S') keeps one extra partition each.
 */
function lowerBound(ring: Ring, workerCount: number): number {
  const floor = Math.floor(ring.partitionCount / workerCount);
  const counts = ownershipCounts(ring).slice(0, workerCount);
  const kept = counts.reduce((sum, c) => sum + Math.min(c, floor), 0);
  const canKeepOneMore = counts.filter((c) => c > floor).length;
  return ring.partitionCount - kept - Math.min(ring.partitionCount % workerCount, canKeepOneMore);
}

function isBalanced(ring: Ring): boolean {
  const { partitionCount: q, workerCount: s } = ring;
  return ownershipCounts(ring).every((c) => c === Math.floor(q / s) || c === Math.ceil(q / s));
}

function changedPartitions(before: Ring, after: Ring): number[] {
  return before.owners.flatMap((owner, p) => (after.owners[p] === owner ? [] : [p]));
}

/** The largest distance of any worker's replica count from the even share nQ/S, over n = 1..5. */
function replicaSpread(ring: Ring): { worst: number; n: number; counts: number[] } {
  let result = { worst: 0, n: 0, counts: [] as number[] };
  for (let n = 1; n <= Math.min(ring.workerCount, 5); n++) {
    const counts = replicaCounts(ring, n);
    const even = (n * ring.partitionCount) / ring.workerCount;
    const worst = Math.max(...counts.map((c) => Math.abs(c - even) / n));
    if (worst > result.worst) result = { worst, n, counts };
  }
  return result;
}

t.test('after growing or shrinking, every worker owns floor(Q/S) or ceil(Q/S) partitions', async (t) => {
  for (const { from, to, name } of transitions()) {
    const { ring } = rebalance(from, to);
    t.equal(ring.workerCount, to, name);
    t.ok(isBalanced(ring), `${name}: ${ownershipCounts(ring).join(',')}`);
  }
});

t.test('a rebalance moves exactly the fewest partitions any balanced ring needs', async (t) => {
  for (const { from, to, name } of transitions()) {
    const { moved } = rebalance(from, to);
    t.equal(moved.length, lowerBound(from, to), name);
  }
});

t.test('moved lists, ascending, exactly the partitions whose owner changed', async (t) => {
  for (const { from, to, name } of transitions()) {
    const { ring, moved } = rebalance(from, to);
    t.same(moved, changedPartitions(from, ring), name);
  }
});

t.test('no partition moves between two workers that both remain', async (t) => {
  for (const { from, to, name } of transitions()) {
    const { ring, moved } = rebalance(from, to);
    const remain = Math.min(from.workerCount, to);
    const between = moved.filter((p) => from.owners[p]! < remain && ring.owners[p]! < remain);
    t.same(between, [], name);
  }
});

t.test('a rebalanced ring still gives n distinct workers per list, owner first', async (t) => {
  for (const { from, to, name } of transitions()) {
    const { ring } = rebalance(from, to);
    for (let n = 1; n <= Math.min(to, 5); n++) {
      const ok = preferenceLists(ring, n).every((l, p) => l[0] === ring.owners[p] && new Set(l).size === n);
      t.ok(ok, `${name} n=${n}`);
    }
  }
});

// Which partitions move is fixed by the minimum, so replica load after a rebalance is a matter
// of placement heuristics, not a guarantee. These guards hold what the heuristics reach today.
// Growing: picks are spread round the ring and keep a worker's partitions apart; measured at
// most 1.45n from the even share over this matrix.
t.test('growing a fresh ring keeps replica load within 2n of the even share', async (t) => {
  for (const { from, to, name } of transitions()) {
    if (to < from.workerCount) continue;
    const { worst, n, counts } = replicaSpread(rebalance(from, to).ring);
    t.ok(worst <= 2, `${name}: ${worst.toFixed(2)}n at n=${n} (${counts.join(',')})`);
  }
});

// Shrinking: the removed worker's partitions must all move, and their neighbours are fixed. For
// Q=1024, S=4->3, n=2 each moved partition sits between partitions of workers 2 and 0. Worker 1
// takes one without a repeat and gains two replicas; worker 0 or 2 taking one repeats its own
// neighbour, so it gains one and the next worker clockwise the other. The deficits fix how many
// each takes (86, 85, 85), leaving worker 1 86 replicas above the even share and worker 2 86
// below: 1/8 is forced. Measured at most 13.6% of the even share (Q=256, S=6->5, n=4).
t.test('shrinking keeps replica load within 3n or 15% of the even share, whichever is larger', async (t) => {
  for (const { from, to, name } of transitions()) {
    if (to > from.workerCount) continue;
    const { ring } = rebalance(from, to);
    const { worst, n, counts } = replicaSpread(ring);
    const even = (n * ring.partitionCount) / to;
    t.ok(
      worst * n <= Math.max(3 * n, 0.15 * even),
      `${name}: ${worst.toFixed(2)}n at n=${n} (${counts.join(',')})`,
    );
  }
});

t.test('growing one worker at a time to 16 and back stays balanced and minimal', async (t) => {
  let ring = createRing(256, 1);
  const steps = [
    ...Array.from({ length: 15 }, (_, i) => i + 2),
    ...Array.from({ length: 15 }, (_, i) => 15 - i),
  ];
  for (const to of steps) {
    const from = ring;
    const { ring: next, moved } = rebalance(from, to);
    const remain = Math.min(from.workerCount, to);
    const between = moved.filter((p) => from.owners[p]! < remain && next.owners[p]! < remain);
    t.ok(isBalanced(next) && moved.length === lowerBound(from, to) && between.length === 0, `S=${to}`);
    ring = next;
  }
});

t.test('the same worker count moves nothing', async (t) => {
  for (const q of PARTITION_COUNTS) {
    const ring = createRing(q, Math.min(q, 5));
    const result = rebalance(ring, ring.workerCount);
    t.same(result.moved, [], `Q=${q}`);
    t.same(result.ring.owners, ring.owners, `Q=${q}`);
  }
});

t.test('a rebalance is deterministic', async (t) => {
  for (const [q, s, to] of [
    [256, 4, 5],
    [256, 5, 3],
    [1024, 7, 14],
  ] as const) {
    const ring = createRing(q, s);
    t.same(rebalance(ring, to), rebalance(ring, to), `Q=${q} S=${s}->${to}`);
  }
});

t.test('an unbalanced ring is balanced by moving only its surplus, between remaining workers', async (t) => {
  const lopsided: Ring = { partitionCount: 8, workerCount: 2, owners: [0, 0, 0, 0, 0, 0, 0, 1] };
  const same = rebalance(lopsided, 2);
  t.same(ownershipCounts(same.ring), [4, 4]);
  t.equal(same.moved.length, 3);
  t.ok(same.moved.every((p) => lopsided.owners[p] === 0 && same.ring.owners[p] === 1));

  const grown = rebalance({ partitionCount: 8, workerCount: 2, owners: [0, 0, 0, 0, 0, 0, 1, 1] }, 3);
  t.same(ownershipCounts(grown.ring), [3, 3, 2]);
  t.equal(grown.moved.length, 3);
});

t.test('the largest ring grows from 63 to 64 workers by moving exactly 1024 partitions', async (t) => {
  const from = rebalance(createRing(65_536, 64), 63).ring;
  t.ok(isBalanced(from));
  const { ring, moved } = rebalance(from, 64);
  t.equal(moved.length, lowerBound(from, 64));
  t.equal(moved.length, 1024);
  t.ok(ownershipCounts(ring).every((c) => c === 1024));
});

t.test('a worker count outside 1..min(64, Q) is refused', async (t) => {
  const ring = createRing(16, 4);
  for (const to of [0, 17, 65, 1.5]) {
    t.throws(() => rebalance(ring, to), { name: 'KvError', code: 'BAD_REQUEST' }, `S=${to}`);
  }
});
