// Goal: a worker that dies is started again after a backoff, on its own data, as the same worker
// (same worker id, its versions still there), in a new thread, as often as it dies; a worker that
// keeps failing to start is retried with a doubling backoff. Method: kill workers, time the gaps
// between death and restarts (lower bounds only), and read their own storage.
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

t.test(
  'a worker that keeps failing to start is retried with a doubling backoff, then comes back as itself',
  async (t) => {
    const { db } = await startStack(t, 'fault-respawn-backoff', { workers: 3, n: 3, r: 2, w: 2 });
    const target = 2;
    const workerId = db.workerIds[target];
    // Its data directory replaced by a file: each start fails while opening storage.
    const home = join(db.config.dir, `worker-${target}`);
    renameSync(home, `${home}.away`);
    writeFileSync(home, 'not a directory');
    db.faults.kill(target);
    const seenAt: number[] = [];
    const attempts = 4;
    const watched = await waitFor(
      async () => {
        const respawns = (await db.stats()).workers[target]?.respawns ?? 0;
        while (seenAt.length < respawns) seenAt.push(Date.now());
        return respawns >= attempts;
      },
      15_000,
      5,
    );
    t.ok(watched.held, `${attempts} starts were tried while its storage could not open`);
    t.equal(db.health()[target]?.health, 'down', 'it stays down meanwhile');
    const gaps = seenAt.slice(1).map((at, i) => at - (seenAt[i] as number));
    t.comment(`gaps between tries: ${gaps.join(', ')} ms`);
    // Each try waits at least the backoff, which doubles: 200, 400, 800 ms after the first try.
    gaps.forEach((gap, i) => {
      const backoff = RESPAWN_BACKOFF_MS_MIN * 2 ** (i + 1);
      t.ok(gap >= backoff - 20, `try ${i + 2} came ${gap} ms after try ${i + 1} (backoff ${backoff} ms)`);
    });
    rmSync(home);
    renameSync(`${home}.away`, home);
    const up = await waitFor(() => db.health()[target]?.health === 'up', 10_000);
    t.ok(up.held, `with its storage back it starts (after ${up.ms} ms)`);
    t.equal(db.workerIds[target], workerId, 'as the same worker id');
  },
);
