// Goal: a write is acknowledged only once W replicas committed it, and a request that cannot
// reach its quorum fails with the code that says why: TIMEOUT while a replica hangs unseen,
// QUORUM once the failure detector routes around it. Method: three workers (no stand-ins), one
// replica paused, a short request timeout.
import t from 'tap';
import type { KvError } from '../../src/errors.js';
import { startStack } from '../fixtures/stack.js';
import { waitFor } from './checkers.js';

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: KvError) => error.code,
  );

t.test(
  'a write waits for W commits: TIMEOUT while a replica hangs, QUORUM once it is suspected',
  async (t) => {
    const { db } = await startStack(t, 'fault-quorum', {
      workers: 3,
      n: 3,
      r: 2,
      w: 2,
      requestTimeoutMs: 300,
    });
    const { preferenceList } = await db.explain('k');
    const hung = preferenceList[2] as number;
    await db.put('k', 'v0', { w: 3 });
    db.faults.pause(hung);
    t.equal(db.health()[hung]?.health, 'up', 'the paused worker is not suspected yet');
    t.equal(await code(db.put('k', 'v1', { w: 3 })), 'TIMEOUT', 'w=3 with one replica hung times out');
    t.equal(await code(db.put('k', 'v2', { w: 2 })), 'resolved', 'w=2 is met by the two others');
    const suspected = await waitFor(() => db.health()[hung]?.health === 'suspect', 5_000);
    t.ok(suspected.held, `the hung worker is suspected (after ${suspected.ms} ms): the pause took effect`);
    t.equal(
      await code(db.put('k', 'v3', { w: 3 })),
      'QUORUM',
      'w=3 with two reachable replicas fails with QUORUM',
    );
    t.equal(await code(db.get('k', { r: 3 })), 'QUORUM', 'r=3 likewise');
    const holders = (await db.explain('k')).replicas.map((replica) => replica.worker);
    t.notOk(holders.includes(hung), 'the hung worker answered nothing while paused');
    db.faults.heal(hung);
    const back = await waitFor(() => db.health()[hung]?.health === 'up', 5_000);
    t.ok(back.held, 'healed, it is up again');
    t.equal(await code(db.put('k', 'v4', { w: 3 })), 'resolved', 'w=3 succeeds again');
  },
);
