// Goal: a saturated CPU does not make the failure detector suspect healthy workers, while a
// paused worker is still suspected within 2 s. Method: busy-looping threads beside a (3,2,2)
// write load on the embedded engine, every write's error and every health change counted;
// then a pause by fault injection, awaited as a health change with a bounded wait.
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { KvError, open } from '../../src/index.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const BUSY_THREADS = 4;
const WRITERS = 1000;
const WRITES = 20_000;
const SUSPECT_WITHIN_MS = 2_000;

/** Threads that spin until the shared flag is set, each taking a core's worth of CPU if it can. */
function startBusyLoops(count: number): { stop: () => Promise<void> } {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const source = `
    const { workerData, parentPort } = require('node:worker_threads');
    const flag = new Int32Array(workerData);
    parentPort.postMessage('spinning');
    let x = 0;
    while (Atomics.load(flag, 0) === 0) x++;
  `;
  const threads = Array.from(
    { length: count },
    () => new Worker(source, { eval: true, workerData: flag.buffer }),
  );
  let stopped: Promise<void> | null = null;
  return {
    stop: () => {
      Atomics.store(flag, 0, 1);
      stopped ??= Promise.all(
        threads.map((thread) => new Promise((resolve) => thread.once('exit', resolve))),
      ).then(() => {});
      return stopped;
    },
  };
}

const db = await open({ dir: freshDir(t, 'overload'), workers: 4, n: 3, r: 2, w: 2 });
t.teardown(() => db.close());

/** Polls the detector's view (no round trip) until `worker` has `health`, or `withinMs` passes. */
async function awaitHealth(worker: number, health: 'up' | 'suspect', withinMs: number): Promise<number> {
  const started = performance.now();
  while (db.health()[worker]?.health !== health) {
    if (performance.now() - started > withinMs) return Number.POSITIVE_INFINITY;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

t.test('with the CPU saturated, a (3,2,2) write load meets no QUORUM or TIMEOUT', async (t) => {
  const busy = startBusyLoops(BUSY_THREADS);
  t.teardown(busy.stop);
  const errors = new Map<string, number>();
  const suspicions: string[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: WRITERS }, async () => {
      while (next < WRITES) {
        const i = next++;
        try {
          await db.put(`overload:${i}`, `value-${i}`);
        } catch (error) {
          const code = error instanceof KvError ? error.code : 'other';
          errors.set(code, (errors.get(code) ?? 0) + 1);
        }
        for (const { worker, health } of db.health()) {
          if (health !== 'up') suspicions.push(`worker ${worker} ${health} after write ${i}`);
        }
      }
    }),
  );
  await busy.stop();
  t.comment(`${WRITES} writes in ${Math.round(performance.now() - started)} ms`);
  t.same(Object.fromEntries(errors), {}, 'no write failed');
  t.same(suspicions.slice(0, 5), [], 'no worker was suspected');
});

t.test('a paused worker is suspected within 2 s, and up again after heal', async (t) => {
  db.faults.pause(1);
  const suspectedAfterMs = await awaitHealth(1, 'suspect', SUSPECT_WITHIN_MS + 1_000);
  db.faults.heal(1);
  t.ok(suspectedAfterMs < SUSPECT_WITHIN_MS, `suspected after ${Math.round(suspectedAfterMs)} ms`);
  t.ok((await awaitHealth(1, 'up', 5_000)) < 5_000, 'up again after heal');
});
