// Goal: a killed worker costs no acknowledged write: it is respawned on its own data with the
// same worker id in a new thread, writes meanwhile go to stand-ins with hints, and the hints
// come home. Method: a write load at n=3 w=2 on four workers; the worker (chosen by the seed)
// is killed through the HTTP admin route; every step first proves the kill took effect.
import t from 'tap';
import { seededRandom } from '../fixtures/ring-pattern.js';
import { testSeed } from '../fixtures/seed.js';
import { startStack } from '../fixtures/stack.js';
import { counter, counterSum, divergentKeys, eventually, lostWrites, waitFor } from './checkers.js';
import { WriteLoad } from './load.js';

const WORKERS = 4;

t.test(
  'a killed worker is respawned as itself, loses no acknowledged write, and its hints come home',
  async (t) => {
    const target = Math.floor(seededRandom(testSeed(t))() * WORKERS);
    t.comment(`kill worker ${target}`);
    const stack = await startStack(t, 'fault-kill', {
      workers: WORKERS,
      n: 3,
      r: 2,
      w: 2,
      requestTimeoutMs: 2000,
    });
    const { db, http } = stack;
    const load = new WriteLoad(stack.port, 'kill');
    await load.moreAcks(200);
    const before = await db.stats();
    const was = before.workers[target];
    if (was === undefined) throw new Error(`no worker ${target}`);
    t.equal(was.respawns, 0, 'the worker has not been respawned yet');

    load.phase = 'killed';
    const killed = await fetch(`${http}/admin/workers/${target}/kill`, { method: 'POST' });
    t.equal(killed.status, 204, `POST /admin/workers/${target}/kill answers 204`);
    const down = await waitFor(() => db.health()[target]?.health === 'down', 5_000, 1);
    t.ok(down.held, `the worker is seen down (after ${down.ms} ms)`);
    if (!down.held) {
      await load.stop();
      return;
    }
    const respawned = await waitFor(
      async () => {
        const now = (await db.stats()).workers[target];
        return now !== undefined && now.respawns > was.respawns && now.health === 'up';
      },
      10_000,
      50,
    );
    t.ok(respawned.held, `the worker was respawned and is up (after ${respawned.ms} ms)`);
    const after = await db.stats();
    const now = after.workers[target];
    t.equal(now?.respawns, 1, 'its respawn count rose to 1');
    t.not(now?.threadId, was.threadId, 'it runs in a new thread');
    t.equal(now?.workerId, was.workerId, 'it kept its worker id (same data directory)');
    const hintsStored = counterSum(after.workers, 'hintsStored') - counterSum(before.workers, 'hintsStored');
    t.ok(hintsStored > 0, `stand-ins stored ${hintsStored} hints while it was down`);

    load.phase = 'respawned';
    await load.moreAcks(300);
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
    const serving = (await db.stats()).workers[target]?.counters;
    t.ok(
      (serving?.coordinatedPuts ?? 0) + (serving?.replicaWrites ?? 0) > 0,
      'the new thread serves writes (its fresh counters moved)',
    );
    const drained = await waitFor(async () => (await counter(db, 'hintsPending')) === 0, 10_000, 100);
    t.ok(drained.held, `every hint was handed off (after ${drained.ms} ms)`);
    t.ok((await counter(db, 'hintsDelivered')) > 0, 'hints were delivered');
    const converged = await eventually(() => divergentKeys(db, acked.keys()), 20_000);
    t.same(converged.result, [], `every replica agrees (after ${converged.ms} ms)`);
    t.same(await lostWrites(db, acked), [], 'every acknowledged write reads back at r=n');
  },
);
