// Goal: against a real redis-server the generator's counts match the server's own command
// statistics, so its figures can stand beside redis-benchmark's. Method: a redis-server on a
// free port (no persistence, a fresh --dir), INFO commandstats after each run; skipped when
// redis-server is not on the PATH.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import t from 'tap';
import { onPath, startRedis } from '../../bench/server/processes.js';
import { type BenchOptions, runBench } from '../../src/loadgen/index.js';
import { WORKLOADS, type WorkloadName } from '../../src/loadgen/workloads.js';

if (onPath('redis-server') === undefined) {
  t.plan(0, 'redis-server is not on PATH');
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ringkv-loadgen-redis-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startRedis({ dir, appendonly: false });
  t.teardown(() => server.stop());
  const redis = new Redis({ host: server.host, port: server.port, lazyConnect: true });
  await redis.connect();
  t.teardown(() => redis.disconnect());

  /** Calls per command since the last CONFIG RESETSTAT. */
  const calls = async (): Promise<Record<string, number>> => {
    const info = await redis.info('commandstats');
    const counts: Record<string, number> = {};
    for (const match of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm))
      counts[match[1] as string] = Number(match[2]);
    return counts;
  };

  const options = (workload: WorkloadName, overrides: Partial<BenchOptions>): BenchOptions => ({
    host: server.host,
    port: server.port,
    clients: 10,
    pipeline: 1,
    durationS: undefined,
    requests: 5000,
    warmupS: 0,
    workload: WORKLOADS[workload],
    keys: 1000,
    distribution: 'zipfian',
    valueBytes: 100,
    load: true,
    loadPipeline: 64,
    seed: 1,
    ...overrides,
  });

  for (const [workload, pipeline] of [
    ['A', 1],
    ['B', 16],
    ['write', 16],
    ['C', 1],
  ] as const) {
    t.test(
      `workload ${workload} at pipeline ${pipeline}: redis-server saw exactly the counted GETs and SETs`,
      async (t) => {
        await redis.flushall();
        await redis.config('RESETSTAT');
        const result = await runBench(options(workload, { pipeline }));
        const stats = await calls();
        const count = (op: string) => result.ops.find((r) => r.op === op)?.count ?? 0;
        const total = result.ops.find((r) => r.op === 'total');
        t.equal(total?.count, 5000, 'all requested operations succeeded');
        t.equal(total?.errorCount, 0, 'no errors');
        t.equal(total?.notFound, 0, 'every read found the loaded value');
        t.equal(stats.set ?? 0, 1000 + count('update'), 'SET calls: the load, then the updates');
        t.equal(stats.get ?? 0, count('read'), 'GET calls: the reads');
        t.equal(await redis.dbsize(), 1000, 'the load wrote every key once');
        t.ok(
          (total?.p50Us ?? 0) > 0 && (total?.maxUs ?? 0) >= (total?.p999Us ?? 0),
          'latencies were recorded',
        );
      },
    );
  }
}
