// The one judgement of the store's health that /health, /stats, INFO and `ringkv status`
// all show: "ok" when every worker is up and its storage commits, "degraded" while enough
// workers are up to meet the default bucket's r and w, "unavailable" once fewer than
// max(r, w) are (a sloppy quorum may stand in for any dead worker, so only the count
// matters). A worker whose storage failed (full disk) still serves reads: on its own it makes
// the status "degraded", never "unavailable". Pure: the workers' states are passed in.
import type { WorkerHealth } from './db.js';

export type StoreStatus = 'ok' | 'degraded' | 'unavailable';

export interface HealthSummary {
  status: StoreStatus;
  up: number;
  suspect: number;
  down: number;
  total: number;
  storageFailed: number[];
  /** Whether enough workers are up with working storage to meet w. */
  writesPossible: boolean;
}

export function summarizeHealth(workers: readonly WorkerHealth[], r: number, w: number): HealthSummary {
  const count = (state: WorkerHealth['health']) => workers.filter((worker) => worker.health === state).length;
  const up = count('up');
  const storageFailed = workers
    .filter((worker) => worker.storage === 'failed')
    .map((worker) => worker.worker);
  const writable = workers.filter((worker) => worker.health === 'up' && worker.storage === 'ok').length;
  let status: StoreStatus = 'ok';
  if (up < workers.length || storageFailed.length > 0)
    status = up >= Math.max(r, w) ? 'degraded' : 'unavailable';
  return {
    status,
    up,
    suspect: count('suspect'),
    down: count('down'),
    total: workers.length,
    storageFailed,
    writesPossible: writable >= w,
  };
}
