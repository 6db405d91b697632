// Goal: a killed, paused or isolated worker costs no acknowledged write, and the replicas
// agree again soon after it heals. Method: a write load through the RESP server (ioredis) at
// n=3 w=2, one fault at a time, then read every acknowledged key back and compare replicas.
import { Redis } from 'ioredis';
import t from 'tap';
import { startStack } from '../fixtures/stack.js';
import { divergentKeys, eventually, lostWrites } from './checkers.js';

type Fault = 'kill' | 'pause' | 'isolate';

interface LoadResult {
  acked: Map<string, string>;
  failed: number;
}

/** Writers SET fresh keys until `stop` resolves; every OK reply is recorded as acknowledged. */
async function writeLoad(port: number, prefix: string, stop: Promise<void>): Promise<LoadResult> {
  const acked = new Map<string, string>();
  let failed = 0;
  let done = false;
  stop.then(() => {
    done = true;
  });
  const clients = Array.from(
    { length: 8 },
    () => new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 }),
  );
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; !done; i++) {
        const key = `${prefix}:${c}:${i}`;
        const value = `v-${c}-${i}`;
        try {
          if ((await client.set(key, value)) === 'OK') acked.set(key, value);
        } catch (error) {
          failed++;
          if (process.env.RINGKV_DEBUG) console.error(String(error));
        }
      }
    }),
  );
  await Promise.all(clients.map((client) => client.quit()));
  return { acked, failed };
}

for (const fault of ['kill', 'pause', 'isolate'] as Fault[]) {
  t.test(
    `a worker hit by ${fault} loses no acknowledged write and the replicas converge after heal`,
    async (t) => {
      const stack = await startStack(t, `fault-${fault}`, {
        workers: 4,
        n: 3,
        r: 2,
        w: 2,
        requestTimeoutMs: 2000,
      });
      let release = () => {};
      const stop = new Promise<void>((resolve) => {
        release = resolve;
      });
      const load = writeLoad(stack.port, fault, stop);
      await new Promise((resolve) => setTimeout(resolve, 500));
      stack.db.faults[fault](1);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      stack.db.faults.heal(1);
      await new Promise((resolve) => setTimeout(resolve, 500));
      release();
      const { acked, failed } = await load;
      const total = acked.size + failed;
      t.ok(acked.size > 100, `${acked.size} writes acknowledged, ${failed} failed`);
      t.ok(
        failed / total <= 0.01,
        `at least 99% of writes succeeded (${((acked.size / total) * 100).toFixed(2)}%)`,
      );
      t.same(await lostWrites(stack.db, acked), [], 'every acknowledged write reads back');
      const { result, ms } = await eventually(() => divergentKeys(stack.db, acked.keys()), 15_000);
      t.same(result, [], `every replica agrees (after ${ms} ms)`);
    },
  );
}

t.test('the checkers catch a lost write and a diverged replica (negative control)', async (t) => {
  const stack = await startStack(t, 'fault-control', { workers: 3, n: 3, r: 1, w: 1 });
  const acked = new Map([
    ['kept', 'a'],
    ['lost', 'b'],
  ]);
  await stack.db.put('kept', 'a', { w: 3 });
  t.same(await lostWrites(stack.db, acked), ['lost'], 'a write that never happened is reported lost');
  // With the replicas cut off, a w=1 write lands on its coordinator alone.
  const { preferenceList } = await stack.db.explain('lonely');
  for (const worker of preferenceList.slice(1)) stack.db.faults.isolate(worker);
  await stack.db.put('lonely', 'x', { w: 1 });
  for (const worker of preferenceList.slice(1)) stack.db.faults.heal(worker);
  t.same(
    await divergentKeys(stack.db, ['lonely', 'kept']),
    ['lonely'],
    'a replica missing the write is reported',
  );
});

t.test('with hints dropped, anti-entropy alone brings the replicas into agreement', async (t) => {
  const stack = await startStack(t, 'fault-ae', { workers: 4, n: 3, r: 2, w: 2, requestTimeoutMs: 2000 });
  let release = () => {};
  const stop = new Promise<void>((resolve) => {
    release = resolve;
  });
  const load = writeLoad(stack.port, 'ae', stop);
  await new Promise((resolve) => setTimeout(resolve, 300));
  stack.db.faults.isolate(2);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  release();
  const { acked } = await load;
  const before = await stack.db.stats();
  const hinted = before.workers.reduce((sum, w) => sum + (w.counters?.hintsPending ?? 0), 0);
  t.ok(hinted > 0, `stand-ins hold ${hinted} hints for the cut-off worker`);
  await stack.db.faults.dropHints();
  stack.db.faults.heal(2);
  const { result, ms } = await eventually(() => divergentKeys(stack.db, acked.keys()), 30_000);
  t.same(result, [], `every replica agrees ${ms} ms after heal, with no hints to deliver`);
  const after = await stack.db.stats();
  const repaired = after.workers.reduce((sum, w) => sum + (w.counters?.antiEntropyRepairs ?? 0), 0);
  t.ok(repaired > 0, `anti-entropy repaired ${repaired} keys`);
  t.same(await lostWrites(stack.db, acked), [], 'every acknowledged write reads back');
});

t.test('two writers racing on one key during a fault both survive as siblings', async (t) => {
  const stack = await startStack(t, 'fault-race', { workers: 4, n: 3, r: 2, w: 2, requestTimeoutMs: 2000 });
  const a = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const b = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  t.teardown(() => {
    a.disconnect();
    b.disconnect();
  });
  await a.set('contested', 'base');
  const [context] = (await a.call('VGET', 'contested')) as string[];
  const { preferenceList } = await stack.db.explain('contested');
  stack.db.faults.kill(preferenceList[0] as number);
  await Promise.all([
    a.call('VPUT', 'contested', context ?? '', 'from-a'),
    b.call('VPUT', 'contested', context ?? '', 'from-b'),
  ]);
  const [, ...values] = (await a
    .call('VGET', 'contested', 'R', '3')
    .catch(() => a.call('VGET', 'contested'))) as string[];
  t.same([...new Set(values)].sort(), ['from-a', 'from-b'], 'both concurrent values are kept as siblings');
});
