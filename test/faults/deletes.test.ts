// Goal: a DEL made while the first worker of the key's preference list is paused or killed
// stays deleted on every replica, and its reply counts the key. Method: SET keys through the
// RESP server, fault the worker that coordinates them, DEL them through the stand-in, heal,
// then read every replica at r = n until they agree; a negative control runs the same check on
// keys that were not deleted.
import { Redis } from 'ioredis';
import t from 'tap';
import type { Db } from '../../src/main/db.js';
import { startStack } from '../fixtures/stack.js';
import { eventually } from './checkers.js';

const KEYS = 240;

/** Keys whose preference list starts with `worker`: a fault there makes another worker coordinate. */
async function keysLedBy(db: Db, keys: readonly string[], worker: number): Promise<string[]> {
  const led: string[] = [];
  for (const key of keys) if ((await db.explain(key)).preferenceList[0] === worker) led.push(key);
  return led;
}

/** Keys that still hold any value (a sibling counts) when every replica is read. */
async function keysWithValues(db: Db, keys: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const key of keys) if ((await db.get(key, { r: db.props.n })).values.length > 0) found.push(key);
  return found;
}

/** Waits (bounded) until the detector's view of `worker` satisfies `wanted`; the wait in ms, or null. */
async function awaitHealth(
  db: Db,
  worker: number,
  wanted: (health: string) => boolean,
): Promise<number | null> {
  const { result, ms } = await eventually(async () => {
    const health = db.health().find((h) => h.worker === worker)?.health ?? 'down';
    return wanted(health) ? [] : [health];
  }, 10_000);
  return result.length === 0 ? ms : null;
}

for (const fault of ['pause', 'kill'] as const) {
  t.test(
    `keys deleted while their first worker is ${fault === 'kill' ? 'killed' : 'paused'} stay deleted on every replica`,
    async (t) => {
      const stack = await startStack(t, `deletes-${fault}`, {
        workers: 5,
        n: 3,
        r: 2,
        w: 2,
        requestTimeoutMs: 2000,
      });
      const { db } = stack;
      const client = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
      t.teardown(() => client.quit());
      const keys = Array.from({ length: KEYS }, (_, i) => `${fault}:${i}`);
      const set = await Promise.all(keys.map((key) => client.set(key, `v-${key}`)));
      t.ok(
        set.every((reply) => reply === 'OK'),
        `${KEYS} keys set`,
      );
      const faulted = 1;
      const led = await keysLedBy(db, keys, faulted);
      t.ok(led.length >= 20, `${led.length} keys have worker ${faulted} first`);
      const doomed = led.slice(0, Math.ceil(led.length / 2));
      const kept = led.slice(doomed.length);

      const respawnsBefore = (await db.stats()).workers[faulted]?.respawns ?? 0;
      db.faults[fault](faulted);
      const seen = await awaitHealth(db, faulted, (health) => health !== 'up');
      t.not(
        seen,
        null,
        `worker ${faulted} is seen ${fault === 'kill' ? 'down' : 'suspect'} (after ${seen} ms)`,
      );
      const deleted = await Promise.all(doomed.map((key) => client.del(key)));
      t.same(
        deleted.filter((count) => count !== 1),
        [],
        'DEL through a stand-in coordinator counts every key it deleted',
      );
      if (fault === 'pause') db.faults.heal(faulted);
      const back = await awaitHealth(db, faulted, (health) => health === 'up');
      t.not(back, null, `worker ${faulted} is up again (after ${back} ms)`);
      if (fault === 'kill') {
        const after = await db.stats();
        t.ok((after.workers[faulted]?.respawns ?? 0) > respawnsBefore, 'the killed worker was respawned');
      }

      const read = await Promise.all(doomed.map((key) => client.get(key)));
      t.same(
        read.filter((value) => value !== null),
        [],
        'GET answers nil for every deleted key',
      );
      const { result, ms } = await eventually(() => keysWithValues(db, doomed), 30_000);
      t.same(result, [], `no deleted key holds a value on any replica (after ${ms} ms)`);
      // Negative control: the same check on keys that were not deleted reports every one of them.
      t.same(await keysWithValues(db, kept), kept, 'the checker reports keys that do hold values');
      t.same(
        await Promise.all(kept.map((key) => client.get(key))),
        kept.map((key) => `v-${key}`),
        'keys not deleted keep their values',
      );
    },
  );
}
