// Goal: no acknowledged write is lost: after any history of puts and merges, each write is present or a later writer saw it.
// Method: simulated histories (blind, fresh and stale contexts, shared coordinators, random merge groupings) over a matrix of options.
import t from 'tap';
import {
  covers,
  descends,
  encodeRecord,
  mergeVersions,
  type Policy,
  reconcile,
  type Version,
  workerOfNode,
} from '../../../src/clock/index.js';
import {
  counterexample,
  dotId,
  type History,
  lwwAtMost,
  mergeInRandomGroups,
  Rng,
  type SimulateOptions,
  simulate,
} from './fixtures.js';

const encoded = (versions: readonly Version[]) => Buffer.from(encodeRecord(versions)).toString('hex');

/**
 * Workers and coordinators in several shapes: many, few, and every put through one worker. A
 * worker that mints in several lanes adds a clock entry per lane, so these never truncate.
 */
const UNTRUNCATED = 1000;
const MATRIX: readonly SimulateOptions[] = [
  { nodeCount: 4, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 2, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 5, coordinatorCount: 1, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 3, coordinatorCount: 2, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 4, tsStepMax: 1, clockEntriesMax: UNTRUNCATED },
];
const TRUNCATING: readonly SimulateOptions[] = [
  { nodeCount: 4, clockEntriesMax: 1 },
  { nodeCount: 5, clockEntriesMax: 2 },
  { nodeCount: 3, coordinatorCount: 1, clockEntriesMax: 0 },
];
const HISTORIES_PER_OPTION = 150;
const STEPS = 40;

interface Ended extends History {
  /** All replicas merged in a random order and grouping. */
  readonly final: Version[];
}

function histories(seed: number, policy: Policy, options: SimulateOptions): Ended[] {
  const rng = new Rng(seed);
  return Array.from({ length: HISTORIES_PER_OPTION }, () => {
    const history = simulate(rng, policy, STEPS, options);
    return { ...history, final: mergeInRandomGroups(rng, history.replicas, policy) };
  });
}

const label = (options: SimulateOptions) => JSON.stringify(options);

/** The write itself survives: its dot with its own timestamp and value. */
function isPresent(write: Version, versions: readonly Version[]): boolean {
  return versions.some(
    (v) =>
      dotId(v.dot) === dotId(write.dot) &&
      v.ts === write.ts &&
      (v.value === null || write.value === null
        ? v.value === write.value
        : Buffer.from(v.value).equals(write.value)),
  );
}

t.test(
  'simulated histories hold blind, fresh and stale puts, same-coordinator puts and siblings',
  async (t) => {
    const ended = MATRIX.flatMap((options) => histories(1, 'siblings', options));
    const kinds = new Set(ended.flatMap((h) => h.puts.map((put) => put.kind)));
    t.strictSame([...kinds].sort(), ['blind', 'fresh', 'stale']);
    t.ok(
      ended.some((h) => h.final.length >= 3),
      'some end with three or more siblings',
    );
    t.ok(
      ended.some((h) => new Set(h.final.map((v) => workerOfNode(v.dot.node))).size < h.final.length),
      'some end with siblings coordinated by the same worker',
    );
  },
);

t.test('every put gets a dot no other put got, with or without truncation', async (t) => {
  for (const options of [...MATRIX, ...TRUNCATING]) {
    const bad = counterexample(histories(2, 'siblings', options), (h) => {
      return new Set(h.created.map((v) => dotId(v.dot))).size === h.created.length;
    });
    t.equal(bad, undefined, label(options));
  }
});

t.test(
  'no acknowledged write is lost: each is present after all merges or covered by a present clock',
  async (t) => {
    for (const options of [...MATRIX, ...TRUNCATING]) {
      const bad = counterexample(histories(3, 'siblings', options), (h) =>
        h.created.every(
          (write) => isPresent(write, h.final) || h.final.some((v) => covers(v.clock, write.dot)),
        ),
      );
      t.equal(bad, undefined, label(options));
    }
  },
);

t.test("a version's clock covers only writes its writer saw, directly or through what it read", async (t) => {
  for (const options of [...MATRIX, ...TRUNCATING]) {
    const bad = counterexample(histories(4, 'siblings', options), (h) =>
      h.puts.every((put) =>
        h.created.every(
          (other) =>
            other === put.written || !covers(put.written.clock, other.dot) || put.seen.has(dotId(other.dot)),
        ),
      ),
    );
    t.equal(bad, undefined, label(options));
  }
});

t.test(
  'without truncation a clock that covers a dot also covers the clock of the version with that dot',
  async (t) => {
    for (const options of MATRIX) {
      const bad = counterexample(histories(11, 'siblings', options), (h) =>
        h.created.every((x) => h.created.every((y) => !covers(x.clock, y.dot) || descends(x.clock, y.clock))),
      );
      t.equal(bad, undefined, label(options));
    }
  },
);

t.test(
  'with or without truncation no acknowledged write is lost: each is present or a present writer saw it',
  async (t) => {
    for (const options of [...MATRIX, ...TRUNCATING]) {
      const bad = counterexample(histories(5, 'siblings', options), (h) => {
        const seenByPresent = new Set(
          h.puts.filter((put) => isPresent(put.written, h.final)).flatMap((put) => [...put.seen]),
        );
        return h.created.every((write) => isPresent(write, h.final) || seenByPresent.has(dotId(write.dot)));
      });
      t.equal(bad, undefined, label(options));
    }
  },
);

