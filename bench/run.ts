// `npm run bench`: the micro benchmarks and the embedded API against their references, in
// one run, printed as a table of ratios and written as JSON and Markdown to bench/results/.
// `--quick` runs fewer keys and rounds. Nothing here asserts a timing.
import { execSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { type EmbeddedFigure, runEmbeddedBench } from './embedded/embedded.bench.js';
import { type Md5BenchResult, runMd5Bench } from './micro/md5.bench.js';

const quick = process.argv.includes('--quick');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function machine() {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
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
    '| embedded API | ringkv ops/s (median) | raw lmdb-js ops/s (median) | ratio per round (min / median / max) |',
    '| --- | ---: | ---: | ---: |',
  ];
  for (const f of figures) {
    const ratios = f.ringkv.map((value, i) => value / (f.raw[i] as number));
    const reference = f.op === 'put' ? 'async put' : 'getBinary';
    lines.push(
      `| ${f.op} ${f.case} (vs ${reference}) | ${median(f.ringkv).toFixed(0)} | ${median(f.raw).toFixed(0)} | ${Math.min(...ratios).toFixed(2)} / ${median(ratios).toFixed(2)} / ${Math.max(...ratios).toFixed(2)} |`,
    );
  }
  return lines;
}

const progress = (line: string) => console.error(`[bench] ${line}`);
const info = machine();
progress(`machine: ${info.cpu}, ${info.cores} cores, Node ${info.node}, commit ${info.commit}`);
progress('micro: MD5 addon vs node:crypto');
const md5 = await runMd5Bench();
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
progress(
  `embedded: ${embeddedOptions.keys} keys, ${embeddedOptions.valueBytes}-byte values, ${embeddedOptions.inFlight} in flight, 4 workers`,
);
const embedded = await runEmbeddedBench(embeddedOptions);

const summary = [
  `# ringkv benchmark — ${info.date.slice(0, 10)}`,
  '',
  `Machine: ${info.cpu}, ${info.cores} cores, ${info.memoryGiB} GiB, Node ${info.node}, commit ${info.commit}${quick ? ' (quick profile)' : ''}.`,
  '',
  ...md5Table(md5),
  '',
  `Embedded: ${embeddedOptions.keys} random keys, ${embeddedOptions.valueBytes}-byte values, ${embeddedOptions.inFlight} requests in flight, ${embeddedOptions.rounds} round(s), 4 workers; durability \`commit\` on both sides.`,
  '',
  ...embeddedTable(embedded),
  '',
].join('\n');
console.log(summary);
const resultsDir = join(import.meta.dirname, '..', '..', 'bench', 'results');
mkdirSync(resultsDir, { recursive: true });
const stamp = info.date.replace(/[:.]/g, '-');
writeFileSync(
  join(resultsDir, `${stamp}.json`),
  `${JSON.stringify({ machine: info, quick, md5, embeddedOptions, embedded }, null, 2)}\n`,
);
writeFileSync(join(resultsDir, `${stamp}.md`), `${summary}\n`);
progress(`results written to bench/results/${stamp}.{json,md}`);
