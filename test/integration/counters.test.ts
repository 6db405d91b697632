// Goal: the embedded API's counters (db.increment) count every increment, also when two workers
// coordinate increments of one key (one paused, then healed), and reads through every path (get,
// HTTP) show the merged value. Method: a real database on a temp dir; the key's first worker is
// paused through fault injection so a stand-in coordinates, then healed so it coordinates again.
import t from 'tap';
import { decodeCounter } from '../../src/clock/index.js';
import { waitFor } from '../faults/checkers.js';
import { startStack } from '../fixtures/stack.js';

const stack = await startStack(t, 'counters', { workers: 4, n: 3, r: 2, w: 2, requestTimeoutMs: 2000 });
const { db } = stack;

t.test('increment counts from 0 in int64, reads as a decimal string, and refuses bad input', async (t) => {
  t.equal(await db.increment('c:a'), 1n);
  t.equal(await db.increment('c:a', 41n), 42n);
  t.equal(await db.increment('c:a', -50n), -8n);
  const read = await db.get('c:a');
  t.equal(read.newest?.toString(), '-8');
  t.same(
    read.values.map((value) => value.toString()),
    ['-8'],
    'the counter is one value, not its siblings',
  );
  const http = await fetch(`${stack.http}/buckets/default/keys/c:a`);
  t.equal(await http.text(), '-8', 'HTTP GET answers the decimal value');
  await db.put('c:a', '100', { replace: true });
  t.equal(await db.increment('c:a'), 101n, 'a replace write resets it; INCR goes on from the string');
  await db.put('c:text', 'abc');
  await t.rejects(db.increment('c:text'), {
    code: 'BAD_REQUEST',
    message: 'value is not an integer or out of range',
  });
  await t.rejects(db.increment('c:a', 2n ** 63n), { code: 'BAD_REQUEST' });
  const many = await Promise.all(Array.from({ length: 200 }, () => db.increment('c:many')));
  t.same(
    [...many].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0)),
    Array.from({ length: 200 }, (_, i) => BigInt(i + 1)),
    '200 concurrent increments through one coordinator answer 1 to 200',
  );
});

t.test('increments coordinated by two workers (one paused, then healed) all count', async (t) => {
  const key = 'c:two-coordinators';
  const placement = db.place('default', key);
  const first = db.preferenceList(placement.partition, 3)[0] as number;
  for (let i = 0; i < 30; i++) await db.increment(key);
  db.faults.pause(first);
  const suspected = await waitFor(() => db.health()[first]?.health !== 'up', 10_000);
  t.ok(suspected.held, `worker ${first} is suspected once paused (after ${suspected.ms} ms)`);
  for (let i = 0; i < 30; i++) await db.increment(key, 2n);
  db.faults.heal(first);
  const up = await waitFor(() => db.health()[first]?.health === 'up', 10_000);
  t.ok(up.held, `worker ${first} is up again after heal (after ${up.ms} ms)`);
  for (let i = 0; i < 30; i++) await db.increment(key, 3n);
  t.equal((await db.get(key)).newest?.toString(), String(30 + 60 + 90), 'every increment counted');

  const { replicas } = await db.explain(key);
  const actors = new Set<number>();
  for (const replica of replicas) {
    for (const version of replica.versions) {
      // EXPLAIN shows each replica's raw versions: a counter's value is its state.
      if (version.value === null) continue;
      for (const entry of decodeCounter(version.value).entries) actors.add(entry.worker);
    }
  }
  t.ok(actors.size >= 2, `the counter holds the increments of ${actors.size} workers`);
});
