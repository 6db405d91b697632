// Throughput and latency quantiles per command over one sampling interval, from two samples of
// the cumulative latency histograms (ServerMetrics.latencyCounts): the difference of two
// samples is the histogram of the interval alone. A quantile is interpolated linearly inside
// the bucket that holds it, as Prometheus's histogram_quantile does; past the last finite
// bound it is that bound. Pure: the samples and the interval are passed in.
import { LATENCY_BUCKETS_S } from '../metrics.js';

export interface CommandRate {
  /** `protocol command`, e.g. `resp set` or `http key_get`. */
  command: string;
  perS: number;
  /** Null when the command had no request in the interval. */
  p50Ms: number | null;
  p99Ms: number | null;
}

/** Every command of `after`, with its requests per second and quantiles since `before`. */
export function commandRates(
  before: ReadonlyMap<string, readonly number[]>,
  after: ReadonlyMap<string, readonly number[]>,
  elapsedMs: number,
): CommandRate[] {
  const rates: CommandRate[] = [];
  for (const [command, cumulative] of after) {
    const earlier = before.get(command);
    const interval = cumulative.map((count, i) => count - (earlier?.[i] ?? 0));
    const total = interval[interval.length - 1] ?? 0;
    rates.push({
      command,
      perS: elapsedMs > 0 ? (total * 1000) / elapsedMs : 0,
      p50Ms: quantileMs(interval, 0.5),
      p99Ms: quantileMs(interval, 0.99),
    });
  }
  return rates.sort((a, b) => a.command.localeCompare(b.command));
}

/** The q-quantile in ms of a histogram of cumulative bucket counts (last entry: all), or null when empty. */
export function quantileMs(cumulative: readonly number[], q: number): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < LATENCY_BUCKETS_S.length; i++) {
    const count = cumulative[i] ?? 0;
    if (count >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BUCKETS_S[i - 1] as number);
      const upper = LATENCY_BUCKETS_S[i] as number;
      const inBucket = count - below;
      const fraction = inBucket > 0 ? (rank - below) / inBucket : 1;
      return (lower + (upper - lower) * fraction) * 1000;
    }
    below = count;
  }
  return (LATENCY_BUCKETS_S[LATENCY_BUCKETS_S.length - 1] as number) * 1000;
}
