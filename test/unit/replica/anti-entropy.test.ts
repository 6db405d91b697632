// Goal: one anti-entropy exchange leaves two replicas of a partition with identical records and roots, moving little more than the differing keys.
// Method: in-memory replicas wired through a message queue we drain, seeded divergent histories, lost, truncated and racing messages, a fake clock.
import t, { type Test } from 'tap';
import {
  decodeRecord,
  encodeRecord,
  joinClocks,
  mergeVersions,
  newVersion,
  type Version,
} from '../../../src/clock/index.js';
import { CLOCK_ENTRIES_MAX } from '../../../src/constants.js';
import {
  AE_EXCHANGE_TIMEOUT_MS_DEFAULT,
  AE_MESSAGE_BYTES_MAX_DEFAULT,
  AntiEntropy,
  type AntiEntropyHost,
  type AntiEntropyOptions,
  type ExchangeSummary,
} from '../../../src/replica/anti-entropy.js';
import {
  type KeyedRecord,
  MERKLE_FANOUT,
  MERKLE_LEAF_COUNT,
  type PartitionTree,
  partitionOfStorageKey,
  TreeSet,
  type TreeShape,
} from '../../../src/replica/merkle.js';
import { testSeed } from '../../fixtures/seed.js';
import { Rng } from '../clock/fixtures.js';

const seed = testSeed(t);
const rng = new Rng(seed);

const DEFAULT_SHAPE: TreeShape = { leafCount: MERKLE_LEAF_COUNT, fanout: MERKLE_FANOUT };
/** Leaf depths 2, 2, 3, 0 and 3: whoever compares the leaves sends the digests, so roles swap with depth parity. */
const SHAPES: readonly TreeShape[] = [
  DEFAULT_SHAPE,
  { leafCount: 16, fanout: 4 },
  { leafCount: 8, fanout: 2 },
  { leafCount: 1, fanout: 32 },
  { leafCount: 4096, fanout: 32 },
];
const SMALL_MESSAGES: AntiEntropyOptions = { messageBytesMax: 8192, keysPerMessageMax: 3 };
const T0 = 1_700_000_000_000;

function storageKey(partition: number, key: string): Uint8Array {
  const out = Buffer.alloc(3 + 7 + Buffer.byteLength(key));
  out.writeUInt16BE(partition, 0);
  out[2] = 7;
  out.write('default', 3);
  out.write(key, 10);
  return out;
}

function idOf(key: Uint8Array): string {
  return Buffer.from(key.buffer, key.byteOffset, key.byteLength).toString('latin1');
}

/** Messages in flight between replicas, delivered in order per sender when drained; `drop` may lose some. */
class Network {
  readonly replicas = new Map<number, Replica>();
  readonly queue: Array<{ from: number; to: number; message: Uint8Array }> = [];
  /** Decides per message (numbered from 0 in send order) whether it is lost, or replaced. */
  tamper: ((index: number, message: Uint8Array) => Uint8Array | undefined) | undefined;
  posted = 0;
  largestMessageBytes = 0;
  now = T0;

  post(from: number, to: number, message: Uint8Array): void {
    this.largestMessageBytes = Math.max(this.largestMessageBytes, message.byteLength);
    const index = this.posted++;
    const delivered = this.tamper === undefined ? message : this.tamper(index, message);
    if (delivered !== undefined) this.queue.push({ from, to, message: delivered });
  }

  /** Delivers until nothing is in flight and every merge has settled. */
  async settle(): Promise<void> {
    for (;;) {
      while (this.queue.length > 0) {
        const { from, to, message } = this.queue.shift()!;
        this.replicas.get(to)!.ae.onMessage(from, message);
      }
      // Merges resolve on the microtask queue; one macrotask turn lets them all finish.
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.queue.length === 0) return;
    }
  }
}

interface Stored extends KeyedRecord {
  readonly leaf: number;
}

/** A replica with a Map for storage: merge reconciles like Replica.mergeAndWrite and keeps the tree current. */
class Replica implements AntiEntropyHost {
  readonly slot: number;
  readonly trees: TreeSet;
  readonly ae: AntiEntropy;
  readonly records = new Map<string, Stored>();
  readonly finished: ExchangeSummary[] = [];
  scans = 0;
  accepting: (partition: number, peer: number) => boolean = () => true;

