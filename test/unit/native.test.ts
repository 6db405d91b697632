// Goal: the native addon's MD5 and Merkle functions agree with node:crypto and refuse bad arguments,
// and its flock excludes a second holder. Method: hash seeded random keys at padding edges, in
// batches and as trees, against crypto and JS references; lock one file through two descriptors.
import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import {
  flockExclusive,
  hashKeys,
  md5Batch,
  md5Into,
  merkleParents,
  ringHash,
} from '../../src/native/index.js';
import { testSeed } from '../fixtures/seed.js';
import { freshDir } from '../fixtures/tmp-dir.js';

const DIGEST_BYTES = 16;
// Lengths around MD5's 64-byte block: 55 is the longest tail that fits its padding in one block.
const PADDING_EDGE_LENGTHS = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129];

const seed = testSeed(t);

// mulberry32: a small seeded generator, so a failure can be replayed with the same keys.
let state = seed >>> 0;
function nextUint32(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let z = state;
  z = Math.imul(z ^ (z >>> 15), z | 1);
  z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
  return (z ^ (z >>> 14)) >>> 0;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = nextUint32() & 0xff;
  return bytes;
}

function cryptoMd5(data: Uint8Array): Buffer {
  return createHash('md5').update(data).digest();
}

function cryptoRingHash(data: Uint8Array): number {
  return cryptoMd5(data).readUInt32BE(0);
}

function hex(data: Uint8Array): string {
  return Buffer.from(data.buffer, data.byteOffset, data.byteLength).toString('hex');
}

/** Packs keys back to back and returns the arguments md5Batch takes. */
function pack(keys: Uint8Array[]): { data: Uint8Array; offsets: Uint32Array } {
  const offsets = new Uint32Array(keys.length + 1);
  keys.forEach((key, i) => {
    offsets[i + 1] = offsets[i]! + key.length;
  });
  const data = new Uint8Array(offsets[keys.length]!);
  keys.forEach((key, i) => {
    data.set(key, offsets[i]);
  });
  return { data, offsets };
}

function referenceParents(children: Uint8Array, childCount: number, fanout: number): Uint8Array {
  const parentCount = Math.ceil(childCount / fanout);
  const parents = new Uint8Array(parentCount * DIGEST_BYTES);
  for (let j = 0; j < parentCount; j++) {
    const end = Math.min((j + 1) * fanout, childCount);
    parents.set(
      cryptoMd5(children.subarray(j * fanout * DIGEST_BYTES, end * DIGEST_BYTES)),
      j * DIGEST_BYTES,
    );
  }
  return parents;
}

t.test('md5Into writes the same 16 bytes as node:crypto for every key length from 0 to 200', async (t) => {
  let mismatches = 0;
  for (let length = 0; length <= 200; length++) {
    const data = randomBytes(length);
    const out = new Uint8Array(DIGEST_BYTES);
    md5Into(data, out, 0);
    if (hex(out) !== cryptoMd5(data).toString('hex')) {
      mismatches++;
      t.fail(`length ${length}, key ${hex(data)}`);
    }
  }
  t.equal(mismatches, 0);
});

t.test('md5Into writes only the 16 bytes at outOffset', async (t) => {
  const data = randomBytes(37);
  const out = new Uint8Array(DIGEST_BYTES + 10).fill(0xaa);
  md5Into(data, out, 7);
  t.equal(hex(out.subarray(7, 7 + DIGEST_BYTES)), cryptoMd5(data).toString('hex'));
  t.ok(out.subarray(0, 7).every((byte) => byte === 0xaa));
  t.ok(out.subarray(7 + DIGEST_BYTES).every((byte) => byte === 0xaa));
});

t.test('md5Batch gives each key the first four bytes of its MD5, big-endian, at padding edges', async (t) => {
  const keys = PADDING_EDGE_LENGTHS.map(randomBytes);
  const { data, offsets } = pack(keys);
  const out = new Uint32Array(keys.length);
  md5Batch(data, offsets, keys.length, out);
  t.same(Array.from(out), keys.map(cryptoRingHash), `keys ${keys.map(hex).join(' ')}`);
});

t.test('a 100 KB key hashes as node:crypto hashes it, in full and as a ring position', async (t) => {
  const key = randomBytes(100 * 1024);
  const digest = new Uint8Array(DIGEST_BYTES);
  md5Into(key, digest, 0);
  t.equal(hex(digest), cryptoMd5(key).toString('hex'));
  t.equal(ringHash(key), cryptoRingHash(key));
  t.equal(hashKeys([key, key.subarray(1)])[1], cryptoRingHash(key.subarray(1)));
});

