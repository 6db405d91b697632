// Goal: tombstones are purged once every worker holds them and the grace period has passed,
// never while a hint is pending, and deleted keys stay deleted. Method: the embedded engine
// with a short grace; records on disk counted by LMDB (stats), waited on, not timed.
import t from 'tap';
import { open } from '../../src/index.js';
import type { Db } from '../../src/main/db.js';
import { eventually } from '../faults/checkers.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const GRACE_MS = 300;

async function counters(
  db: Db,
): Promise<{ records: number; tombstones: number; purged: number; hints: number }> {
  const { workers } = await db.stats();
  let records = 0;
  let tombstones = 0;
  let purged = 0;
  let hints = 0;
  // A paused worker does not answer: it counts as nothing.
  for (const { counters } of workers) {
    records += counters?.records ?? 0;
    tombstones += counters?.tombstones ?? 0;
    purged += counters?.tombstonesPurged ?? 0;
    hints += counters?.hintsPending ?? 0;
  }
  return { records, tombstones, purged, hints };
}

/** Deleted keys of which some worker still holds a record, tombstone or not. */
const keysOnDisk = (db: Db, keys: readonly string[]) => async () => {
  const held: string[] = [];
  for (const key of keys) if ((await db.explain(key)).replicas.length > 0) held.push(key);
  return held;
};

t.test('deleted keys leave no records once the grace period has passed', async (t) => {
  const db = await open({
    dir: freshDir(t, 'purge'),
    workers: 4,
    n: 3,
    r: 2,
    w: 2,
    tombstoneGraceMs: GRACE_MS,
  });
  t.teardown(() => db.close());
  const keys = Array.from({ length: 300 }, (_, i) => `key-${i}`);
  await Promise.all(keys.map((key) => db.put(key, `value-${key}`)));
  const written = (await counters(db)).records;
  t.ok(written >= 300 * 3, `${written} records: each key on its replicas (and a stand-in's copy under load)`);
  const doomed = keys.slice(0, 200);
  const never = Array.from({ length: 50 }, (_, i) => `never-${i}`);
  await Promise.all([...doomed, ...never].map((key) => db.delete(key, { replace: true })));
  // Purging may already have begun: what is on disk plus what was purged counts every tombstone.
  // Waited on: with w = 2 the third replica of a delete may commit after the delete returned.
  const missingDeletes = await eventually(async () => {
    const deleted = await counters(db);
    const short = written + 50 * 3 - (deleted.records + deleted.purged);
    return short > 0 ? [`${short} tombstones short`] : [];
  }, 10_000);
  t.same(missingDeletes.result, [], 'a delete of a missing key writes tombstones too');

  const { result, ms } = await eventually(keysOnDisk(db, [...doomed, ...never]), 30_000);
  t.same(result, [], `no worker holds a record of a deleted key (after ${ms} ms)`);
  const after = await counters(db);
  t.ok(after.purged >= 250 * 3, `${after.purged} tombstones purged`);
  t.ok(after.records <= written - 200 * 3, `${after.records} records left of ${written}`);
  t.equal(after.tombstones, 0, 'no record holds tombstones only: every record left is live');
  const read = await Promise.all(keys.map((key) => db.get(key)));
  t.same(
    read.flatMap((got, i) => (i < 200 ? got.values.map(String) : [])),
    [],
    'deleted keys stay deleted',
  );
  t.same(
    read.slice(200).map((got) => got.values.map(String)),
    keys.slice(200).map((key) => [`value-${key}`]),
    'live keys keep their values',
  );
});

t.test(
  "no tombstone is purged while the hints' owner is down, and all are purged after handoff",
  async (t) => {
    const db = await open({
      dir: freshDir(t, 'purge-hints'),
      workers: 4,
      n: 3,
      r: 2,
      w: 2,
      tombstoneGraceMs: GRACE_MS,
      requestTimeoutMs: 1000,
    });
    t.teardown(() => db.close());
    const keys = Array.from({ length: 120 }, (_, i) => `hinted-${i}`);
    await Promise.all(keys.map((key) => db.put(key, 'v', { w: 3 })));
    db.faults.pause(1);
    const suspect = await eventually(async () => {
      const health = db.health().find((h) => h.worker === 1)?.health;
      return health === 'up' ? ['up'] : [];
    }, 10_000);
    t.same(suspect.result, [], 'worker 1 is seen suspect');
    await Promise.all(keys.map((key) => db.delete(key, { replace: true })));
    const hinted = await counters(db);
    t.ok(hinted.hints > 0, `${hinted.hints} hints wait for worker 1`);
    // Ten grace periods and ten purge intervals pass: nothing may be purged meanwhile.
    await new Promise((resolve) => setTimeout(resolve, Math.max(10 * GRACE_MS, 3_000)));
    t.equal((await counters(db)).purged, 0, 'no tombstone was purged while hints were pending');
    db.faults.heal(1);
    const { result, ms } = await eventually(keysOnDisk(db, keys), 30_000);
    t.same(
      result,
      [],
      `after handoff every tombstone, the stand-ins' copies too, is purged (after ${ms} ms)`,
    );
    const read = await Promise.all(keys.map((key) => db.get(key, { r: 3 })));
    t.same(
      read.flatMap((got) => got.values.map(String)),
      [],
      'nothing came back',
    );
  },
);

t.test('within the grace period tombstones stay (negative control of the record count)', async (t) => {
  const db = await open({ dir: freshDir(t, 'purge-grace'), workers: 3, n: 3, r: 2, w: 2 });
  t.teardown(() => db.close());
  await Promise.all(['a', 'b', 'c'].map((key) => db.put(key, 'v', { w: 3 })));
  await Promise.all(['a', 'b'].map((key) => db.delete(key, { replace: true, w: 3 })));
  await new Promise((resolve) => setTimeout(resolve, 2_500));
  const { records, purged } = await counters(db);
  t.equal(records, 3 * 3, 'tombstones count as records until purged');
  t.equal((await counters(db)).tombstones, 2 * 3, 'and are counted as tombstones');
  t.equal(purged, 0);
});
