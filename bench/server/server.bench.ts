// The server path end to end: ringkv (`ringkv start`, fresh data directory) beside redis-server
// (AOF on, fsync every second) on the same machine in the same run, loaded by the same
// generator. Each workload runs against both, interleaved (ringkv, redis, ringkv, redis …) so
// drift in the machine's load hits both alike, and every ringkv figure is also read as a ratio
// to the redis-server figure of its round. Then an (n,r,w) matrix on one workload shows the
// price of each replication choice. GET-only and SET-only workloads also run through ringkv's
// RESP-over-TLS port in the same round, right after the plain port of the same server, so TLS
// is read as a ratio to plain. Nothing here asserts a timing.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from '../../src/loadgen/index.js';
import type { WorkloadName } from '../../src/loadgen/workloads.js';
import { runGenerator } from './generator-child.js';
import { onPath, type ServerProcess, selfSignedCert, startRedis, startRingkv } from './processes.js';

export interface Scenario {
  workload: WorkloadName;
  pipeline: number;
}

export interface Nrw {
  n: number;
  r: number;
  w: number;
}

export interface ServerBenchOptions {
  clients: number;
  keys: number;
  valueBytes: number;
  distribution: 'zipfian' | 'uniform';
  durationS: number;
  warmupS: number;
  rounds: number;
  scenarios: Scenario[];
  matrix: { scenario: Scenario; configs: Nrw[]; rounds: number };
  /** A line for the log: phases and results. */
  progress: (line: string) => void;
  /** The generator's live progress, once a second. */
  live: (line: string) => void;
}

export interface ServerFigure extends Scenario {
  ringkv: BenchResult[];
  /** One per round; empty when redis-server was not measured (see redis.missing). */
  redis: BenchResult[];
  /** Why redis-server has no figure for this scenario, if it has none. */
  redisMissing: string | undefined;
  /** ringkv through its TLS port, one per round (GET-only and SET-only workloads). */
  ringkvTls: BenchResult[];
  /** Why there is no TLS figure for this scenario, if there is none. */
  tlsMissing: string | undefined;
}

/** The workloads measured through TLS too: GET only and SET only. */
const TLS_WORKLOADS: readonly WorkloadName[] = ['C', 'write'];
const TLS_OTHER_WORKLOAD = 'not measured (TLS is measured on GET-only C and SET-only write)';

export interface MatrixFigure extends Nrw {
  runs: BenchResult[];
}

export interface ServerBenchResult {
  options: Omit<ServerBenchOptions, 'progress' | 'live'>;
  ringkv: { command: string; startLine: string };
  redis: { version: string; command: string } | { missing: string };
  figures: ServerFigure[];
  matrix: MatrixFigure[];
}

export const NRW_MATRIX: Nrw[] = [
  { n: 1, r: 1, w: 1 },
  { n: 3, r: 1, w: 1 },
  { n: 3, r: 2, w: 2 },
  { n: 3, r: 1, w: 3 },
  { n: 3, r: 3, w: 1 },
];

export const REDIS_MISSING = 'not measured (redis-server not on PATH)';
const RINGKV_COMMAND =
  'node bin/ringkv.js start --dir <fresh tmp> --port <free> --http-port <free> [--n --r --w]';
const REDIS_COMMAND =
  "redis-server --port <free> --bind 127.0.0.1 --save '' --appendonly yes --appendfsync everysec --dir <fresh tmp>";
const DYNAMO_ONLY = 'not applicable (F needs ringkv’s VGET/VPUT)';

function redisVersion(): string {
  try {
    const text = execFileSync('redis-server', ['--version'], { encoding: 'utf8' });
    return /v=(\S+)/.exec(text)?.[1] ?? text.trim();
  } catch {
    return 'unknown';
  }
}

class Servers {
  private loaded = new Set<ServerProcess>();

  constructor(private readonly options: ServerBenchOptions) {}

  /** One generator run against `server`; its first run loads every key. */
  async run(server: ServerProcess, scenario: Scenario, label: string, tls = false): Promise<BenchResult> {
    const o = this.options;
    const args = ['--workload', scenario.workload, '--pipeline', String(scenario.pipeline)];
    if (tls && server.tls !== undefined) args.push('--tls', '--cacert', server.tls.caFile);
    args.push('--clients', String(o.clients), '--keys', String(o.keys), '--distribution', o.distribution);
    args.push(
      '--value-bytes',
      String(o.valueBytes),
      '--duration',
      String(o.durationS),
      '--warmup',
      String(o.warmupS),
    );
    if (server.pid !== undefined) args.push('--server-pid', String(server.pid));
    const load = !this.loaded.has(server);
    this.loaded.add(server);
    const port = tls && server.tls !== undefined ? server.tls.port : server.port;
    const { result } = await runGenerator({
      target: `${server.host}:${port}`,
      args,
      load,
      onProgress: (line) => o.live(`${label}: ${line}`),
    });
    const total = result.ops.at(-1);
    const errors = total?.errorCount ?? 0;
    o.progress(
      `${label}: ${Math.round(total?.opsPerSec ?? 0)} ops/s, p99 ${total?.p99Us ?? 0} µs, ${errors} errors${result.load === null ? '' : `, load ${result.load.seconds.toFixed(1)} s`}`,
    );
    return result;
  }
}