t.test('batches of 1 and of 1000 random keys match node:crypto key by key', async (t) => {
  for (const count of [1, 1000]) {
    const keys = Array.from({ length: count }, () => randomBytes(nextUint32() % 300));
    const { data, offsets } = pack(keys);
    const out = new Uint32Array(count);
    md5Batch(data, offsets, count, out);
    t.same(Array.from(out), keys.map(cryptoRingHash), `batch of ${count}`);
  }
});

t.test('md5Batch reads views at a byte offset and offsets that do not start at zero', async (t) => {
  const backing = randomBytes(300);
  const data = backing.subarray(13, 250);
  const offsets = new Uint32Array([5, 5, 6, 70, 237]);
  const out = new Uint32Array(6).fill(7);
  md5Batch(data, offsets, 4, out.subarray(1, 5));
  const expected = [0, 1, 2, 3].map((i) => cryptoRingHash(data.subarray(offsets[i], offsets[i + 1])));
  t.same(Array.from(out), [7, ...expected, 7]);
});

t.test('md5Batch with count 0 writes nothing', async (t) => {
  const out = new Uint32Array(1).fill(9);
  md5Batch(new Uint8Array(0), new Uint32Array(1), 0, out);
  t.equal(out[0], 9);
});

t.test(
  'hashKeys matches node:crypto as its scratch grows past the retained size and shrinks back',
  async (t) => {
    const batches = [
      [randomBytes(3)],
      Array.from({ length: 600 }, () => randomBytes(16)),
      [randomBytes(3 * 1024 * 1024), randomBytes(10)],
      Array.from({ length: 5 }, () => randomBytes(40)),
      [],
    ];
    for (const keys of batches) {
      t.same(Array.from(hashKeys(keys)), keys.map(cryptoRingHash), `${keys.length} keys`);
    }
  },
);

t.test('hashKeys writes into the caller’s array, which may be longer than the batch', async (t) => {
  const keys = [randomBytes(8), randomBytes(0), Buffer.from('user:42')];
  const out = new Uint32Array(5);
  t.equal(hashKeys(keys, out), out);
  t.same(Array.from(out), [...keys.map(cryptoRingHash), 0, 0]);
  t.throws(() => hashKeys(keys, new Uint32Array(2)), RangeError);
});

t.test('ringHash equals the batch result and node:crypto for Buffers and views', async (t) => {
  const backing = randomBytes(64);
  for (const key of [
    new Uint8Array(0),
    backing,
    backing.subarray(9, 30),
    Buffer.from('a'),
    randomBytes(56),
  ]) {
    t.equal(ringHash(key), cryptoRingHash(key), hex(key));
    t.equal(ringHash(key), hashKeys([key])[0]);
  }
});

t.test('merkleParents matches the JS reference for fanouts 1, 2, 16 and uneven child counts', async (t) => {
  for (const fanout of [1, 2, 3, 16]) {
    for (const childCount of [0, 1, 2, 3, 15, 16, 17, 33, 255, 256, 257]) {
      const children = randomBytes(childCount * DIGEST_BYTES);
      const expected = referenceParents(children, childCount, fanout);
      const out = new Uint8Array(expected.length);
      merkleParents(children, childCount, fanout, out);
      t.equal(hex(out), hex(expected), `fanout ${fanout}, ${childCount} children`);
    }
  }
});

t.test('merkleParents reduces a level in place and gives the JS reference root', async (t) => {
  const fanout = 16;
  let childCount = 1000;
  const level = randomBytes(childCount * DIGEST_BYTES);
  let reference: Uint8Array = level.slice();
  while (childCount > 1) {
    reference = referenceParents(reference, childCount, fanout);
    merkleParents(level, childCount, fanout, level);
    childCount = Math.ceil(childCount / fanout);
    t.equal(hex(level.subarray(0, childCount * DIGEST_BYTES)), hex(reference), `level of ${childCount}`);
  }
});

