// Goal: a full disk costs writes, not the process: writes fail with STORAGE (never QUORUM),
// reads go on, /health and /stats say so, nothing logs an unhandled rejection, and writes
// resume once space is freed, without a restart. Method: `ringkv start` on a 16 MiB tmpfs
// holding a 4 MiB ballast file, four ioredis writers of 8 KiB values until well past full,
// then the ballast deleted. Mounting needs root (CI runs as root); otherwise skipped.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import t from 'tap';

const BIN = fileURLToPath(new URL('../../../bin/ringkv.js', import.meta.url));
const TMPFS_BYTES = 16 * 1024 * 1024;
const BALLAST_BYTES = 4 * 1024 * 1024;
const VALUE_BYTES = 8 * 1024;
const WRITERS = 4;
/** How long the writers go on after the first STORAGE error. */
const PAST_FULL_MS = 4_000;
/** Bound on filling the disk, and on writes coming back after the ballast is deleted. */
const FILL_LIMIT_MS = 15_000;
const RECOVERY_LIMIT_MS = 8_000;

interface Health {
  status: string;
  workers: { storage: string[] };
  storage: { status: string; failedWorkers: number[]; writesPossible: boolean };
}

interface Stats {
  workers: { storage: string; storageError: string | null; counters: Record<string, number> | null }[];
}

interface Teardown {
  teardown(fn: () => unknown): void;
}

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'mounting a tmpfs needs Linux';
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root (CI runs as root)';
  return false;
}

/** A tmpfs of TMPFS_BYTES on a fresh directory, unmounted and removed in teardown. */
function mountTmpfs(t: Teardown): string {
  const dir = mkdtempSync(join(tmpdir(), 'ringkv-disk-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir]);
  t.teardown(() => {
    execFileSync('umount', ['--lazy', dir]); // lazy: a file still open (a failed run) must not keep it mounted
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** `ringkv start` on `dir`, its stderr kept; stopped with SIGTERM in teardown. */
async function startServer(t: Teardown, dir: string) {
  const child = spawn(
    process.execPath,
    [
      BIN,
      'start',
      '--dir',
      dir,
      '--workers',
      '3',
      '--partitions',
      '16',
      '--port',
      'auto',
      '--http-port',
      'auto',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = once(child, 'exit');
  t.teardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await exited;
  });
  const ports = await new Promise<{ resp: number; http: number }>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const match = /RESP on 127\.0\.0\.1:(\d+), HTTP on 127\.0\.0\.1:(\d+)/.exec(stdout);
      if (match !== null) resolve({ resp: Number(match[1]), http: Number(match[2]) });
    });
    child.once('exit', (code) =>
      reject(new Error(`ringkv exited with ${code} before listening:\n${stderr}`)),
    );
  });
  return {
    ...ports,
    alive: () => child.exitCode === null && child.signalCode === null,
    stderr: () => stderr,
  };
}

/** The first word of a RESP error: its code. */
const codeOf = (error: unknown) => String((error as Error).message).split(' ')[0] ?? '';

t.test(
  'a full disk fails writes with STORAGE while the process lives on and reads go on; freeing space brings writes back',
  { skip: skipReason(), timeout: 30_000 },
  async (t) => {
    const mount = mountTmpfs(t);
    // Placed first, so deleting it later frees space the store could not have taken.
    writeFileSync(join(mount, 'ballast'), Buffer.alloc(BALLAST_BYTES));
    const server = await startServer(t, join(mount, 'data'));
    const clients = Array.from(
      { length: WRITERS },
      () => new Redis({ port: server.resp, host: '127.0.0.1', maxRetriesPerRequest: 0 }),
    );
    t.teardown(() => {
      for (const client of clients) client.disconnect();
    });
    const reader = clients[0] as Redis;
    await reader.set('early', 'before the disk filled');

    const errors = new Map<string, number>();
    let written = 0;
    let fullAt = 0;
    const value = Buffer.alloc(VALUE_BYTES, 0x61);
    const started = Date.now();
    const writing = () =>
      fullAt === 0 ? Date.now() - started < FILL_LIMIT_MS : Date.now() - fullAt < PAST_FULL_MS;
    await Promise.all(
      clients.map(async (client, writer) => {
        for (let i = 0; writing(); i++) {
          try {
            await client.set(`fill:${writer}:${i}`, value);
            written++;
          } catch (error) {
            errors.set(codeOf(error), (errors.get(codeOf(error)) ?? 0) + 1);
            if (fullAt === 0) fullAt = Date.now();
          }
        }
      }),
    );
    t.ok(fullAt > 0, `the disk filled (${written} values written first)`);
    t.ok(server.alive(), 'the process is still running');
    t.ok(
      (errors.get('STORAGE') ?? 0) > 0,
      `writers got STORAGE (${JSON.stringify(Object.fromEntries(errors))})`,
    );
    t.same([...errors.keys()], ['STORAGE'], 'no write failed with any other error (QUORUM, TIMEOUT, …)');
    t.equal(await reader.get('early'), 'before the disk filled', 'reads go on');

    const health = (await (await fetch(`http://127.0.0.1:${server.http}/health`)).json()) as Health;
    t.equal(health.status, 'degraded', '/health is degraded');
    t.equal(health.storage.status, 'failed', '/health reports the storage failure');
    t.ok(health.storage.failedWorkers.length > 0, `failed workers: ${health.storage.failedWorkers}`);
    const stats = (await (await fetch(`http://127.0.0.1:${server.http}/stats`)).json()) as Stats;
    const failed = stats.workers.filter((worker) => worker.storage === 'failed');
    t.ok(failed.length > 0, '/stats shows which workers failed');
    for (const worker of failed) {
      t.type(worker.storageError, 'string', `and why: ${worker.storageError}`);
      t.ok((worker.counters?.storageRefusedWrites ?? 0) > 0, 'a failed worker refuses writes without trying');
    }

    rmSync(join(mount, 'ballast'));
    const freedAt = Date.now();
    let resumed = false;
    const codesMeanwhile = new Set<string>();
    while (!resumed && Date.now() - freedAt < RECOVERY_LIMIT_MS) {
      try {
        resumed = (await reader.set('after', 'space came back')) === 'OK';
      } catch (error) {
        codesMeanwhile.add(codeOf(error));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    t.ok(resumed, `writes resume after space is freed (${Date.now() - freedAt} ms), without a restart`);
    t.ok(
      [...codesMeanwhile].every((code) => code === 'STORAGE'),
      'until then they fail with STORAGE',
    );
    t.equal(await reader.get('after'), 'space came back');
    t.ok(server.alive(), 'the process is still running');
    t.notMatch(server.stderr(), /unhandled rejection/i, 'no unhandled rejection was logged');
  },
);