t.test(
  'truncating contexts only adds siblings: on the same schedule every write present without it stays',
  async (t) => {
    for (const options of TRUNCATING) {
      const full = histories(6, 'siblings', { ...options, clockEntriesMax: UNTRUNCATED });
      const truncated = histories(6, 'siblings', options);
      const pairs = full.map((h, i) => [h, truncated[i]!] as const);
      // The i-th put of both runs is the same step; its dot may differ (another lane).
      const bad = counterexample(pairs, ([whole, cut]) =>
        whole.created.every(
          (write, i) => !isPresent(write, whole.final) || isPresent(cut.created[i]!, cut.final),
        ),
      );
      t.equal(bad, undefined, label(options));
      t.ok(
        pairs.some(([whole, cut]) => cut.final.length > whole.final.length),
        'truncation does add siblings',
      );
    }
  },
);

t.test('replicas that merge everything in any order and grouping hold byte-identical records', async (t) => {
  const rng = new Rng(7);
  for (const policy of ['siblings', 'lww'] as const) {
    for (const options of [...MATRIX, ...TRUNCATING]) {
      const bad = counterexample(histories(8, policy, options), (h) => {
        const again = mergeInRandomGroups(rng, rng.shuffle(h.replicas), policy);
        const direct = reconcile(h.replicas.flat(), policy);
        const synced = h.replicas.map((held) => mergeVersions(held, h.final, policy));
        return [again, direct, ...synced].every((set) => encoded(set) === encoded(h.final));
      });
      t.equal(bad, undefined, `${policy} ${label(options)}`);
    }
  }
});

t.test(
  'under lww a history ends in its highest write by ts then dot, which supersedes every write on any further merge',
  async (t) => {
    const rng = new Rng(9);
    for (const options of [...MATRIX, ...TRUNCATING]) {
      const bad = counterexample(histories(10, 'lww', options), (h) => {
        if (h.created.length === 0) return h.final.length === 0;
        const [winner] = h.final;
        const highest = h.created.every((v) => lwwAtMost(v, winner!));
        const again = [
          mergeVersions(h.final, rng.subset(h.created), 'lww'),
          reconcile([...h.created, ...h.final], 'siblings'),
        ];
        return (
          h.final.length === 1 &&
          highest &&
          h.created.every(
            (write) => dotId(write.dot) === dotId(winner!.dot) || covers(winner!.clock, write.dot),
          ) &&
          again.every((set) => encoded(set) === encoded(h.final))
        );
      });
      t.equal(bad, undefined, label(options));
    }
  },
);

/** Histories where a quarter of the puts are replace writes (SET, DEL), with and without truncation. */
const REPLACING: readonly SimulateOptions[] = [
  { nodeCount: 4, replaceChance: 0.25, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 3, coordinatorCount: 1, replaceChance: 0.25, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 4, tsStepMax: 1, replaceChance: 0.25, clockEntriesMax: UNTRUNCATED },
  { nodeCount: 5, replaceChance: 0.25, clockEntriesMax: 2 },
];

t.test(
  'the context a put returns covers its write and what its context covered, and no present version its writer had not seen',
  async (t) => {
    // A version under the floor of a replace write made earlier is dead already: wherever that
    // floor arrives it is dropped, so a context may cover it (a worker that received the floor
    // first reuses none of its counters but may mint past them).
    for (const options of [...MATRIX, ...TRUNCATING, ...REPLACING]) {
      const bad = counterexample(histories(12, 'siblings', options), (h) => {
        let floor = 0;
        return h.puts.every((put) => {
          if (put.replace) floor = Math.max(floor, put.written.ts);
          return (
            covers(put.returned, put.written.dot) &&
            descends(put.returned, put.written.clock) &&
            put.after.every(
              (v) =>
                dotId(v.dot) === dotId(put.written.dot) ||
                !covers(put.returned, v.dot) ||
                put.seen.has(dotId(v.dot)) ||
                v.ts < floor,
            )
          );
        });
      });
      t.equal(bad, undefined, label(options));
    }
  },
);

t.test('no version older than a replace write survives it, on any replica, in any merge order', async (t) => {
  const rng = new Rng(13);
  for (const options of REPLACING) {
    const ended = histories(14, 'siblings', options);
    t.ok(
      ended.some((h) => h.puts.some((put) => put.replace)),
      'the histories hold replace writes',
    );
    const bad = counterexample(ended, (h) => {
      const floor = Math.max(0, ...h.puts.filter((put) => put.replace).map((put) => put.written.ts));
      const again = mergeInRandomGroups(rng, rng.shuffle(h.replicas), 'siblings');
      return (
        h.final.every((v) => v.ts >= floor) &&
        encoded(again) === encoded(h.final) &&
        encoded(reconcile(h.replicas.flat(), 'siblings')) === encoded(h.final)
      );
    });
    t.equal(bad, undefined, label(options));
  }
});

t.test(
  'with replace writes no acknowledged write is lost but to a later replace: each is present, seen by a present writer, or older than a replace write',
  async (t) => {
    for (const options of REPLACING) {
      const bad = counterexample(histories(15, 'siblings', options), (h) => {
        const floor = Math.max(0, ...h.puts.filter((put) => put.replace).map((put) => put.written.ts));
        const seenByPresent = new Set(
          h.puts.filter((put) => isPresent(put.written, h.final)).flatMap((put) => [...put.seen]),
        );
        return (
          h.final.length > 0 &&
          h.created.every(
            (write) => isPresent(write, h.final) || seenByPresent.has(dotId(write.dot)) || write.ts < floor,
          )
        );
      });
      t.equal(bad, undefined, label(options));
    }
  },
);
