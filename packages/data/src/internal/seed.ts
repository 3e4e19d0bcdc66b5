/**
 * Seed mixing: one 32-bit seed per (seed, epoch[, stream]) so every epoch reshuffles
 * deterministically and independently. The finalizer is MurmurHash3's fmix32
 * (Appleby, public domain), applied after a golden-ratio combine as in boost::hash_combine.
 */

/** Mixes a user seed with further integers (epoch, shard...) into one uint32 seed. */
export function mixSeed(seed: number, ...parts: number[]): number {
  let h = fmix32((seed >>> 0) ^ 0x9e3779b9);
  for (const p of parts) {
    h = fmix32((h ^ ((p >>> 0) + 0x9e3779b9 + (h << 6) + (h >>> 2))) >>> 0);
  }
  return h >>> 0;
}

function fmix32(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Throws unless `seed` is a finite integer (negative allowed, taken mod 2^32). */
export function checkSeed(fn: string, seed: unknown, name = 'seed'): number {
  if (typeof seed !== 'number' || !Number.isInteger(seed)) {
    throw new TypeError(`${fn}: ${name} must be an integer, got ${String(seed)}`);
  }
  return seed >>> 0;
}
