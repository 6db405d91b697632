// The server section of the summary, as Markdown: throughput of ringkv beside redis-server per
// workload with the per-round ratio, latency percentiles per operation type, the issue's goals
// read off those figures, and the (n,r,w) matrix. Every figure is min / median / max over the
// rounds; one that was not measured says why instead of leaving a blank.
import type { BenchResult, OpFigures } from '../../src/loadgen/index.js';
import type { ServerBenchResult, ServerFigure } from './server.bench.js';

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

export function spread(values: readonly number[], digits = 0): string {
  if (values.length === 0) return '–';
  return `${fmt(Math.min(...values), digits)} / ${fmt(median(values), digits)} / ${fmt(Math.max(...values), digits)}`;
}

const row = (result: BenchResult, op: string): OpFigures | undefined => result.ops.find((r) => r.op === op);
const total = (result: BenchResult) => row(result, 'total') as OpFigures;
const opsPerSec = (runs: BenchResult[]) => runs.map((r) => total(r).opsPerSec);

/** Each round's ringkv figure over the same round's redis-server figure. */
function ratios(figure: ServerFigure, value: (r: BenchResult) => number): number[] {
  return figure.redis.map((redis, i) => value(figure.ringkv[i] as BenchResult) / value(redis));
}

function errorSummary(runs: BenchResult[]): string {
  const words = new Map<string, number>();
  for (const run of runs) {
    for (const [word, n] of Object.entries(total(run).errors)) words.set(word, (words.get(word) ?? 0) + n);
    const loadErrors: Record<string, number> = run.load?.errors ?? {};
    for (const [word, n] of Object.entries(loadErrors)) {
      words.set(`${word} (load)`, (words.get(`${word} (load)`) ?? 0) + n);
    }
  }
  return words.size === 0 ? '0' : [...words].map(([word, n]) => `${word} ${n}`).join(', ');
}

function latencies(runs: BenchResult[], op: string): string {
  const rows = runs.map((r) => row(r, op)).filter((r) => r !== undefined);
  if (rows.length === 0) return '–';
  const pick = (f: (r: OpFigures) => number) => fmt(median(rows.map(f)));
  return `${pick((r) => r.p50Us)} / ${pick((r) => r.p90Us)} / ${pick((r) => r.p99Us)} / ${pick((r) => r.p999Us)} / ${pick((r) => r.maxUs)}`;
}

function throughputTable(result: ServerBenchResult): string[] {
  const lines = [
    '| workload | pipeline | ringkv ops/s | redis-server ops/s | ringkv / redis per round | server CPU µs/request, all threads (ringkv / redis-server) | generator CPU µs/request (ringkv run / redis run) | errors ringkv / redis |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const f of result.figures) {
    const cpu = (runs: BenchResult[]) => fmt(median(runs.map((r) => r.generator.cpuUsPerRequest)), 1);
    const serverCpu = (runs: BenchResult[]) => {
      const figures = runs.flatMap((r) => (r.server === null ? [] : [r.server.cpuUsPerRequest]));
      return figures.length === 0 ? 'not measured' : fmt(median(figures), 1);
    };
    const missing = f.redisMissing;
    lines.push(
      `| ${f.workload} | ${f.pipeline} | ${spread(opsPerSec(f.ringkv))} | ${missing ?? spread(opsPerSec(f.redis))} | ${
        missing ??
        spread(
          ratios(f, (r) => total(r).opsPerSec),
          2,
        )
      } | ${serverCpu(f.ringkv)} / ${missing === undefined ? serverCpu(f.redis) : '–'} | ${cpu(f.ringkv)} / ${missing === undefined ? cpu(f.redis) : '–'} | ${errorSummary(f.ringkv)} / ${missing === undefined ? errorSummary(f.redis) : '–'} |`,
    );
  }
  return lines;
}

function latencyTable(result: ServerBenchResult): string[] {
  const lines = [
    '| workload | pipeline | operation | ringkv p50 / p90 / p99 / p99.9 / max µs | redis-server p50 / p90 / p99 / p99.9 / max µs | p99 ringkv / redis per round |',
    '| --- | ---: | --- | ---: | ---: | ---: |',
  ];
  for (const f of result.figures) {
    const ops = (f.ringkv[0]?.ops ?? []).map((r) => r.op).filter((op) => op !== 'total');
    for (const op of ops.length > 1 ? [...ops, 'total'] : ops) {
      const missing = f.redisMissing;
      const p99 = ratios(f, (r) => row(r, op)?.p99Us ?? Number.NaN);
      lines.push(
        `| ${f.workload} | ${f.pipeline} | ${op} | ${latencies(f.ringkv, op)} | ${missing ?? latencies(f.redis, op)} | ${missing ?? spread(p99, 2)} |`,
      );
    }
  }
  return lines;
}

/** ringkv through TLS beside its plain port, same server, same round. */
function tlsTable(result: ServerBenchResult): string[] {
  const lines = [
    '| workload | pipeline | plain ops/s | TLS ops/s | TLS / plain per round | p99 µs plain / TLS | errors plain / TLS |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const f of result.figures) {
    if (f.tlsMissing?.includes('openssl')) {
      lines.push(
        `| ${f.workload} | ${f.pipeline} | ${spread(opsPerSec(f.ringkv))} | ${f.tlsMissing} | – | – | – |`,
      );
      continue;
    }
    if (f.tlsMissing !== undefined) continue;
    const perRound = f.ringkvTls.map(
      (tls, i) => total(tls).opsPerSec / total(f.ringkv[i] as BenchResult).opsPerSec,
    );
    const p99 = (runs: BenchResult[]) => fmt(median(runs.map((r) => total(r).p99Us)));
    lines.push(
      `| ${f.workload} | ${f.pipeline} | ${spread(opsPerSec(f.ringkv))} | ${spread(opsPerSec(f.ringkvTls))} | ${spread(perRound, 2)} | ${p99(f.ringkv)} / ${p99(f.ringkvTls)} | ${errorSummary(f.ringkv)} / ${errorSummary(f.ringkvTls)} |`,
    );
  }
  return lines;
}

