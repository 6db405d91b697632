// Goal: two writers racing on one key while its coordinator is down both survive as siblings.
// Method: kill the key's first preference-list worker, prove it is down, send both VPUTs with
// one context, prove the worker came back as itself, then read at R=3 (a failure fails the test).
import { Redis } from 'ioredis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';
import { waitFor } from './checkers.js';

t.test('two writers racing on one key during a kill both survive as siblings', async (t) => {
  const stack = await startStack(t, 'fault-race', { workers: 4, n: 3, r: 2, w: 2, requestTimeoutMs: 2000 });
  const { db } = stack;
  const a = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const b = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  t.teardown(() => {
    a.disconnect();
    b.disconnect();
  });
  await a.set('contested', 'base');
  const [context] = (await a.call('VGET', 'contested')) as string[];
  const { preferenceList } = await db.explain('contested');
  const first = preferenceList[0] as number;
  const before = (await db.stats()).workers[first];
  db.faults.kill(first);
  const down = await waitFor(() => db.health()[first]?.health === 'down', 5_000, 1);
  t.ok(down.held, `the key's coordinator, worker ${first}, is down (after ${down.ms} ms)`);
  const replies = await Promise.all([
    a.call('VPUT', 'contested', context ?? '', 'from-a'),
    b.call('VPUT', 'contested', context ?? '', 'from-b'),
  ]);
  t.equal(replies.length, 2, 'both writes were acknowledged while it was down');
  const back = await waitFor(() => db.health()[first]?.health === 'up', 10_000);
  t.ok(back.held, `worker ${first} is up again (after ${back.ms} ms)`);
  const after = (await db.stats()).workers[first];
  t.equal(after?.respawns, (before?.respawns ?? 0) + 1, 'it was respawned once');
  t.not(after?.threadId, before?.threadId, 'in a new thread');
  const [, ...values] = (await a.call('VGET', 'contested', 'R', '3')) as string[];
  t.same([...new Set(values)].sort(), ['from-a', 'from-b'], 'both concurrent values are kept as siblings');
});
