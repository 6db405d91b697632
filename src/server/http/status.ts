// The operator routes: GET /ring, /stats, /health and /metrics. /health is 200 "ok" or
// "degraded" and 503 "unavailable", as judged by summarizeHealth (src/main/health-summary.ts),
// the same judgement /stats and INFO show; `storage` says whether writes can still meet w.
import type { Registry } from 'prom-client';
import { summarizeHealth } from '../../main/health-summary.js';
import { ownershipCounts, replicaCounts } from '../../ring/index.js';
import type { Handler } from './exchange.js';
import { sendBytes, sendJson } from './reply.js';

/** The ring in brief: partitions per worker (owned, and held as one of n replicas) and the owners array. */
export const getRing: Handler = ({ db }, { res }) => {
  const { ring } = db;
  const { n } = db.props;
  sendJson(res, 200, {
    partitions: ring.partitionCount,
    workers: ring.workerCount,
    n,
    partitionsOwned: ownershipCounts(ring),
    partitionsReplicated: replicaCounts(ring, n),
    owners: ring.owners,
  });
};

export const getStats: Handler = async ({ db, metrics }, { res }) => {
  const stats = await db.stats();
  const { r, w } = db.props;
  sendJson(res, 200, {
    uptimeMs: stats.uptimeMs,
    health: summarizeHealth(db.health(), r, w),
    requests: { total: metrics.totalCommands, errors: metrics.totalErrors },
    latency: await latencySummary(metrics.registry),
    partitions: stats.partitions,
    readRepairs: stats.readRepairs,
    workers: stats.workers,
  });
};

export const getHealth: Handler = ({ db }, { res }) => {
  const workers = db.health();
  const { r, w } = db.props;
  const summary = summarizeHealth(workers, r, w);
  const failed = summary.storageFailed;
  sendJson(res, summary.status === 'unavailable' ? 503 : 200, {
    status: summary.status,
    workers: {
      up: summary.up,
      suspect: summary.suspect,
      down: summary.down,
      total: summary.total,
      states: workers.map((worker) => worker.health),
      storage: workers.map((worker) => worker.storage),
    },
    storage: {
      status: failed.length === 0 ? 'ok' : 'failed',
      failedWorkers: failed,
      writesPossible: summary.writesPossible,
      ...(failed.length > 0 && {
        message: `storage failed on worker${failed.length === 1 ? '' : 's'} ${failed.join(', ')} (a commit failed: disk full?); they refuse writes with STORAGE and serve reads, and take writes again once space is freed`,
      }),
    },
    quorum: { r, w },
  });
};

export const getMetrics: Handler = async ({ metrics }, { res }) => {
  const text = await metrics.registry.metrics();
  sendBytes(res, 200, text, { 'Content-Type': metrics.registry.contentType });
};

const LATENCY_METRIC = 'ringkv_request_duration_seconds';

interface HistogramValue {
  metricName?: string;
  labels: Partial<Record<string, string | number>>;
  value: number;
}

interface LatencyTotals {
  count: number;
  sum: number;
  /** Cumulative counts by bucket upper bound (seconds), summed over commands. */
  buckets: Map<number, number>;
}

/**
 * Per protocol: request count, mean, and the histogram bucket bounds that hold the median and
 * the 99th percentile ("at most" figures: the histogram keeps no finer detail).
 */
export async function latencySummary(registry: Registry): Promise<Record<string, object>> {
  const metric = registry.getSingleMetric(LATENCY_METRIC);
  if (metric === undefined) return {};
  const totals = new Map<string, LatencyTotals>();
  const { values } = await metric.get();
  // A histogram's values name their series (_bucket, _sum, _count); the union type does not say so.
  for (const { metricName, labels, value } of values as HistogramValue[]) {
    const protocol = String(labels.protocol);
    let entry = totals.get(protocol);
    if (entry === undefined) {
      entry = { count: 0, sum: 0, buckets: new Map() };
      totals.set(protocol, entry);
    }
    if (metricName === `${LATENCY_METRIC}_bucket`) {
      const bound = labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
      entry.buckets.set(bound, (entry.buckets.get(bound) ?? 0) + value);
    } else if (metricName === `${LATENCY_METRIC}_sum`) entry.sum += value;
    else if (metricName === `${LATENCY_METRIC}_count`) entry.count += value;
  }
  const summary: Record<string, object> = {};
  for (const [protocol, entry] of totals) {
    summary[protocol] = {
      count: entry.count,
      meanMs: entry.count === 0 ? null : (entry.sum / entry.count) * 1000,
      p50MsAtMost: quantileBound(entry, 0.5),
      p99MsAtMost: quantileBound(entry, 0.99),
    };
  }
  return summary;
}

function quantileBound({ count, buckets }: LatencyTotals, q: number): number | null {
  if (count === 0) return null;
  for (const [bound, cumulative] of [...buckets].sort((a, b) => a[0] - b[0])) {
    if (cumulative >= q * count) return Number.isFinite(bound) ? bound * 1000 : null;
  }
  return null;
}
