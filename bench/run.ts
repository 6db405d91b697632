// `npm run bench`: the micro benchmarks, the embedded API against raw lmdb-js, and the server
// (ringkv beside redis-server under the same load generator, then the (n,r,w) matrix), in one
// run, printed as tables of ratios and written as JSON and Markdown to bench/results/.
// `--quick` (under 2 minutes on 2 cores) runs shorter phases, fewer keys and rounds;
// `--only micro,embedded,server` runs a subset. Nothing here asserts a timing.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Benchmark from 'benchmark';
import { type EmbeddedFigure, runEmbeddedBench } from './embedded/embedded.bench.js';
import { type Md5BenchResult, runMd5Bench } from './micro/md5.bench.js';
import { NRW_MATRIX, runServerBench, type ServerBenchOptions } from './server/server.bench.js';
import { median, serverSummary } from './server/tables.js';

const SECTIONS = ['micro', 'embedded', 'server'] as const;
const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: SECTIONS.join(',') },
  },
});
const quick = flags.quick === true;
const only = new Set(String(flags.only).split(','));
for (const section of only) {
  if (!(SECTIONS as readonly string[]).includes(section)) {
    console.error(`bench: --only takes ${SECTIONS.join(', ')}; got '${section}'`);
    process.exit(2);
  }
}
if (quick) {
  // benchmark.js samples each case for 5 s by default; a second is enough for a quick look.
  Benchmark.options.maxTime = 1;
}

function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    // Not a git checkout: the figure stands without its commit.
  }
  return {
    date: new Date().toISOString(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
  };
}

function md5Table(results: Md5BenchResult[]): string[] {
  const reference = results.find((r) => r.name.includes('createHash'))?.nsPerKey ?? Number.NaN;
  const lines = [
    '| MD5 of a 16-byte key | ns per key | ± % | speed vs createHash |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const r of results) {
    lines.push(
      `| ${r.name} | ${r.nsPerKey.toFixed(0)} | ${r.rme.toFixed(1)} | ${(reference / r.nsPerKey).toFixed(2)}× |`,
    );
  }
  return lines;
}

function embeddedTable(figures: EmbeddedFigure[]): string[] {
  const lines = [
    '| embedded API | ringkv ops/s (median) | raw lmdb-js ops/s (median) | ratio per round (min / median / max) | CPU µs/op, all threads: ringkv / raw (median) |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const f of figures) {
    const ratios = f.ringkv.map((value, i) => value / (f.raw[i] as number));
    const reference = f.op === 'put' ? 'async put' : 'getBinary';
    lines.push(
      `| ${f.op} ${f.case} (vs ${reference}) | ${median(f.ringkv).toFixed(0)} | ${median(f.raw).toFixed(0)} | ${Math.min(...ratios).toFixed(2)} / ${median(ratios).toFixed(2)} / ${Math.max(...ratios).toFixed(2)} | ${median(f.ringkvCpuUs).toFixed(1)} / ${median(f.rawCpuUs).toFixed(1)} |`,
    );
  }
  return lines;
}

/**
 * Progress on stderr. `progress` lines stay; `live` lines (the generator's ops/s each second)
 * rewrite one line on a terminal and are thinned to one every LIVE_EVERY_MS otherwise.
 */
