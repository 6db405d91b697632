// Goal: gets served by the main thread from the replicas' own storage keep Dynamo's meaning:
// a get sees the put acknowledged before it, an unreachable worker's store is never read, and
// concurrent read-modify-write writers lose nothing acknowledged. Method: the embedded engine
// on real LMDB files and threads; seeds printed and settable with SEED=.
import t from 'tap';
import { decodeContext, descends } from '../../src/clock/index.js';
import { open } from '../../src/index.js';
import { eventually } from '../faults/checkers.js';
import { freshDir } from '../fixtures/tmp-dir.js';
import { Rng } from '../unit/clock/fixtures.js';

const SEED = Number(process.env.SEED ?? Date.now() % 1_000_000);
t.comment(`SEED=${SEED}`);

t.test('1,000 random put-then-get pairs: each get sees its put', async (t) => {
  const db = await open({ dir: freshDir(t, 'read-pairs'), workers: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => db.close());
  const rng = new Rng(SEED);
  const keys = Array.from({ length: 200 }, (_, i) => `pair-${i}`);
  const missed: string[] = [];
  // 20 clients at once, each a chain of put then get; keys repeat across clients.
  await Promise.all(
    Array.from({ length: 20 }, async (_, client) => {
      for (let i = 0; i < 50; i++) {
        const key = rng.pick(keys);
        const value = `${client}:${i}:${rng.int(1e9)}`;
        await db.put(key, value);
        const got = await db.get(key);
        if (!got.values.some((v) => v.toString() === value)) missed.push(`${key}=${value}`);
      }
    }),
  );
  t.same(missed, [], 'every get saw the put acknowledged before it');
});

t.test("an isolated worker's store is never read, whatever r asks", async (t) => {
  const db = await open({
    dir: freshDir(t, 'read-isolated'),
    workers: 4,
    n: 3,
    r: 2,
    w: 2,
    requestTimeoutMs: 1000,
  });
  t.teardown(() => db.close());
  const { preferenceList } = await db.explain('lonely');
  const [first, ...others] = preferenceList as [number, ...number[]];
  // A value only the first replica holds: the others are cut off while it is written with w = 1.
  for (const worker of others) db.faults.isolate(worker);
  await db.put('lonely', 'only on the first', { w: 1 });
  db.faults.isolate(first);
  for (const worker of others) db.faults.heal(worker);
  const holders = (await db.explain('lonely')).replicas.map((replica) => replica.worker);
  t.same(holders, [], 'explain cannot reach it either: the first worker is isolated');

  const { result } = await eventually(async () => {
    const health = db.health().find((h) => h.worker === first)?.health;
    return health === 'up' ? ['up'] : [];
  }, 10_000);
  t.same(result, [], `worker ${first} is seen suspect`);
  const read = await db.get('lonely', { r: 3 });
  t.same(read.values, [], 'r = n is met by a stand-in, and nothing is read from the isolated store');
  t.same((await db.get('lonely', { r: 1 })).values, [], 'nor with r = 1');

  // Negative control: once healed, the same get reads the first replica's value.
  db.faults.heal(first);
  const healed = await eventually(async () => {
    const got = await db.get('lonely', { r: 3 }).catch(() => ({ values: [] }));
    return got.values.some((v) => v.toString() === 'only on the first') ? [] : ['not yet'];
  }, 10_000);
  t.same(healed.result, [], 'after heal the value is read (so the check above could fail)');
});

t.test('30 concurrent read-modify-write writers on one key lose no acknowledged value', async (t) => {
  const db = await open({ dir: freshDir(t, 'read-rmw'), workers: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => db.close());
  const acked: { value: string; written: string }[] = [];
  const basedOn: string[] = [];
  await Promise.all(
    Array.from({ length: 30 }, async (_, writer) => {
      for (let round = 0; round < 8; round++) {
        const value = `w${writer}-r${round}`;
        const { context } = await db.get('rmw');
        const written = await db.put('rmw', value, { context });
        acked.push({ value, written: written.context });
        basedOn.push(context);
      }
    }),
  );
  const final = await db.get('rmw', { r: 3 });
  const present = new Set(final.values.map(String));
  const seen = basedOn.filter((context) => context !== '').map(decodeContext);
  const lost = acked.filter(
    (write) =>
      !present.has(write.value) && !seen.some((context) => descends(context, decodeContext(write.written))),
  );
  t.same(lost, [], 'each acknowledged value is a sibling, or a later put was based on a read that saw it');
  t.ok(final.values.length >= 1 && final.values.length <= 30, `${final.values.length} sibling(s) remain`);
});
