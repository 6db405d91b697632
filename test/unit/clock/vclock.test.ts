// Goal: compare, descends, merge, increment and truncate obey the vector clock laws.
// Method: every clock over three nodes with counters 0–2 against a pointwise reference, then random histories.
import t from 'tap';
import {
  type ClockEntry,
  compare,
  descends,
  EMPTY_CLOCK,
  increment,
  merge,
  NODE_MAX,
  type Order,
  truncate,
  type VClock,
} from '../../../src/clock/index.js';
import { counterexample, historyClocks, Rng } from './fixtures.js';

/** The one assertion the shared checkers need, so they accept any tap test object. */
type Asserts = Pick<typeof t, 'equal'>;

const NODES = [0, 5, 0xffff_ffff];
type Counters = readonly number[];

function clockOf(counters: Counters, tsBase = 100): VClock {
  const entries: ClockEntry[] = [];
  counters.forEach((counter, i) => {
    if (counter > 0) entries.push({ node: NODES[i]!, counter, ts: tsBase + counter * 10 + i });
  });
  return entries;
}

function countersOf(clock: VClock): number[] {
  return NODES.map((node) => clock.find((e) => e.node === node)?.counter ?? 0);
}

/** Pointwise definition of the order, independent of the merge walk under test. */
function referenceOrder(a: Counters, b: Counters): Order {
  const aAhead = a.some((x, i) => x > b[i]!);
  const bAhead = b.some((y, i) => y > a[i]!);
  if (aAhead && bAhead) return 'concurrent';
  if (aAhead) return 'after';
  return bAhead ? 'before' : 'equal';
}

const MIRROR: Record<Order, Order> = {
  before: 'after',
  after: 'before',
  equal: 'equal',
  concurrent: 'concurrent',
};

const ALL_COUNTERS: Counters[] = [];
for (let x = 0; x < 3; x++)
  for (let y = 0; y < 3; y++) for (let z = 0; z < 3; z++) ALL_COUNTERS.push([x, y, z]);
const ALL = ALL_COUNTERS.map((counters) => clockOf(counters));

function* pairs<T>(items: readonly T[]): Generator<[T, T]> {
  for (const a of items) for (const b of items) yield [a, b];
}

function* triples<T>(items: readonly T[]): Generator<[T, T, T]> {
  for (const a of items) for (const b of items) for (const c of items) yield [a, b, c];
}

function isCanonical(clock: VClock): boolean {
  return clock.every((e, i) => e.counter >= 1 && (i === 0 || clock[i - 1]!.node < e.node));
}

t.test('compare agrees with the pointwise definition on every pair of small clocks', async (t) => {
  const bad = counterexample(
    pairs(ALL_COUNTERS),
    ([a, b]) => compare(clockOf(a), clockOf(b)) === referenceOrder(a, b),
  );
  t.equal(bad, undefined);
});

t.test('the empty clock is before every other clock and equal to itself', async (t) => {
  t.equal(compare(EMPTY_CLOCK, EMPTY_CLOCK), 'equal');
  t.equal(
    counterexample(ALL.slice(1), (c) => compare(EMPTY_CLOCK, c) === 'before'),
    undefined,
  );
});

t.test('equal counters with different timestamps compare equal', async (t) => {
  t.equal(compare(clockOf([1, 2, 0], 0), clockOf([1, 2, 0], 500)), 'equal');
});

function checkOrderLaws(t: Asserts, clocks: readonly VClock[], pairSource: Iterable<[VClock, VClock]>): void {
  const list = [...pairSource];
  t.equal(
    counterexample(list, ([a, b]) => compare(b, a) === MIRROR[compare(a, b)]),
    undefined,
    'compare is antisymmetric',
  );
  t.equal(
    counterexample(list, ([a, b]) => descends(a, b) === ['after', 'equal'].includes(compare(a, b))),
    undefined,
    'descends holds exactly when compare says after or equal',
  );
  t.equal(
    counterexample(list, ([a, b]) => (descends(a, b) && descends(b, a)) === (compare(a, b) === 'equal')),
    undefined,
    'clocks descending each other are equal',
  );
  t.equal(
    counterexample(clocks, (c) => compare(c, c) === 'equal' && descends(c, c)),
    undefined,
    'compare is reflexive',
  );
}