t.test('md5Batch refuses wrong types, short arrays and bad offsets, and leaves out untouched', async (t) => {
  const data = new Uint8Array(10);
  const out = new Uint32Array(2).fill(5);
  const offsets = new Uint32Array([0, 4, 10]);
  const call = (args: unknown[]) => () => (md5Batch as (...a: unknown[]) => void)(...args);
  t.throws(call([[1, 2], offsets, 2, out]), TypeError, 'data is an array');
  t.throws(call([new Uint8ClampedArray(10), offsets, 2, out]), TypeError, 'data is clamped');
  t.throws(call([data, [0, 4, 10], 2, out]), TypeError, 'offsets is an array');
  t.throws(call([data, new Int32Array([0, 4, 10]), 2, out]), TypeError, 'offsets is signed');
  t.throws(call([data, offsets, '2', out]), TypeError, 'count is a string');
  t.throws(call([data, offsets, 2]), TypeError, 'out is missing');
  t.throws(call([data, offsets, 2, new Float64Array(2)]), TypeError, 'out is Float64Array');
  t.throws(call([data, offsets, 1.5, out]), RangeError, 'count is fractional');
  t.throws(call([data, offsets, -1, out]), RangeError, 'count is negative');
  t.throws(call([data, offsets, Number.NaN, out]), RangeError, 'count is NaN');
  t.throws(call([data, offsets, 2 ** 32, out]), RangeError, 'count is past uint32');
  t.throws(call([data, offsets, 3, new Uint32Array(3)]), RangeError, 'offsets too short for count');
  t.throws(call([data, offsets, 2, new Uint32Array(1)]), RangeError, 'out too short for count');
  t.throws(call([data, new Uint32Array([0, 6, 4]), 2, out]), RangeError, 'offsets decrease');
  t.throws(call([data, new Uint32Array([0, 4, 11]), 2, out]), RangeError, 'offset past data');
  t.throws(call([data, new Uint32Array([11, 11, 11]), 2, out]), RangeError, 'every offset past data');
  t.throws(call([new Uint8Array(0), new Uint32Array(0), 0, out]), RangeError, 'no offsets at all');
  t.same(Array.from(out), [5, 5]);
  t.throws(call([data, new Uint32Array([0, 6, 4]), 2, out]), {
    message: 'md5Batch: offsets must not decrease, but offsets[2] = 4 < offsets[1] = 6',
  });
});

t.test('md5Into refuses wrong types and an out too short for a digest at outOffset', async (t) => {
  const call = (args: unknown[]) => () => (md5Into as (...a: unknown[]) => void)(...args);
  t.throws(call(['abc', new Uint8Array(16), 0]), TypeError, 'data is a string');
  t.throws(call([new Uint8Array(1), new Uint32Array(4), 0]), TypeError, 'out is Uint32Array');
  t.throws(call([new Uint8Array(1), new Uint8Array(16)]), TypeError, 'outOffset is missing');
  t.throws(call([new Uint8Array(1), new Uint8Array(15), 0]), RangeError, 'out is 15 bytes');
  t.throws(call([new Uint8Array(1), new Uint8Array(20), 5]), RangeError, 'digest would end past out');
  t.throws(call([new Uint8Array(1), new Uint8Array(20), -1]), RangeError, 'outOffset is negative');
});

t.test('merkleParents refuses wrong types, fanout 0 and arrays too short for the counts', async (t) => {
  const children = new Uint8Array(5 * DIGEST_BYTES);
  const out = new Uint8Array(3 * DIGEST_BYTES);
  const call = (args: unknown[]) => () => (merkleParents as (...a: unknown[]) => void)(...args);
  t.throws(call([null, 5, 2, out]), TypeError, 'children is null');
  t.throws(call([children, 5, 2, {}]), TypeError, 'out is an object');
  t.throws(call([children, 5, undefined, out]), TypeError, 'fanout is missing');
  t.throws(call([children, 5, 0, out]), RangeError, 'fanout is 0');
  t.throws(call([children, 6, 2, out]), RangeError, 'children too short for childCount');
  t.throws(call([children, 5, 2, new Uint8Array(3 * DIGEST_BYTES - 1)]), RangeError, 'out too short');
  t.throws(call([children, 2 ** 32 - 1, 1, out]), RangeError, 'a huge childCount');
});

t.test(
  'flockExclusive lets one descriptor of a file hold it, the next one once the first closes',
  async (t) => {
    const path = join(freshDir(t, 'flock'), 'lock');
    const first = openSync(path, 'a+');
    const second = openSync(path, 'a+');
    t.equal(flockExclusive(first), true, 'the first descriptor takes the lock');
    t.equal(flockExclusive(first), true, 'taking it again through the same descriptor is a no-op');
    t.equal(flockExclusive(second), false, 'a second open() of the file, even in this process, is refused');
    closeSync(first);
    t.equal(flockExclusive(second), true, 'closing the holder releases the lock');
    closeSync(second);
    t.throws(
      () => flockExclusive(second),
      /flockExclusive: /,
      'a closed descriptor is an error, not a refusal',
    );
    t.throws(() => flockExclusive('3' as unknown as number), TypeError);
  },
);
