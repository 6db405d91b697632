// Merkle trees for anti-entropy: one per partition, over a fixed number of leaves that are
// segments of key-hash space. A leaf's hash is the XOR of MD5(key ‖ record) over the keys in
// it, so a write changes it in O(1) (XOR the old entry out, the new one in) and two replicas
// holding the same records have the same leaves whatever order their writes came in. Inner
// levels are rehashed with the addon's merkleParents only when read after a leaf changed.
import assert from 'node:assert/strict';
import { md5Into, merkleParents } from '../native/index.js';

/** Leaves per partition tree: 16 KiB of leaf hashes, about 4 keys a leaf at 1M keys over Q = 256. */
export const MERKLE_LEAF_COUNT = 1024;
/** Children per inner node: 1024 leaves → 32 → 1, so a descent takes two levels below the root. */
export const MERKLE_FANOUT = 32;
export const MERKLE_LEAF_COUNT_MAX = 65_536;
export const MERKLE_FANOUT_MAX = 256;
/** Bytes of one node hash (an MD5 digest). */
export const NODE_HASH_BYTES = 16;

/** A storage key starts with its partition (u16 BE), then the bucket length byte. */
const STORAGE_KEY_PREFIX_BYTES = 2;
const STORAGE_KEY_BYTES_MIN = STORAGE_KEY_PREFIX_BYTES + 1;
/**
 * The ring places a key by bytes 0..3 of MD5(storage key without its partition prefix); the
 * leaf comes from bytes 4..7 of the same digest, so within a partition keys spread evenly.
 */
const LEAF_POSITION_OFFSET = 4;
const POSITION_SPACE = 0x1_0000_0000;
const UINT16_MAX = 0xffff;
/** entryHash keeps its concatenation buffer between calls only up to this size. */
const SCRATCH_RETAINED_BYTES_MAX = 1024 * 1024;

export interface TreeShape {
  readonly leafCount: number;
  readonly fanout: number;
}

export interface KeyedRecord {
  readonly key: Uint8Array;
  readonly record: Uint8Array;
}

let scratch = new Uint8Array(4096);
const keyDigest = new Uint8Array(NODE_HASH_BYTES);
const entryScratch = new Uint8Array(NODE_HASH_BYTES);

/**
 * Writes H(key ‖ record) = MD5(u16 key length ‖ key ‖ record) at out[outOffset..+16): the
 * entry a key contributes to its leaf. The length prefix keeps ("ab", "c") and ("a", "bc") apart.
 */
export function entryHash(key: Uint8Array, record: Uint8Array, out: Uint8Array, outOffset: number): void {
  assert(key.length <= UINT16_MAX, `storage key of ${key.length} bytes; at most ${UINT16_MAX}`);
  const byteCount = 2 + key.length + record.length;
  let buffer = scratch;
  if (buffer.length < byteCount) {
    buffer = new Uint8Array(2 ** Math.ceil(Math.log2(byteCount)));
    if (buffer.length <= SCRATCH_RETAINED_BYTES_MAX) scratch = buffer;
  }
  buffer[0] = key.length >> 8;
  buffer[1] = key.length & 0xff;
  buffer.set(key, 2);
  buffer.set(record, 2 + key.length);
  md5Into(buffer.subarray(0, byteCount), out, outOffset);
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= 1 && (n & (n - 1)) === 0;
}