/**
 * ringkv runs with --durability async: LMDB without per-commit fsync, synced once a second,
 * which promises what redis-server's appendfsync everysec does, so the two are compared alike.
 */
const RINGKV_ARGS = ['--durability', 'async'];

async function mainComparison(
  options: ServerBenchOptions,
  base: string,
  servers: Servers,
  redisWanted: boolean,
): Promise<{ figures: ServerFigure[]; startLine: string }> {
  const cert = selfSignedCert(base);
  const ringkv = await startRingkv({
    dir: join(base, 'ringkv'),
    extraArgs: RINGKV_ARGS,
    ...('missing' in cert ? {} : { tls: cert }),
  });
  let redis: ServerProcess | undefined;
  const figures: ServerFigure[] = [];
  // The banner: `ringkv VERSION: data in DIR: K workers, Q partitions, default bucket …, durability D`.
  const startLine = /ringkv [^:\n]*: data in [^\n]*/.exec(ringkv.output())?.[0] ?? '';
  try {
    if (redisWanted) redis = await startRedis({ dir: join(base, 'redis'), appendonly: true });
    options.progress(startLine);
    for (const scenario of options.scenarios) {
      const dynamo = scenario.workload === 'F';
      const figure: ServerFigure = {
        ...scenario,
        ringkv: [],
        redis: [],
        redisMissing: redis === undefined ? REDIS_MISSING : dynamo ? DYNAMO_ONLY : undefined,
        ringkvTls: [],
        tlsMissing:
          'missing' in cert
            ? cert.missing
            : TLS_WORKLOADS.includes(scenario.workload)
              ? undefined
              : TLS_OTHER_WORKLOAD,
      };
      for (let round = 1; round <= options.rounds; round++) {
        const label = `${scenario.workload} P${scenario.pipeline} round ${round}/${options.rounds}`;
        figure.ringkv.push(await servers.run(ringkv, scenario, `${label} ringkv`));
        if (figure.tlsMissing === undefined)
          figure.ringkvTls.push(await servers.run(ringkv, scenario, `${label} ringkv TLS`, true));
        if (redis !== undefined && !dynamo)
          figure.redis.push(await servers.run(redis, scenario, `${label} redis`));
      }
      figures.push(figure);
    }
  } finally {
    await Promise.all([ringkv.stop(), redis?.stop()]);
  }
  return { figures, startLine };
}

async function nrwMatrix(
  options: ServerBenchOptions,
  base: string,
  servers: Servers,
): Promise<MatrixFigure[]> {
  const figures: MatrixFigure[] = [];
  const { scenario, configs, rounds } = options.matrix;
  for (const [i, config] of configs.entries()) {
    const ringkv = await startRingkv({ dir: join(base, `matrix-${i}`), ...config, extraArgs: RINGKV_ARGS });
    const figure: MatrixFigure = { ...config, runs: [] };
    try {
      for (let round = 1; round <= rounds; round++) {
        const label = `matrix (n,r,w)=(${config.n},${config.r},${config.w}) ${scenario.workload} P${scenario.pipeline} round ${round}/${rounds}`;
        figure.runs.push(await servers.run(ringkv, scenario, label));
      }
    } finally {
      await ringkv.stop();
      rmSync(join(base, `matrix-${i}`), { recursive: true, force: true });
    }
    figures.push(figure);
  }
  return figures;
}

export async function runServerBench(options: ServerBenchOptions): Promise<ServerBenchResult> {
  const redisWanted = onPath('redis-server') !== undefined;
  if (!redisWanted) options.progress(`redis-server is not on PATH: its column will say "${REDIS_MISSING}"`);
  const base = mkdtempSync(join(tmpdir(), 'ringkv-server-bench-'));
  const servers = new Servers(options);
  try {
    const main = await mainComparison(options, base, servers, redisWanted);
    const matrix = await nrwMatrix(options, base, servers);
    const { progress: _progress, live: _live, ...recorded } = options;
    return {
      options: recorded,
      ringkv: { command: RINGKV_COMMAND, startLine: main.startLine },
      redis: redisWanted ? { version: redisVersion(), command: REDIS_COMMAND } : { missing: REDIS_MISSING },
      figures: main.figures,
      matrix,
    };
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}
