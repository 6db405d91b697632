// Goal: key choice follows the stated distributions: YCSB's zipfian (rank 0 takes 1/zeta(n) of
// the draws, popularity falls with rank) scrambled by a bijection, and uniform. Method: a seeded
// generator drawn a million times; shares compared with the closed forms, with slack for noise.
import t from 'tap';
import { Prng } from '../../../src/loadgen/prng.js';
import {
  KeyPermutation,
  ScrambledZipfianChooser,
  UniformChooser,
  ZIPFIAN_CONSTANT,
  ZipfianGenerator,
  zeta,
} from '../../../src/loadgen/zipfian.js';

const DRAWS = 1_000_000;
const ITEMS = 1000;

function rankCounts(items: number, seed: number): Uint32Array {
  const generator = new ZipfianGenerator(items, new Prng(seed));
  const counts = new Uint32Array(items);
  for (let i = 0; i < DRAWS; i++) {
    const rank = generator.nextRank();
    counts[rank] = (counts[rank] as number) + 1;
  }
  return counts;
}

t.test('zeta is the sum of 1/i^theta', async (t) => {
  t.equal(zeta(1, ZIPFIAN_CONSTANT), 1);
  t.equal(zeta(2, ZIPFIAN_CONSTANT), 1 + 2 ** -ZIPFIAN_CONSTANT);
  t.ok(Math.abs(zeta(3, 1) - (1 + 1 / 2 + 1 / 3)) < 1e-12);
});

t.test(
  "rank 0 takes 1/zeta(n) of the draws and rank 1 takes 2^-theta/zeta(n), as in YCSB's generator",
  async (t) => {
    const counts = rankCounts(ITEMS, 7);
    const zetan = zeta(ITEMS, ZIPFIAN_CONSTANT);
    const share0 = (counts[0] as number) / DRAWS;
    const share1 = (counts[1] as number) / DRAWS;
    t.ok(
      Math.abs(share0 - 1 / zetan) < 0.003,
      `rank 0 share ${share0.toFixed(4)} vs ${(1 / zetan).toFixed(4)}`,
    );
    const expected1 = 2 ** -ZIPFIAN_CONSTANT / zetan;
    t.ok(
      Math.abs(share1 - expected1) < 0.003,
      `rank 1 share ${share1.toFixed(4)} vs ${expected1.toFixed(4)}`,
    );
  },
);

t.test('popularity decreases with rank: each of the first ten ranks, then each band of ranks', async (t) => {
  const counts = rankCounts(ITEMS, 11);
  for (let rank = 1; rank < 10; rank++) {
    t.ok(
      (counts[rank] as number) < (counts[rank - 1] as number),
      `rank ${rank} drawn less often than rank ${rank - 1}`,
    );
  }
  // Mean draws per rank over bands [10,20), [20,40), [40,80) … fall band after band.
  let previous = Number.POSITIVE_INFINITY;
  for (let start = 10; start < ITEMS; start *= 2) {
    const end = Math.min(start * 2, ITEMS);
    let sum = 0;
    for (let rank = start; rank < end; rank++) sum += counts[rank] as number;
    const mean = sum / (end - start);
    t.ok(mean < previous, `ranks ${start}…${end - 1}: ${mean.toFixed(1)} per rank`);
    previous = mean;
  }
  t.ok((counts[ITEMS - 1] as number) > 0, 'the least popular rank is still drawn');
});

t.test('every rank drawn lies in [0, items), for tiny and larger item counts', async (t) => {
  for (const items of [1, 2, 3, 10, 12345]) {
    const generator = new ZipfianGenerator(items, new Prng(items));
    let inside = true;
    for (let i = 0; i < 100_000; i++) {
      const rank = generator.nextRank();
      if (!Number.isInteger(rank) || rank < 0 || rank >= items) inside = false;
    }
    t.ok(inside, `${items} items`);
  }
});

t.test('the scrambling permutation is a bijection of [0, n)', async (t) => {
  for (const n of [1, 2, 3, 4, 5, 17, 1000, 4097, 65_536, 100_003]) {
    const permutation = new KeyPermutation(n, new Prng(n));
    const seen = new Uint8Array(n);
    let ok = true;
    for (let x = 0; x < n; x++) {
      const y = permutation.apply(x);
      if (y < 0 || y >= n || seen[y] === 1) ok = false;
      else seen[y] = 1;
    }
    t.ok(ok, `n = ${n}`);
  }
});

t.test('scrambled zipfian keeps the shape but spreads the hot keys over the key space', async (t) => {
  const keys = 100_000;
  const chooser = new ScrambledZipfianChooser(keys, new Prng(3));
  const counts = new Map<number, number>();
  for (let i = 0; i < DRAWS; i++) {
    const key = chooser.next();
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  const ranked = [...counts].sort((a, b) => b[1] - a[1]);
  const hottest = ranked[0] as [number, number];
  t.equal(hottest[0], chooser.permutation.apply(0), 'the hottest key is the image of rank 0');
  const expected = 1 / zeta(keys, ZIPFIAN_CONSTANT);
  t.ok(Math.abs(hottest[1] / DRAWS - expected) < 0.003, 'and it keeps rank 0 share');
  const hot = ranked.slice(0, 10).map(([key]) => key);
  const spread = Math.max(...hot) - Math.min(...hot);
  t.ok(spread > keys / 4, `the ten hottest keys span ${spread} of ${keys} key numbers`);
});

t.test('uniform choice gives every tenth of the key space a tenth of the draws', async (t) => {
  const keys = 1000;
  const chooser = new UniformChooser(keys, new Prng(5));
  const tenths = new Array<number>(10).fill(0);
  for (let i = 0; i < DRAWS; i++) {
    const key = chooser.next();
    tenths[Math.floor(key / 100)]! += 1;
  }
  for (const [i, count] of tenths.entries()) {
    t.ok(Math.abs(count / DRAWS - 0.1) < 0.005, `tenth ${i}: ${(count / DRAWS).toFixed(4)}`);
  }
});

t.test('the same seed gives the same sequence; another seed another one', async (t) => {
  const draw = (seed: number) => {
    const chooser = new ScrambledZipfianChooser(1000, new Prng(seed));
    return Array.from({ length: 50 }, () => chooser.next());
  };
  t.same(draw(9), draw(9));
  t.not(draw(9).join(), draw(10).join());
});

t.test('doubles from the seeded generator lie in [0, 1) and average one half', async (t) => {
  const rng = new Prng(1);
  let sum = 0;
  let inside = true;
  for (let i = 0; i < DRAWS; i++) {
    const u = rng.nextDouble();
    if (u < 0 || u >= 1) inside = false;
    sum += u;
  }
  t.ok(inside);
  t.ok(Math.abs(sum / DRAWS - 0.5) < 0.002);
});

t.test('bad item and key counts are refused', async (t) => {
  t.throws(() => new ZipfianGenerator(0, new Prng(1)), RangeError);
  t.throws(() => new KeyPermutation(0, new Prng(1)), RangeError);
  t.throws(() => new KeyPermutation(2_000_000_000, new Prng(1)), RangeError);
});
