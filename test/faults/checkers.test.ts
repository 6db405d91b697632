// Goal: the checkers the fault tests rely on can fail: a lost write and a diverged replica are
// reported (negative control). Method: make each happen on purpose and run the same checker.
import t from 'tap';
import { startStack } from '../fixtures/stack.js';
import { divergentKeys, lostWrites, waitFor } from './checkers.js';

t.test('the checkers catch a lost write and a diverged replica (negative control)', async (t) => {
  const stack = await startStack(t, 'fault-control', { workers: 3, n: 3, r: 1, w: 1 });
  const { db } = stack;
  const acked = new Map([
    ['kept', 'a'],
    ['lost', 'b'],
  ]);
  await db.put('kept', 'a', { w: 3 });
  t.same(await lostWrites(db, acked), ['lost'], 'a write that never happened is reported lost');
  // With two replicas cut off and suspected, a w=1 write lands on the third alone (three
  // workers: there is no stand-in to hold a hint). The cut-off ones are the partition's owner
  // and the last replica, so anti-entropy (started by the owner, which holds nothing either)
  // does not repair the key before the checker looks.
  const [owner, holder, last] = (await db.explain('lonely')).preferenceList as [number, number, number];
  const others = [owner, last];
  for (const worker of others) db.faults.isolate(worker);
  const suspected = await waitFor(() => others.every((w) => db.health()[w]?.health === 'suspect'), 5_000);
  t.ok(suspected.held, 'the cut-off replicas are suspected');
  await db.put('lonely', 'x', { w: 1 });
  for (const worker of others) db.faults.heal(worker);
  const back = await waitFor(() => others.every((w) => db.health()[w]?.health === 'up'), 5_000);
  t.ok(back.held, 'they are up again');
  t.comment(`only worker ${holder} holds 'lonely'`);
  t.same(await divergentKeys(db, ['lonely', 'kept']), ['lonely'], 'a replica missing the write is reported');
});
