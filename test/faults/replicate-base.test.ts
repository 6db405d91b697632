// Goal: a replica stores a coordinator's record as it came only when it holds exactly the record
// the coordinator made it from; a replica that holds more (a version the coordinator never saw)
// merges, and keeps it. Method: four workers, n = 3. The key's first worker is paused, so a
// stand-in that holds nothing of the key coordinates the next write (made from no record) and
// sends it to the two other replicas, which hold the key's first value. Each replica is read
// (EXPLAIN) while the paused worker is still out, so anti-entropy has had nothing to repair from.
import t from 'tap';
import { open } from '../../src/index.js';
import { freshDir } from '../fixtures/tmp-dir.js';
import { waitFor } from './checkers.js';

t.test('a replica that holds a version its coordinator never saw keeps it', async (t) => {
  const db = await open({ dir: freshDir(t, 'replicate-base'), workers: 4, n: 3, r: 1, w: 3 });
  t.teardown(() => db.close());
  await db.put('cart', 'first');
  const { preferenceList } = await db.explain('cart');
  const [first, ...others] = preferenceList as [number, ...number[]];

  db.faults.pause(first);
  const suspect = await waitFor(() => db.health()[first]?.health !== 'up', 10_000);
  t.ok(suspect.held, `worker ${first} is seen suspect (after ${suspect.ms} ms)`);
  // Blind, so a sibling of 'first'; coordinated by the stand-in, which holds no record of the key.
  await db.put('cart', 'while-paused');
  const explained = await db.explain('cart');
  const stand = explained.replicas.filter((r) => !preferenceList.includes(r.worker));
  t.equal(stand.length, 1, 'a stand-in holds the write for the paused worker');
  for (const worker of others) {
    const replica = explained.replicas.find((r) => r.worker === worker);
    const values = (replica?.versions ?? []).map((v) => v.value?.toString()).sort();
    t.same(values, ['first', 'while-paused'], `worker ${worker} keeps the value the stand-in never saw`);
  }
  db.faults.heal(first);
  const read = await db.get('cart', { r: 3 });
  t.same(read.values.map(String).sort(), ['first', 'while-paused'], 'a read answers both siblings');
});
