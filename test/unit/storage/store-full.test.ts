// Goal: a store whose commit failed refuses writes at once, keeps its write observer (the
// Merkle trees) in step with what is stored, and takes writes again once space is freed.
// Method: a Store on a 16 MiB tmpfs with a 4 MiB ballast, written past full (each key twice,
// in two transactions) in a worker thread (test/fixtures/full-store.ts). Needs root.
import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { Store } from '../../../src/storage/store.js';
import type { FullStoreReport } from '../../fixtures/full-store.js';

const TMPFS_BYTES = 16 * 1024 * 1024;
const BALLAST_BYTES = 4 * 1024 * 1024;
const STEPS_PAST_FULL = 20;
const BATCH = 40;

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'mounting a tmpfs needs Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs as root)';
  return false;
}

t.test(
  'past a failed commit writes are refused at once, the observer matches storage, and a probe ends it',
  { skip: skipReason(), timeout: 30_000 },
  async (t) => {
    const mount = mkdtempSync(join(tmpdir(), 'ringkv-store-full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', mount]);
    t.teardown(() => {
      execFileSync('umount', ['--lazy', mount]); // lazy: a file still open (a failed run) must not keep it mounted
      rmSync(mount, { recursive: true, force: true });
    });
    writeFileSync(join(mount, 'ballast'), Buffer.alloc(BALLAST_BYTES));
    const worker = new Worker(new URL('../../fixtures/full-store.js', import.meta.url), {
      workerData: { mount },
    });
    const [report] = (await once(worker, 'message')) as [FullStoreReport];
    await once(worker, 'exit');

    t.ok(report.stepsToFull < 1000, `the disk filled after ${report.stepsToFull} steps`);
    t.equal(report.failedCommitsAfterFull, 0, 'once failed, no write reaches LMDB');
    t.ok(report.refusedWrites >= STEPS_PAST_FULL * 2 * BATCH, 'every later write is refused at once');
    t.equal(report.notStorageFailures, 0, 'every failed write failed with STORAGE');
    t.type(report.failureReason, 'string', `the reason is kept: ${report.failureReason}`);
    t.equal(report.observerBroken, 0, 'the observer was always told the record a write replaced');
    t.equal(report.mismatched, 0, 'after failed commits the observer believes exactly what is stored');
    t.same(
      report.changes,
      [true, false],
      'the failed state began once and a probe ended it after space was freed',
    );
    t.equal(report.afterRecovery, 'after', 'writes commit again');
    t.same(report.unabsorbed, [], 'every unhandled rejection was a commit failure the store absorbed');
  },
);

t.test('only lmdb-js commit failures are absorbed from unhandled rejections', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'ringkv-store-absorb-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const store = await Store.open({ path: dir, durability: 'commit', mapBytes: 1 << 24 });
  t.teardown(() => store.close());
  t.equal(store.absorbRejection(new Error('something else')), false);
  t.equal(store.absorbRejection('a string'), false);
  t.equal(store.failed, false);
  const failure = Object.assign(new Error('Commit failed (see commitError for details)'), {
    commitError: Promise.reject(new Error('No space left on device')),
  });
  t.equal(store.absorbRejection(failure), true, 'an error carrying commitError is a failed commit');
  t.equal(store.failed, true, 'and puts the store in the failed state');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(store.failureReason, 'No space left on device', 'with the cause from commitError');
  await t.rejects(store.write(Buffer.from('\u0000\u0001\u0007defaultk'), Buffer.from('x')), {
    code: 'STORAGE',
  });
  t.equal(
    store.read(Buffer.from('\u0000\u0001\u0007defaultk')),
    undefined,
    'a refused write is not even pending',
  );
});
