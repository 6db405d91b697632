// Goal: counter versions (PN-counters) merge as a join (commutative, associative, idempotent),
// never lose an increment of any actor, start from a plain integer as Redis's INCR does, and
// survive the record encoding marked as counters. Method: random increment histories over
// several actors merged in random groupings, plus the edge cases of INCR's Redis semantics.
import t from 'tap';
import {
  CounterBytes,
  counterTotal,
  decodeCounter,
  decodeRecord,
  encodeRecord,
  INT64_MAX,
  INT64_MIN,
  incrementCounter,
  isCounterVersion,
  joinClocks,
  mergedCounter,
  newVersion,
  parseInt64,
  readableValues,
  reconcile,
  type Version,
} from '../../../src/clock/index.js';
import { Rng } from './fixtures.js';

const text = (bytes: Uint8Array | null) => (bytes === null ? null : Buffer.from(bytes).toString());

/** INCRBY as a coordinator of `worker` holding `local` runs it: counter step, then newVersion over all it merged. */
function incr(local: Version[], delta: bigint, worker: number, now: number): Version[] {
  const step = incrementCounter(local, delta, { worker, incarnation: 1 });
  if (!step.ok) throw new Error(step.message);
  return newVersion(local, joinClocks(local), worker, now, step.value, 'siblings', 64).versions;
}

t.test(
  'INCR semantics: start at 0, from a plain integer, refuse a non-integer, detect overflow',
  async (t) => {
    let versions = incr([], 1n, 7, 100);
    t.equal(text(readableValues(versions).newest), '1');
    versions = incr(versions, 41n, 7, 101);
    t.equal(text(readableValues(versions).newest), '42');
    versions = incr(versions, -50n, 7, 102);
    t.equal(text(readableValues(versions).newest), '-8');
    t.equal(versions.length, 1, 'a counter version supersedes the one it merged');

    const plain: Version[] = [{ dot: { node: 3, counter: 1 }, clock: [], ts: 50, value: Buffer.from('10') }];
    t.equal(text(readableValues(incr(plain, 5n, 7, 60)).newest), '15', 'INCR of "10" starts from 10');
    const word: Version[] = [{ dot: { node: 3, counter: 1 }, clock: [], ts: 50, value: Buffer.from('abc') }];
    t.same(incrementCounter(word, 1n, { worker: 7, incarnation: 1 }), {
      ok: false,
      message: 'value is not an integer or out of range',
    });
    const max: Version[] = [
      { dot: { node: 3, counter: 1 }, clock: [], ts: 50, value: Buffer.from(String(INT64_MAX)) },
    ];
    t.same(incrementCounter(max, 1n, { worker: 7, incarnation: 1 }), {
      ok: false,
      message: 'increment or decrement would overflow',
    });
    const tomb: Version[] = [{ dot: { node: 3, counter: 1 }, clock: [], ts: 50, value: null }];
    t.equal(text(readableValues(incr(tomb, 3n, 7, 60)).newest), '3', 'INCR after a delete starts from 0');
  },
);

t.test("Redis's integer syntax (string2ll)", async (t) => {
  for (const good of ['0', '-1', '42', String(INT64_MAX), String(INT64_MIN)])
    t.equal(parseInt64(good), BigInt(good));
  for (const bad of [
    '',
    '-0',
    '01',
    '+1',
    ' 1',
    '1 ',
    '1.5',
    'abc',
    '9223372036854775808',
    '-9223372036854775809',
  ])
    t.equal(parseInt64(bad), null, JSON.stringify(bad));
});

t.test(
  'concurrent counters on different actors merge to the sum of every increment, in any grouping',
  async (t) => {
    const rng = new Rng(9);
    for (let round = 0; round < 50; round++) {
      // Three coordinators each hold their own copy; each increments, sometimes after merging a peer's copy.
      const copies: Version[][] = [[], [], []];
      let expected = 0n;
      for (let step = 0; step < 40; step++) {
        const at = rng.int(3);
        if (rng.int(3) === 0) {
          const from = rng.int(3);
          copies[at] = reconcile([...(copies[at] as Version[]), ...(copies[from] as Version[])], 'siblings');
        }
        const delta = BigInt(rng.int(21) - 10);
        expected += delta;
        copies[at] = incr(copies[at] as Version[], delta, 100 + at, 1000 + step);
      }
      const orders = [
        [0, 1, 2],
        [2, 1, 0],
        [1, 0, 2],
      ];
      const totals = orders.map((order) => {
        let merged: Version[] = [];
        for (const i of order) merged = reconcile([...merged, ...(copies[i] as Version[])], 'siblings');
        merged = reconcile([...merged, ...(copies[order[0] as number] as Version[])], 'siblings');
        return text(readableValues(merged).newest);
      });
      if (totals.some((total) => total !== String(expected))) {
        t.fail(`round ${round}: ${totals.join(', ')} instead of ${expected}`);
        return;
      }
    }
    t.pass('50 random histories of 40 increments over 3 coordinators: every merge order gives the sum');
  },
);

t.test('a counter version round-trips the record encoding with its counter flag', async (t) => {
  const versions = incr(incr([], 5n, 7, 100), -2n, 8, 101);
  const decoded = decodeRecord(encodeRecord(versions));
  t.ok(decoded.every(isCounterVersion), 'decoded versions are counters');
  t.ok(decoded[0]?.value instanceof CounterBytes);
  t.equal(counterTotal(mergedCounter(decoded)), 3n);
  t.same(decodeCounter(decoded[0]?.value as Uint8Array).entries.length, 2, 'one entry per actor');
  const plain: Version[] = [{ dot: { node: 3, counter: 1 }, clock: [], ts: 50, value: Buffer.from('3') }];
  t.notOk(decodeRecord(encodeRecord(plain)).some(isCounterVersion), 'a plain "3" stays a plain value');
  const bytes = encodeRecord(versions);
  bytes[3] = (bytes[3] as number) | 1; // tombstone and counter flags together
  t.throws(() => decodeRecord(bytes), /record is malformed/);
});

t.test('a plain value newer than a counter restarts the count without lowering any actor', async (t) => {
  const counter = incr([], 50n, 7, 100);
  const plainWrite: Version = { dot: { node: 3, counter: 1 }, clock: [], ts: 200, value: Buffer.from('5') };
  const both = reconcile([...counter, plainWrite], 'siblings');
  t.equal(text(readableValues(both).newest), '5', 'GET shows the newest: the plain value');
  const after = incr(both, 1n, 7, 300);
  t.equal(text(readableValues(after).newest), '6', 'INCR goes on from it');
  // A copy elsewhere that still holds the old counter merges without resurrecting its 50.
  const merged = reconcile([...after, ...counter], 'siblings');
  t.equal(text(readableValues(merged).newest), '6');
});
