// Goal: an idle store runs no anti-entropy exchange once its replicas have agreed, and a write
// or a replica that missed writes and comes back still gets one. Method: the embedded engine
// (3 workers, 16 partitions, n=3); the workers' counters read through db.stats(), each wait
// bounded; a write made while one replica is isolated is repaired by anti-entropy alone.
import t from 'tap';
import { open } from '../../src/index.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const WAIT_MS_MAX = 20_000;

const db = await open({ dir: freshDir(t, 'ae-idle'), workers: 3, partitions: 16, n: 3, r: 2, w: 2 });
t.teardown(() => db.close());

interface Counters {
  started: number;
  skipped: number;
  repaired: number;
  /** Exchanges this worker starts per round: each partition it owns with each other replica. */
  duties: number;
}

async function counters(): Promise<Counters[]> {
  const stats = await db.stats();
  return stats.workers.map((worker) => ({
    started: worker.counters?.antiEntropyExchangesStarted ?? 0,
    skipped: worker.counters?.antiEntropyExchangesSkipped ?? 0,
    repaired: worker.counters?.antiEntropyKeysRepaired ?? 0,
    duties: worker.partitionsOwned * (db.props.n - 1),
  }));
}

/** Reads the counters until `done` holds for them (or the bound passes); returns the last read. */
async function until(done: (now: Counters[]) => boolean): Promise<Counters[]> {
  const started = performance.now();
  for (;;) {
    const now = await counters();
    if (done(now) || performance.now() - started > WAIT_MS_MAX) return now;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const sum = (all: Counters[], field: keyof Counters) => all.reduce((total, c) => total + c[field], 0);

t.test('once every pair has agreed, an idle store starts no exchange', async (t) => {
  // Every duty found unchanged at least once: the first round ran and agreed everywhere.
  // (Without skipping, the exchanges would go on: give up on seeing three rounds of them.)
  const agreed = await until((now) => now.every((c) => c.skipped >= c.duties || c.started >= 3 * c.duties));
  t.ok(
    agreed.every((c) => c.skipped >= c.duties),
    'every worker passed over each of its duties',
  );
  const before = agreed;
  // Two more passes over every duty, all skipped.
  const after = await until((now) =>
    now.every(
      (c, i) =>
        c.skipped >= (before[i] as Counters).skipped + 2 * c.duties ||
        c.started > (before[i] as Counters).started,
    ),
  );
  t.same(
    after.map((c) => c.started),
    before.map((c) => c.started),
    'no exchange started while nothing changed',
  );
  t.ok(
    after.every((c, i) => c.skipped >= (before[i] as Counters).skipped + 2 * c.duties),
    'every duty was considered twice more, and skipped',
  );
});

t.test('a write makes its partition be compared again', async (t) => {
  const before = await counters();
  await db.put('ae-idle:written', 'v');
  const after = await until((now) => sum(now, 'started') > sum(before, 'started'));
  t.ok(sum(after, 'started') > sum(before, 'started'), 'an exchange started after the write');
});

t.test('a replica that missed a write while cut off is repaired by anti-entropy after heal', async (t) => {
  const key = 'ae-idle:missed';
  const { preferenceList } = await db.explain(key);
  const cutOff = preferenceList[preferenceList.length - 1] as number;
  const before = await counters();
  db.faults.isolate(cutOff);
  await db.put(key, 'while-isolated', { w: 2 });
  db.faults.heal(cutOff);
  const after = await until((now) => sum(now, 'repaired') > sum(before, 'repaired'));
  t.ok(sum(after, 'repaired') > sum(before, 'repaired'), 'anti-entropy repaired a key');
  const explained = await db.explain(key);
  const replica = explained.replicas.find((r) => r.worker === cutOff);
  t.same(
    replica?.versions.map((v) => v.value?.toString()),
    ['while-isolated'],
    `worker ${cutOff} holds the write it missed`,
  );
});