  constructor(
    slot: number,
    network: Network,
    shape: TreeShape = DEFAULT_SHAPE,
    options: AntiEntropyOptions = {},
  ) {
    this.slot = slot;
    this.trees = new TreeSet(shape);
    this.#network = network;
    network.replicas.set(slot, this);
    this.ae = new AntiEntropy(this, {
      now: () => network.now,
      onFinish: (summary) => this.finished.push(summary),
      ...options,
    });
  }

  readonly #network: Network;

  accepts(partition: number, peer: number): boolean {
    return this.accepting(partition, peer);
  }

  tree(partition: number): PartitionTree {
    return this.trees.get(partition);
  }

  *recordsInLeaves(partition: number, leaves: ReadonlySet<number>): Iterable<KeyedRecord> {
    this.scans++;
    for (const stored of this.records.values()) {
      if (partitionOfStorageKey(stored.key) === partition && leaves.has(stored.leaf)) yield stored;
    }
  }

  async merge(key: Uint8Array, record: Uint8Array): Promise<boolean> {
    const old = this.records.get(idOf(key))?.record;
    const merged = encodeRecord(
      old === undefined
        ? decodeRecord(record)
        : mergeVersions(decodeRecord(old), decodeRecord(record), 'siblings'),
    );
    if (old !== undefined && Buffer.compare(old, merged) === 0) return false;
    this.put(key, merged);
    return true;
  }

  send(peer: number, message: Uint8Array): void {
    this.#network.post(this.slot, peer, message);
  }

  /** A local write: what the store hook does, then the write. */
  put(key: Uint8Array, record: Uint8Array): void {
    const id = idOf(key);
    const tree = this.trees.get(partitionOfStorageKey(key));
    tree.update(key, this.records.get(id)?.record, record);
    this.records.set(id, { key, record, leaf: tree.leafOf(key) });
  }

  /** Keys (as hex) whose record is not the expected one, or that are missing or extra; at most 5. */
  mismatches(expected: ReadonlyMap<string, string>): string[] {
    const out: string[] = [];
    for (const [id, record] of expected) {
      const held = this.records.get(id)?.record;
      if (held === undefined || Buffer.from(held).toString('hex') !== record)
        out.push(Buffer.from(id, 'latin1').toString('hex'));
    }
    for (const id of this.records.keys())
      if (!expected.has(id)) out.push(Buffer.from(id, 'latin1').toString('hex'));
    return out.slice(0, 5);
  }

  root(partition: number): string {
    return Buffer.from(this.trees.get(partition).root()).toString('hex');
  }
}

/** A put of a 16..111-byte value (a delete one time in 20) by worker `node` over what `context` saw. */
function write(
  random: Rng,
  local: readonly Version[],
  context: readonly Version[],
  node: number,
  ts: number,
): Version[] {
  const value = random.chance(0.05) ? null : random.bytes(16 + random.int(96));
  return newVersion(local, joinClocks(context), node, ts, value, 'siblings', CLOCK_ENTRIES_MAX).versions;
}

interface Divergence {
  /** The record every replica must end with, by key id (hex). */
  readonly expected: Map<string, string>;
  readonly partitions: number[];
  readonly differing: number;
}

/**
 * Gives replicas a shared history of `keyCount` keys, then makes `differingCount` of them
 * differ: held by one side only, newer on one side, or written concurrently on both.
 */
function diverge(
  replicas: readonly Replica[],
  keyCount: number,
  differingCount: number,
  partitions: number[],
  random: Rng = rng,
): Divergence {
  const differing = new Set<number>();
  while (differing.size < differingCount) differing.add(random.int(keyCount));
  const expected = new Map<string, string>();
  for (let i = 0; i < keyCount; i++) {
    const key = storageKey(random.pick(partitions), `user:${i}`);
    const base = write(random, [], [], random.int(3), T0 + i);
    let held: Array<Version[] | undefined> = replicas.map(() => base);
    if (differing.has(i)) {
      const kind = random.int(4);
      if (kind === 0) held = replicas.map((_, r) => (r === 0 || random.chance(0.3) ? base : undefined));
      else if (kind === 1) held = replicas.map((_, r) => (r === 0 ? undefined : base));
      else if (kind === 2)
        held = replicas.map((_, r) => (r === 0 ? write(random, base, base, r, T0 + keyCount + i) : base));
      else
        held = replicas.map((_, r) =>
          write(random, base, random.chance(0.5) ? base : [], r, T0 + 2 * keyCount + i),
        );
    }
    let all: Version[] = [];
    held.forEach((versions, r) => {
      if (versions === undefined) return;
      replicas[r]!.put(key, encodeRecord(versions));
      all = mergeVersions(all, versions, 'siblings');
    });
    expected.set(idOf(key), Buffer.from(encodeRecord(all)).toString('hex'));
  }
  return { expected, partitions, differing: differingCount };
}