t.test('compare is antisymmetric, reflexive and consistent with descends on small clocks', async (t) => {
  checkOrderLaws(t, ALL, pairs(ALL));
});

t.test('merge is the pointwise maximum with the later timestamp of each entry', async (t) => {
  // Entries of the right side carry later timestamps (base 1000), so they win wherever present.
  const bad = counterexample(pairs(ALL_COUNTERS), ([a, b]) => {
    const left = clockOf(a, 0);
    const right = clockOf(b, 1000);
    const merged = merge(left, right);
    const expected = a.map((x, i) => Math.max(x, b[i]!));
    const tsOk = merged.every((e) => e.ts === (right.find((r) => r.node === e.node) ?? e).ts);
    return isCanonical(merged) && countersOf(merged).join() === expected.join() && tsOk;
  });
  t.equal(bad, undefined);
  const merged = merge([{ node: 1, counter: 3, ts: 50 }], [{ node: 1, counter: 2, ts: 90 }]);
  t.strictSame(merged, [{ node: 1, counter: 3, ts: 90 }], 'counter and ts may come from different sides');
});

function checkMergeLaws(
  t: Asserts,
  clocks: readonly VClock[],
  tripleSource: Iterable<[VClock, VClock, VClock]>,
): void {
  const same = (x: VClock, y: VClock) => JSON.stringify(x) === JSON.stringify(y);
  t.equal(
    counterexample(pairs(clocks), ([a, b]) => same(merge(a, b), merge(b, a))),
    undefined,
    'merge is commutative',
  );
  t.equal(
    counterexample(tripleSource, ([a, b, c]) => same(merge(merge(a, b), c), merge(a, merge(b, c)))),
    undefined,
    'merge is associative',
  );
  t.equal(
    counterexample(clocks, (c) => same(merge(c, c), c)),
    undefined,
    'merge is idempotent',
  );
  t.equal(
    counterexample(pairs(clocks), ([a, b]) => descends(merge(a, b), a) && descends(merge(a, b), b)),
    undefined,
    'merge descends both inputs',
  );
}

t.test(
  'merge is commutative, associative, idempotent and descends both inputs on small clocks',
  async (t) => {
    checkMergeLaws(t, ALL, triples(ALL));
  },
);

t.test('merge is the least clock descending both inputs', async (t) => {
  const bad = counterexample(
    triples(ALL),
    ([a, b, c]) => !(descends(c, a) && descends(c, b)) || descends(c, merge(a, b)),
  );
  t.equal(bad, undefined);
});

t.test('increment moves exactly one entry up by one and orders the result after its input', async (t) => {
  const bad = counterexample(pairs(ALL_COUNTERS), ([a, which]) => {
    const node = NODES[which[0]!]!;
    const next = increment(clockOf(a), node, 5000);
    const expected = a.map((x, i) => (NODES[i] === node ? x + 1 : x));
    const entry = next.find((e) => e.node === node);
    return isCanonical(next) && countersOf(next).join() === expected.join() && entry?.ts === 5000;
  });
  t.equal(bad, undefined);
  t.equal(compare(EMPTY_CLOCK, increment(EMPTY_CLOCK, 3, 1)), 'before');
});

t.test('increment refuses node ids outside uint32 and counters that would overflow', async (t) => {
  t.throws(() => increment(EMPTY_CLOCK, -1, 0));
  t.throws(() => increment(EMPTY_CLOCK, NODE_MAX + 1, 0));
  t.throws(() => increment(EMPTY_CLOCK, 1.5, 0));
  t.throws(() => increment(EMPTY_CLOCK, 1, Number.NaN));
  t.throws(() => increment([{ node: 1, counter: 0xffff_ffff, ts: 0 }], 1, 0));
});

