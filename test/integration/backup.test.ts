// Goal: `ringkv backup DEST` (POST /admin/backup) copies a serving store consistently: the copy
// opens, with `open()` and with `ringkv start --dir DEST`, and holds every write acknowledged
// before the backup started, and the bucket props; it needs no --fault-injection.
// Method: an in-process store and HTTP server without fault injection, writers running all
// through the backup, the backup taken by the real CLI; then the copy is opened and read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { open } from '../../src/index.js';
import { startHttpServer } from '../../src/server/http/server.js';
import { ServerMetrics } from '../../src/server/metrics.js';
import { run, startServer } from '../fixtures/cli-process.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const WRITERS = 8;
const ACKED_BEFORE_BACKUP_MIN = 300;

t.test('a backup taken under a write load opens and holds every write acknowledged before it', async (t) => {
  const dir = freshDir(t, 'backup-src');
  const db = await open({ dir: join(dir, 'data'), workers: 3, n: 3, r: 2, w: 2 });
  const http = await startHttpServer(db, {
    host: '127.0.0.1',
    port: 0,
    metrics: new ServerMetrics(),
    maxBodyBytes: 64 * 1024,
    requestTimeoutMs: 30_000,
  });
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await http.close();
    await db.close();
  };
  t.teardown(close);
  db.bucket('kept', { n: 2, r: 1, w: 2, policy: 'lww' });

  const acked: string[] = [];
  let writing = true;
  let next = 0;
  const writer = async () => {
    while (writing) {
      const key = `k${next++}`;
      await db.put(key, `value of ${key}`);
      acked.push(key);
    }
  };
  const writers = Array.from({ length: WRITERS }, writer);
  while (acked.length < ACKED_BEFORE_BACKUP_MIN) await new Promise((resolve) => setTimeout(resolve, 10));
  const ackedBefore = [...acked];
  const dest = join(dir, 'copy');
  const backup = await run(['backup', dest, '--http-port', String(http.port)]);
  t.equal(backup.code, 0, backup.stderr);
  t.match(backup.stdout, /backup of 3 workers in .*copy/);
  const ackedAfter = acked.length;
  writing = false;
  await Promise.all(writers);
  t.ok(
    ackedAfter > ackedBefore.length,
    `writes went on during the backup (${ackedBefore.length} before, ${ackedAfter} by its end)`,
  );

  const again = await fetch(`http://127.0.0.1:${http.port}/admin/backup`, {
    method: 'POST',
    body: JSON.stringify({ dir: dest }),
  });
  t.equal(again.status, 400, 'a backup into a directory that is not empty is refused');
  t.match(((await again.json()) as { error: { message: string } }).error.message, /not empty/);
  await close();

  const copy = await open({ dir: dest });
  t.teardown(() => copy.close());
  const missing: string[] = [];
  for (const key of ackedBefore) {
    const { values } = await copy.get(key);
    if (values.length !== 1 || values[0]?.toString() !== `value of ${key}`) missing.push(key);
  }
  t.same(missing, [], `all ${ackedBefore.length} writes acknowledged before the backup are in the copy`);
  t.same(copy.bucket('kept').props, { n: 2, r: 1, w: 2, policy: 'lww' }, 'bucket props are copied');
  await copy.close();

  const server = await startServer(dest);
  t.teardown(() => {
    server.child.kill('SIGTERM');
  });
  const read = await fetch(`http://127.0.0.1:${server.httpPort}/buckets/default/keys/${ackedBefore[0]}`);
  t.equal(await read.text(), `value of ${ackedBefore[0]}`, 'ringkv start --dir DEST serves the copy');
});

t.test('a backup into a non-empty directory or without a dir is refused with a clear error', async (t) => {
  const dir = freshDir(t, 'backup-bad');
  const db = await open({ dir: join(dir, 'data'), workers: 2, n: 2, r: 1, w: 1 });
  t.teardown(() => db.close());
  const full = join(dir, 'full');
  mkdirSync(full);
  writeFileSync(join(full, 'x'), 'x');
  await t.rejects(db.backup(full), { code: 'BAD_REQUEST', message: /exists and is not empty/ });
  await t.rejects(db.backup(join(dir, 'data', 'inside')), {
    code: 'BAD_REQUEST',
    message: /inside the data directory/,
  });
  const empty = join(dir, 'empty');
  mkdirSync(empty);
  t.same(await db.backup(empty), { dir: empty, workers: 2 }, 'an empty directory is fine');
  const noServer = await run(['backup', join(dir, 'nowhere'), '--http-port', '1']);
  t.equal(noServer.code, 2);
  t.match(noServer.stderr, /no ringkv answers at http:\/\/127\.0\.0\.1:1\/admin\/backup/);
  const usage = await run(['backup']);
  t.match(usage.stderr, /usage: ringkv backup DEST/);
});