function totalBytes(replica: Replica): number {
  let bytes = 0;
  for (const { key, record } of replica.records.values()) bytes += key.length + record.length;
  return bytes;
}

async function exchangeAll(
  network: Network,
  from: Replica,
  to: Replica,
  partitions: readonly number[],
): Promise<void> {
  for (const partition of partitions) from.ae.start(partition, to.slot);
  await network.settle();
}

function sameState(t: Test, replicas: readonly Replica[], divergence: Divergence, label: string): void {
  for (const replica of replicas) {
    t.strictSame(
      replica.mismatches(divergence.expected),
      [],
      `${label}: replica ${replica.slot} holds the merge of all`,
    );
  }
  for (const partition of divergence.partitions) {
    const roots = new Set(replicas.map((replica) => replica.root(partition)));
    t.equal(roots.size, 1, `${label}: partition ${partition} has one root`);
  }
  for (const replica of replicas) t.equal(replica.ae.active, 0, `${label}: replica ${replica.slot} is idle`);
}

t.test('random divergence converges to identical records and roots after one exchange', async (t) => {
  for (const shape of SHAPES) {
    for (const options of [{}, SMALL_MESSAGES]) {
      const label = `${shape.leafCount} leaves, fanout ${shape.fanout}, ${options === SMALL_MESSAGES ? 'small' : 'default'} messages`;
      const network = new Network();
      const a = new Replica(1, network, shape, options);
      const b = new Replica(2, network, shape, options);
      const divergence = diverge([a, b], 2000, 300, [0, 7, 0xffff]);
      await exchangeAll(network, a, b, divergence.partitions);
      sameState(t, [a, b], divergence, label);
      t.equal(a.ae.stats.exchanges, 3, `${label}: every exchange ran to the end`);
      t.equal(b.ae.stats.exchangesServed, 3);
      t.equal(a.ae.stats.exchangesWithDifferences, 3);
      t.ok(
        a.ae.stats.keysRepaired + b.ae.stats.keysRepaired >= divergence.differing,
        'each differing key was repaired',
      );
      t.ok(a.ae.stats.keysRepaired > 0 && b.ae.stats.keysRepaired > 0, 'repair went both ways');
      const bound = options === SMALL_MESSAGES ? 8192 : AE_MESSAGE_BYTES_MAX_DEFAULT;
      t.ok(
        network.largestMessageBytes <= bound,
        `${label}: largest message ${network.largestMessageBytes} bytes`,
      );

      const bytesBefore = a.ae.stats.bytesSent + b.ae.stats.bytesSent;
      await exchangeAll(network, a, b, divergence.partitions);
      const bytesAgain = a.ae.stats.bytesSent + b.ae.stats.bytesSent - bytesBefore;
      t.equal(a.ae.stats.exchangesWithDifferences, 3, `${label}: a second exchange finds nothing to repair`);
      t.ok(bytesAgain <= 3 * 64, `${label}: and moves only roots (${bytesAgain} bytes)`);
    }
  }
});

t.test('identical replicas exchange only their roots', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network);
  diverge([a, b], 5000, 0, [3]);
  const posted = network.posted;
  await exchangeAll(network, a, b, [3]);
  const bytes = a.ae.stats.bytesSent + b.ae.stats.bytesSent;
  t.equal(network.posted - posted, 2, 'a START and a DONE');
  t.ok(bytes < 64, `${bytes} bytes`);
  t.equal(a.scans + b.scans, 0, 'no records were read');
  t.equal(a.ae.stats.exchanges, 1);
  t.equal(a.ae.stats.exchangesWithDifferences, 0);
  t.equal(a.finished[0]?.outcome, 'done');
});