t.test('increment does not modify its input', async (t) => {
  const clock = Object.freeze([Object.freeze({ node: 4, counter: 1, ts: 1 })]);
  increment(clock, 4, 2);
  increment(clock, 9, 2);
  t.strictSame(clock, [{ node: 4, counter: 1, ts: 1 }]);
});

const RANDOM = historyClocks(0x5eed, 40);

function randomPairs(rng: Rng, count: number): Array<[VClock, VClock]> {
  return Array.from({ length: count }, () => [rng.pick(RANDOM), rng.pick(RANDOM)]);
}

t.test('random histories produce ordered, equal and concurrent pairs', async (t) => {
  const seen = new Set(randomPairs(new Rng(1), 5000).map(([a, b]) => compare(a, b)));
  t.strictSame([...seen].sort(), ['after', 'before', 'concurrent', 'equal']);
});

t.test('compare is antisymmetric and consistent with descends over random histories', async (t) => {
  checkOrderLaws(t, RANDOM, randomPairs(new Rng(2), 20_000));
});

t.test('before is transitive over random histories', async (t) => {
  const rng = new Rng(3);
  const triplesList = Array.from({ length: 20_000 }, () => [
    rng.pick(RANDOM),
    rng.pick(RANDOM),
    rng.pick(RANDOM),
  ]);
  const bad = counterexample(triplesList, ([a, b, c]) => {
    return !(compare(a!, b!) === 'before' && compare(b!, c!) === 'before') || compare(a!, c!) === 'before';
  });
  t.equal(bad, undefined);
});

t.test(
  'merge is commutative, associative, idempotent and descends both inputs over random histories',
  async (t) => {
    const rng = new Rng(4);
    const sample = Array.from({ length: 150 }, () => rng.pick(RANDOM));
    const someTriples = Array.from({ length: 20_000 }, (): [VClock, VClock, VClock] => [
      rng.pick(RANDOM),
      rng.pick(RANDOM),
      rng.pick(RANDOM),
    ]);
    checkMergeLaws(t, sample, someTriples);
  },
);

t.test('truncate drops the entries with the oldest timestamps first and counts them', async (t) => {
  const clock: VClock = [
    { node: 1, counter: 4, ts: 30 },
    { node: 2, counter: 1, ts: 10 },
    { node: 3, counter: 2, ts: 40 },
    { node: 4, counter: 9, ts: 20 },
  ];
  t.strictSame(truncate(clock, 2), { clock: [clock[0], clock[2]], dropped: 2 });
  t.strictSame(truncate(clock, 3), { clock: [clock[0], clock[2], clock[3]], dropped: 1 });
  t.strictSame(truncate(clock, 0), { clock: [], dropped: 4 });
});

t.test('truncate within the limit returns the same clock and drops nothing', async (t) => {
  const clock = clockOf([1, 2, 1]);
  t.equal(truncate(clock, 3).clock, clock);
  t.equal(truncate(clock, 30).dropped, 0);
  t.strictSame(truncate(EMPTY_CLOCK, 0), { clock: [], dropped: 0 });
});

t.test('truncate breaks timestamp ties by dropping the lower node first', async (t) => {
  const clock: VClock = [
    { node: 8, counter: 1, ts: 5 },
    { node: 9, counter: 1, ts: 5 },
  ];
  t.strictSame(truncate(clock, 1).clock, [{ node: 9, counter: 1, ts: 5 }]);
  t.throws(() => truncate(clock, -1));
});

t.test(
  'truncate keeps the clock sorted, keeps the newest entries and descends from nothing it dropped',
  async (t) => {
    const rng = new Rng(5);
    const bad = counterexample(RANDOM, (clock) => {
      const limit = rng.int(clock.length + 1);
      const { clock: kept, dropped } = truncate(clock, limit);
      const gone = clock.filter((e) => !kept.includes(e));
      const newestGone = Math.max(...gone.map((e) => e.ts));
      return (
        isCanonical(kept) &&
        kept.length === Math.min(limit, clock.length) &&
        dropped === gone.length &&
        kept.every((e) => clock.includes(e) && e.ts >= newestGone) &&
        descends(clock, kept)
      );
    });
    t.equal(bad, undefined);
  },
);
