// Goal: the load generator counts every operation and every error exactly, per type, and never
// hides a failure. Method: runs against a tiny in-test RESP server (node:net) that counts what it
// answers and injects error replies on a schedule, and compares both sides' counts.
import t, { type Test } from 'tap';
import { freePort } from '../../bench/server/processes.js';
import { type BenchOptions, type BenchResult, runBench } from '../../src/loadgen/index.js';
import { WORKLOADS, type WorkloadName } from '../../src/loadgen/workloads.js';
import { FakeRespServer, type FakeServerOptions } from '../unit/loadgen/fake-resp-server.js';

async function serve(t: Test, options: FakeServerOptions): Promise<[FakeRespServer, number]> {
  const server = new FakeRespServer(options);
  const port = await server.listen();
  t.teardown(() => server.close());
  return [server, port];
}

function benchOptions(port: number, workload: WorkloadName, overrides: Partial<BenchOptions>): BenchOptions {
  return {
    host: '127.0.0.1',
    port,
    clients: 4,
    pipeline: 1,
    durationS: undefined,
    requests: 2000,
    warmupS: 0,
    workload: WORKLOADS[workload],
    keys: 200,
    distribution: 'zipfian',
    valueBytes: 20,
    load: true,
    loadPipeline: 16,
    seed: 1,
    ...overrides,
  };
}

const row = (result: BenchResult, op: string) => {
  const found = result.ops.find((r) => r.op === op);
  if (found === undefined) throw new Error(`no ${op} row`);
  return found;
};
const errorsOf = (result: BenchResult, op: string, word: string) => row(result, op).errors[word] ?? 0;

for (const [workload, pipeline, distribution] of [
  ['A', 1, 'zipfian'],
  ['B', 8, 'uniform'],
  ['write', 5, 'zipfian'],
  ['C', 3, 'uniform'],
] as const) {
  t.test(
    `workload ${workload} at pipeline ${pipeline} counts what the server answered, errors by word`,
    async (t) => {
      const [server, port] = await serve(t, {
        inject: { SET: { every: 7, word: 'QUORUM' }, GET: { every: 5, word: 'TIMEOUT' } },
      });
      const result = await runBench(benchOptions(port, workload, { pipeline, distribution }));
      const read = workload === 'write' ? undefined : row(result, 'read');
      const update = workload === 'C' ? undefined : row(result, 'update');
      const total = row(result, 'total');

      t.equal(total.count + total.errorCount, 2000, 'exactly the requested operations, counted once');
      t.equal(result.measured.commands, 2000, 'one command per operation');
      const loadErrors = result.load?.errors.QUORUM ?? 0;
      t.equal(
        server.count('SET'),
        200 + (update ? update.count + update.errorCount : 0),
        'SETs: load + updates',
      );
      t.equal(server.count('GET'), read ? read.count + read.errorCount : 0, 'GETs: reads');
      t.equal(
        server.injected.get('QUORUM') ?? 0,
        loadErrors + (update ? errorsOf(result, 'update', 'QUORUM') : 0),
        'every injected QUORUM is counted, in the load or as an update error',
      );
      t.equal(
        server.injected.get('TIMEOUT') ?? 0,
        read ? errorsOf(result, 'read', 'TIMEOUT') : 0,
        'TIMEOUTs',
      );
      t.equal(total.notFound, server.nullReplies, 'reads that found nothing (keys whose load SET failed)');
      t.same(
        Object.keys(total.errors).sort(),
        [...(read ? ['TIMEOUT'] : []), ...(update ? ['QUORUM'] : [])].sort(),
      );
      t.equal(result.connections.opened, 4);
      t.same(result.connections.failed, {});
    },
  );
}

t.test('workload F reads with VGET and writes back with VPUT carrying the context it read', async (t) => {
  const [server, port] = await serve(t, {
    dynamo: true,
    inject: { VGET: { every: 9, word: 'TIMEOUT' }, VPUT: { every: 4, word: 'BUSY' } },
  });
  const result = await runBench(benchOptions(port, 'F', { pipeline: 3 }));
  const read = row(result, 'read');
  const rmw = row(result, 'rmw');
  t.equal(read.count + read.errorCount + rmw.count + rmw.errorCount, 2000, 'every operation counted once');
  t.equal(server.count('SET'), 200, 'the load phase SETs every key once');
  t.equal(
    server.count('VPUT'),
    rmw.count + errorsOf(result, 'rmw', 'BUSY'),
    'a VPUT per rmw whose VGET succeeded',
  );
  t.equal(
    server.count('VGET'),
    1 + read.count + read.errorCount + rmw.count + rmw.errorCount,
    'one probe VGET',
  );
  t.equal(server.foreignContexts, 0, 'every VPUT carried a context the server issued for that key');
  t.equal(server.injected.get('BUSY') ?? 0, errorsOf(result, 'rmw', 'BUSY'));
  t.equal(
    server.injected.get('TIMEOUT') ?? 0,
    errorsOf(result, 'read', 'TIMEOUT') + errorsOf(result, 'rmw', 'TIMEOUT'),
    'a VGET error fails a read or a read-modify-write',
  );
  t.equal(
    result.measured.commands,
    server.count('VGET') - 1 + server.count('VPUT'),
    'commands: VGETs and VPUTs',
  );
});

t.test('connections the server closes fail their unanswered operations, and say why', async (t) => {
  const [server, port] = await serve(t, { closeAfterReplies: 20 });
  const result = await runBench(benchOptions(port, 'A', { clients: 3, pipeline: 2, load: false }));
  const total = row(result, 'total');
  t.equal(total.count, server.replies, 'every answered request counted as done');
  t.equal(total.count, 60);
  t.equal(total.errorCount, 3 * 2, "each connection's batch in flight at the close failed");
  t.ok(
    Object.keys(total.errors).every((word) => ['CLOSED', 'ECONNRESET', 'EPIPE'].includes(word)),
    `error words ${Object.keys(total.errors).join(', ')}`,
  );
  t.equal(
    Object.values(result.connections.failed).reduce((a, b) => a + b, 0),
    3,
    'three connections ended early',
  );
});

t.test('a duration-bound run counts each measured reply once and no more than the server sent', async (t) => {
  const [server, port] = await serve(t, {});
  const result = await runBench(
    benchOptions(port, 'B', { requests: undefined, durationS: 0.3, warmupS: 0.1, keys: 50 }),
  );
  const total = row(result, 'total');
  t.equal(total.errorCount, 0);
  t.equal(total.count, result.measured.commands);
  t.ok(total.count > 0, 'something was measured');
  t.ok(
    server.replies >= 50 + total.count,
    'the server answered the load, the warm-up and the measured phase',
  );
});

t.test('workload F against a server without VGET stops with a clear message', async (t) => {
  const [, port] = await serve(t, {});
  await t.rejects(runBench(benchOptions(port, 'F', {})), {
    name: 'BenchError',
    message: /workload F needs ringkv's VGET and VPUT; 127\.0\.0\.1:\d+ answered VGET with the error ERR/,
  });
});

t.test('a target nobody listens on is reported, not retried forever', async (t) => {
  const port = await freePort();
  await t.rejects(runBench(benchOptions(port, 'A', {})), {
    name: 'BenchError',
    message: new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port} \\(ECONNREFUSED\\)`),
  });
});
