// Goal: with dotted version vectors, reconcile keeps exactly the versions no other version's clock covers (one under lww), deterministically.
// Method: hand-made cases for each rule and for newVersion, then version sets drawn from simulated multi-worker histories.
import t from 'tap';
import {
  actorOf,
  covers,
  EMPTY_CLOCK,
  encodeRecord,
  isDeleted,
  joinClocks,
  merge,
  mergeVersions,
  newestValue,
  newVersion,
  type Policy,
  reconcile,
  sameVersions,
  truncate,
  type VClock,
  type Version,
  versionClock,
  versionSortOrder,
  workerOfNode,
} from '../../../src/clock/index.js';
import { counterexample, dotId, lwwAtMost, mergeInRandomGroups, Rng, simulate } from './fixtures.js';

const bytes = (text: string) => new TextEncoder().encode(text);
const clock = (...pairs: Array<[number, number]>): VClock =>
  pairs.map(([node, counter]) => ({ node, counter, ts: 1 }));
const version = (
  node: number,
  counter: number,
  ts: number,
  past: VClock = EMPTY_CLOCK,
  value: string | null = `v${node}.${counter}`,
): Version => ({ dot: { node, counter }, clock: past, ts, value: value === null ? null : bytes(value) });
const encoded = (versions: readonly Version[]) => Buffer.from(encodeRecord(versions)).toString('hex');
const dots = (versions: readonly Version[]) => versions.map((v) => dotId(v.dot));
const put = (local: readonly Version[], context: VClock, node: number, now: number, value: string | null) =>
  newVersion(local, context, node, now, value === null ? null : bytes(value), 'siblings', 10);

const A = version(1, 1, 10);
const B = version(1, 2, 20, clock([1, 1])); // saw A
const C = version(2, 1, 15, clock([1, 1])); // saw A, concurrent with B
const D = version(1, 3, 30, clock([1, 2], [2, 1])); // saw all of them

t.test('reconcile of nothing is nothing under both policies', async (t) => {
  t.strictSame(reconcile([], 'siblings'), []);
  t.strictSame(reconcile([], 'lww'), []);
});

t.test("a version is dropped exactly when another version's clock covers its dot", async (t) => {
  t.ok(covers(B.clock, A.dot));
  t.notOk(covers(B.clock, C.dot));
  t.strictSame(reconcile([A, B], 'siblings'), [B]);
  t.strictSame(reconcile([B, A], 'siblings'), [B]);
  t.strictSame(reconcile([A, B, C, D], 'siblings'), [D]);
});

t.test(
  "a clock that covers a dot but lost part of that version's past to truncation leaves it a sibling",
  async (t) => {
    const x = version(3, 1, 40, clock([2, 1])); // saw C but not what C saw: its context lost node 1
    t.ok(covers(x.clock, C.dot));
    t.strictSame(dots(reconcile([C, x], 'siblings')), ['2:1', '3:1']);
    t.strictSame(joinClocks(reconcile([C, x], 'siblings')), joinClocks([C, x]), 'no counter is forgotten');
    const y = version(3, 2, 41, merge(versionClock(x), C.clock));
    t.strictSame(
      dots(reconcile([C, x, y], 'siblings')),
      ['3:2'],
      'a clock with the whole past supersedes it',
    );
  },
);

t.test('versions that did not see each other are all kept as siblings, ordered by ts', async (t) => {
  t.strictSame(reconcile([B, C], 'siblings'), [C, B]);
  t.strictSame(reconcile([A, C, B], 'siblings'), [C, B]);
});

t.test('two blind puts through the same node both survive as siblings', async (t) => {
  const first = put([], EMPTY_CLOCK, 5, 100, 'x');
  const second = put(first.versions, EMPTY_CLOCK, 5, 100, 'y');
  const lane1 = `${actorOf(5, 1)}:1`;
  t.strictSame(dots(second.versions), ['5:1', lane1], 'the second is minted in lane 1');
  t.strictSame(second.written.clock, []);
  t.strictSame(dots(mergeVersions([second.written], [first.written], 'siblings')), ['5:1', lane1]);
  t.ok(covers(second.context, second.written.dot), 'the returned context covers the write');
  t.notOk(covers(second.context, first.written.dot), 'and not the sibling the writer never saw');
});

