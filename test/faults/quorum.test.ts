// Goal: a write is acknowledged only once W replicas committed it, and a request that cannot
// reach its quorum fails with the code that says why: TIMEOUT while a replica hangs unseen,
// QUORUM once the failure detector routes around it. Method: three workers (no stand-ins), one
// replica paused, a short request timeout; the embedded API and RESP (VPUT and VDEL with W).
import { Redis } from 'ioredis';
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
    const stack = await startStack(t, 'fault-quorum', {
      workers: 3,
      n: 3,
      r: 2,
      w: 2,
      requestTimeoutMs: 300,
    });
    const { db } = stack;
    const redis = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
    t.teardown(() => redis.disconnect());
    const { preferenceList } = await db.explain('k');
    const hung = preferenceList[2] as number;
    await db.put('k', 'v0', { w: 3 });
    const [context] = (await redis.call('VGET', 'k')) as [string];
    db.faults.pause(hung);
    t.equal(db.health()[hung]?.health, 'up', 'the paused worker is not suspected yet');
    // At once, so all of them time out before the failure detector notices the hung worker.
    const reply = (call: Promise<unknown>) =>
      call.then(
        () => 'ok',
        (error: Error) => error.message,
      );
    const [put3, vput3, vdel3, put2, vdel2] = await Promise.all([
      code(db.put('k', 'v1', { w: 3 })),
      reply(redis.call('VPUT', 'k', '', 'v1', 'W', '3')),
      reply(redis.call('VDEL', 'k', context, 'W', '3')),
      code(db.put('k', 'v2', { w: 2 })),
      reply(redis.call('VDEL', 'k', '', 'W', '2')),
    ]);
    t.equal(put3, 'TIMEOUT', 'w=3 with one replica hung times out');
    t.match(vput3, /^TIMEOUT /, 'VPUT … W 3 answers -TIMEOUT');
    t.match(vdel3, /^TIMEOUT /, 'VDEL … W 3 answers -TIMEOUT: its W is honoured');
    t.equal(put2, 'resolved', 'w=2 is met by the two others');
    t.equal(vdel2, 'ok', 'VDEL … W 2 is met by the two others');
    const suspected = await waitFor(() => db.health()[hung]?.health === 'suspect', 5_000);
    t.ok(suspected.held, `the hung worker is suspected (after ${suspected.ms} ms): the pause took effect`);
    t.equal(
      await code(db.put('k', 'v3', { w: 3 })),
      'QUORUM',
      'w=3 with two reachable replicas fails with QUORUM',
    );
    t.equal(await code(db.get('k', { r: 3 })), 'QUORUM', 'r=3 likewise');
    await t.rejects(redis.call('VGET', 'k', 'R', '3'), /^QUORUM /, 'VGET … R 3 answers -QUORUM');
    const holders = (await db.explain('k')).replicas.map((replica) => replica.worker);
    t.notOk(holders.includes(hung), 'the hung worker answered nothing while paused');
    db.faults.heal(hung);
    const back = await waitFor(() => db.health()[hung]?.health === 'up', 5_000);
    t.ok(back.held, 'healed, it is up again');
    t.equal(await code(db.put('k', 'v4', { w: 3 })), 'resolved', 'w=3 succeeds again');
  },
);