function xorInto(target: Uint8Array, offset: number, hash: Uint8Array): void {
  for (let i = 0; i < NODE_HASH_BYTES; i++) target[offset + i] = target[offset + i]! ^ hash[i]!;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

/** The partition a storage key belongs to: its u16 big-endian prefix. */
export function partitionOfStorageKey(storageKey: Uint8Array): number {
  assert(storageKey.length >= STORAGE_KEY_BYTES_MIN, 'a storage key holds a partition and a bucket length');
  return (storageKey[0]! << 8) | storageKey[1]!;
}

export class PartitionTree {
  readonly leafCount: number;
  readonly fanout: number;
  /** Depth of the leaf level; the root is depth 0. */
  readonly leafDepth: number;
  /** Keys whose entries the leaves hold: +1 per record XORed in, -1 per record XORed out. */
  entryCount = 0;
  /** levels[0] is the root, levels[leafDepth] the leaves; NODE_HASH_BYTES per node. */
  readonly #levels: Uint8Array[];
  readonly #nodeCounts: number[];
  /** A leaf changed since the inner levels were last hashed. */
  #dirty = false;

  constructor(shape: Partial<TreeShape> = {}) {
    const leafCount = shape.leafCount ?? MERKLE_LEAF_COUNT;
    const fanout = shape.fanout ?? MERKLE_FANOUT;
    assert(
      isPowerOfTwo(leafCount) && leafCount <= MERKLE_LEAF_COUNT_MAX,
      `leaf count ${leafCount} is a power of two up to ${MERKLE_LEAF_COUNT_MAX}`,
    );
    assert(
      Number.isInteger(fanout) && fanout >= 2 && fanout <= MERKLE_FANOUT_MAX,
      `fanout ${fanout} is in 2..${MERKLE_FANOUT_MAX}`,
    );
    this.leafCount = leafCount;
    this.fanout = fanout;
    const counts = [leafCount];
    while (counts[0]! > 1) counts.unshift(Math.ceil(counts[0]! / fanout));
    this.#nodeCounts = counts;
    this.leafDepth = counts.length - 1;
    this.#levels = counts.map((count) => new Uint8Array(count * NODE_HASH_BYTES));
    // All leaves start empty (zero), so the inner levels must be hashed once before use.
    this.#dirty = this.leafDepth > 0;
  }

  /** A tree over `records`, for start-up or the first use of a partition. */
  static build(records: Iterable<KeyedRecord>, shape: Partial<TreeShape> = {}): PartitionTree {
    const tree = new PartitionTree(shape);
    for (const { key, record } of records) tree.update(key, undefined, record);
    return tree;
  }

  /** Nodes at `depth`: 1 at the root, leafCount at leafDepth. */
  nodeCount(depth: number): number {
    const count = this.#nodeCounts[depth];
    assert(count !== undefined, `depth ${depth} is in 0..${this.leafDepth}`);
    return count;
  }

  /** The leaf a storage key falls in; depends on the key only, never on its record. */
  leafOf(storageKey: Uint8Array): number {
    assert(storageKey.length >= STORAGE_KEY_BYTES_MIN, 'a storage key holds a partition and a bucket length');
    md5Into(storageKey.subarray(STORAGE_KEY_PREFIX_BYTES), keyDigest, 0);
    const position =
      ((keyDigest[LEAF_POSITION_OFFSET]! << 24) |
        (keyDigest[LEAF_POSITION_OFFSET + 1]! << 16) |
        (keyDigest[LEAF_POSITION_OFFSET + 2]! << 8) |
        keyDigest[LEAF_POSITION_OFFSET + 3]!) >>>
      0;
    return Math.floor(position / (POSITION_SPACE / this.leafCount));
  }

  /**
   * Replaces the key's entry: `oldRecord` is what the key held (undefined: nothing) and
   * `newRecord` what it holds now (undefined: removed). Called once per write, before the
   * write becomes visible to reads, so tree and storage never disagree for long.
   */
  update(storageKey: Uint8Array, oldRecord: Uint8Array | undefined, newRecord: Uint8Array | undefined): void {
    if (oldRecord !== undefined && newRecord !== undefined && sameBytes(oldRecord, newRecord)) return;
    if (oldRecord === undefined && newRecord === undefined) return;
    const leafOffset = this.leafOf(storageKey) * NODE_HASH_BYTES;
    const leaves = this.#levels[this.leafDepth]!;
    if (oldRecord !== undefined) {
      entryHash(storageKey, oldRecord, entryScratch, 0);
      xorInto(leaves, leafOffset, entryScratch);
      this.entryCount--;
    }
    if (newRecord !== undefined) {
      entryHash(storageKey, newRecord, entryScratch, 0);
      xorInto(leaves, leafOffset, entryScratch);
      this.entryCount++;
    }
    if (this.leafDepth > 0) this.#dirty = true;
  }

  /**
   * The node hashes at `depth`, back to back, NODE_HASH_BYTES each. A view into the tree:
   * read it before the next update and never write to it.
   */
  level(depth: number): Uint8Array {
    assert(Number.isInteger(depth) && depth >= 0 && depth <= this.leafDepth, `depth ${depth} in range`);
    if (depth < this.leafDepth && this.#dirty) this.#rehash();
    return this.#levels[depth]!;
  }

  root(): Uint8Array {
    return this.level(0);
  }

  leaves(): Uint8Array {
    return this.level(this.leafDepth);
  }

  /** Rehashes every inner level, one addon call per level (1024 leaves: 33 MD5s of ≤ 512 bytes). */
  #rehash(): void {
    for (let depth = this.leafDepth - 1; depth >= 0; depth--) {
      merkleParents(
        this.#levels[depth + 1]!,
        this.#nodeCounts[depth + 1]!,
        this.fanout,
        this.#levels[depth]!,
      );
    }
    this.#dirty = false;
  }
}

export interface TreeSetOptions extends Partial<TreeShape> {
  /**
   * The records of a partition whose tree is first asked for, to build it from. Called
   * synchronously, so no write to that partition can slip between the scan and the tree.
   * Without it a new tree starts empty.
   */
  readonly load?: (partition: number) => Iterable<KeyedRecord>;
}

/**
 * The trees of the partitions one worker holds, created on first use. Trees are not persisted:
 * building one costs about 2 µs a key, and a stored tree is right only if written in the same
 * transaction as every record, since a stale leaf never heals (merges that change nothing
 * write nothing) and would be shipped again by every exchange.
 */
export class TreeSet {
  readonly shape: TreeShape;
  readonly #trees = new Map<number, PartitionTree>();
  readonly #load: ((partition: number) => Iterable<KeyedRecord>) | undefined;

  constructor(options: TreeSetOptions = {}) {
    this.shape = {
      leafCount: options.leafCount ?? MERKLE_LEAF_COUNT,
      fanout: options.fanout ?? MERKLE_FANOUT,
    };
    this.#load = options.load;
  }

  /** The partition's tree, built from `load` (or empty) the first time. */
  get(partition: number): PartitionTree {
    assert(Number.isInteger(partition) && partition >= 0 && partition <= UINT16_MAX, 'partition is a u16');
    let tree = this.#trees.get(partition);
    if (tree === undefined) {
      tree =
        this.#load === undefined
          ? new PartitionTree(this.shape)
          : PartitionTree.build(this.#load(partition), this.shape);
      this.#trees.set(partition, tree);
    }
    return tree;
  }

  /** The partition's tree if one exists, without creating it. */
  peek(partition: number): PartitionTree | undefined {
    return this.#trees.get(partition);
  }

  /** The store's write hook: routes the change to the tree of the key's partition. */
  update(storageKey: Uint8Array, oldRecord: Uint8Array | undefined, newRecord: Uint8Array | undefined): void {
    this.get(partitionOfStorageKey(storageKey)).update(storageKey, oldRecord, newRecord);
  }

  /** Forgets a partition's tree (the partition moved away, or its data was dropped). */
  delete(partition: number): boolean {
    return this.#trees.delete(partition);
  }

  get size(): number {
    return this.#trees.size;
  }

  partitions(): IterableIterator<number> {
    return this.#trees.keys();
  }
}