interface Goal {
  text: string;
  workload: string;
  pipeline: number;
  /** The median over rounds of the per-round ratio this goal reads, and whether it passes. */
  measure: (f: ServerFigure) => number;
  pass: (ratio: number) => boolean;
}

const GOALS: Goal[] = [
  {
    text: 'workload C (read only), pipeline 1: throughput ≥ 0.5× redis-server',
    workload: 'C',
    pipeline: 1,
    measure: (f) => median(ratios(f, (r) => total(r).opsPerSec)),
    pass: (x) => x >= 0.5,
  },
  {
    text: 'workload A, pipeline 1: throughput ≥ 0.35× redis-server',
    workload: 'A',
    pipeline: 1,
    measure: (f) => median(ratios(f, (r) => total(r).opsPerSec)),
    pass: (x) => x >= 0.35,
  },
  {
    text: 'workload write, pipeline 16: throughput ≥ 0.25× redis-server',
    workload: 'write',
    pipeline: 16,
    measure: (f) => median(ratios(f, (r) => total(r).opsPerSec)),
    pass: (x) => x >= 0.25,
  },
  {
    text: 'workload B, pipeline 1: p99 ≤ 3× redis-server’s',
    workload: 'B',
    pipeline: 1,
    measure: (f) => median(ratios(f, (r) => total(r).p99Us)),
    pass: (x) => x <= 3,
  },
];

function goalLines(result: ServerBenchResult): string[] {
  const lines = [`Goals (issue 5; ${result.options.clients} clients; median of the per-round ratios):`, ''];
  for (const goal of GOALS) {
    const f = result.figures.find((x) => x.workload === goal.workload && x.pipeline === goal.pipeline);
    if (f === undefined) lines.push(`- ${goal.text}: not run in this profile`);
    else if (f.redisMissing !== undefined) lines.push(`- ${goal.text}: ${f.redisMissing}`);
    else {
      const x = goal.measure(f);
      lines.push(`- ${goal.text}: ${fmt(x, 2)}× — ${goal.pass(x) ? 'met' : 'missed'}`);
    }
  }
  return lines;
}

function matrixTable(result: ServerBenchResult): string[] {
  const { scenario } = result.options.matrix;
  const base = result.matrix.find((m) => m.n === 1 && m.r === 1 && m.w === 1);
  const reference = result.figures.find(
    (f) => f.workload === scenario.workload && f.pipeline === scenario.pipeline,
  );
  const redisMedian =
    reference !== undefined && reference.redisMissing === undefined
      ? median(opsPerSec(reference.redis))
      : undefined;
  const ops = (base?.runs[0]?.ops ?? []).map((r) => r.op).filter((op) => op !== 'total');
  const lines = [
    `| (n,r,w) | ops/s | vs (1,1,1) | vs redis-server (median of the comparison above) | ${ops.map((op) => `${op} p50 / p90 / p99 / p99.9 / max µs`).join(' | ')} | errors |`,
    `| --- | ---: | ---: | ---: | ${ops.map(() => '---:').join(' | ')} | --- |`,
  ];
  const baseMedian = base === undefined ? Number.NaN : median(opsPerSec(base.runs));
  for (const m of result.matrix) {
    const mid = median(opsPerSec(m.runs));
    const vsRedis =
      redisMedian === undefined
        ? (reference?.redisMissing ?? REDIS_NOT_RUN)
        : `${fmt(mid / redisMedian, 2)}×`;
    lines.push(
      `| (${m.n},${m.r},${m.w}) | ${spread(opsPerSec(m.runs))} | ${fmt(mid / baseMedian, 2)}× | ${vsRedis} | ${ops.map((op) => latencies(m.runs, op)).join(' | ')} | ${errorSummary(m.runs)} |`,
    );
  }
  return lines;
}

const REDIS_NOT_RUN = 'not run in this profile';

export function serverSummary(result: ServerBenchResult): string[] {
  const o = result.options;
  const redis =
    'version' in result.redis
      ? `redis-server ${result.redis.version} with --appendonly yes --appendfsync everysec --save ''`
      : `redis-server ${result.redis.missing}`;
  return [
    `Server: ${result.ringkv.startLine.replace(/^ringkv [^:]*: data in \S+: /, 'ringkv ').replace(/, durability \w+$/, '')}, durability \`async\` (synced every second); beside ${redis}. Load: \`ringkv bench\` (a child process), ${o.clients} clients, ${o.keys.toLocaleString('en-US')} keys ${o.distribution}, ${o.valueBytes}-byte values, ${o.durationS} s measured after ${o.warmupS} s warm-up, ${o.rounds} round(s) interleaved ringkv, redis, ringkv, redis …; each figure min / median / max over the rounds.`,
    '',
    ...throughputTable(result),
    '',
    'Latency, µs (each percentile the median over the rounds):',
    '',
    ...latencyTable(result),
    '',
    ...goalLines(result),
    '',
    'RESP over TLS (`--tls-port`, an EC P-256 certificate; `ringkv bench --tls`) beside the plain port of the same ringkv, run right after it in each round:',
    '',
    ...tlsTable(result),
    '',
    `Replication matrix: workload ${o.matrix.scenario.workload}, pipeline ${o.matrix.scenario.pipeline}, ${o.matrix.rounds} round(s) per (n,r,w), each on a fresh ringkv; the price of each choice read against (1,1,1):`,
    '',
    ...matrixTable(result),
  ];
}
