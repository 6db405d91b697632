// Key choice: YCSB's ZipfianGenerator (Gray et al., "Quickly Generating Billion-Record Synthetic
// Databases", SIGMOD 1994; constant 0.99) and a uniform chooser. Zipfian ranks are scrambled so
// the hot keys spread over the key space instead of sitting together (YCSB's
// ScrambledZipfianGenerator hashes ranks modulo the key count; a hash modulo n merges ranks, so
// this scrambles with a keyed Feistel permutation instead: every rank keeps its own key and the
// popularity of the rank-i key is exactly the generator's).
import type { Prng } from './prng.js';

export const ZIPFIAN_CONSTANT = 0.99;
/** Keys are numbered below this; the permutation's domain stays within 30 bits. */
export const KEY_COUNT_MAX = 1_000_000_000;

export interface KeyChooser {
  /** The next key number, in [0, keyCount). */
  next(): number;
}

/** Σ_{i=1..n} 1/i^θ, the normalising constant of a zipfian over n items. */
export function zeta(n: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= n; i++) sum += 1 / i ** theta;
  return sum;
}

/** Ranks in [0, items): rank 0 is the most popular, with probability 1/zeta(items). */
export class ZipfianGenerator {
  readonly items: number;
  readonly theta: number;
  readonly zetan: number;
  private readonly alpha: number;
  private readonly eta: number;
  private readonly secondThreshold: number;

  constructor(
    items: number,
    private readonly rng: Prng,
    theta = ZIPFIAN_CONSTANT,
  ) {
    if (!Number.isSafeInteger(items) || items < 1)
      throw new RangeError(`zipfian items must be ≥ 1; got ${items}`);
    this.items = items;
    this.theta = theta;
    this.zetan = zeta(items, theta);
    const zeta2 = zeta(2, theta);
    this.alpha = 1 / (1 - theta);
    this.eta = (1 - (2 / items) ** (1 - theta)) / (1 - zeta2 / this.zetan);
    this.secondThreshold = 1 + 0.5 ** theta;
  }

  nextRank(): number {
    const u = this.rng.nextDouble();
    const uz = u * this.zetan;
    if (uz < 1) return 0;
    if (uz < this.secondThreshold || this.items < 3) return Math.min(1, this.items - 1);
    const rank = Math.floor(this.items * (this.eta * u - this.eta + 1) ** this.alpha);
    // u close to 1 can round up to `items` itself.
    return rank < this.items ? rank : this.items - 1;
  }
}

/**
 * A bijection of [0, n) onto itself: a 4-round Feistel network over the smallest even number of
 * bits covering n, walking the cycle until the image falls inside [0, n) again.
 */
export class KeyPermutation {
  private readonly halfBits: number;
  private readonly halfMask: number;
  private readonly roundKeys: Uint32Array;

  constructor(
    readonly n: number,
    rng: Prng,
  ) {
    if (!Number.isSafeInteger(n) || n < 1 || n > KEY_COUNT_MAX) {
      throw new RangeError(`key count must be 1…${KEY_COUNT_MAX}; got ${n}`);
    }
    const bits = Math.max(2, Math.ceil(Math.log2(n)));
    this.halfBits = Math.ceil(bits / 2);
    this.halfMask = (1 << this.halfBits) - 1;
    this.roundKeys = Uint32Array.from({ length: 4 }, () => rng.nextUint32());
  }

  apply(x: number): number {
    do x = this.once(x);
    while (x >= this.n);
    return x;
  }

  private once(x: number): number {
    let left = x >>> this.halfBits;
    let right = x & this.halfMask;
    for (const key of this.roundKeys) {
      let f = Math.imul(right ^ key, 0x9e3779b1);
      f = Math.imul(f ^ (f >>> 15), 0x85ebca77);
      f ^= f >>> 13;
      const next = (left ^ f) & this.halfMask;
      left = right;
      right = next;
    }
    return (left << this.halfBits) | right;
  }
}

export class ScrambledZipfianChooser implements KeyChooser {
  readonly zipfian: ZipfianGenerator;
  readonly permutation: KeyPermutation;

  constructor(keyCount: number, rng: Prng, theta = ZIPFIAN_CONSTANT) {
    this.zipfian = new ZipfianGenerator(keyCount, rng, theta);
    this.permutation = new KeyPermutation(keyCount, rng);
  }

  next(): number {
    return this.permutation.apply(this.zipfian.nextRank());
  }
}

export class UniformChooser implements KeyChooser {
  constructor(
    private readonly keyCount: number,
    private readonly rng: Prng,
  ) {}

  next(): number {
    return Math.floor(this.rng.nextDouble() * this.keyCount);
  }
}

export type Distribution = 'zipfian' | 'uniform';

export function keyChooser(distribution: Distribution, keyCount: number, rng: Prng): KeyChooser {
  return distribution === 'zipfian'
    ? new ScrambledZipfianChooser(keyCount, rng)
    : new UniformChooser(keyCount, rng);
}
