// Goal: a read at R=N repairs every replica that answered with something older or nothing, and
// counts it. Method: three workers, so a write made while two replicas are suspected lands on one
// worker alone (no stand-in exists to hold a hint); heal, prove the replicas differ, read, and
// watch the replicas agree, with the readRepairs counter of gets (served by the main thread)
// risen by the two it fixed.
import t from 'tap';
import { startStack } from '../fixtures/stack.js';
import { divergentKeys, waitFor } from './checkers.js';

t.test('a read repairs the replicas that missed a write and counts each repair', async (t) => {
  const { db } = await startStack(t, 'fault-read-repair', { workers: 3, n: 3, r: 1, w: 1 });
  const { preferenceList } = await db.explain('stale');
  const [owner, holder, third] = preferenceList as [number, number, number];
  // Cut off the owner and the third replica: the write's only target is the middle one.
  for (const worker of [owner, third]) db.faults.isolate(worker);
  const suspected = await waitFor(
    () => [owner, third].every((w) => db.health()[w]?.health === 'suspect'),
    5_000,
  );
  t.ok(suspected.held, `workers ${owner} and ${third} are suspected`);
  await db.put('stale', 'fresh', { w: 1 });
  for (const worker of [owner, third]) db.faults.heal(worker);
  const back = await waitFor(() => db.health().every((w) => w.health === 'up'), 5_000);
  t.ok(back.held, 'every worker is up again');
  const holders = (await db.explain('stale')).replicas.map((replica) => replica.worker);
  t.same(holders, [holder], `only worker ${holder} holds the write before the read`);

  const repairsBefore = (await db.stats()).readRepairs;
  const { values } = await db.get('stale', { r: 3 });
  t.same(values.map(String), ['fresh'], 'the read at R=3 returns the value one replica held');
  const agreed = await waitFor(async () => (await divergentKeys(db, ['stale'])).length === 0, 5_000);
  t.ok(agreed.held, `every replica holds the write after the read (after ${agreed.ms} ms)`);
  t.equal((await db.stats()).readRepairs - repairsBefore, 2, 'two read repairs were counted');
});
