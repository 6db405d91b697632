// What one phase of a run measured, per operation type: an HDR histogram of the latencies of
// the successful operations (microseconds, 3 significant digits), how many found no value, and
// the failed ones counted by their error word. Nothing is dropped: every reply lands here.
import { build, type Histogram } from 'hdr-histogram-js';
import { OP_NAMES, type OpName, type OpType } from './workloads.js';

/** Latencies above this (an hour, in µs) still count; the histogram grows to hold them. */
const LATENCY_US_TRACKED_MAX = 3_600_000_000;

export function newHistogram(): Histogram {
  return build({
    bitBucketSize: 32,
    lowestDiscernibleValue: 1,
    highestTrackableValue: LATENCY_US_TRACKED_MAX,
    numberOfSignificantValueDigits: 3,
    autoResize: true,
  });
}

export class OpStats {
  readonly histogram = newHistogram();
  /** Successful operations (their latencies are in the histogram). */
  ok = 0;
  /** Successful reads that found no value (a null bulk or an empty VGET array). */
  notFound = 0;
  readonly errors = new Map<string, number>();

  get errorCount(): number {
    let total = 0;
    for (const count of this.errors.values()) total += count;
    return total;
  }
}

export class PhaseStats {
  readonly ops: readonly [OpStats, OpStats, OpStats] = [new OpStats(), new OpStats(), new OpStats()];
  /** RESP commands whose replies arrived (a read-modify-write sends two). */
  commands = 0;
  /** performance.now() of the latest reply recorded here. */
  lastReplyAt = 0;

  record(op: OpType, latencyUs: number, now: number): void {
    const stats = this.ops[op];
    stats.ok++;
    stats.histogram.recordValue(latencyUs);
    this.lastReplyAt = now;
  }

  error(op: OpType, word: string, now: number): void {
    const errors = this.ops[op].errors;
    errors.set(word, (errors.get(word) ?? 0) + 1);
    this.lastReplyAt = now;
  }

  get completed(): number {
    let total = 0;
    for (const stats of this.ops) total += stats.ok + stats.errorCount;
    return total;
  }
}

export interface OpFigures {
  op: OpName | 'total';
  /** Successful operations, and per second of the measured time. */
  count: number;
  opsPerSec: number;
  p50Us: number;
  p90Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
  meanUs: number;
  notFound: number;
  errors: Record<string, number>;
  errorCount: number;
}

function figures(
  op: OpFigures['op'],
  histogram: Histogram,
  count: number,
  notFound: number,
  errors: Map<string, number>,
  seconds: number,
): OpFigures {
  const empty = histogram.totalCount === 0;
  // A percentile is the top of its histogram bucket, which can lie above the largest value
  // recorded: it is capped there, so p99.9 never reads above max.
  const at = (percentile: number) =>
    empty ? 0 : Math.min(histogram.getValueAtPercentile(percentile), histogram.maxValue);
  let errorCount = 0;
  for (const n of errors.values()) errorCount += n;
  return {
    op,
    count,
    opsPerSec: seconds > 0 ? count / seconds : 0,
    p50Us: at(50),
    p90Us: at(90),
    p99Us: at(99),
    p999Us: at(99.9),
    maxUs: empty ? 0 : histogram.maxValue,
    meanUs: empty ? 0 : histogram.mean,
    notFound,
    errors: Object.fromEntries([...errors].sort()),
    errorCount,
  };
}

/** Figures for each operation type the workload uses (or that saw replies), then the total. */
export function summarize(stats: PhaseStats, seconds: number, used: readonly OpType[]): OpFigures[] {
  const rows: OpFigures[] = [];
  const total = newHistogram();
  const totalErrors = new Map<string, number>();
  let totalCount = 0;
  let totalNotFound = 0;
  stats.ops.forEach((s, op) => {
    if (!used.includes(op as OpType) && s.ok === 0 && s.errors.size === 0) return;
    rows.push(figures(OP_NAMES[op] as OpName, s.histogram, s.ok, s.notFound, s.errors, seconds));
    total.add(s.histogram);
    totalCount += s.ok;
    totalNotFound += s.notFound;
    for (const [word, n] of s.errors) totalErrors.set(word, (totalErrors.get(word) ?? 0) + n);
  });
  rows.push(figures('total', total, totalCount, totalNotFound, totalErrors, seconds));
  return rows;
}
