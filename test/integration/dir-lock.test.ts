// Goal: one data directory, one open database: a second open(), in this process or another,
// is refused with LOCKED naming the directory and the holder's pid, and the lock goes with
// its holder (a close, a failed open, a SIGKILL). Method: open() twice here, and against a
// `ringkv start` child that is then killed with SIGKILL.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { KvError, open } from '../../src/index.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const BIN = fileURLToPath(new URL('../../../bin/ringkv.js', import.meta.url));
const OPTIONS = { workers: 1, partitions: 16, n: 1, r: 1, w: 1 };

/** Asserts that open(dir) fails with LOCKED, naming the directory and `pid`. */
async function refused(t: Test, dir: string, pid: number, holder: string): Promise<void> {
  const error = await open({ dir, ...OPTIONS }).then(
    async (db) => {
      await db.close();
      return null;
    },
    (failure: unknown) => failure,
  );
  t.ok(error instanceof KvError, `the second open is refused while ${holder} holds the directory`);
  t.equal((error as KvError).code, 'LOCKED');
  t.match((error as KvError).message, resolve(dir), 'the message names the directory');
  t.match((error as KvError).message, new RegExp(`\\b${pid}\\b`), 'and the pid that holds it');
}

t.test('a second open() in one process is refused until the first closes', async (t) => {
  const dir = freshDir(t, 'lock-same');
  const first = await open({ dir, ...OPTIONS });
  await refused(t, dir, process.pid, 'this process');
  await first.put('k', 'v');
  await first.close();
  const second = await open({ dir, ...OPTIONS });
  t.same(
    (await second.get('k')).values.map(String),
    ['v'],
    'after the close the directory opens, data intact',
  );
  await second.close();
});

t.test('an open() that fails after taking the lock releases it', async (t) => {
  const dir = freshDir(t, 'lock-failed');
  await (await open({ dir, ...OPTIONS })).close();
  await t.rejects(open({ dir, ...OPTIONS, partitions: 32 }), { code: 'BAD_REQUEST' });
  const db = await open({ dir, ...OPTIONS });
  t.pass('the directory opens after a failed open');
  await db.close();
});

t.test(
  'a directory held by another process is refused; once that process is SIGKILLed it opens',
  async (t) => {
    const dir = freshDir(t, 'lock-child');
    const flags = ['--workers', '1', '--partitions', '16', '--n', '1', '--r', '1', '--w', '1'];
    const child = spawn(
      process.execPath,
      [BIN, 'start', '--dir', dir, ...flags, '--port', 'auto', '--http-port', 'auto'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = once(child, 'exit');
    t.teardown(() => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('RESP on')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`ringkv exited with ${code} before listening`)));
    });
    await refused(t, dir, child.pid as number, 'a running ringkv');

    const second = spawn(
      process.execPath,
      [BIN, 'start', '--dir', dir, '--port', 'auto', '--http-port', 'auto'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stderr = '';
    second.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const [code] = await once(second, 'exit');
    t.equal(code, 1, 'a second `ringkv start` on the directory exits 1');
    t.match(stderr, `is in use by process ${child.pid}`, 'saying which process holds it');

    child.kill('SIGKILL');
    await exited;
    const db = await open({ dir, ...OPTIONS });
    t.pass('the lock died with its holder: the directory opens');
    await db.close();
  },
);