t.test('a put with the context of a get that saw both siblings replaces both', async (t) => {
  const first = put([], EMPTY_CLOCK, 5, 100, 'x');
  const second = put(first.versions, EMPTY_CLOCK, 5, 101, 'y');
  const context = joinClocks(second.versions);
  const third = put(second.versions, context, 5, 102, 'z');
  t.strictSame(third.versions, [third.written]);
  t.strictSame(third.written.dot, { node: 5, counter: 2 }, 'lane 0 again: its counter 2 was never used');
  t.equal(third.written.clock, context);
  const elsewhere = mergeVersions(
    mergeVersions([first.written], [second.written], 'siblings'),
    [third.written],
    'siblings',
  );
  t.strictSame(elsewhere, [third.written], 'a replica holding the siblings drops both when the put arrives');
});

t.test('a put with the context of one sibling replaces that sibling only', async (t) => {
  const x = put([], EMPTY_CLOCK, 5, 100, 'x').written;
  const y = put([], EMPTY_CLOCK, 6, 100, 'y').written;
  const next = put([y], versionClock(x), 6, 101, 'z');
  const lane1 = `${actorOf(6, 1)}:1`;
  t.strictSame(dots(next.versions), ['6:1', lane1]);
  t.strictSame(dots(mergeVersions([x, y], next.versions, 'siblings')), ['6:1', lane1]);
});

t.test('a delete with a context supersedes what it saw, and a blind delete becomes a sibling', async (t) => {
  const x = put([], EMPTY_CLOCK, 5, 100, 'x');
  const deleted = put(x.versions, joinClocks(x.versions), 7, 101, null);
  t.strictSame(deleted.versions, [deleted.written]);
  t.ok(isDeleted(deleted.versions));
  const blind = put(x.versions, EMPTY_CLOCK, 7, 101, null);
  t.strictSame(dots(blind.versions), ['5:1', '7:1']);
  t.notOk(isDeleted(blind.versions));
  const revived = put(deleted.versions, joinClocks(deleted.versions), 5, 102, 'again');
  t.strictSame(revived.versions, [revived.written], 'a put on the tombstone replaces it');
});

t.test('copies of one write are deduplicated with their clocks joined, whatever the order', async (t) => {
  const copy = { ...C, clock: clock([3, 4]) };
  const [one, ...rest] = reconcile([C, copy], 'siblings');
  t.equal(rest.length, 0);
  t.strictSame(one?.clock, merge(C.clock, copy.clock));
  t.strictSame(reconcile([copy, C], 'siblings'), reconcile([C, copy], 'siblings'));
  t.strictSame(reconcile([A, A, A], 'siblings'), [A], 'identical duplicates collapse');
});

t.test(
  'newVersion takes a counter above every counter of its node in the context and local set',
  async (t) => {
    t.strictSame(put([], EMPTY_CLOCK, 5, 1, 'v').written.dot, { node: 5, counter: 1 });
    t.equal(put([], clock([5, 7]), 5, 1, 'v').written.dot.counter, 8, 'from the context');
    t.equal(
      put([version(5, 9, 1)], clock([5, 2]), 5, 1, 'v').written.dot.counter,
      1,
      'lane 1: (5, 9) is unseen',
    );
    t.equal(
      put([version(2, 1, 1, clock([5, 12]))], EMPTY_CLOCK, 5, 1, 'v').written.dot.counter,
      13,
      'local clock',
    );
    t.equal(put([version(6, 40, 1, clock([4, 30]))], clock([6, 50]), 5, 1, 'v').written.dot.counter, 1);
    t.throws(() => put([], clock([5, 0xffff_ffff]), 5, 1, 'v'), 'a counter overflow is a programmer error');
  },
);

