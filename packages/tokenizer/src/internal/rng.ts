/**
 * A small seeded PRNG (SplitMix32 seeding + xoshiro128**), for sampling segmentations and BPE
 * dropout. Not cryptographic. The same seed gives the same stream on every platform.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    let s = seed >>> 0;
    const next = (): number => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next() | 1;
  }
  /** Next 32-bit unsigned integer. */
  nextU32(): number {
    const r = Math.imul(rotl(Math.imul(this.b, 5), 7), 9) >>> 0;
    const t = this.b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }
  /** Uniform in [0, 1) with 53 random bits. */
  next(): number {
    return ((this.nextU32() >>> 5) * 67108864 + (this.nextU32() >>> 6)) / 9007199254740992;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** A random source: a seed or a function returning uniforms in [0, 1). */
export type RandomSource = number | (() => number);

export function randomFn(src: RandomSource | undefined, where: string): () => number {
  if (src === undefined) {
    const r = new Rng((Math.random() * 0x100000000) >>> 0);
    return () => r.next();
  }
  if (typeof src === 'function') return src;
  if (!Number.isInteger(src)) throw new Error(`${where}: seed must be an integer, got ${src}`);
  const r = new Rng(src);
  return () => r.next();
}
