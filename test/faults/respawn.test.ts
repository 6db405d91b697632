// Goal: a worker that dies is started again after a backoff, on its own data, as the same worker
// (same worker id, its versions still there), in a new thread, as often as it dies. Method: kill
// one worker twice, timing the gap between its death and its restart, and read its own storage.
import t from 'tap';
import { RESPAWN_BACKOFF_MS_MIN } from '../../src/constants.js';
import { startStack } from '../fixtures/stack.js';
import { waitFor } from './checkers.js';

t.test('a killed worker is respawned after the backoff, as itself, on its own data, each time', async (t) => {
  const { db } = await startStack(t, 'fault-respawn', { workers: 3, n: 3, r: 2, w: 2 });
  const target = 1;
  await db.put('kept', 'before', { w: 3 });
  const first = (await db.stats()).workers[target];
  const threads = new Set([first?.threadId]);
  for (let round = 1; round <= 2; round++) {
    db.faults.kill(target);
    const down = await waitFor(() => db.health()[target]?.health === 'down', 5_000, 1);
    t.ok(down.held, `round ${round}: the worker is down`);
    const diedAt = Date.now();
    const restarted = await waitFor(
      async () => ((await db.stats()).workers[target]?.respawns ?? 0) >= round,
      10_000,
      5,
    );
    const gapMs = Date.now() - diedAt;
    t.ok(restarted.held, `round ${round}: a respawn was counted`);
    t.ok(gapMs >= RESPAWN_BACKOFF_MS_MIN - 10, `round ${round}: it waited out the backoff (${gapMs} ms)`);
    const up = await waitFor(() => db.health()[target]?.health === 'up', 10_000);
    t.ok(up.held, `round ${round}: it is up again`);
    const now = (await db.stats()).workers[target];
    t.equal(now?.respawns, round, `round ${round}: respawns is ${round}`);
    t.equal(now?.workerId, first?.workerId, `round ${round}: same worker id`);
    threads.add(now?.threadId);
  }
  t.equal(threads.size, 3, 'each life ran in its own thread');
  const mine = (await db.explain('kept')).replicas.find((replica) => replica.worker === target);
  t.same(
    mine?.versions.map((v) => v.value?.toString()),
    ['before'],
    'the respawned worker still holds what it stored before',
  );
});
