// `ringkv bench` flags: parsed with node:util's parseArgs, checked against their bounds with
// messages naming the flag, and turned into the generator's options.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { KvError } from '../errors.js';
import type { BenchOptions } from './generator.js';
import { parseWorkload, WORKLOAD_NAMES } from './workloads.js';
import { KEY_COUNT_MAX } from './zipfian.js';

export const CLIENTS_MAX = 10_000;
/** ringkv's default per-connection pipeline depth (--pipeline-depth of ringkv start). */
export const PIPELINE_MAX = 1024;
export const VALUE_BYTES_MAX = 64 * 1024 * 1024;
export const DURATION_S_MAX = 7 * 24 * 3600;
/** The load phase is not measured, so it pipelines this deep to finish sooner. */
export const LOAD_PIPELINE = 64;

export const BENCH_HELP = `ringkv bench — a closed-loop RESP load generator (YCSB-style workloads)

Usage: ringkv bench [options]

  --target HOST:PORT         RESP server to load; any Redis works for A, B, C, write [127.0.0.1:6380]
  --clients C                connections [50]
  --pipeline P               commands in flight per connection, written as one batch [1]
  --duration S               seconds to measure [10, unless --requests]
  --requests N               measure exactly N operations instead of a duration
  --warmup S                 seconds run before measuring, excluded from the figures [2]
  --workload A|B|C|write|F   A 50% read/50% update, B 95/5, C read only, write SET only,
                             F 50% read / 50% read-modify-write via VGET+VPUT (ringkv only) [A]
  --keys K                   key space: key:000000000000 … [100000]
  --distribution zipfian|uniform
                             key popularity; zipfian is YCSB's (constant 0.99), scrambled [zipfian]
  --value-bytes B            value size [100]
  --load / --no-load         SET every key once before the run [--load]
  --seed S                   seed of key and operation choice [1]
  --tls                      connect over TLS (as redis-benchmark --tls)
  --cacert PATH              CA certificate (PEM) to trust for --tls [the system's]
  --server-pid PID           also report that process's CPU per request over the measured phase
                             (all its threads; Linux /proc)
  --json                     print the result as JSON (progress still goes to stderr)
  --progress-every S         seconds between progress lines when stderr is not a terminal [5];
                             0 turns progress off
  --help                     this text

Latencies are per operation, from the write of its batch to its reply, in microseconds
(HDR histogram). Errors are counted by their error word and always shown.`;

export interface BenchCliOptions {
  bench: BenchOptions;
  json: boolean;
  progressEveryS: number;
  help: boolean;
}

function bad(message: string): KvError {
  return new KvError('BAD_REQUEST', `${message}; see ringkv bench --help`);
}

function number(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  min: number,
  max: number,
  whole: boolean,
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || (whole && !Number.isInteger(value)) || value < min || value > max) {
    const kind = whole ? 'a whole number' : 'a number';
    throw bad(`--${name} must be ${kind} from ${min} to ${max}; got '${String(raw)}'`);
  }
  return value;
}

export function parseTarget(target: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d+)$/.exec(target);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  if (host === undefined || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw bad(`--target must be HOST:PORT (e.g. 127.0.0.1:6380); got '${target}'`);
  }
  return { host, port };
}

export function parseBenchOptions(argv: readonly string[]): BenchCliOptions {
  // node 20's parseArgs has no negated booleans: --no-load is taken out by hand.
  const noLoad = argv.includes('--no-load');
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv.filter((a) => a !== '--no-load'),
      strict: true,
      allowPositionals: false,
      options: {
        target: { type: 'string', default: '127.0.0.1:6380' },
        clients: { type: 'string' },
        pipeline: { type: 'string' },
        duration: { type: 'string' },
        requests: { type: 'string' },
        warmup: { type: 'string' },
        workload: { type: 'string', default: 'A' },
        keys: { type: 'string' },
        distribution: { type: 'string', default: 'zipfian' },
        'value-bytes': { type: 'string' },
        load: { type: 'boolean', default: false },
        seed: { type: 'string' },
        'server-pid': { type: 'string' },
        tls: { type: 'boolean', default: false },
        cacert: { type: 'string' },
        json: { type: 'boolean', default: false },
        'progress-every': { type: 'string' },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    throw bad((error as Error).message);
  }
  const values = parsed.values as Record<string, unknown>;
  if (noLoad && values.load === true) throw bad('--load and --no-load contradict each other');
  const workload = parseWorkload(String(values.workload));
  if (workload === undefined) {
    throw bad(`--workload must be one of ${WORKLOAD_NAMES.join(', ')}; got '${String(values.workload)}'`);
  }
  const distribution = String(values.distribution);
  if (distribution !== 'zipfian' && distribution !== 'uniform') {
    throw bad(`--distribution must be zipfian or uniform; got '${distribution}'`);
  }
  if (values.duration !== undefined && values.requests !== undefined) {
    throw bad('give --duration or --requests, not both');
  }
  const requests =
    values.requests === undefined
      ? undefined
      : number(values, 'requests', 0, 1, Number.MAX_SAFE_INTEGER, true);
  const durationS =
    requests === undefined ? number(values, 'duration', 10, 0.001, DURATION_S_MAX, false) : undefined;
  const pipeline = number(values, 'pipeline', 1, 1, PIPELINE_MAX, true);
  const { host, port } = parseTarget(String(values.target));
  const cacert = values.cacert as string | undefined;
  if (cacert !== undefined && values.tls !== true) throw bad('--cacert needs --tls');
  let ca: Buffer | undefined;
  try {
    ca = cacert === undefined ? undefined : readFileSync(cacert);
  } catch (error) {
    throw bad(`cannot read --cacert ${cacert}: ${(error as Error).message}`);
  }
  return {
    bench: {
      host,
      port,
      clients: number(values, 'clients', 50, 1, CLIENTS_MAX, true),
      pipeline,
      durationS,
      requests,
      warmupS: number(values, 'warmup', 2, 0, DURATION_S_MAX, false),
      workload,
      keys: number(values, 'keys', 100_000, 1, KEY_COUNT_MAX, true),
      distribution,
      valueBytes: number(values, 'value-bytes', 100, 0, VALUE_BYTES_MAX, true),
      load: !noLoad,
      loadPipeline: Math.max(LOAD_PIPELINE, pipeline),
      seed: number(values, 'seed', 1, 0, 2 ** 32 - 1, true),
      tls: values.tls === true ? { ca } : undefined,
      serverPid:
        values['server-pid'] === undefined
          ? undefined
          : number(values, 'server-pid', 0, 1, 2 ** 31 - 1, true),
    },
    json: values.json === true,
    progressEveryS: number(values, 'progress-every', 5, 0, DURATION_S_MAX, false),
    help: values.help === true,
  };
}
