// Goal: the error codes a caller can meet are produced by the real situations they name, over
// the embedded API and on the wire. Method: make each situation happen: a key at the sibling
// limit (SIBLINGS), a full ring and outbox to a hung worker (BUSY), a closed database (CLOSED).
// TIMEOUT and QUORUM are produced in test/faults/quorum.test.ts, BAD_CONTEXT in resp and http.
import { Redis } from 'ioredis';
import t from 'tap';
import { OUTBOX_FRAMES_MAX, SIBLINGS_MAX } from '../../src/constants.js';
import type { KvError } from '../../src/errors.js';
import { open } from '../../src/index.js';
import { startStack } from '../fixtures/stack.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const code = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: KvError) => error.code,
  );

t.test('blind writes pile up siblings to the limit, then SIBLINGS refuses the next', async (t) => {
  const stack = await startStack(t, 'codes-siblings', { workers: 3, n: 3, r: 2, w: 2 });
  const redis = new Redis({ port: stack.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  t.teardown(() => redis.disconnect());
  for (let i = 0; i < SIBLINGS_MAX; i++) await redis.call('VPUT', 'crowded', '', `v${i}`);
  const [, ...values] = (await redis.call('VGET', 'crowded')) as string[];
  t.equal(values.length, SIBLINGS_MAX, `the key holds ${SIBLINGS_MAX} siblings`);
  await t.rejects(redis.call('VPUT', 'crowded', '', 'one-more'), /^SIBLINGS .*limit is 64/);
  t.equal(await code(stack.db.put('crowded', 'embedded')), 'SIBLINGS', 'the embedded API says SIBLINGS too');
  const [context] = (await redis.call('VGET', 'crowded')) as string[];
  t.equal(
    await redis.call('VPUT', 'crowded', context ?? '', 'resolved').then(() => 'ok'),
    'ok',
    'a write with the context resolves them',
  );
  t.same(((await redis.call('VGET', 'crowded')) as string[]).slice(1), ['resolved']);
});

t.test('requests to a hung worker beyond its ring and outbox fail at once with BUSY', async (t) => {
  const db = await open({
    dir: freshDir(t, 'codes-busy'),
    workers: 3,
    n: 1,
    r: 1,
    w: 1,
    ringBytes: 64 * 1024,
    maxValueBytes: 1024,
    requestTimeoutMs: 120_000, // a loaded machine drains 100,000 queued requests slowly: no TIMEOUT here
  });
  t.teardown(() => db.close());
  const owner = (await db.explain('hot')).preferenceList[0] as number;
  db.faults.pause(owner);
  // One synchronous burst: the failure detector (a timer on this thread) cannot run in between,
  // so every request goes to the hung worker, whose ring fills, then its outbox.
  const codes = new Map<string, number>();
  const requests: Promise<void>[] = [];
  // Replace puts (no siblings pile up): gets are served by this thread from the replicas'
  // storage and never queue on a worker.
  for (let i = 0; i < 110_000; i++) {
    requests.push(
      code(db.put('hot', 'v', { replace: true })).then((c) => {
        codes.set(c, (codes.get(c) ?? 0) + 1);
      }),
    );
  }
  await new Promise((resolve) => setImmediate(resolve));
  const early = codes.get('BUSY') ?? 0;
  t.ok(early > 0, `${early} requests failed with BUSY before the event loop turned once`);
  t.equal(codes.size, 1, 'nothing else has answered yet: the worker is hung');
  db.faults.heal(owner);
  await Promise.all(requests);
  const summary = JSON.stringify(Object.fromEntries(codes));
  t.same(
    [...codes.keys()].filter((c) => c !== 'BUSY' && c !== 'resolved'),
    [],
    `nothing failed otherwise: ${summary}`,
  );
  // The outbox's worth of queued requests is answered after heal (a failover to a stand-in, if
  // the failure detector saw the hang first, goes through a ring and outbox of the same size).
  t.ok((codes.get('resolved') ?? 0) >= OUTBOX_FRAMES_MAX, `the queued requests were answered: ${summary}`);
});

t.test('a closed database answers CLOSED, over the embedded API', async (t) => {
  const db = await open({ dir: freshDir(t, 'codes-closed'), workers: 3, n: 3, r: 2, w: 2 });
  await db.put('k', 'v');
  await db.close();
  t.equal(await code(db.get('k')), 'CLOSED', 'get');
  t.equal(await code(db.put('k', 'v2')), 'CLOSED', 'put');
  t.equal(await code(db.delete('k')), 'CLOSED', 'delete');
});
