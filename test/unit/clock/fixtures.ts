// Shared generators for the clock tests: a seeded PRNG and a simulation of several workers
// coordinating puts and deletes on one key while replicas merge, which yields realistic sets.

import {
  type Dot,
  EMPTY_CLOCK,
  joinClocks,
  mergeVersions,
  newVersion,
  type Policy,
  type VClock,
  type Version,
  versionClock,
} from '../../../src/clock/index.js';
import { CLOCK_ENTRIES_MAX } from '../../../src/constants.js';

/** mulberry32: a tiny, fast 32-bit PRNG; good enough to drive tests, reproducible by seed. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return ((z ^ (z >>> 14)) >>> 0) / 4_294_967_296;
  }

  /** Uniform integer in [0, bound). */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    const item = items[this.int(items.length)];
    if (item === undefined) throw new Error('pick from an empty list');
    return item;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }

  subset<T>(items: readonly T[]): T[] {
    const probability = this.next();
    return items.filter(() => this.chance(probability));
  }
}

/** Worker ids at the edges of uint32 as well as small ones, so encodings meet their limits. */
export const NODE_IDS = [0, 1, 2, 7, 1000, 65_536, 2 ** 31, 0xffff_fffe, 0xffff_ffff] as const;

export function dotId(dot: Dot): string {
  return `${dot.node}:${dot.counter}`;
}

/** v ranks no higher than w under lww: by ts, then dot node, then dot counter. */
export function lwwAtMost(v: Version, w: Version): boolean {
  return (v.ts - w.ts || v.dot.node - w.dot.node || v.dot.counter - w.dot.counter) <= 0;
}

/** How the client of a put came by its context. */
export type ContextKind = 'blind' | 'fresh' | 'stale';

export interface Put {
  readonly written: Version;
  readonly kind: ContextKind;
  /** A replace write (SET, DEL): it also supersedes every version older than it. */
  readonly replace: boolean;
  /** The context the client sent, before the coordinator truncated it. */
  readonly context: VClock;
  /**
   * Ids of every write the client had seen, directly or through the writes it read; for a
   * replace write also what its coordinator held, which it joins into its context.
   */
  readonly seen: ReadonlySet<string>;
  /** The context the put returned. */
  readonly returned: VClock;
  /** The coordinator's versions right after the put. */
  readonly after: readonly Version[];
}

export interface History {
  /** Every version any worker created, in creation order. */
  readonly created: Version[];
  /** Each put with how its context was obtained, in creation order. */
  readonly puts: Put[];
  /** What each replica holds at the end. */
  readonly replicas: Version[][];
}

export interface SimulateOptions {
  /** Workers, each a replica of the key. */
  readonly nodeCount?: number;
  /** How many of those workers coordinate puts: 1 sends every put through the same worker. */
  readonly coordinatorCount?: number;
  readonly clockEntriesMax?: number;
  /** Each step advances the time by 0 to tsStepMax - 1 ms: 1 puts a whole history in one ms. */
  readonly tsStepMax?: number;
  /** The chance that a put is a replace write; without it no draw is made, so schedules stay as they were. */
  readonly replaceChance?: number;
}

/** What a client learned from a get: the context to send back and the writes it saw. */
interface Read {
  readonly context: VClock;
  readonly seen: ReadonlySet<string>;
}

const STALE_READ_SLOTS = 4;
const NOTHING_READ: Read = { context: EMPTY_CLOCK, seen: new Set() };

/**
 * Clients put and delete one key through coordinating workers (newVersion on the worker's own
 * replica), with a context that is fresh (joinClocks of a get merging some replicas), stale (a
 * get from earlier steps) or none (blind); the coordinator sends its new set to some replicas,
 * and groups of replicas exchange their sets in random orders. Timestamps advance by 0–2 ms
 * per step unless tsStepMax says otherwise, so ties are common. Every random draw is independent of the versions, so two runs
 * from equal seeds that differ only in clockEntriesMax follow the same schedule.
 */
