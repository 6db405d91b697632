// The checks every fault test makes, kept apart so each has a negative control (checkers.test.ts):
// no acknowledged write is missing, every replica of every written key agrees, and the worker
// counters the store reports. Waiting is on a condition with a limit, never a fixed sleep.
import type { Db, WorkerReport } from '../../src/main/db.js';

/** Keys whose acknowledged value is neither the value nor one of the siblings read back. */
export async function lostWrites(db: Db, acked: ReadonlyMap<string, string>): Promise<string[]> {
  return inChunks([...acked], async ([key, value]) => {
    const { values } = await db.get(key, { r: db.props.n });
    return values.some((v) => v.toString() === value) ? null : key;
  });
}

/** Runs `check` over items, CHUNK at a time (a slow worker then costs one timeout per chunk). */
async function inChunks<T>(
  items: readonly T[],
  check: (item: T) => Promise<string | null>,
): Promise<string[]> {
  const found: string[] = [];
  for (let start = 0; start < items.length; start += CHUNK) {
    const results = await Promise.all(items.slice(start, start + CHUNK).map(check));
    for (const result of results) if (result !== null) found.push(result);
  }
  return found;
}

const CHUNK = 256;

/** Keys whose preference-list replicas do not all hold the same versions (read via explain). */
export async function divergentKeys(db: Db, keys: Iterable<string>): Promise<string[]> {
  return inChunks([...keys], async (key) => {
    const { preferenceList, replicas } = await db.explain(key);
    const signature = (worker: number) => {
      const replica = replicas.find((r) => r.worker === worker);
      if (replica === undefined) return 'missing';
      return replica.versions
        .map((v) => `${v.ts}:${v.value?.toString('hex') ?? 'tombstone'}:${JSON.stringify(v.clock)}`)
        .sort()
        .join('|');
    };
    const first = signature(preferenceList[0] as number);
    const agree = first !== 'missing' && preferenceList.every((worker) => signature(worker) === first);
    return agree ? null : key;
  });
}

/** Polls `check` until it returns an empty list or `limitMs` passes; returns the last result. */
export async function eventually<T>(
  check: () => Promise<T[]>,
  limitMs: number,
): Promise<{ result: T[]; ms: number }> {
  const started = Date.now();
  let result = await check();
  while (result.length > 0 && Date.now() - started < limitMs) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    result = await check();
  }
  return { result, ms: Date.now() - started };
}

/**
 * Polls `condition` every `everyMs` until it holds (returns true and the time it took) or
 * `limitMs` passes (returns false). The limit bounds a broken run; a correct one ends early.
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  limitMs: number,
  everyMs = 20,
): Promise<{ held: boolean; ms: number }> {
  const started = Date.now();
  for (;;) {
    if (await condition()) return { held: true, ms: Date.now() - started };
    if (Date.now() - started >= limitMs) return { held: false, ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The sum of one worker counter over the workers that answered. */
export function counterSum(workers: readonly WorkerReport[], name: string): number {
  return workers.reduce((sum, worker) => sum + (worker.counters?.[name] ?? 0), 0);
}

/** The sum of one counter over every worker, read now. */
export async function counter(db: Db, name: string): Promise<number> {
  return counterSum((await db.stats()).workers, name);
}

export interface HealthBody {
  status: string;
  workers: { up: number; total: number; states: string[] };
}

export async function httpHealth(base: string): Promise<{ status: number; body: HealthBody }> {
  const response = await fetch(`${base}/health`);
  return { status: response.status, body: (await response.json()) as HealthBody };
}

export async function httpStats(base: string): Promise<{ workers: WorkerReport[] }> {
  return (await (await fetch(`${base}/stats`)).json()) as { workers: WorkerReport[] };
}
