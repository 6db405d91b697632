// Checks the load generator, not ringkv: on one fresh redis-server, redis-benchmark
// (`-c 50 -P 1 -t set,get -n 200000 -q`) and `ringkv bench --workload A` (50 clients, pipeline 1)
// run interleaved for a few rounds; the generator's throughput should be within 20% of
// redis-benchmark's. A 50/50 mix takes the mean time of a SET and a GET, so redis-benchmark's
// figure for it is the harmonic mean of its SET and GET rates. Both tools' CPU per request is
// printed: the generator's from its own report, redis-benchmark's from /proc/self/stat's
// children times (Linux). Run: node dist/bench/server/generator-check.js [--rounds 3]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type GeneratorRun, runGenerator } from './generator-child.js';
import { onPath, startRedis } from './processes.js';

const CLOCK_TICKS_PER_SECOND = 100;

/** CPU seconds of this process's waited-for children (Linux /proc/self/stat cutime + cstime). */
function childrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
}

interface RedisBenchmarkRun {
  set: number;
  get: number;
  mixed: number;
  cpuUsPerRequest: number;
}

function redisBenchmark(port: number, requests: number): RedisBenchmarkRun {
  const before = childrenCpuSeconds();
  const args = ['-p', String(port), '-c', '50', '-P', '1', '-t', 'set,get', '-n', String(requests), '-q'];
  const run = spawnSync('redis-benchmark', args, { encoding: 'utf8' });
  const cpuSeconds = childrenCpuSeconds() - before;
  const rate = (command: string) => {
    const matches = [...run.stdout.matchAll(new RegExp(`${command}: ([\\d.]+) requests per second`, 'g'))];
    const last = matches.at(-1)?.[1];
    if (last === undefined)
      throw new Error(`redis-benchmark printed no ${command} figure:\n${run.stdout}${run.stderr}`);
    return Number(last);
  };
  const set = rate('SET');
  const get = rate('GET');
  return { set, get, mixed: 2 / (1 / set + 1 / get), cpuUsPerRequest: (cpuSeconds * 1e6) / (2 * requests) };
}

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '3' } } });
const rounds = Number(values.rounds);
if (onPath('redis-server') === undefined || onPath('redis-benchmark') === undefined) {
  console.log('redis-server or redis-benchmark is not on PATH: nothing to compare with');
  process.exit(0);
}
const dir = mkdtempSync(join(tmpdir(), 'ringkv-generator-check-'));
const redis = await startRedis({ dir, appendonly: false });
try {
  const lines = [
    '| round | redis-benchmark SET/s | GET/s | 50/50 mix/s | its CPU µs/req | ringkv bench A ops/s | its CPU µs/req | ratio |',
  ];
  lines.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (let round = 1; round <= rounds; round++) {
    const reference = redisBenchmark(redis.port, 200_000);
    const ours: GeneratorRun = await runGenerator({
      target: `${redis.host}:${redis.port}`,
      args: [
        '--workload',
        'A',
        '--clients',
        '50',
        '--pipeline',
        '1',
        '--requests',
        '200000',
        '--warmup',
        '1',
      ],
      load: round === 1,
    });
    const total = ours.result.ops.at(-1);
    const opsPerSec = total?.opsPerSec ?? 0;
    lines.push(
      `| ${round} | ${reference.set.toFixed(0)} | ${reference.get.toFixed(0)} | ${reference.mixed.toFixed(0)} | ${reference.cpuUsPerRequest.toFixed(1)} | ${opsPerSec.toFixed(0)} | ${ours.result.generator.cpuUsPerRequest.toFixed(1)} | ${(opsPerSec / reference.mixed).toFixed(2)} |`,
    );
    console.error(`[check] ${lines.at(-1)}`);
  }
  console.log(lines.join('\n'));
} finally {
  await redis.stop();
  rmSync(dir, { recursive: true, force: true });
}
