// The generator's result, as JSON (`--json`: every figure, machine-readable) and as text for a
// person: a table per operation type with throughput, latency percentiles and errors (always
// shown, also when zero), then the generator's own CPU per request. Also the progress line.
import type { Progress } from './generator.js';
import type { OpFigures } from './stats.js';

export interface BenchResult {
  tool: 'ringkv bench';
  config: {
    target: string;
    workload: string;
    workloadDescription: string;
    clients: number;
    pipeline: number;
    durationS: number | null;
    requests: number | null;
    warmupS: number;
    keys: number;
    distribution: string;
    valueBytes: number;
    load: boolean;
    loadPipeline: number;
    seed: number;
  };
  load: { keys: number; seconds: number; opsPerSec: number; errors: Record<string, number> } | null;
  /** Seconds from the start of the measured phase to its last reply; RESP commands answered. */
  measured: { seconds: number; commands: number };
  /** One row per operation type, then `total`. */
  ops: OpFigures[];
  generator: {
    cpuUserUs: number;
    cpuSystemUs: number;
    /** The generator's CPU time (user + system) per RESP command of the measured phase. */
    cpuUsPerRequest: number;
    /** Its CPU time over the measured phase's wall time: 1 is one core busy. */
    coreShare: number;
  };
  /** The server's CPU (all its threads) over the measured phase, when --server-pid was given. */
  server: { cpuUsPerRequest: number; coreShare: number } | null;
  connections: { opened: number; failed: Record<string, number> };
  node: string;
}

const integer = (n: number) => Math.round(n).toLocaleString('en-US');

export function formatErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '0' : entries.map(([word, n]) => `${word} ${n}`).join(', ');
}

function table(rows: string[][]): string[] {
  const widths = (rows[0] as string[]).map((_, c) => Math.max(...rows.map((r) => (r[c] as string).length)));
  return rows.map((row) =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] as number) : cell.padStart(widths[c] as number)))
      .join('  '),
  );
}

export function formatResult(result: BenchResult): string {
  const { config, generator } = result;
  const bound = config.requests !== null ? `${integer(config.requests)} requests` : `${config.durationS} s`;
  const lines = [
    `ringkv bench → ${config.target} · workload ${config.workload}: ${config.workloadDescription}`,
    `${config.clients} clients × pipeline ${config.pipeline} · ${integer(config.keys)} keys, ${config.distribution} · ${config.valueBytes}-byte values · ${bound} after ${config.warmupS} s of warm-up · seed ${config.seed}`,
  ];
  if (result.load !== null) {
    lines.push(
      `load: ${integer(result.load.keys)} keys in ${result.load.seconds.toFixed(2)} s (${integer(result.load.opsPerSec)}/s), errors: ${formatErrors(result.load.errors)}`,
    );
  } else {
    lines.push('load: skipped (--no-load)');
  }
  lines.push(
    `measured: ${result.measured.seconds.toFixed(2)} s, ${integer(result.measured.commands)} commands`,
    '',
  );
  const rows = [
    ['op', 'ops/s', 'count', 'p50 µs', 'p90 µs', 'p99 µs', 'p99.9 µs', 'max µs', 'not found', 'errors'],
  ];
  for (const f of result.ops) {
    rows.push([
      f.op,
      integer(f.opsPerSec),
      integer(f.count),
      integer(f.p50Us),
      integer(f.p90Us),
      integer(f.p99Us),
      integer(f.p999Us),
      integer(f.maxUs),
      integer(f.notFound),
      formatErrors(f.errors),
    ]);
  }
  lines.push(...table(rows), '');
  const failed = formatErrors(result.connections.failed);
  lines.push(
    `generator: ${generator.cpuUsPerRequest.toFixed(2)} µs CPU per request (user ${(generator.cpuUserUs / 1000).toFixed(0)} ms, system ${(generator.cpuSystemUs / 1000).toFixed(0)} ms), ${(generator.coreShare * 100).toFixed(0)}% of one core`,
    ...(result.server === null
      ? []
      : [
          `server: ${result.server.cpuUsPerRequest.toFixed(2)} µs CPU per request (all threads), ${(result.server.coreShare * 100).toFixed(0)}% of one core`,
        ]),
    `connections: ${result.connections.opened} opened, ${failed === '0' ? 'none ended early' : `ended early: ${failed}`}`,
  );
  return lines.join('\n');
}

export function formatProgress(progress: Progress): string {
  const done =
    progress.total !== undefined
      ? `${integer(progress.completed)}/${integer(progress.total)}`
      : integer(progress.completed);
  return `${progress.phase} ${progress.elapsedS.toFixed(1)} s · ${integer(progress.opsPerSec)} ops/s · ${done} done`;
}
