// The two checks every fault test makes, kept apart so each has a negative control:
// no acknowledged write is missing, and every replica of every written key agrees.
import type { Db } from '../../src/main/db.js';

/** Keys whose acknowledged value is neither the value nor one of the siblings read back. */
export async function lostWrites(db: Db, acked: ReadonlyMap<string, string>): Promise<string[]> {
  const lost: string[] = [];
  for (const [key, value] of acked) {
    const { values } = await db.get(key, { r: db.props.n });
    if (!values.some((v) => v.toString() === value)) lost.push(key);
  }
  return lost;
}

/** Keys whose preference-list replicas do not all hold the same versions (read via explain). */
export async function divergentKeys(db: Db, keys: Iterable<string>): Promise<string[]> {
  const divergent: string[] = [];
  for (const key of keys) {
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
    if (first === 'missing' || preferenceList.some((worker) => signature(worker) !== first))
      divergent.push(key);
  }
  return divergent;
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