t.test(
  'newVersion keeps the truncated context as the clock, never its own dot, and counts what it dropped',
  async (t) => {
    const context: VClock = [1, 2, 3, 5].map((node) => ({ node, counter: 2, ts: node }));
    const result = newVersion([], context, 5, 9, null, 'siblings', 2);
    t.strictSame(result.written.clock, truncate(context, 2).clock);
    t.equal(result.truncated, 2);
    t.equal(result.written.dot.counter, 3);
    t.notOk(covers(result.written.clock, result.written.dot));
    t.equal(put([], context, 5, 9, 'v').truncated, 0);
    t.equal(result.written.ts, 9);
    t.equal(result.written.value, null);
  },
);

t.test(
  "versionClock adds the version's dot to its clock, and joinClocks joins every versionClock",
  async (t) => {
    t.strictSame(versionClock(C), [
      { node: 1, counter: 1, ts: 1 },
      { node: 2, counter: 1, ts: C.ts },
    ]);
    t.ok(covers(versionClock(C), C.dot));
    t.strictSame(joinClocks([]), []);
    t.strictSame(joinClocks([B, C]), merge(versionClock(B), versionClock(C)));
  },
);

t.test(
  "a sibling's full clock does not cover its worker's earlier unseen siblings: the put's context supersedes that put only",
  async (t) => {
    const x = put([], EMPTY_CLOCK, 5, 100, 'x');
    const y = put(x.versions, EMPTY_CLOCK, 5, 101, 'y');
    t.notOk(covers(versionClock(y.written), x.written.dot), 'y went to lane 1, so its clock misses x');
    t.strictSame(
      dots(put(y.versions, versionClock(y.written), 5, 102, 'z').versions),
      ['5:1', `${actorOf(5, 1)}:2`],
      'a put on y supersedes y only',
    );
    t.strictSame(dots(put(y.versions, joinClocks(y.versions), 5, 102, 'z').versions), ['5:2']);
  },
);

t.test('lww keeps one version, the highest by ts then dot, whose clock covers every other', async (t) => {
  const [winner, ...rest] = reconcile([B, C, A], 'lww');
  t.equal(rest.length, 0);
  t.strictSame(winner?.dot, B.dot);
  t.strictSame(winner?.value, B.value);
  t.strictSame(winner?.clock, merge(B.clock, merge(versionClock(A), versionClock(C))));
  t.ok(covers(winner!.clock, C.dot) && covers(winner!.clock, A.dot));
  t.strictSame(
    reconcile([winner!, C, A], 'siblings'),
    [winner],
    'it supersedes the others under siblings too',
  );
});

t.test(
  'lww picks one winner however merges are grouped, even over a later write in the same ms',
  async (t) => {
    const a = version(5, 1, 10);
    const b = version(3, 1, 10);
    const c = version(1, 1, 10, versionClock(a)); // saw a, in the same ms, from a lower worker id
    const whole = reconcile([a, b, c], 'lww');
    const groupings = [
      mergeVersions(reconcile([a, b], 'lww'), [c], 'lww'),
      mergeVersions(reconcile([a, c], 'lww'), [b], 'lww'),
      mergeVersions(reconcile([b, c], 'lww'), [a], 'lww'),
    ];
    t.strictSame(whole[0]?.dot, a.dot, 'the highest (ts, dot) wins, superseded or not');
    t.strictSame(
      groupings.map((set) => encoded(set)),
      groupings.map(() => encoded(whole)),
    );
    t.strictSame(
      mergeVersions(whole, groupings[0]!, 'lww'),
      whole,
      'two replicas never reconcile to nothing',
    );
  },
);

t.test('lww breaks a ts tie by dot the same way whatever the input order', async (t) => {
  const x = version(1, 1, 7);
  const y = version(2, 1, 7);
  t.strictSame(reconcile([x, y], 'lww'), reconcile([y, x], 'lww'));
  t.strictSame(reconcile([x, y], 'lww')[0]?.dot, y.dot);
});

