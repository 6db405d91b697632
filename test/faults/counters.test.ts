// Goal: INCR on one key never loses an acknowledged increment, also when its coordinator is
// killed mid-run and other workers coordinate meanwhile. Method: 20 ioredis clients (default
// settings) each send 500 INCRs one after the other at n=3 w=2 on four workers; after 2,000
// acknowledgements the key's coordinator is killed through the HTTP admin route. An INCR in
// flight on the killed worker fails (TIMEOUT, "may or may not have been applied") and is not
// retried, so the final value is the acknowledged count plus those of the failed ones that had
// reached W replicas: between acked and acked + failed, and exactly acked when none failed.
import { Redis } from 'ioredis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';
import { counterSum, divergentKeys, eventually, waitFor } from './checkers.js';

const WORKERS = 4;
const CLIENTS = 20;
const INCRS_PER_CLIENT = 500;
const KILL_AFTER_ACKS = 2_000;
const KEY = 'counter:hits';

t.test(
  '20 clients x 500 INCR with the coordinator killed mid-run count every acknowledged increment',
  async (t) => {
    const stack = await startStack(t, 'fault-counters', {
      workers: WORKERS,
      n: 3,
      r: 2,
      w: 2,
      requestTimeoutMs: 2000,
    });
    const { db, http } = stack;
    const coordinator = db.preferenceList(db.place('default', KEY).partition, 3)[0] as number;
    t.comment(`the key's coordinator is worker ${coordinator}`);
    const before = await db.stats();

    let acked = 0;
    const failures: string[] = [];
    let killed: Promise<void> | null = null;
    const kill = async () => {
      const answer = await fetch(`${http}/admin/workers/${coordinator}/kill`, { method: 'POST' });
      t.equal(answer.status, 204, `POST /admin/workers/${coordinator}/kill answers 204`);
    };
    const clients = Array.from({ length: CLIENTS }, () => new Redis(stack.port, '127.0.0.1'));
    t.teardown(() => {
      for (const client of clients) client.disconnect();
    });
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < INCRS_PER_CLIENT; i++) {
          try {
            await client.incr(KEY);
            acked++;
          } catch (error) {
            failures.push((error as Error).message);
          }
          if (acked >= KILL_AFTER_ACKS && killed === null) killed = kill();
        }
      }),
    );
    await killed;
    t.comment(`${acked} INCRs acknowledged, ${failures.length} failed`);
    for (const message of new Set(failures)) t.comment(`failure: ${message}`);
    t.equal(acked + failures.length, CLIENTS * INCRS_PER_CLIENT, 'every INCR was answered');
    t.ok(
      failures.every((message) => /may or may not have been applied/.test(message)),
      'every failure says the increment may or may not have counted',
    );

    const respawned = await waitFor(
      async () => {
        const worker = (await db.stats()).workers[coordinator];
        return worker !== undefined && worker.respawns === 1 && worker.health === 'up';
      },
      15_000,
      50,
    );
    t.ok(respawned.held, `the killed coordinator was respawned (after ${respawned.ms} ms)`);
    const after = await db.stats();
    const others = after.workers.filter(
      (worker) =>
        worker.worker !== coordinator &&
        (worker.counters?.coordinatedPuts ?? 0) >
          (before.workers[worker.worker]?.counters?.coordinatedPuts ?? 0),
    );
    t.ok(
      others.length > 0,
      `other workers coordinated INCRs while it was down (${others.map((w) => w.worker)})`,
    );
    t.ok(counterSum(after.workers, 'coordinatedPuts') > 0);

    const reader = clients[0] as Redis;
    const value = Number(await reader.get(KEY));
    t.comment(`final value ${value}: ${value - acked} of the ${failures.length} failed INCRs had counted`);
    t.ok(value >= acked, `no acknowledged increment was lost (${value} >= ${acked})`);
    t.ok(
      value <= acked + failures.length,
      `no increment counted twice (${value} <= ${acked} + ${failures.length})`,
    );
    if (failures.length === 0) t.equal(value, CLIENTS * INCRS_PER_CLIENT, 'with no failure, exactly 10,000');

    const converged = await eventually(() => divergentKeys(db, [KEY]), 20_000);
    t.same(converged.result, [], `the replicas converge on one record (after ${converged.ms} ms)`);
    t.equal(Number(await reader.get(KEY)), value, 'and the value stays');
    t.equal(String(await reader.incrby(KEY, 5)), String(value + 5), 'INCRBY goes on from it');
  },
);
