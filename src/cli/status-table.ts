// `ringkv status` as a table, one row per worker, like `nodetool status`: its health, the
// partitions it owns and replicates, its keys, the hints it holds for others, what
// anti-entropy repaired in it, and how often it was respawned. `--json` prints /stats whole.

export interface StatsBody {
  uptimeMs: number;
  health: { status: string; up: number; total: number };
  partitions: number;
  readRepairs: number;
  workers: {
    worker: number;
    health: string;
    respawns: number;
    partitionsOwned: number;
    partitionsReplicated: number;
    storage: string;
    counters: Record<string, number> | null;
  }[];
}

export interface BackupBody {
  dir: string;
  workers: number;
  ms: number;
}

const COLUMNS = ['worker', 'health', 'storage', 'owned', 'replicas', 'keys', 'hints', 'repaired', 'respawns'];

export function statusTable(stats: StatsBody): string {
  const rows = stats.workers.map((worker) => {
    const counter = (name: string) => (worker.counters === null ? '?' : String(worker.counters[name] ?? 0));
    const keys =
      worker.counters === null
        ? '?'
        : String((worker.counters.records ?? 0) - (worker.counters.tombstones ?? 0));
    return [
      String(worker.worker),
      worker.health,
      worker.storage,
      String(worker.partitionsOwned),
      String(worker.partitionsReplicated),
      keys,
      counter('hintsPending'),
      counter('antiEntropyKeysRepaired'),
      String(worker.respawns),
    ];
  });
  const widths = COLUMNS.map((name, i) =>
    Math.max(name.length, ...rows.map((row) => (row[i] as string).length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => (i < 3 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ');
  const { status, up, total } = stats.health;
  return [
    `Status: ${status} (${up} of ${total} workers up), ${stats.partitions} partitions, ${stats.readRepairs} read repairs, up ${Math.round(stats.uptimeMs / 1000)} s`,
    line(COLUMNS),
    ...rows.map(line),
    "keys: records without tombstones, counting each replica; hints: held for a worker that was down; repaired: keys anti-entropy fixed; '?': the worker did not answer",
  ].join('\n');
}