t.test('lww returns an unchanged single version as is', async (t) => {
  const [only] = reconcile([B], 'lww');
  t.equal(only, B);
});

t.test('newestValue is the version with the highest ts when it is live', async (t) => {
  const deleted = version(9, 1, 99, EMPTY_CLOCK, null);
  const olderDelete = version(9, 1, 5, EMPTY_CLOCK, null);
  t.equal(newestValue([A, olderDelete, C, B]), B);
  t.equal(newestValue([A, deleted, C, B]), undefined, 'a newer tombstone wins over older concurrent values');
  t.equal(newestValue([deleted]), undefined);
  t.equal(newestValue([]), undefined);
});

t.test('isDeleted holds for no versions or tombstones only', async (t) => {
  t.ok(isDeleted([]));
  t.ok(isDeleted([version(1, 1, 1, EMPTY_CLOCK, null), version(2, 1, 2, EMPTY_CLOCK, null)]));
  t.notOk(isDeleted([version(1, 1, 1, EMPTY_CLOCK, null), A]));
});

t.test('sameVersions ignores order and duplicates but sees every field', async (t) => {
  t.ok(sameVersions([B, C], [C, B, C]));
  t.ok(sameVersions([], []));
  t.notOk(sameVersions([B], [B, C]));
  t.notOk(sameVersions([B], [{ ...B, ts: B.ts + 1 }]));
  t.notOk(sameVersions([B], [{ ...B, dot: { node: 1, counter: 3 } }]));
  t.notOk(sameVersions([B], [{ ...B, dot: { node: 2, counter: 2 } }]));
  t.notOk(sameVersions([B], [{ ...B, value: bytes('other') }]));
  t.notOk(sameVersions([B], [{ ...B, value: null }]));
  t.notOk(sameVersions([B], [{ ...B, clock: clock([1, 3]) }]));
  t.ok(sameVersions([B], [{ ...B, value: bytes('v1.2') }]), 'values compare by bytes, not identity');
});

/** Version sets drawn from what simulated workers created: stale, current and concurrent. */
function randomSets(seed: number, count: number, policy: Policy, tsStepMax?: number): Version[][] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => {
    const { created, replicas } = simulate(rng, policy, 25, tsStepMax === undefined ? {} : { tsStepMax });
    return rng.chance(0.8) ? rng.subset(created) : [...rng.pick(replicas), ...rng.subset(created)];
  });
}

const SIBLING_SETS = randomSets(0xc10c, 400, 'siblings');
/** From lww histories inside one ms, where writes that saw each other tie on ts. */
const LWW_SETS = randomSets(0x1a11, 150, 'lww', 1);
const SETS = [...SIBLING_SETS, ...LWW_SETS];

const POLICIES: readonly Policy[] = ['siblings', 'lww'];

t.test('simulated histories produce sets with several siblings', async (t) => {
  t.ok(SIBLING_SETS.some((set) => reconcile(set, 'siblings').length >= 3));
});

t.test("reconcile keeps one copy of each input dot that no other input version's clock covers", async (t) => {
  // In untruncated siblings histories a clock that covers a dot descends that version's clock.
  const bad = counterexample(SIBLING_SETS, (set) => {
    const expected = new Set(
      set
        .filter((v) => !set.some((x) => dotId(x.dot) !== dotId(v.dot) && covers(x.clock, v.dot)))
        .map((v) => dotId(v.dot)),
    );
    const kept = dots(reconcile(set, 'siblings'));
    return kept.length === expected.size && kept.every((id) => expected.has(id));
  });
  t.equal(bad, undefined);
});

t.test('reconcile output is sorted and its versions do not cover each other', async (t) => {
  const bad = counterexample(SIBLING_SETS, (set) => {
    const kept = reconcile(set, 'siblings');
    const sorted = kept.every((v, i) => i === 0 || versionSortOrder(kept[i - 1]!, v) < 0);
    return sorted && kept.every((x) => kept.every((y) => x === y || !covers(x.clock, y.dot)));
  });
  t.equal(bad, undefined);
});

