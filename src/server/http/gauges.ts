// Per-worker gauges on the server's own registry, read from db.stats() when /metrics is
// scraped: ringkv_worker_alive, ringkv_worker_partitions_owned and
// ringkv_worker_partitions_replicated, labelled by worker slot. One stats round trip serves
// all three gauges of a scrape.
import { Gauge, type Registry } from 'prom-client';
import type { Db, DbStats, WorkerReport } from '../../main/db.js';

const GAUGES: [name: string, help: string, read: (worker: WorkerReport) => number][] = [
  ['ringkv_worker_alive', 'Whether the worker thread is running (1) or not (0).', (w) => (w.alive ? 1 : 0)],
  [
    'ringkv_worker_partitions_owned',
    'Partitions the worker owns (first in their preference list).',
    (w) => w.partitionsOwned,
  ],
  [
    'ringkv_worker_partitions_replicated',
    "Partitions the worker holds a replica of, for the default bucket's n.",
    (w) => w.partitionsReplicated,
  ],
];

/** Registers the gauges (replacing any a previous server left) and returns their removal. */
export function registerWorkerGauges(registry: Registry, db: Db): () => void {
  let pending: Promise<DbStats> | null = null;
  const snapshot = (): Promise<DbStats> => {
    pending ??= db.stats().finally(() => {
      pending = null;
    });
    return pending;
  };
  const gauges = GAUGES.map(([name, help, read]) => {
    registry.removeSingleMetric(name);
    const gauge = new Gauge({
      name,
      help,
      labelNames: ['worker'],
      registers: [registry],
      async collect() {
        const { workers } = await snapshot();
        for (const worker of workers) this.set({ worker: String(worker.worker) }, read(worker));
      },
    });
    return { name, gauge };
  });
  return () => {
    for (const { name, gauge } of gauges) {
      if (registry.getSingleMetric(name) === gauge) registry.removeSingleMetric(name);
    }
  };
}
