// Goal: a partition tree depends only on the set of (key, record) pairs it holds, changes only along one leaf's path per key, and matches node:crypto.
// Method: seeded random record sets applied in shuffled orders, reverted and rebuilt, over a matrix of shapes, against a JS reference tree.
import { createHash } from 'node:crypto';
import t from 'tap';
import { EMPTY_CLOCK, encodeRecord, newVersion, type Version } from '../../../src/clock/index.js';
import { CLOCK_ENTRIES_MAX } from '../../../src/constants.js';
import {
  entryHash,
  MERKLE_FANOUT,
  MERKLE_LEAF_COUNT,
  NODE_HASH_BYTES,
  PartitionTree,
  partitionOfStorageKey,
  TreeSet,
  type TreeShape,
} from '../../../src/replica/merkle.js';
import { testSeed } from '../../fixtures/seed.js';
import { Rng } from '../clock/fixtures.js';

const seed = testSeed(t);
const rng = new Rng(seed);

/** The default shape, an uneven one (4096 → 128 → 4 → 1), small ones, a single leaf, a wide fanout. */
const SHAPES: readonly TreeShape[] = [
  { leafCount: MERKLE_LEAF_COUNT, fanout: MERKLE_FANOUT },
  { leafCount: 4096, fanout: 32 },
  { leafCount: 16, fanout: 4 },
  { leafCount: 8, fanout: 2 },
  { leafCount: 1, fanout: 32 },
  { leafCount: 64, fanout: 256 },
];
const PARTITION = 0x1234;

function storageKey(partition: number, key: string, bucket = 'default'): Uint8Array {
  const bucketBytes = Buffer.from(bucket);
  const keyBytes = Buffer.from(key);
  const out = Buffer.alloc(3 + bucketBytes.length + keyBytes.length);
  out.writeUInt16BE(partition, 0);
  out[2] = bucketBytes.length;
  bucketBytes.copy(out, 3);
  keyBytes.copy(out, 3 + bucketBytes.length);
  return out;
}

/** A realistic record: one to three writes through random workers, some concurrent, some deletes. */
function randomRecord(): Uint8Array {
  let versions: Version[] = [];
  const writes = 1 + rng.int(3);
  for (let i = 0; i < writes; i++) {
    const context = rng.chance(0.5) ? EMPTY_CLOCK : (versions[0]?.clock ?? EMPTY_CLOCK);
    const value = rng.chance(0.1) ? null : rng.bytes(rng.int(64));
    versions = newVersion(
      versions,
      context,
      rng.int(5),
      1_700_000_000_000 + rng.int(1e6),
      value,
      'siblings',
      CLOCK_ENTRIES_MAX,
    ).versions;
  }
  return encodeRecord(versions);
}

