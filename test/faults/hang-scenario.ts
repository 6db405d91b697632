// The scenario of pause.test.ts and isolate.test.ts: a write load at n=3 r=2 w=2 on four
// workers, one worker (chosen by the seed) paused or isolated through the HTTP admin route.
// Each step first proves the fault took effect, then checks what the store did about it.
import type { Test } from 'tap';
import { seededRandom } from '../fixtures/ring-pattern.js';
import { testSeed } from '../fixtures/seed.js';
import { startStack } from '../fixtures/stack.js';
import {
  counter,
  counterSum,
  divergentKeys,
  eventually,
  httpHealth,
  httpStats,
  lostWrites,
  waitFor,
} from './checkers.js';
import { WriteLoad } from './load.js';

const WORKERS = 4;
const DETECT_LIMIT_MS = 5_000;

export async function hangScenario(t: Test, fault: 'pause' | 'isolate'): Promise<void> {
  const random = seededRandom(testSeed(t));
  const target = Math.floor(random() * WORKERS);
  t.comment(`${fault} worker ${target}`);
  const stack = await startStack(t, `fault-${fault}`, {
    workers: WORKERS,
    n: 3,
    r: 2,
    w: 2,
    requestTimeoutMs: 2000,
  });
  const { db, http } = stack;
  const admin = (action: string) => fetch(`${http}/admin/workers/${target}/${action}`, { method: 'POST' });
  const load = new WriteLoad(stack.port, fault);
  await load.moreAcks(200);
  const before = await db.stats();
  t.equal(counterSum(before.workers, 'hintsPending'), 0, 'no hints are pending before the fault');

  t.equal((await admin(fault)).status, 204, `POST /admin/workers/${target}/${fault} answers 204`);
  const detected = await waitFor(() => db.health()[target]?.health === 'suspect', DETECT_LIMIT_MS);
  t.ok(detected.held, `the failure detector suspects worker ${target} (after ${detected.ms} ms)`);
  if (!detected.held) {
    await load.stop();
    return;
  }
  load.phase = 'detected';
  const health = await httpHealth(http);
  t.equal(health.body.workers.states[target], 'suspect', '/health shows the worker suspect');
  t.equal(health.body.status, 'degraded', '/health says degraded');
  const during = await httpStats(http);
  t.equal(during.workers[target]?.health, 'suspect', '/stats shows the worker suspect');
  t.equal(during.workers[target]?.counters, null, 'the worker does not answer for its counters');

  await load.moreAcks(300);
  // One stats call while the worker hangs: each waits out the request timeout on it.
  const faulted = (await db.stats()).workers;
  const hinted = counterSum(faulted, 'hintsPending');
  const stored = counterSum(faulted, 'hintsStored') - counterSum(before.workers, 'hintsStored');
  t.ok(hinted > 0, `stand-ins hold ${hinted} hints for worker ${target}`);
  t.ok(stored >= hinted, `${stored} hints were stored during the fault`);

  const deliveredBefore = counterSum(faulted, 'hintsDelivered');
  t.equal((await admin('heal')).status, 204, 'heal answers 204');
  const back = await waitFor(() => db.health()[target]?.health === 'up', DETECT_LIMIT_MS);
  t.ok(back.held, `worker ${target} is up again (after ${back.ms} ms)`);
  load.phase = 'healed';
  await load.moreAcks(100);
  const { acked, failures } = await load.stop();
  t.comment(
    `${acked.size} writes acknowledged, ${failures.length} failed (${failures.map((f) => f.code).join(' ')})`,
  );
  // Writes in flight on the worker when the fault hit, and those routed to it before the
  // failure detector noticed, move to another coordinator (failover): none fails.
  t.same(
    failures.map((f) => `${f.key}: ${f.code} (${f.phase})`),
    [],
    'no write failed, not even one in flight on the faulty worker',
  );

  const drained = await waitFor(async () => (await counter(db, 'hintsPending')) === 0, 20_000, 100);
  t.ok(drained.held, `every hint was handed off (after ${drained.ms} ms)`);
  const delivered = (await counter(db, 'hintsDelivered')) - deliveredBefore;
  t.ok(delivered >= hinted, `${delivered} hints were delivered to worker ${target} (${hinted} were pending)`);
  const converged = await eventually(() => divergentKeys(db, acked.keys()), 45_000);
  t.same(converged.result, [], `every replica agrees (after ${converged.ms} ms)`);
  t.same(await lostWrites(db, acked), [], 'every acknowledged write reads back at r=n');
}