const LIVE_EVERY_MS = 5000;
const tty = process.stderr.isTTY === true;
let liveShown = false;
let liveAt = Number.NEGATIVE_INFINITY;
const runStarted = performance.now();
const elapsed = () => `${((performance.now() - runStarted) / 1000).toFixed(0)}s`;
const progress = (line: string) => {
  if (liveShown) process.stderr.write('\r\x1b[K');
  liveShown = false;
  console.error(`[bench ${elapsed()}] ${line}`);
};
const live = (line: string) => {
  if (tty) {
    process.stderr.write(`\r[bench ${elapsed()}] ${line}\x1b[K`);
    liveShown = true;
  } else if (performance.now() - liveAt >= LIVE_EVERY_MS) {
    console.error(`[bench ${elapsed()}] ${line}`);
    liveAt = performance.now();
  }
};
const info = machine();
progress(`machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}, commit ${info.commit}`);
let md5: Md5BenchResult[] | undefined;
if (only.has('micro')) {
  progress('micro: MD5 addon vs node:crypto');
  md5 = await runMd5Bench();
}
const embeddedOptions = {
  keys: quick ? 20_000 : 100_000,
  valueBytes: 100,
  inFlight: 1000,
  rounds: quick ? 1 : 3,
  cases: [
    { label: '(n,r,w)=(1,1,1)', workers: 4, n: 1, r: 1, w: 1 },
    { label: '(n,r,w)=(3,2,2)', workers: 4, n: 3, r: 2, w: 2 },
  ],
  progress,
};
let embedded: EmbeddedFigure[] | undefined;
if (only.has('embedded')) {
  progress(
    `embedded: ${embeddedOptions.keys} keys, ${embeddedOptions.valueBytes}-byte values, ${embeddedOptions.inFlight} in flight, 4 workers`,
  );
  embedded = await runEmbeddedBench(embeddedOptions);
}

const WORKLOAD_A_P1 = { workload: 'A', pipeline: 1 } as const;
const serverOptions: ServerBenchOptions = {
  clients: 50,
  keys: quick ? 5_000 : 100_000,
  valueBytes: 100,
  distribution: 'zipfian',
  durationS: quick ? 1 : 10,
  warmupS: quick ? 0.5 : 2,
  rounds: quick ? 2 : 3,
  // The goals read C, A and B at pipeline 1 and write at pipeline 16; the full profile
  // adds the other depth of each. F runs last: its read-modify-writes leave contexts behind.
  scenarios: quick
    ? [
        WORKLOAD_A_P1,
        { workload: 'B', pipeline: 1 },
        { workload: 'C', pipeline: 1 },
        { workload: 'write', pipeline: 16 },
        { workload: 'F', pipeline: 1 },
      ]
    : [
        WORKLOAD_A_P1,
        { workload: 'A', pipeline: 16 },
        { workload: 'B', pipeline: 1 },
        { workload: 'C', pipeline: 1 },
        { workload: 'C', pipeline: 16 },
        { workload: 'write', pipeline: 1 },
        { workload: 'write', pipeline: 16 },
        { workload: 'F', pipeline: 1 },
      ],
  matrix: { scenario: WORKLOAD_A_P1, configs: NRW_MATRIX, rounds: quick ? 1 : 2 },
  progress,
  live,
};
let server: Awaited<ReturnType<typeof runServerBench>> | undefined;
if (only.has('server')) {
  progress(
    `server: ringkv and redis-server under ${serverOptions.clients} clients, ${serverOptions.scenarios.length} workloads × ${serverOptions.rounds} rounds, then the (n,r,w) matrix`,
  );
  server = await runServerBench(serverOptions);
}

const summary = [
  `# ringkv benchmark — ${info.date.slice(0, 10)}`,
  '',
  `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}, commit ${info.commit}${quick ? ' (quick profile)' : ''}.`,
  '',
  ...(md5 === undefined ? [] : [...md5Table(md5), '']),
  ...(embedded === undefined
    ? []
    : [
        `Embedded: ${embeddedOptions.keys} random keys, ${embeddedOptions.valueBytes}-byte values, ${embeddedOptions.inFlight} requests in flight, ${embeddedOptions.rounds} round(s), 4 workers; durability \`commit\` on both sides.`,
        '',
        ...embeddedTable(embedded),
        '',
      ]),
  ...(server === undefined ? [] : [...serverSummary(server), '']),
  `Run time ${elapsed()}.`,
  '',
].join('\n');
console.log(summary);
const resultsDir = join(import.meta.dirname, '..', '..', 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = info.date.replace(/[:.]/g, '-');
writeFileSync(
  join(resultsDir, `${stamp}.json`),
  `${JSON.stringify({ machine: info, quick, sections: [...only], md5, embeddedOptions, embedded, server }, null, 2)}\n`,
);
writeFileSync(join(resultsDir, `${stamp}.md`), `${summary}\n`);
progress(`results written to bench/results/${stamp}.{json,md}`);