t.test('with 100,000 keys of which 100 differ, the exchange moves under 2% of their bytes', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network);
  const divergence = diverge([a, b], 100_000, 100, [42]);
  await exchangeAll(network, a, b, [42]);
  sameState(t, [a, b], divergence, '100k keys');
  const moved = a.ae.stats.bytesSent + b.ae.stats.bytesSent;
  const total = totalBytes(a);
  const ratio = moved / total;
  t.comment(
    `moved ${moved} bytes in ${network.posted} messages for 100 differing of 100,000 keys ` +
      `(${total} bytes of keys and records): ${(ratio * 100).toFixed(2)}%; ` +
      `${a.ae.stats.leavesDiffering + b.ae.stats.leavesDiffering} differing leaves, ` +
      `${a.ae.stats.keysSent + b.ae.stats.keysSent} records sent`,
  );
  t.ok(ratio < 0.02, `${(ratio * 100).toFixed(2)}% moved`);
});

t.test(
  'three replicas converge after one round of exchanges in sequence, or a few running at once',
  async (t) => {
    for (const concurrent of [false, true]) {
      const network = new Network();
      const replicas = [1, 2, 3].map((slot) => new Replica(slot, network));
      const divergence = diverge(replicas, 3000, 400, [5, 6]);
      const pairs = [
        [0, 1],
        [1, 2],
        [2, 0],
      ] as const;
      let rounds = 0;
      const converged = () =>
        divergence.partitions.every((p) => new Set(replicas.map((replica) => replica.root(p))).size === 1);
      while (!converged() && rounds < 4) {
        rounds++;
        for (const [x, y] of pairs) {
          for (const p of divergence.partitions) replicas[x]!.ae.start(p, replicas[y]!.slot);
          if (!concurrent) await network.settle();
        }
        await network.settle();
      }
      sameState(t, replicas, divergence, concurrent ? 'concurrent' : 'in sequence');
      if (!concurrent) t.equal(rounds, 1, 'one round in sequence');
      else t.ok(rounds <= 3, `${rounds} rounds at once`);
    }
  },
);

t.test(
  'a lost message ends the exchange, by a sequence gap or by sweep, and a fresh exchange still converges',
  async (t) => {
    // Every run holds the same data, so message i is the same message in each.
    const dataSeed = rng.int(2 ** 31);
    const build = (dropAt: number | undefined) => {
      const network = new Network();
      const a = new Replica(1, network, DEFAULT_SHAPE, SMALL_MESSAGES);
      const b = new Replica(2, network, DEFAULT_SHAPE, SMALL_MESSAGES);
      const divergence = diverge([a, b], 600, 60, [9], new Rng(dataSeed));
      network.tamper = (index, message) => (index === dropAt ? undefined : message);
      return { network, a, b, divergence };
    };
    const clean = build(undefined);
    await exchangeAll(clean.network, clean.a, clean.b, [9]);
    const messageCount = clean.network.posted;
    t.ok(messageCount >= 8, `a full exchange takes ${messageCount} messages`);

    for (let dropAt = 0; dropAt < messageCount; dropAt++) {
      const { network, a, b, divergence } = build(dropAt);
      await exchangeAll(network, a, b, [9]);
      t.ok(network.posted > dropAt, `message ${dropAt} was sent, and lost`);
      network.now += AE_EXCHANGE_TIMEOUT_MS_DEFAULT + 1;
      a.ae.sweep();
      b.ae.sweep();
      await network.settle();
      t.equal(a.ae.active + b.ae.active, 0, `message ${dropAt} lost: nothing left under way`);
      t.ok(a.ae.stats.exchangesAbandoned + b.ae.stats.exchangesAbandoned >= 1, 'some side abandoned it');
      t.equal(a.ae.stats.exchanges, 0, 'the initiator never counted it done');
      network.tamper = undefined;
      await exchangeAll(network, a, b, [9]);
      sameState(t, [a, b], divergence, `after losing message ${dropAt}`);
    }
  },
);