export function simulate(rng: Rng, policy: Policy, steps: number, options: SimulateOptions = {}): History {
  const nodeCount = options.nodeCount ?? 4;
  const coordinatorCount = options.coordinatorCount ?? nodeCount;
  const clockEntriesMax = options.clockEntriesMax ?? CLOCK_ENTRIES_MAX;
  const tsStepMax = options.tsStepMax ?? 3;
  const nodes = rng.shuffle(NODE_IDS).slice(0, nodeCount);
  let replicas: Version[][] = nodes.map(() => []);
  const puts: Put[] = [];
  const seenBy = new Map<string, ReadonlySet<string>>();
  const staleReads: Array<Read | undefined> = Array.from({ length: STALE_READ_SLOTS }, () => undefined);
  let now = 1_700_000_000_000;
  for (let step = 0; step < steps; step++) {
    now += rng.int(tsStepMax);
    if (rng.chance(0.5)) {
      const here = rng.int(coordinatorCount);
      const kind = rng.pick(['blind', 'fresh', 'fresh', 'fresh', 'stale'] as const);
      const fresh = get(rng.subset(replicas), policy, seenBy);
      const slot = rng.int(STALE_READ_SLOTS);
      const read =
        kind === 'fresh' ? fresh : kind === 'stale' ? (staleReads[slot] ?? NOTHING_READ) : NOTHING_READ;
      if (kind === 'fresh') staleReads[slot] = fresh;
      const value = rng.chance(0.15) ? null : rng.bytes(rng.int(6));
      const replace = options.replaceChance !== undefined && rng.chance(options.replaceChance);
      const local = replicas[here]!;
      const put = newVersion(local, read.context, nodes[here]!, now, value, policy, clockEntriesMax, replace);
      replicas[here] = put.versions;
      const seen = replace ? new Set([...read.seen, ...get([local], policy, seenBy).seen]) : read.seen;
      seenBy.set(dotId(put.written.dot), seen);
      puts.push({
        written: put.written,
        kind,
        replace,
        context: read.context,
        seen,
        returned: put.context,
        after: put.versions,
      });
      replicas = replicas.map((held, i) =>
        i !== here && rng.chance(0.5) ? mergeVersions(held, put.versions, policy) : held,
      );
    } else {
      replicas = exchange(rng, replicas, policy);
    }
  }
  return { created: puts.map((put) => put.written), puts, replicas };
}

/** A get: the merge of what some replicas answered, and what a client reading it has seen. */
function get(
  answers: readonly Version[][],
  policy: Policy,
  seenBy: ReadonlyMap<string, ReadonlySet<string>>,
): Read {
  let merged: Version[] = [];
  for (const answer of answers) merged = mergeVersions(merged, answer, policy);
  const seen = new Set<string>();
  for (const version of merged) {
    seen.add(dotId(version.dot));
    for (const id of seenBy.get(dotId(version.dot)) ?? []) seen.add(id);
  }
  return { context: joinClocks(merged), seen };
}

/** One replica pushes to another, or a group merges in a random order and all take the result. */
function exchange(rng: Rng, replicas: readonly Version[][], policy: Policy): Version[][] {
  const out = [...replicas];
  if (rng.chance(0.5)) {
    const from = rng.int(out.length);
    const to = rng.int(out.length);
    out[to] = mergeVersions(out[to]!, out[from]!, policy);
    return out;
  }
  const group = rng.subset(out.map((_, i) => i));
  const merged = mergeInRandomGroups(
    rng,
    group.map((i) => out[i]!),
    policy,
  );
  for (const i of group) out[i] = merged;
  return out;
}

/** Merges all sets pairwise in a random order and grouping (a random binary tree of merges). */
export function mergeInRandomGroups(rng: Rng, sets: readonly Version[][], policy: Policy): Version[] {
  const pending = rng.shuffle(sets);
  if (pending.length === 0) return [];
  while (pending.length > 1) {
    const i = rng.int(pending.length - 1);
    const merged = mergeVersions(pending[i]!, pending[i + 1]!, policy);
    pending.splice(i, 2, merged);
  }
  return pending[0]!;
}

/** Contexts and full version clocks from many short histories: equal, ordered and concurrent ones. */
export function historyClocks(seed: number, historyCount: number): VClock[] {
  const rng = new Rng(seed);
  const clocks: VClock[] = [];
  for (let i = 0; i < historyCount; i++) {
    for (const put of simulate(rng, 'siblings', 12).puts) clocks.push(put.context, versionClock(put.written));
  }
  return clocks;
}

/** The first item failing the check, or undefined: one assertion per property keeps output short. */
export function counterexample<T>(items: Iterable<T>, holds: (item: T) => boolean): T | undefined {
  for (const item of items) if (!holds(item)) return item;
  return undefined;
}