t.test(
  'reconcile output is byte-identical for any order and grouping of its input, under both policies',
  async (t) => {
    const rng = new Rng(7);
    for (const policy of POLICIES) {
      const bad = counterexample(SETS, (set) => {
        const whole = encoded(reconcile(set, policy));
        const left = rng.subset(set);
        const rest = set.filter((v) => !left.includes(v));
        const pieces = mergeVersions(
          reconcile([...left, ...rng.subset(set)], policy),
          reconcile(rest, policy),
          policy,
        );
        const tree = mergeInRandomGroups(
          rng,
          set.map((v) => [v]),
          policy,
        );
        return [reconcile(rng.shuffle(set), policy), pieces, tree].every((out) => encoded(out) === whole);
      });
      t.equal(bad, undefined, policy);
    }
  },
);

t.test('reconcile is idempotent under both policies', async (t) => {
  for (const policy of POLICIES) {
    const bad = counterexample(SETS, (set) => {
      const once = reconcile(set, policy);
      return encoded(reconcile(once, policy)) === encoded(once);
    });
    t.equal(bad, undefined, policy);
  }
});

t.test('sameVersions agrees with byte equality of canonical records', async (t) => {
  const rng = new Rng(10);
  const canonical = SETS.map((set) => reconcile(set, 'siblings'));
  const pairs = canonical.flatMap((set) => [
    [set, rng.pick(canonical)],
    [set, reconcile(rng.subset(set), 'siblings')],
    [rng.shuffle([...set, ...rng.subset(set)]), set],
  ]);
  const outcomes = pairs.map(([a, b]) => [
    sameVersions(a!, b!),
    encoded(reconcile(a!, 'siblings')) === encoded(b!),
  ]);
  t.equal(
    counterexample(outcomes, ([same, equalBytes]) => same === equalBytes),
    undefined,
  );
  t.ok(outcomes.some(([same]) => same) && outcomes.some(([same]) => !same), 'both outcomes occur');
});

t.test(
  'lww keeps exactly one version, the highest by ts then dot, which supersedes every input on any further merge',
  async (t) => {
    const rng = new Rng(11);
    const bad = counterexample(
      SETS.filter((set) => set.length > 0),
      (set) => {
        const kept = reconcile(set, 'lww');
        const winner = kept[0]!;
        const highest = set.every((v) => lwwAtMost(v, winner));
        const covering = set.every((v) => dotId(v.dot) === dotId(winner.dot) || covers(winner.clock, v.dot));
        const again = [
          mergeVersions(kept, rng.subset(set), 'lww'),
          mergeVersions(rng.subset(set), kept, 'siblings'),
        ];
        return (
          kept.length === 1 &&
          highest &&
          covering &&
          again.every((merged) => encoded(merged) === encoded(kept))
        );
      },
    );
    t.equal(bad, undefined);
  },
);

t.test('the join of a reconciled set covers every input dot', async (t) => {
  const bad = counterexample(SETS, (set) => {
    const context = joinClocks(reconcile(set, 'siblings'));
    return set.every((v) => covers(context, v.dot));
  });
  t.equal(bad, undefined);
});

t.test(
  'a put on the join of a reconciled set supersedes every sibling, through any coordinator',
  async (t) => {
    const rng = new Rng(12);
    const bad = counterexample(SETS, (set) => {
      const kept = reconcile(set, 'siblings');
      const node = kept.length > 0 && rng.chance(0.5) ? workerOfNode(rng.pick(kept).dot.node) : 0xabc;
      const { versions, written } = newVersion(kept, joinClocks(kept), node, 0, null, 'siblings', 1000);
      return (
        sameVersions(versions, [written]) && sameVersions(mergeVersions(set, versions, 'siblings'), [written])
      );
    });
    t.equal(bad, undefined);
  },
);