function randomEntries(count: number): Map<string, { key: Uint8Array; record: Uint8Array }> {
  const entries = new Map<string, { key: Uint8Array; record: Uint8Array }>();
  while (entries.size < count) {
    const name = `k${rng.int(1e9)}`;
    entries.set(name, { key: storageKey(PARTITION, name), record: randomRecord() });
  }
  return entries;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

function levels(tree: PartitionTree): string[] {
  return Array.from({ length: tree.leafDepth + 1 }, (_, depth) => hex(tree.level(depth)));
}

function md5(...parts: Uint8Array[]): Buffer {
  const hash = createHash('md5');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

/** The tree as the design states it, with node:crypto: leaves XOR MD5(u16 len ‖ key ‖ record), parents MD5 of children. */
function referenceLevels(
  shape: TreeShape,
  entries: Iterable<{ key: Uint8Array; record: Uint8Array }>,
): string[] {
  const leaves = Buffer.alloc(shape.leafCount * NODE_HASH_BYTES);
  for (const { key, record } of entries) {
    const position = md5(key.subarray(2)).readUInt32BE(4);
    const leaf = Math.floor(position / (2 ** 32 / shape.leafCount));
    const length = Buffer.alloc(2);
    length.writeUInt16BE(key.length);
    const entry = md5(length, key, record);
    for (let i = 0; i < NODE_HASH_BYTES; i++) leaves[leaf * NODE_HASH_BYTES + i]! ^= entry[i]!;
  }
  const out = [leaves];
  while (out[0]!.length > NODE_HASH_BYTES) {
    const children = out[0]!;
    const childCount = children.length / NODE_HASH_BYTES;
    const parents: Buffer[] = [];
    for (let first = 0; first < childCount; first += shape.fanout) {
      const end = Math.min(first + shape.fanout, childCount);
      parents.push(md5(children.subarray(first * NODE_HASH_BYTES, end * NODE_HASH_BYTES)));
    }
    out.unshift(Buffer.concat(parents));
  }
  return out.map(hex);
}

t.test('the tree of every shape matches a reference built with node:crypto', async (t) => {
  const entries = [...randomEntries(500).values()];
  for (const shape of SHAPES) {
    const tree = PartitionTree.build(entries, shape);
    t.strictSame(
      levels(tree),
      referenceLevels(shape, entries),
      `${shape.leafCount} leaves, fanout ${shape.fanout}`,
    );
    t.equal(tree.entryCount, entries.length);
  }
  const empty = new PartitionTree();
  t.strictSame(levels(empty), referenceLevels(empty, []), 'an empty tree too');
});

t.test(
  'levels hold one node at the root and leafCount at the leaves, divided by fanout between',
  async (t) => {
    const counts = (tree: PartitionTree) =>
      Array.from({ length: tree.leafDepth + 1 }, (_, depth) => tree.level(depth).length / NODE_HASH_BYTES);
    t.strictSame(counts(new PartitionTree()), [1, 32, 1024]);
    t.strictSame(counts(new PartitionTree({ leafCount: 4096, fanout: 32 })), [1, 4, 128, 4096]);
    t.strictSame(counts(new PartitionTree({ leafCount: 1 })), [1]);
    const tree = new PartitionTree();
    t.equal(tree.root().length, NODE_HASH_BYTES);
    t.equal(tree.leaves().length, MERKLE_LEAF_COUNT * NODE_HASH_BYTES);
  },
);

t.test('the same set of pairs gives the same tree whatever the order and history of updates', async (t) => {
  for (const shape of SHAPES) {
    const final = [...randomEntries(300).values()];
    const inOrder = new PartitionTree(shape);
    for (const { key, record } of final) inOrder.update(key, undefined, record);

    // Another history: shuffled, with detours through interim records and keys added then removed.
    const shuffled = new PartitionTree(shape);
    for (const { key, record } of rng.shuffle(final)) {
      if (rng.chance(0.3)) {
        const interim = randomRecord();
        shuffled.update(key, undefined, interim);
        shuffled.update(key, interim, record);
      } else {
        shuffled.update(key, undefined, record);
      }
      if (rng.chance(0.2)) {
        const transient = storageKey(PARTITION, `transient${rng.int(1e9)}`);
        const transientRecord = randomRecord();
        shuffled.update(transient, undefined, transientRecord);
        shuffled.update(transient, transientRecord, undefined);
      }
    }
    t.strictSame(levels(shuffled), levels(inOrder), `${shape.leafCount} leaves, fanout ${shape.fanout}`);
    t.equal(shuffled.entryCount, inOrder.entryCount);
  }
});

t.test('a sequence of updates followed by its reverse restores every level', async (t) => {
  for (const shape of SHAPES) {
    const store = randomEntries(200);
    const tree = PartitionTree.build(store.values(), shape);
    const before = levels(tree);
    const undo: Array<{ key: Uint8Array; from: Uint8Array | undefined; to: Uint8Array | undefined }> = [];
    const names = [...store.keys()];
    for (let i = 0; i < 400; i++) {
      const name = rng.chance(0.8) ? rng.pick(names) : `new${rng.int(1e9)}`;
      const key = storageKey(PARTITION, name);
      const from = store.get(name)?.record;
      const to = rng.chance(0.15) ? undefined : randomRecord();
      tree.update(key, from, to);
      undo.push({ key, from, to });
      if (to === undefined) store.delete(name);
      else store.set(name, { key, record: to });
    }
    t.notSame(levels(tree), before, 'the updates changed the tree');
    for (const { key, from, to } of undo.reverse()) tree.update(key, to, from);
    t.strictSame(levels(tree), before, `${shape.leafCount} leaves, fanout ${shape.fanout}`);
  }
});

t.test('incremental updates leave the same tree that build() makes from the final records', async (t) => {
  for (const shape of SHAPES) {
    const store = new Map<string, { key: Uint8Array; record: Uint8Array }>();
    const tree = new PartitionTree(shape);
    for (let i = 0; i < 1500; i++) {
      const name = `k${rng.int(400)}`;
      const key = storageKey(PARTITION, name);
      const old = store.get(name)?.record;
      const next = old !== undefined && rng.chance(0.2) ? undefined : randomRecord();
      tree.update(key, old, next);
      if (next === undefined) store.delete(name);
      else store.set(name, { key, record: next });
      // Read the inner levels now and then, so lazy rehashing meets interleaved updates.
      if (rng.chance(0.05)) tree.root();
    }
    const rebuilt = PartitionTree.build(store.values(), shape);
    t.strictSame(levels(tree), levels(rebuilt), `${shape.leafCount} leaves, fanout ${shape.fanout}`);
    t.equal(tree.entryCount, store.size);
  }
});

t.test("a change to one key changes exactly its leaf and that leaf's ancestors", async (t) => {
  for (const shape of SHAPES) {
    const entries = [...randomEntries(300).values()];
    const tree = PartitionTree.build(entries, shape);
    for (let trial = 0; trial < 20; trial++) {
      const before = Array.from({ length: tree.leafDepth + 1 }, (_, depth) => tree.level(depth).slice());
      const entry = rng.pick(entries);
      const next = randomRecord();
      tree.update(entry.key, entry.record, next);
      entry.record = next;
      const leaf = tree.leafOf(entry.key);
      for (let depth = 0; depth <= tree.leafDepth; depth++) {
        const ancestor = Math.floor(leaf / shape.fanout ** (tree.leafDepth - depth));
        const after = tree.level(depth);
        const changed: number[] = [];
        for (let node = 0; node < tree.nodeCount(depth); node++) {
          const range = [node * NODE_HASH_BYTES, (node + 1) * NODE_HASH_BYTES] as const;
          if (hex(after.subarray(...range)) !== hex(before[depth]!.subarray(...range))) changed.push(node);
        }
        if (changed.length !== 1 || changed[0] !== ancestor) {
          t.fail(`depth ${depth}: nodes ${changed} changed; only ${ancestor} should`, { shape, leaf });
          return;
        }
      }
    }
    t.pass(`${shape.leafCount} leaves, fanout ${shape.fanout}`);
  }
});

t.test('an update to the same bytes, or from nothing to nothing, changes nothing', async (t) => {
  const entries = [...randomEntries(50).values()];
  const tree = PartitionTree.build(entries);
  const before = levels(tree);
  const { key, record } = entries[0]!;
  tree.update(key, record, record.slice());
  tree.update(storageKey(PARTITION, 'absent'), undefined, undefined);
  t.strictSame(levels(tree), before);
  t.equal(tree.entryCount, entries.length);
});

t.test('leafOf depends on the key alone and spreads keys evenly over the leaves', async (t) => {
  const tree = new PartitionTree();
  const counts = new Array<number>(MERKLE_LEAF_COUNT).fill(0);
  const keyCount = 64 * MERKLE_LEAF_COUNT;
  for (let i = 0; i < keyCount; i++) counts[tree.leafOf(storageKey(PARTITION, `spread${i}`))]!++;
  const mean = keyCount / MERKLE_LEAF_COUNT;
  // 64 keys a leaf: the binomial standard deviation is 8, so 0.4× and 1.6× are 3σ away.
  t.ok(Math.min(...counts) > mean * 0.4, `fullest ${Math.max(...counts)}, emptiest ${Math.min(...counts)}`);
  t.ok(Math.max(...counts) < mean * 1.6);
  const key = storageKey(PARTITION, 'same');
  const other = storageKey(PARTITION + 1, 'same');
  t.equal(tree.leafOf(key), tree.leafOf(key.slice()), 'the same key always falls in the same leaf');
  t.equal(tree.leafOf(key), tree.leafOf(other), 'the partition prefix does not move a key between leaves');
});

t.test("entry hashes keep the key's and the record's bytes apart", async (t) => {
  const one = new Uint8Array(NODE_HASH_BYTES);
  const two = new Uint8Array(NODE_HASH_BYTES);
  entryHash(Buffer.from('ab'), Buffer.from('c'), one, 0);
  entryHash(Buffer.from('a'), Buffer.from('bc'), two, 0);
  t.not(hex(one), hex(two));
  const big = rng.bytes(3 * 1024 * 1024);
  entryHash(Buffer.from('key'), big, one, 0);
  t.equal(
    hex(one),
    hex(md5(Buffer.from([0, 3]), Buffer.from('key'), big)),
    'a record larger than the scratch',
  );
});

t.test('shapes other than a power-of-two leaf count and a fanout in 2..256 are refused', async (t) => {
  for (const shape of [
    { leafCount: 1000 },
    { leafCount: 0 },
    { leafCount: 2 ** 17 },
    { leafCount: 1.5 },
    { fanout: 1 },
    { fanout: 257 },
    { fanout: 2.5 },
  ]) {
    t.throws(() => new PartitionTree(shape), JSON.stringify(shape));
  }
  t.throws(() => new PartitionTree().leafOf(new Uint8Array(2)), 'a key without a bucket length byte');
  t.throws(() => new PartitionTree().level(3), 'a depth below the leaves');
});

t.test(
  "a TreeSet builds each partition's tree from load on first use and routes updates by prefix",
  async (t) => {
    const byPartition = new Map<number, Array<{ key: Uint8Array; record: Uint8Array }>>();
    for (const partition of [0, 1, 0xffff]) {
      byPartition.set(
        partition,
        Array.from({ length: 40 }, (_, i) => ({
          key: storageKey(partition, `p${partition}k${i}`),
          record: randomRecord(),
        })),
      );
    }
    const loads: number[] = [];
    const trees = new TreeSet({
      load: (partition) => {
        loads.push(partition);
        return byPartition.get(partition) ?? [];
      },
    });
    t.equal(trees.peek(1), undefined, 'nothing is built before use');
    for (const [partition, entries] of byPartition) {
      t.strictSame(
        levels(trees.get(partition)),
        levels(PartitionTree.build(entries)),
        `partition ${partition}`,
      );
    }
    trees.get(1);
    t.strictSame(loads, [0, 1, 0xffff], 'each partition loads once');

    const key = storageKey(1, 'fresh');
    const record = randomRecord();
    trees.update(key, undefined, record);
    t.equal(partitionOfStorageKey(key), 1);
    t.strictSame(
      levels(trees.get(1)),
      levels(PartitionTree.build([...byPartition.get(1)!, { key, record }])),
      "the update reached partition 1's tree",
    );
    t.strictSame(levels(trees.get(0)), levels(PartitionTree.build(byPartition.get(0)!)), 'and no other');
    t.ok(trees.delete(0));
    t.equal(trees.size, 2);
    t.strictSame(
      [...trees.partitions()].sort((a, b) => a - b),
      [1, 0xffff],
    );
  },
);
