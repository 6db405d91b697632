// Request counters and latency histograms shared by the RESP and HTTP servers, exposed as
// Prometheus text on GET /metrics and summarised in INFO and GET /stats. One registry per
// server instance (not prom-client's global one), so tests can run several side by side.
// Label children are bound once per (protocol, command, outcome) and kept: resolving labels
// hashes them, which is too much work to repeat on every request.
import { Counter, Histogram, Registry } from 'prom-client';

export type Protocol = 'resp' | 'http';

const LATENCY_METRIC = 'ringkv_request_duration_seconds';

/** One value of a histogram: its series name (_bucket, _sum, _count) is not in prom-client's union type. */
interface LatencyValue {
  metricName?: string;
  labels: Partial<Record<string, string | number>>;
  value: number;
}

/** Latency buckets in seconds: 50 µs to 5 s, dense where a healthy request lands. */
export const LATENCY_BUCKETS_S: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5,
];

interface CounterChild {
  inc(value?: number): void;
}

interface HistogramChild {
  observe(value: number): void;
}

/** A request's bound children: its count, its latency, and (for failures) its error code's count. */
interface Series {
  requests: CounterChild;
  latency: HistogramChild;
  errors: CounterChild | null;
}

/** Bound series at most: commands and outcomes are both from fixed sets, so this is never reached in practice. */
const SERIES_MAX = 10_000;

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'protocol' | 'command' | 'outcome'>;
  private readonly latency: Histogram<'protocol' | 'command'>;
  private readonly connections: Counter<'protocol'>;
  private readonly errors: Counter<'protocol' | 'code'>;
  private readonly series = new Map<string, Series>();
  private readonly authFailures: Counter<'protocol' | 'reason'>;
  private commandCount = 0;
  private errorCount = 0;

  constructor() {
    this.requests = new Counter({
      name: 'ringkv_requests_total',
      help: 'Requests handled, by protocol, command and outcome (ok or the error code).',
      labelNames: ['protocol', 'command', 'outcome'],
      registers: [this.registry],
    });
    this.latency = new Histogram({
      name: LATENCY_METRIC,
      help: 'Time from a parsed request to its reply being queued, by protocol and command.',
      labelNames: ['protocol', 'command'],
      buckets: [...LATENCY_BUCKETS_S],
      registers: [this.registry],
    });
    this.errors = new Counter({
      name: 'ringkv_errors_total',
      help: 'Requests that failed, by protocol and error code.',
      labelNames: ['protocol', 'code'],
      registers: [this.registry],
    });
    this.connections = new Counter({
      name: 'ringkv_connections_total',
      help: 'Connections accepted, by protocol.',
      labelNames: ['protocol'],
      registers: [this.registry],
    });
    this.authFailures = new Counter({
      name: 'ringkv_auth_failures_total',
      help: 'Failed logins (AUTH, HELLO AUTH, HTTP credentials), by protocol and reason (bad_credentials, or throttled: refused unchecked after repeated failures).',
      labelNames: ['protocol', 'reason'],
      registers: [this.registry],
    });
  }

  /** Records one finished request; `outcome` is 'ok' or an error code. */
  observe(protocol: Protocol, command: string, seconds: number, outcome: string): void {
    this.commandCount++;
    const key = `${protocol} ${command} ${outcome}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        requests: this.requests.labels({ protocol, command, outcome }),
        latency: this.latency.labels({ protocol, command }),
        errors: outcome === 'ok' ? null : this.errors.labels({ protocol, code: outcome }),
      };
      if (this.series.size < SERIES_MAX) this.series.set(key, series);
    }
    series.requests.inc();
    series.latency.observe(seconds);
    if (series.errors !== null) {
      this.errorCount++;
      series.errors.inc();
    }
  }

  connectionOpened(protocol: Protocol): void {
    this.connections.inc({ protocol });
  }

  authFailed(protocol: Protocol, reason: 'bad_credentials' | 'throttled'): void {
    this.authFailures.inc({ protocol, reason });
  }

  /**
   * Every protocol and command seen so far (keyed `protocol command`) with its cumulative
   * request counts per latency bucket: entry i counts requests of at most LATENCY_BUCKETS_S[i],
   * the last entry all of them. The dashboard samples this once a second and diffs two samples.
   */
  async latencyCounts(): Promise<Map<string, number[]>> {
    const counts = new Map<string, number[]>();
    const { values } = await this.latency.get();
    for (const { labels, value, metricName } of values as LatencyValue[]) {
      if (metricName !== `${LATENCY_METRIC}_bucket`) continue;
      const series = `${labels.protocol} ${labels.command}`;
      let buckets = counts.get(series);
      if (buckets === undefined) {
        buckets = new Array<number>(LATENCY_BUCKETS_S.length + 1).fill(0);
        counts.set(series, buckets);
      }
      const index =
        labels.le === '+Inf' ? LATENCY_BUCKETS_S.length : LATENCY_BUCKETS_S.indexOf(Number(labels.le));
      if (index >= 0) buckets[index] = value;
    }
    return counts;
  }

  get totalCommands(): number {
    return this.commandCount;
  }

  get totalErrors(): number {
    return this.errorCount;
  }
}