t.test('sweep abandons an exchange only once its peer has been silent past the timeout', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network);
  const divergence = diverge([a, b], 500, 20, [1]);
  network.tamper = (index, message) => (index === 0 ? undefined : message);
  t.type(a.ae.start(1, b.slot), 'number');
  await network.settle();
  t.equal(a.ae.start(1, b.slot), undefined, 'a second exchange with the same peer and partition is refused');
  t.equal(a.ae.stats.exchangesRefused, 1);
  t.equal(a.ae.sweep(network.now + AE_EXCHANGE_TIMEOUT_MS_DEFAULT), 0, 'not yet');
  t.equal(a.ae.active, 1);
  t.equal(a.ae.sweep(network.now + AE_EXCHANGE_TIMEOUT_MS_DEFAULT + 1), 1, 'now');
  t.equal(a.ae.active, 0);
  t.match(a.finished, [{ outcome: 'abandoned', reason: 'timeout', initiator: true }]);
  network.tamper = undefined;
  await network.settle();
  t.equal(b.ae.active, 0, 'the ABORT for an exchange the peer never saw is dropped quietly');
  await exchangeAll(network, a, b, [1]);
  sameState(t, [a, b], divergence, 'after the sweep');
});

t.test(
  'truncated messages end their exchange without throwing, and a fresh exchange converges',
  async (t) => {
    for (let trial = 0; trial < 30; trial++) {
      const network = new Network();
      const a = new Replica(1, network, DEFAULT_SHAPE, SMALL_MESSAGES);
      const b = new Replica(2, network, DEFAULT_SHAPE, SMALL_MESSAGES);
      const divergence = diverge([a, b], 300, 30, [4]);
      const victim = rng.int(12);
      network.tamper = (index, message) =>
        index === victim ? message.subarray(0, rng.int(message.byteLength)) : message;
      await exchangeAll(network, a, b, [4]);
      network.now += AE_EXCHANGE_TIMEOUT_MS_DEFAULT + 1;
      a.ae.sweep();
      b.ae.sweep();
      network.tamper = undefined;
      await network.settle();
      t.equal(a.ae.active + b.ae.active, 0, `message ${victim} truncated: nothing left under way`);
      await exchangeAll(network, a, b, [4]);
      sameState(t, [a, b], divergence, `trial ${trial}`);
    }
    const network = new Network();
    const a = new Replica(1, network);
    t.doesNotThrow(() => a.ae.onMessage(2, new Uint8Array(5)), 'a message shorter than a header is ignored');
    t.doesNotThrow(() => a.ae.onMessage(2, rng.bytes(40)), 'noise is ignored');
  },
);

t.test('when both replicas start at once, only the exchange of the lower slot runs', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network);
  const divergence = diverge([a, b], 1000, 50, [8]);
  t.type(a.ae.start(8, b.slot), 'number');
  t.type(b.ae.start(8, a.slot), 'number');
  await network.settle();
  sameState(t, [a, b], divergence, 'racing starts');
  t.equal(a.ae.stats.exchanges, 1, "slot 1's exchange ran");
  t.equal(b.ae.stats.exchanges, 0, "slot 2's did not");
  t.match(b.finished, [{ initiator: true, outcome: 'abandoned', reason: 'conflict' }, { outcome: 'done' }]);
});

t.test(
  'a replica at its exchange limit refuses a START, and the initiator ends that exchange as busy',
  async (t) => {
    const network = new Network();
    const a = new Replica(1, network);
    const b = new Replica(2, network, DEFAULT_SHAPE, { exchangesMax: 1 });
    const c = new Replica(3, network);
    diverge([a, b, c], 200, 20, [1, 2]);
    t.type(b.ae.start(1, a.slot), 'number');
    t.equal(b.ae.start(2, c.slot), undefined, 'it starts no more than its limit itself');
    c.ae.start(2, b.slot);
    await network.settle();
    t.match(c.finished, [{ outcome: 'abandoned', reason: 'busy' }]);
    t.equal(b.ae.stats.exchangesRefused, 2);
    t.equal(b.ae.stats.exchanges, 1, 'the exchange under way ran to the end');
  },
);

t.test('trees of different shapes are refused rather than compared', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network, { leafCount: 16, fanout: 4 });
  diverge([a, b], 100, 10, [0]);
  a.ae.start(0, b.slot);
  await network.settle();
  t.match(a.finished, [{ outcome: 'abandoned', reason: 'shape' }]);
  t.equal(a.ae.active + b.ae.active, 0);
});

