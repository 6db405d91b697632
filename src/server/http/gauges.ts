// Per-worker series on the server's own registry, read when /metrics is scraped: health (one
// series per state, 1 for the current one), respawns, partitions, hints, anti-entropy, and the
// store's read repairs. Counters kept by the main thread (respawns, read repairs) only grow,
// so a crash that respawns between two scrapes still shows; counters kept by a worker restart
// from zero when it respawns (Prometheus reads that as a counter reset). One stats round trip
// serves every series of a scrape.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Db, DbStats, WorkerReport } from '../../main/db.js';

type Kind = 'gauge' | 'counter';

/** null when the worker did not answer (its own counters are unknown): the series is left out. */
type Read = (worker: WorkerReport) => number | null;

const counter =
  (name: string): Read =>
  (worker) =>
    worker.counters === null ? null : (worker.counters[name] ?? 0);

const WORKER_SERIES: [name: string, kind: Kind, help: string, read: Read][] = [
  [
    'ringkv_worker_alive',
    'gauge',
    'Whether the worker thread is running (1) or not (0).',
    (w) => (w.alive ? 1 : 0),
  ],
  [
    'ringkv_worker_respawns_total',
    'counter',
    'Times the worker thread was started again after it ended.',
    (w) => w.respawns,
  ],
  [
    'ringkv_worker_partitions_owned',
    'gauge',
    'Partitions the worker owns (first in their preference list).',
    (w) => w.partitionsOwned,
  ],
  [
    'ringkv_worker_partitions_replicated',
    'gauge',
    "Partitions the worker holds a replica of, for the default bucket's n.",
    (w) => w.partitionsReplicated,
  ],
  [
    'ringkv_worker_records',
    'gauge',
    'Records (keys, tombstones included) in the worker storage.',
    counter('records'),
  ],
  [
    'ringkv_worker_hints_stored_total',
    'counter',
    'Versions the worker took in for another (hinted handoff).',
    counter('hintsStored'),
  ],
  [
    'ringkv_worker_hints_delivered_total',
    'counter',
    'Hints the worker handed back to the worker they were for.',
    counter('hintsDelivered'),
  ],
  [
    'ringkv_worker_hints_pending',
    'gauge',
    'Hints the worker holds, not yet delivered.',
    counter('hintsPending'),
  ],
  [
    'ringkv_worker_anti_entropy_exchanges_total',
    'counter',
    'Anti-entropy exchanges the worker completed as initiator.',
    counter('antiEntropyExchanges'),
  ],
  [
    'ringkv_worker_anti_entropy_keys_repaired_total',
    'counter',
    'Keys anti-entropy repaired in the worker storage.',
    counter('antiEntropyKeysRepaired'),
  ],
];

const HEALTH_STATES = ['up', 'suspect', 'down'] as const;

/** Registers the series (replacing any a previous server left) and returns their removal. */
export function registerWorkerGauges(registry: Registry, db: Db): () => void {
  let pending: Promise<DbStats> | null = null;
  const snapshot = (): Promise<DbStats> => {
    pending ??= db.stats().finally(() => {
      pending = null;
    });
    return pending;
  };
  const metrics: { name: string; metric: Gauge | Counter }[] = [];
  const add = (name: string, metric: Gauge | Counter) => metrics.push({ name, metric });
  for (const [name, kind, help, read] of WORKER_SERIES) {
    registry.removeSingleMetric(name);
    const collect = async function (this: Gauge | Counter) {
      const { workers } = await snapshot();
      this.reset();
      for (const worker of workers) {
        const value = read(worker);
        if (value === null) continue;
        const labels = { worker: String(worker.worker) };
        if (this instanceof Gauge) this.set(labels, value);
        else this.inc(labels, value);
      }
    };
    const options = { name, help, labelNames: ['worker'], registers: [registry], collect };
    add(name, kind === 'gauge' ? new Gauge(options) : new Counter(options));
  }
  registry.removeSingleMetric('ringkv_worker_health');
  add(
    'ringkv_worker_health',
    new Gauge({
      name: 'ringkv_worker_health',
      help: "The failure detector's verdict on the worker: 1 on the series of its state (up, suspect, down).",
      labelNames: ['worker', 'state'],
      registers: [registry],
      collect() {
        for (const { worker, health } of db.health()) {
          for (const state of HEALTH_STATES)
            this.set({ worker: String(worker), state }, state === health ? 1 : 0);
        }
      },
    }),
  );
  registry.removeSingleMetric('ringkv_read_repairs_total');
  add(
    'ringkv_read_repairs_total',
    new Counter({
      name: 'ringkv_read_repairs_total',
      help: 'Stale replicas sent the merged record by gets.',
      registers: [registry],
      collect() {
        this.reset();
        this.inc(db.readRepairCount);
      },
    }),
  );
  return () => {
    for (const { name, metric } of metrics) {
      if (registry.getSingleMetric(name) === metric) registry.removeSingleMetric(name);
    }
  };
}
