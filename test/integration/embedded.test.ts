// Goal: the embedded API behaves as documented end to end: real worker threads, real LMDB
// files, real rings. Method: open a database in a temp dir and drive it as a user would.
import t from 'tap';
import { KvError, open } from '../../src/index.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const text = (values: Buffer[]) => values.map((v) => v.toString()).sort();

t.test('with n=3 r=2 w=2 on 4 workers', async (t) => {
  const dir = freshDir(t, 'embedded');
  const db = await open({ dir, workers: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => db.close());

  await t.test('a put is read back', async (t) => {
    await db.put('hello', 'world');
    const got = await db.get('hello');
    t.same(text(got.values), ['world']);
    t.type(got.context, 'string');
    t.ok(got.context.length > 0, 'a stored key has a non-empty context');
  });

  await t.test(
    'explain shows the versions on exactly 3 distinct workers of the preference list',
    async (t) => {
      await db.put('spread', 'v', { w: 3 });
      const explained = await db.explain('spread');
      t.equal(explained.preferenceList.length, 3);
      t.equal(new Set(explained.preferenceList).size, 3);
      t.same(
        explained.replicas.map((r) => r.worker),
        [...explained.preferenceList].sort((a, b) => a - b),
      );
      for (const replica of explained.replicas) {
        t.equal(replica.versions.length, 1);
        t.equal(replica.versions[0]?.value?.toString(), 'v');
      }
    },
  );

  await t.test(
    'two puts with the same context give two siblings; a put with their context gives one',
    async (t) => {
      await db.put('fork', 'base');
      const { context } = await db.get('fork');
      await db.put('fork', 'left', { context });
      await db.put('fork', 'right', { context });
      const both = await db.get('fork');
      t.same(text(both.values), ['left', 'right']);
      await db.put('fork', 'merged', { context: both.context });
      t.same(text((await db.get('fork')).values), ['merged']);
    },
  );

  await t.test('two blind puts to one key are both kept as siblings', async (t) => {
    await db.put('blind', 'a');
    await db.put('blind', 'b');
    t.same(text((await db.get('blind')).values), ['a', 'b']);
  });

  await t.test(
    'a put with the context a blind put returned does not supersede a sibling it never saw',
    async (t) => {
      await db.put('unseen', 'from-a');
      const b = await db.put('unseen', 'from-b');
      await db.put('unseen', 'from-b-again', { context: b.context });
      const values = text((await db.get('unseen')).values);
      t.ok(values.includes('from-a'), `a's write survives: ${values.join(', ')}`);
    },
  );

  await t.test('delete then get gives no values, and a later put supersedes the tombstone', async (t) => {
    await db.put('doomed', 'x');
    const { context } = await db.get('doomed');
    await db.delete('doomed', { context });
    const gone = await db.get('doomed');
    t.same(gone.values, []);
    await db.put('doomed', 'back', { context: gone.context });
    t.same(text((await db.get('doomed')).values), ['back']);
  });

  await t.test('a missing key has no values and an empty context', async (t) => {
    t.same(await db.get('never-written'), { values: [], newest: null, context: '', expiresAt: null });
  });

  await t.test('Buffer keys and values round-trip byte for byte', async (t) => {
    const key = Buffer.from([0, 255, 1, 254]);
    const value = Buffer.from([9, 0, 9, 0, 200]);
    await db.put(key, value);
    t.same((await db.get(key)).values, [value]);
  });

  await t.test('r and w may be overridden per request within n', async (t) => {
    await db.put('quorum', 'all', { w: 3 });
    t.same(text((await db.get('quorum', { r: 3 })).values), ['all']);
    await t.rejects(db.get('quorum', { r: 4 }), { code: 'BAD_REQUEST' });
    await t.rejects(db.put('quorum', 'x', { w: 0 }), { code: 'BAD_REQUEST' });
  });

  await t.test('limits and bad contexts are refused with a KvError and nothing is written', async (t) => {
    await t.rejects(db.put('k'.repeat(2000), 'v'), { code: 'TOOLARGE', message: /maxKeyBytes is 1024/ });
    await t.rejects(db.put('big', Buffer.alloc(1024 * 1024 + 1)), {
      code: 'TOOLARGE',
      message: /maxValueBytes/,
    });
    t.same((await db.get('big')).values, []);
    await t.rejects(db.put('k', 'v', { context: 'not a context!' }), { code: 'BAD_CONTEXT' });
    const error = await db.put('k', 'v', { context: '%%%' }).catch((e: unknown) => e);
    t.ok(error instanceof KvError);
  });

  await t.test('a bucket with its own props keeps its keys apart from the default bucket', async (t) => {
    const single = db.bucket('single', { n: 1, r: 1, w: 1 });
    await single.put('hello', 'bucketed');
    t.same(text((await single.get('hello')).values), ['bucketed']);
    t.same(text((await db.get('hello')).values), ['world']);
    const explained = await single.explain('hello');
    t.equal(explained.replicas.length, 1);
    t.throws(() => db.bucket('wide', { n: 5 }), { code: 'BAD_REQUEST' });
  });

  await t.test('an lww bucket keeps one value for concurrent writes', async (t) => {
    const lww = db.bucket('lww', { policy: 'lww' });
    await lww.put('k', 'first');
    await lww.put('k', 'second');
    const got = await lww.get('k');
    t.equal(got.values.length, 1);
    t.same(text(got.values), ['second']);
  });
});

t.test('close and reopen keep every acknowledged write', async (t) => {
  const dir = freshDir(t, 'reopen');
  const first = await open({ dir, workers: 3, n: 2, r: 1, w: 2 });
  const writes = Array.from({ length: 500 }, (_, i) => first.put(`key-${i}`, `value-${i}`));
  await Promise.all(writes);
  const ids = [...first.workerIds];
  await first.close();

  const second = await open({ dir, n: 2, r: 1, w: 2 });
  t.teardown(() => second.close());
  t.equal(second.workerCount, 3, 'the worker count comes from the directory');
  t.same([...second.workerIds], ids, 'worker ids survive a restart');
  const reads = await Promise.all(Array.from({ length: 500 }, (_, i) => second.get(`key-${i}`)));
  t.ok(
    reads.every((got, i) => got.values.length === 1 && got.values[0]?.toString() === `value-${i}`),
    'all 500 values read back',
  );
  await second.close(); // the directory takes one open database at a time
  await t.rejects(open({ dir, workers: 5 }), { code: 'BAD_REQUEST', message: /created with 3 workers/ });
});

t.test('n=1 r=1 w=1 works on a single worker', async (t) => {
  const dir = freshDir(t, 'single');
  const db = await open({ dir, workers: 1, n: 1, r: 1, w: 1 });
  t.teardown(() => db.close());
  await db.put('a', '1');
  t.same(text((await db.get('a')).values), ['1']);
  t.same((await db.explain('a')).replicas.length, 1);
});

t.test('open refuses bad options with clear messages', async (t) => {
  await t.rejects(open({ dir: '' }), { code: 'BAD_REQUEST', message: /data directory/ });
  const dir = freshDir(t, 'bad');
  await t.rejects(open({ dir, workers: 2, n: 3 }), { code: 'BAD_REQUEST', message: /n must be/ });
  await t.rejects(open({ dir, partitions: 100 }), { code: 'BAD_REQUEST', message: /power of two/ });
  await t.rejects(open({ dir, r: 4 }), { code: 'BAD_REQUEST', message: /r must be/ });
});

t.test("the README's example: a delete with the context its put returned leaves nothing", async (t) => {
  const db = await open({ dir: freshDir(t, 'readme'), workers: 4, n: 3, r: 2, w: 2 });
  t.teardown(() => db.close());
  await db.put('user:1', 'alice');
  const { values, context } = await db.get('user:1');
  t.same(text(values), ['alice']);
  const v2 = await db.put('user:1', 'alice v2', { context });
  t.same(text((await db.get('user:1')).values), ['alice v2'], 'v2 superseded what the read saw');
  await db.delete('user:1', { context: v2.context });
  const after = await db.get('user:1', { r: 3 });
  t.same(after.values, [], 'the delete superseded v2');
  t.equal(after.newest, null);
});
