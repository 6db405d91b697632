// Goal: bucket props persist in an append-only log whose cost per new bucket does not grow
// with the number of buckets, survive a torn last line and compaction, still open from the
// old buckets.json, and stop at the configured bound with an error naming it.
// Method: BucketRegistry on a temp directory, reopened as a restart would; file sizes show
// what each change wrote.
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import t from 'tap';
import type { BucketProps } from '../../../src/config.js';
import { BucketRegistry } from '../../../src/main/buckets.js';
import { freshDir } from '../../fixtures/tmp-dir.js';

const BASE: BucketProps = { n: 3, r: 2, w: 2, policy: 'siblings' };
const LIMITS = { maxBuckets: 20_000 };

const logBytes = (dir: string) => statSync(join(dir, 'buckets.log')).size;

t.test('a new bucket appends one line, as small at 10,000 buckets as at 10', (t) => {
  const dir = freshDir(t, 'buckets-cost');
  const registry = new BucketRegistry(dir, BASE, 3, LIMITS);
  const growth: Record<number, number> = {};
  const times: Record<number, number> = {};
  for (let i = 0; i < 10_001; i++) {
    const before = i === 10 || i === 10_000 ? logBytes(dir) : 0;
    const started = performance.now();
    registry.set(`bucket-${String(i).padStart(5, '0')}`, { r: 1 });
    if (i === 10 || i === 10_000) {
      times[i] = performance.now() - started;
      growth[i] = logBytes(dir) - before;
    }
  }
  t.ok(
    (growth[10] ?? 0) > 0 && (growth[10] ?? 0) < 200,
    `the 11th bucket wrote one line (${growth[10]} bytes)`,
  );
  t.equal(growth[10_000], growth[10], 'the 10,001st wrote a line of the same size, not the whole registry');
  t.comment(`adding bucket 11: ${times[10]?.toFixed(3)} ms; bucket 10,001: ${times[10_000]?.toFixed(3)} ms`);
  registry.close();
  const reopened = new BucketRegistry(dir, BASE, 3, LIMITS);
  t.equal(reopened.count, 10_001, 'every bucket is there after a restart');
  t.same(reopened.props('bucket-09999'), { ...BASE, r: 1 });
  reopened.close();
  t.end();
});

t.test('the log is compacted once it holds many more lines than buckets, and keeps the last props', (t) => {
  const dir = freshDir(t, 'buckets-compact');
  const registry = new BucketRegistry(dir, BASE, 3, LIMITS);
  for (let i = 0; i < 3000; i++) registry.set('one', { r: (i % 3) + 1, w: 1 });
  registry.close();
  const lines = readFileSync(join(dir, 'buckets.log'), 'utf8').split('\n').length - 1;
  t.ok(lines <= 1025, `3000 changes of one bucket left ${lines} lines, not 3000`);
  const reopened = new BucketRegistry(dir, BASE, 3, LIMITS);
  t.same(reopened.props('one'), { n: 3, r: (2999 % 3) + 1, w: 1, policy: 'siblings' });
  reopened.close();
  t.end();
});

t.test('a torn last line (a crash mid-append) is dropped and the next append starts a new line', (t) => {
  const dir = freshDir(t, 'buckets-torn');
  const registry = new BucketRegistry(dir, BASE, 3, LIMITS);
  registry.set('whole', { w: 1 });
  registry.close();
  appendFileSync(join(dir, 'buckets.log'), '{"name":"torn","pro');
  const reopened = new BucketRegistry(dir, BASE, 3, LIMITS);
  t.same(reopened.names(), ['whole']);
  reopened.set('after', { r: 1 });
  reopened.close();
  const third = new BucketRegistry(dir, BASE, 3, LIMITS);
  t.same(third.names().sort(), ['after', 'whole']);
  third.close();
  t.end();
});

t.test('a data directory with the old buckets.json still opens, and later changes go to the log', (t) => {
  const dir = freshDir(t, 'buckets-legacy');
  const old = { legacy: { props: { n: 2, r: 1, w: 1, policy: 'lww' }, hasData: true } };
  writeFileSync(join(dir, 'buckets.json'), JSON.stringify(old));
  const registry = new BucketRegistry(dir, BASE, 3, LIMITS);
  t.same(registry.props('legacy'), { n: 2, r: 1, w: 1, policy: 'lww' });
  t.throws(() => registry.set('legacy', { n: 3 }), /holds data with n=2/, 'hasData is kept');
  registry.set('legacy', { r: 2 });
  registry.close();
  const reopened = new BucketRegistry(dir, BASE, 3, LIMITS);
  t.equal(reopened.props('legacy').r, 2, 'the log applies over the JSON');
  reopened.close();
  t.end();
});

t.test(
  'past maxBuckets a new bucket is refused with an error naming --max-buckets; known ones still change',
  (t) => {
    const dir = freshDir(t, 'buckets-bound');
    const registry = new BucketRegistry(dir, BASE, 3, { maxBuckets: 3 });
    registry.set('a', { r: 1 });
    registry.noteWrite('b');
    registry.set('c', { r: 1 });
    t.throws(() => registry.set('d', { r: 1 }), {
      code: 'BAD_REQUEST',
      message: /would be bucket 4; --max-buckets \(maxBuckets\) is 3/,
    });
    t.throws(() => registry.checkRoom('e'), /--max-buckets/);
    t.doesNotThrow(() => registry.set('a', { r: 2 }), 'a known bucket may still change');
    t.doesNotThrow(() => registry.checkRoom('b'));
    registry.close();
    t.end();
  },
);