t.test(
  'an empty replica is filled by one exchange, with digests, wants and records split over many messages',
  async (t) => {
    const network = new Network();
    const options = { messageBytesMax: 8192, keysPerMessageMax: 100 };
    // One leaf, so its 5000 digests (40 KB) must be split; B compares the root and sends them.
    const shape = { leafCount: 1, fanout: 32 };
    const a = new Replica(1, network, shape, options);
    const b = new Replica(2, network, shape, options);
    const divergence = diverge([b], 5000, 0, [12]);
    // Records larger than a message still travel, each alone in its message.
    for (let i = 0; i < 3; i++) {
      const key = storageKey(12, `large:${i}`);
      const record = encodeRecord(
        newVersion([], [], 2, T0, rng.bytes(20_000), 'siblings', CLOCK_ENTRIES_MAX).versions,
      );
      b.put(key, record);
      divergence.expected.set(idOf(key), Buffer.from(record).toString('hex'));
    }
    const sizes: number[] = [];
    network.tamper = (_, message) => {
      sizes.push(message.byteLength);
      return message;
    };
    await exchangeAll(network, a, b, [12]);
    sameState(t, [a, b], divergence, 'filled');
    const over = sizes.filter((size) => size > options.messageBytesMax);
    t.equal(over.length, 3, `only the three large records exceed the bound (${over})`);
    t.ok(
      over.every((size) => size < 20_000 + 200),
      'each alone',
    );
    t.ok(sizes.length > 50, `${sizes.length} messages`);
    t.equal(a.ae.stats.keysRepaired, 5003);
  },
);

t.test('writes that remove the difference during the descent end the exchange early', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network);
  const divergence = diverge([a, b], 500, 0, [3]);
  const key = storageKey(3, 'late');
  const record = encodeRecord(
    newVersion([], [], 2, T0, rng.bytes(30), 'siblings', CLOCK_ENTRIES_MAX).versions,
  );
  b.put(key, record);
  divergence.expected.set(idOf(key), Buffer.from(record).toString('hex'));
  // Once B has answered the root with its first level, A gets the same write by another path.
  network.tamper = (index, message) => {
    if (index === 1) a.put(key, record);
    return message;
  };
  await exchangeAll(network, a, b, [3]);
  sameState(t, [a, b], divergence, 'late write');
  t.equal(network.posted, 3, 'START, NODES, DONE');
  t.equal(a.ae.stats.exchanges, 1);
  t.equal(a.ae.stats.exchangesWithDifferences, 0);
});

t.test('a merge that fails is counted and the exchange still ends', async (t) => {
  const network = new Network();
  const a = new Replica(1, network);
  const b = new Replica(2, network);
  diverge([a, b], 300, 20, [2]);
  const merge = b.merge.bind(b);
  let failures = 0;
  b.merge = (key, record) => (failures++ < 2 ? Promise.reject(new Error('disk full')) : merge(key, record));
  await exchangeAll(network, a, b, [2]);
  t.equal(b.ae.stats.mergeFailures, 2);
  t.equal(a.ae.stats.exchanges, 1);
  t.equal(b.ae.active, 0);
  b.merge = merge;
  await exchangeAll(network, a, b, [2]);
  t.equal(a.root(2), b.root(2), 'the next exchange repairs what failed');
});

t.test(
  'a worker that does not replicate the partition refuses the exchange before reading its tree',
  async (t) => {
    const network = new Network();
    const a = new Replica(1, network);
    const b = new Replica(2, network);
    diverge([a, b], 100, 10, [0]);
    b.accepting = (partition, peer) => partition !== 0 || peer !== a.slot;
    a.ae.start(0, b.slot);
    await network.settle();
    t.match(a.finished, [{ outcome: 'abandoned', reason: 'not-replica' }]);
    t.equal(b.ae.stats.exchangesRefused, 1);
    t.equal(b.scans, 0);
  },
);

t.test('bad options are refused', async (t) => {
  const network = new Network();
  t.throws(() => new Replica(1, network, DEFAULT_SHAPE, { messageBytesMax: 1024 }));
  t.throws(() => new Replica(1, network, DEFAULT_SHAPE, { keysPerMessageMax: 0 }));
  t.throws(() => new Replica(1, network, DEFAULT_SHAPE, { exchangeTimeoutMs: 1.5 }));
  t.throws(() => new Replica(1, network).ae.start(0, 1), 'an exchange with itself');
  t.throws(() => new Replica(1, network).ae.start(0x1_0000, 2), 'a partition beyond u16');
});
