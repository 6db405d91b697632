// Goal: a fresh ring is balanced, its preference lists follow the clockwise rule, and replica
// load is even to within a proven bound. Method: exhaustive over Q x S x n, plus bad inputs.
import t from 'tap';
import type { Ring } from '../../../src/ring/index.js';
import {
  createRing,
  ownershipCounts,
  preferenceList,
  preferenceLists,
  replicaCounts,
} from '../../../src/ring/index.js';

const PARTITION_COUNTS = [1, 2, 4, 8, 16, 64, 256, 1024];

function* rings(): Generator<Ring> {
  for (const q of PARTITION_COUNTS) {
    for (let s = 1; s <= Math.min(q, 16); s++) yield createRing(q, s);
  }
}

function label(ring: Ring, n?: number): string {
  return `Q=${ring.partitionCount} S=${ring.workerCount}${n === undefined ? '' : ` n=${n}`}`;
}

/** The definition, walked slowly: distinct owners in the order a clockwise walk first meets them. */
function clockwiseOwners(ring: Ring, partition: number, n: number): number[] {
  const list: number[] = [];
  for (let step = 0; list.length < n && step < ring.partitionCount; step++) {
    const owner = ring.owners[(partition + step) % ring.partitionCount]!;
    if (!list.includes(owner)) list.push(owner);
  }
  return list;
}

t.test('every worker owns floor(Q/S) or ceil(Q/S) partitions', async (t) => {
  for (const ring of rings()) {
    const { partitionCount: q, workerCount: s } = ring;
    const counts = ownershipCounts(ring);
    t.equal(counts.length, s);
    t.ok(
      counts.every((c) => c === Math.floor(q / s) || c === Math.ceil(q / s)),
      `${label(ring)}: ${counts.join(',')}`,
    );
  }
});

t.test(
  'every preference list has n distinct workers, starts with the owner, and walks clockwise',
  async (t) => {
    for (const ring of rings()) {
      for (let n = 1; n <= Math.min(ring.workerCount, 5); n++) {
        const wrong: string[] = [];
        preferenceLists(ring, n).forEach((list, p) => {
          if (list.length !== n || new Set(list).size !== n) wrong.push(`${p}: not ${n} distinct`);
          if (list[0] !== ring.owners[p]) wrong.push(`${p}: does not start with its owner`);
          if (list.join() !== clockwiseOwners(ring, p, n).join()) wrong.push(`${p}: not clockwise`);
          if (list.join() !== preferenceList(ring, p, n).join()) wrong.push(`${p}: differs from one lookup`);
        });
        t.same(wrong, [], label(ring, n));
      }
    }
  },
);

t.test('the preference list for n is the first n entries of the list for n + 1', async (t) => {
  for (const ring of rings()) {
    for (let n = 1; n < Math.min(ring.workerCount, 5); n++) {
      const longer = preferenceLists(ring, n + 1);
      const prefixes = preferenceLists(ring, n).every(
        (list, p) => list.join() === longer[p]?.slice(0, n).join(),
      );
      t.ok(prefixes, label(ring, n));
    }
  }
});

// Round robin puts q = floor(Q/S) whole cycles of 0..S-1 round the ring, then 0..r-1 (r = Q mod S).
// Lists that do not reach the tail are cyclic windows of n workers: every worker is in qn of
// them. The r tail lists add n replicas to each of workers 0..r-1 when n <= r, and r replicas to
// each of workers 0..n-1 when n > r. So each count is qn or qn + min(n, r), less than n from nQ/S.
t.test('each worker holds qn or qn + min(n, Q mod S) replicas, so less than n from nQ/S', async (t) => {
  for (const ring of rings()) {
    const { partitionCount: q, workerCount: s } = ring;
    for (let n = 1; n <= Math.min(s, 5); n++) {
      const counts = replicaCounts(ring, n);
      const base = Math.floor(q / s) * n;
      const allowed = [base, base + Math.min(n, q % s)];
      const even = (n * q) / s;
      t.ok(
        counts.every((c) => allowed.includes(c) && Math.abs(c - even) < n),
        `${label(ring, n)}: ${counts.join(',')} (even ${even.toFixed(2)})`,
      );
      t.equal(
        counts.reduce((a, b) => a + b, 0),
        n * q,
        `${label(ring, n)}: n replicas per partition`,
      );
    }
  }
});

t.test('when S divides Q every worker holds exactly nQ/S replicas', async (t) => {
  for (const ring of rings()) {
    const { partitionCount: q, workerCount: s } = ring;
    if (q % s !== 0) continue;
    for (let n = 1; n <= Math.min(s, 5); n++) {
      t.ok(
        replicaCounts(ring, n).every((c) => c === (n * q) / s),
        label(ring, n),
      );
    }
  }
});

t.test('the largest ring, 65536 partitions on 64 workers, is balanced with valid lists', async (t) => {
  const ring = createRing(65_536, 64);
  t.ok(ownershipCounts(ring).every((c) => c === 1024));
  const lists = preferenceLists(ring, 5);
  t.ok(lists.every((list, p) => list[0] === ring.owners[p] && new Set(list).size === 5));
  t.ok(replicaCounts(ring, 5).every((c) => c === 5 * 1024));
});

t.test('a ring cannot be changed in place', async (t) => {
  const ring = createRing(8, 2);
  t.ok(Object.isFrozen(ring) && Object.isFrozen(ring.owners));
});

t.test('a partition count that is not a power of two from 1 to 65536 is refused', async (t) => {
  for (const q of [0, 3, 100, 131_072, 1.5, -4, Number.NaN]) {
    t.throws(
      () => createRing(q, 1),
      { name: 'KvError', code: 'BAD_REQUEST', message: /power of two from 1 to 65536/ },
      `Q=${q}`,
    );
  }
});

t.test('a worker count outside 1..min(64, Q) is refused', async (t) => {
  const cases: [number, number][] = [
    [8, 0],
    [8, 9],
    [256, 65],
    [256, 2.5],
    [1, 2],
  ];
  for (const [q, s] of cases) {
    t.throws(
      () => createRing(q, s),
      {
        name: 'KvError',
        code: 'BAD_REQUEST',
        message: /worker count is .*; it must be an integer from 1 to/,
      },
      `Q=${q} S=${s}`,
    );
  }
});

t.test('n outside 1..S is refused with BAD_REQUEST by every function that takes it', async (t) => {
  const ring = createRing(16, 4);
  for (const n of [0, 5, 2.5, -1]) {
    const wanted = {
      name: 'KvError',
      code: 'BAD_REQUEST',
      message: /n is .*from 1 to the number of workers, 4/,
    };
    t.throws(() => preferenceList(ring, 0, n), wanted, `preferenceList n=${n}`);
    t.throws(() => preferenceLists(ring, n), wanted, `preferenceLists n=${n}`);
    t.throws(() => replicaCounts(ring, n), wanted, `replicaCounts n=${n}`);
  }
});

t.test('a partition outside the ring is a programmer error', async (t) => {
  const ring = createRing(16, 4);
  for (const p of [-1, 16, 0.5]) {
    t.throws(() => preferenceList(ring, p, 2), { code: 'ERR_ASSERTION' }, `partition ${p}`);
  }
});
