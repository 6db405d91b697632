// Goal: the text report shows every figure a reader needs, errors and misses included even when
// zero, and the progress line names the phase. Method: format fixed results and match the text.
import t from 'tap';
import { type BenchResult, formatErrors, formatProgress, formatResult } from '../../../src/loadgen/report.js';
import type { OpFigures } from '../../../src/loadgen/stats.js';

const figures = (op: OpFigures['op'], errors: Record<string, number>): OpFigures => ({
  op,
  count: 1000,
  opsPerSec: 5000,
  p50Us: 120,
  p90Us: 300,
  p99Us: 900,
  p999Us: 2500,
  maxUs: 4000,
  meanUs: 150,
  notFound: 3,
  errors,
  errorCount: Object.values(errors).reduce((a, b) => a + b, 0),
});

const result: BenchResult = {
  tool: 'ringkv bench',
  config: {
    target: '127.0.0.1:6380',
    workload: 'A',
    workloadDescription: '50% read, 50% update (GET/SET)',
    clients: 50,
    pipeline: 1,
    durationS: 10,
    requests: null,
    warmupS: 2,
    keys: 100_000,
    distribution: 'zipfian',
    valueBytes: 100,
    load: false,
    loadPipeline: 64,
    seed: 1,
  },
  load: null,
  measured: { seconds: 0.2, commands: 2007 },
  ops: [
    figures('read', {}),
    figures('update', { QUORUM: 5, TIMEOUT: 2 }),
    figures('total', { QUORUM: 5, TIMEOUT: 2 }),
  ],
  generator: { cpuUserUs: 10_000, cpuSystemUs: 20_000, cpuUsPerRequest: 14.95, coreShare: 0.15 },
  server: null,
  connections: { opened: 50, failed: { ECONNRESET: 2 } },
  node: 'v20.20.2',
};

t.test(
  'the report has a row per operation type and the total, with every percentile and errors',
  async (t) => {
    const text = formatResult(result);
    t.match(text, /workload A: 50% read, 50% update/);
    t.match(
      text,
      /50 clients × pipeline 1 · 100,000 keys, zipfian · 100-byte values · 10 s after 2 s of warm-up/,
    );
    t.match(text, /load: skipped \(--no-load\)/);
    t.match(text, /op\s+ops\/s\s+count\s+p50 µs\s+p90 µs\s+p99 µs\s+p99\.9 µs\s+max µs\s+not found\s+errors/);
    t.match(
      text,
      /read\s+5,000\s+1,000\s+120\s+300\s+900\s+2,500\s+4,000\s+3\s+0\n/,
      'zero errors are shown as 0',
    );
    t.match(text, /update\s+5,000 .* QUORUM 5, TIMEOUT 2/);
    t.match(text, /total\s+5,000/);
    t.match(text, /generator: 14\.95 µs CPU per request \(user 10 ms, system 20 ms\), 15% of one core/);
    t.match(text, /connections: 50 opened, ended early: ECONNRESET 2/);
  },
);

t.test('a load phase is reported with its rate and errors', async (t) => {
  const text = formatResult({
    ...result,
    load: { keys: 1000, seconds: 0.5, opsPerSec: 2000, errors: { BUSY: 1 } },
  });
  t.match(text, /load: 1,000 keys in 0\.50 s \(2,000\/s\), errors: BUSY 1/);
});

t.test('errors read as words and counts, or 0', async (t) => {
  t.equal(formatErrors({}), '0');
  t.equal(formatErrors({ ERR: 1, QUORUM: 12 }), 'ERR 1, QUORUM 12');
});

t.test('the progress line names the phase, its elapsed time, the live rate and the count', async (t) => {
  t.equal(
    formatProgress({ phase: 'load', elapsedS: 1.25, opsPerSec: 12_345.6, completed: 500, total: 1000 }),
    'load 1.3 s · 12,346 ops/s · 500/1,000 done',
  );
  t.equal(
    formatProgress({ phase: 'measure', elapsedS: 3, opsPerSec: 0, completed: 7, total: undefined }),
    'measure 3.0 s · 0 ops/s · 7 done',
  );
});

t.test("with the server's pid the report adds its CPU per request", async (t) => {
  const text = formatResult({ ...result, server: { cpuUsPerRequest: 42.5, coreShare: 0.85 } });
  t.match(text, /server: 42\.50 µs CPU per request \(all threads\), 85% of one core/);
  t.notMatch(formatResult(result), /server:/, 'and says nothing without it');
});
