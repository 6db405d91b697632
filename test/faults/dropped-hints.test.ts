// Goal: with every hint dropped, anti-entropy alone brings a worker that missed writes back into
// agreement. Method: isolate a worker (chosen by the seed) under a write load, prove the stand-ins
// hold hints, drop them through the HTTP admin route and prove they are gone, heal, then watch the
// replicas agree with no hint delivered and anti-entropy's repair counter risen.
import t from 'tap';
import { seededRandom } from '../fixtures/ring-pattern.js';
import { testSeed } from '../fixtures/seed.js';
import { startStack } from '../fixtures/stack.js';
import { counter, counterSum, divergentKeys, eventually, lostWrites, waitFor } from './checkers.js';
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
  const own = (await db.stats()).workers[target]?.counters;
  db.faults.isolate(target);
  const detected = await waitFor(() => db.health()[target]?.health === 'suspect', 5_000);
  t.ok(detected.held, `worker ${target} is suspected (after ${detected.ms} ms)`);
  if (!detected.held) {
    await load.stop();
    return;
  }
  await load.moreAcks(300);
  const { acked } = await load.stop();
  // One stats call while the worker is cut off: each waits out the request timeout on it.
  const cut = (await db.stats()).workers;
  const hinted = counterSum(cut, 'hintsPending');
  t.ok(hinted > 0, `stand-ins hold ${hinted} hints for the cut-off worker`);
  // The cut-off worker does not answer: its own counters come from before the fault.
  const repairsBefore = counterSum(cut, 'antiEntropyRepairs') + (own?.antiEntropyRepairs ?? 0);
  const deliveredBefore = counterSum(cut, 'hintsDelivered') + (own?.hintsDelivered ?? 0);

  t.equal(
    (await fetch(`${http}/admin/hints/drop`, { method: 'POST' })).status,
    204,
    'POST /admin/hints/drop answers 204',
  );
  t.equal(await counter(db, 'hintsPending'), 0, 'no hint is pending after the drop');
  db.faults.heal(target);

  const { result, ms } = await eventually(() => divergentKeys(db, acked.keys()), 45_000);
  t.same(result, [], `every replica agrees ${ms} ms after heal`);
  t.equal(await counter(db, 'hintsDelivered'), deliveredBefore, 'no hint was delivered: they were gone');
  const repaired = (await counter(db, 'antiEntropyRepairs')) - repairsBefore;
  // Each dropped hint stood for a write the healed worker lacks; only anti-entropy can bring it.
  t.ok(repaired >= hinted, `anti-entropy repaired ${repaired} keys (${hinted} hints were dropped)`);
  t.same(await lostWrites(db, acked), [], 'every acknowledged write reads back');
});
