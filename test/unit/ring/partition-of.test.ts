// Goal: a ring position lands in the partition whose equal slice of the 32-bit space holds it.
// Method: edges and slice boundaries for every partition count, then even and MD5 key spreads.
import { createHash } from 'node:crypto';
import t from 'tap';
import { createRing, ownershipCounts, partitionOf } from '../../../src/ring/index.js';

const PARTITION_COUNTS = [1, 2, 4, 8, 16, 64, 256, 1024, 65_536];
const POSITION_SPACE = 2 ** 32;

/** mulberry32: a small seeded generator, so the spread below is the same on every run. */
function seededUint32s(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  };
}

/** The ring position of a key as DESIGN.md defines it: the first 4 bytes of its MD5, big-endian. */
function md5Position(key: string): number {
  return createHash('md5').update(key).digest().readUInt32BE(0);
}

t.test('position 0 falls in partition 0 and position 0xFFFFFFFF in the last partition', async (t) => {
  for (const q of PARTITION_COUNTS) {
    t.equal(partitionOf(0, q), 0, `Q=${q}`);
    t.equal(partitionOf(0xffff_ffff, q), q - 1, `Q=${q}`);
  }
});

t.test('each partition is exactly one slice of 2^32 / Q consecutive positions', async (t) => {
  for (const q of PARTITION_COUNTS) {
    const slice = POSITION_SPACE / q;
    const wrong: string[] = [];
    for (let p = 0; p < Math.min(q, 1024); p++) {
      const first = p * slice;
      const last = first + slice - 1;
      if (partitionOf(first, q) !== p || partitionOf(last, q) !== p) wrong.push(`partition ${p}`);
      if (p > 0 && partitionOf(first - 1, q) !== p - 1) wrong.push(`below partition ${p}`);
    }
    t.same(wrong, [], `Q=${q}`);
  }
});

t.test('the partition is the top log2(Q) bits of the position', async (t) => {
  const next = seededUint32s(7);
  for (const q of PARTITION_COUNTS) {
    const bits = Math.log2(q);
    const wrong: number[] = [];
    for (let i = 0; i < 2000; i++) {
      const position = next();
      const top = bits === 0 ? 0 : position >>> (32 - bits);
      if (partitionOf(position, q) !== top) wrong.push(position);
    }
    t.same(wrong, [], `Q=${q}`);
  }
});

t.test('evenly spaced positions cover every partition exactly equally', async (t) => {
  for (const q of PARTITION_COUNTS) {
    const perPartition = 4;
    const counts = new Array<number>(q).fill(0);
    const step = POSITION_SPACE / (q * perPartition);
    for (let i = 0; i < q * perPartition; i++) {
      const p = partitionOf(i * step + 12_345, q);
      counts[p] = (counts[p] ?? 0) + 1;
    }
    t.ok(
      counts.every((c) => c === perPartition),
      `Q=${q}: every partition gets ${perPartition}`,
    );
  }
});

t.test('100,000 seeded random positions reach each of 256 partitions within 25% of even', async (t) => {
  // Expected 390.6 per partition, standard deviation about 19.7: 25% is five deviations.
  const next = seededUint32s(42);
  const counts = new Array<number>(256).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const p = partitionOf(next(), 256);
    counts[p] = (counts[p] ?? 0) + 1;
  }
  const even = 100_000 / 256;
  t.ok(
    counts.every((c) => Math.abs(c - even) <= 0.25 * even),
    `min ${Math.min(...counts)}, max ${Math.max(...counts)}`,
  );
});

t.test('MD5 of 100,000 keys gives each of 4 workers (Q=256) within 10% of an even share', async (t) => {
  const ring = createRing(256, 4);
  const keysPerWorker = new Array<number>(4).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const owner = ring.owners[partitionOf(md5Position(`key-${i}`), 256)]!;
    keysPerWorker[owner] = (keysPerWorker[owner] ?? 0) + 1;
  }
  t.same(ownershipCounts(ring), [64, 64, 64, 64]);
  for (const [worker, keys] of keysPerWorker.entries()) {
    t.ok(Math.abs(keys - 25_000) <= 2_500, `worker ${worker} gets ${keys} keys`);
  }
});

t.test('a position that is not a uint32 is a programmer error', async (t) => {
  for (const position of [-1, 2 ** 32, 1.5, Number.NaN]) {
    t.throws(() => partitionOf(position, 256), { code: 'ERR_ASSERTION' }, `position ${position}`);
  }
  t.throws(() => partitionOf(0, 3), { code: 'ERR_ASSERTION' }, 'partition count 3');
});
