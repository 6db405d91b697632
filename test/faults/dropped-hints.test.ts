// Goal: with every hint dropped, anti-entropy alone brings a worker that missed writes back into
// agreement. Method: isolate a worker (chosen by the seed) under a write load, prove the stand-ins
// hold hints, drop them through the HTTP admin route and prove they are gone, heal, then watch the
// replicas agree with no hint delivered and anti-entropy's repair counter risen.
import t from 'tap';
import { seededRandom } from '../fixtures/ring-pattern.js';
import { testSeed } from '../fixtures/seed.js';
import { startStack } from '../fixtures/stack.js';
import { counter, divergentKeys, eventually, lostWrites, waitFor } from './checkers.js';
import { WriteLoad } from './load.js';

const WORKERS = 4;

t.test('with hints dropped, anti-entropy alone brings the replicas into agreement', async (t) => {
  const target = Math.floor(seededRandom(testSeed(t))() * WORKERS);
  t.comment(`isolate worker ${target}`);
  const stack = await startStack(t, 'fault-ae', {
    workers: WORKERS,
    n: 3,
    r: 2,
    w: 2,
    requestTimeoutMs: 2000,
  });
  const { db, http } = stack;
  const load = new WriteLoad(stack.port, 'ae');
  await load.moreAcks(100);
  db.faults.isolate(target);
  const detected = await waitFor(() => db.health()[target]?.health === 'suspect', 5_000);
  t.ok(detected.held, `worker ${target} is suspected (after ${detected.ms} ms)`);
  await load.moreAcks(300);
  const { acked } = await load.stop();
  const hinted = await counter(db, 'hintsPending');
  t.ok(hinted > 0, `stand-ins hold ${hinted} hints for the cut-off worker`);
  const repairsBefore = await counter(db, 'antiEntropyRepairs');
  const deliveredBefore = await counter(db, 'hintsDelivered');

  t.equal(
    (await fetch(`${http}/admin/hints/drop`, { method: 'POST' })).status,
    204,
    'POST /admin/hints/drop answers 204',
  );
  t.equal(await counter(db, 'hintsPending'), 0, 'no hint is pending after the drop');
  db.faults.heal(target);

  const { result, ms } = await eventually(() => divergentKeys(db, acked.keys()), 30_000);
  t.same(result, [], `every replica agrees ${ms} ms after heal`);
  t.equal(await counter(db, 'hintsDelivered'), deliveredBefore, 'no hint was delivered: they were gone');
  const repaired = (await counter(db, 'antiEntropyRepairs')) - repairsBefore;
  // Each dropped hint stood for a write the healed worker lacks; only anti-entropy can bring it.
  t.ok(repaired >= hinted, `anti-entropy repaired ${repaired} keys (${hinted} hints were dropped)`);
  t.same(await lostWrites(db, acked), [], 'every acknowledged write reads back');
});
