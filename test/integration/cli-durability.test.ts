// Goal: the durability modes keep their promise across a crash of the process, the `async`
// mode's once-a-second sync really runs, `ringkv status` reports a running server, and SIGINT
// stops it cleanly. Method: spawn `ringkv start`, write with ioredis until hundreds of writes
// are acknowledged, SIGKILL it mid-load, start it again on the same directory and read back.
import { once } from 'node:events';
import { Redis } from 'ioredis';
import t from 'tap';
import { waitFor } from '../faults/checkers.js';
import { run, startServer } from '../fixtures/cli-process.js';
import { freshDir } from '../fixtures/tmp-dir.js';

interface WorkerStats {
  health: string;
  counters: Record<string, number> | null;
}

/** Writes fresh keys with 8 writers until the server goes away; resolves with what was acknowledged once `count` were. */
async function writeUntilKilled(port: number, count: number, kill: () => void): Promise<Map<string, string>> {
  const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => {});
  await once(client, 'ready');
  const acked = new Map<string, string>();
  let killed = false;
  const writers = Array.from({ length: 8 }, async (_, w) => {
    for (let i = 0; ; i++) {
      const key = `k:${w}:${i}`;
      try {
        if ((await client.set(key, `v${i}`)) === 'OK') acked.set(key, `v${i}`);
      } catch {
        return; // the server is gone
      }
      if (!killed && acked.size >= count) {
        killed = true;
        kill(); // while the other writers still have writes in flight
      }
    }
  });
  await Promise.all(writers);
  client.disconnect();
  return acked;
}

async function lostAfterRestart(port: number, acked: Map<string, string>): Promise<string[]> {
  const reader = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  const keys = [...acked.keys()];
  const values = await reader.mget(...keys);
  await reader.quit();
  return keys.filter((key, i) => values[i] !== acked.get(key));
}

async function stats(httpPort: number): Promise<WorkerStats[]> {
  return ((await (await fetch(`http://127.0.0.1:${httpPort}/stats`)).json()) as { workers: WorkerStats[] })
    .workers;
}

for (const durability of ['sync', 'async'] as const) {
  t.test(`--durability ${durability}: a SIGKILL mid-load loses no acknowledged write`, async (t) => {
    const dir = freshDir(t, `cli-${durability}`);
    const first = await startServer(dir, ['--workers', '3', '--durability', durability]);
    t.teardown(() => first.child.kill('SIGKILL'));
    if (durability === 'async') {
      const synced = await waitFor(
        async () => (await stats(first.httpPort)).every((w) => (w.counters?.asyncSyncs ?? 0) >= 1),
        5_000,
        100,
      );
      t.ok(synced.held, `every worker's once-a-second sync ran (after ${synced.ms} ms)`);
    } else {
      const counters = (await stats(first.httpPort)).map((w) => w.counters?.asyncSyncs);
      t.same(counters, [0, 0, 0], 'sync mode runs no sync timer (it flushes before acknowledging)');
    }
    const exited = once(first.child, 'exit');
    const acked = await writeUntilKilled(first.port, 500, () => first.child.kill('SIGKILL'));
    const [code, signal] = await exited;
    t.equal(
      signal,
      'SIGKILL',
      `the server died of SIGKILL (code ${code}) with ${acked.size} writes acknowledged`,
    );
    t.ok(acked.size >= 500);

    const second = await startServer(dir, ['--durability', durability]);
    t.teardown(() => second.child.kill('SIGKILL'));
    t.same(await lostAfterRestart(second.port, acked), [], `all ${acked.size} acknowledged writes read back`);
    second.child.kill('SIGTERM');
    t.equal((await once(second.child, 'exit'))[0], 0);
  });
}

t.test('ringkv status prints a running server’s stats; SIGINT stops the server cleanly', async (t) => {
  const dir = freshDir(t, 'cli-status');
  const server = await startServer(dir, ['--workers', '3']);
  t.teardown(() => server.child.kill('SIGKILL'));
  const status = await run(['status', '--json', '--http-port', String(server.httpPort)]);
  t.equal(status.code, 0, 'status exits 0');
  t.match(status.stdout, /^\{\n {2}"uptimeMs"/, 'it prints the server’s stats as JSON');
  const printed = JSON.parse(status.stdout || '{"workers":[]}') as {
    partitions: number;
    workers: WorkerStats[];
  };
  t.equal(printed.partitions, 256);
  t.same(
    printed.workers.map((w) => w.health),
    ['up', 'up', 'up'],
    'every worker is reported up',
  );
  t.ok(
    printed.workers.every((w) => w.counters !== null),
    'with its counters',
  );

  const client = new Redis({ port: server.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  await client.set('before-sigint', 'kept');
  client.disconnect();
  server.child.kill('SIGINT');
  const [code] = await once(server.child, 'exit');
  t.equal(code, 0, 'SIGINT exits 0');
  t.match(server.output(), /SIGINT: stopping/);
  t.match(server.output(), /stopped cleanly/);

  const gone = await run(['status', '--http-port', String(server.httpPort)]);
  t.equal(gone.code, 2, 'status against a port nobody serves exits 2');
  t.match(gone.stderr, /no ringkv answers at/);

  const again = await startServer(dir);
  t.teardown(() => again.child.kill('SIGKILL'));
  const reader = new Redis({ port: again.port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
  t.equal(await reader.get('before-sigint'), 'kept', 'the write before SIGINT is there after a restart');
  await reader.quit();
  again.child.kill('SIGTERM');
  await once(again.child, 'exit');
});
