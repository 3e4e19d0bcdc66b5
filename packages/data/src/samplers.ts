/**
 * Index samplers, after PyTorch's `torch.utils.data` `SequentialSampler`, `RandomSampler`,
 * `WeightedRandomSampler`, `BatchSampler` and `DistributedSampler`, plus a bucket-by-length
 * batch sampler in the manner of torchnlp's `BucketBatchSampler` (sort within large random
 * pools, then shuffle the batches).
 *
 * Every sampler is a pure function of (seed, epoch): `indices(epoch)` / `batches(epoch)` give the
 * same answer for the same arguments, and a different order for a different epoch.
 */
import { AliasTable, Rng } from '@wordloom/core';
import { checkNonNegativeInt, checkPositiveInt } from './internal/check.js';
import { checkSeed, mixSeed } from './internal/seed.js';

/**
 * The optional half of a sampler whose order depends on more than (seed, epoch), e.g. one that
 * draws from a generator it keeps across epochs. `DataLoader.state()` saves `state()` taken
 * right before the epoch's `indices`/`batches` call, and `DataLoader.loadState()` gives it back
 * through `loadState()` so that the call repeats. The built-in samplers need neither.
 */
export interface SamplerStateMethods {
  /** A JSON-safe snapshot that makes the next `indices(epoch)` / `batches(epoch)` repeat. */
  state?(): unknown;
  /** Restores a snapshot from `state()`; throws on one it cannot take. */
  loadState?(state: unknown): void;
}

/** An ordering of dataset indices for one epoch. */
export interface Sampler extends SamplerStateMethods {
  /** Number of indices `indices(epoch)` returns. */
  readonly length: number;
  /** The indices of epoch `epoch` (deterministic in (seed, epoch)). */
  indices(epoch: number): Int32Array;
}

/** A grouping of dataset indices into batches for one epoch. */
export interface BatchSampler extends SamplerStateMethods {
  /** Number of batches `batches(epoch)` returns. */
  readonly length: number;
  /** The batches of epoch `epoch` (deterministic in (seed, epoch)). */
  batches(epoch: number): Int32Array[];
}

function checkEpoch(fn: string, epoch: number): number {
  return checkNonNegativeInt(fn, 'epoch', epoch);
}

function iota(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

/** A seeded permutation of 0..n-1 for (seed, epoch). */
export function permutation(n: number, seed: number, epoch = 0): Int32Array {
  const a = iota(n);
  new Rng(mixSeed(seed, epoch)).shuffle(a);
  return a;
}

/** Options of {@link SequentialSampler}. */
export interface SequentialSamplerOptions {
  /** Dataset length. */
  length: number;
}

/** 0, 1, ..., length-1 every epoch. */
export class SequentialSampler implements Sampler {
  readonly length: number;
  constructor(opts: SequentialSamplerOptions) {
    this.length = checkNonNegativeInt('SequentialSampler', 'length', opts?.length);
  }
  indices(epoch: number): Int32Array {
    checkEpoch('SequentialSampler.indices', epoch);
    return iota(this.length);
  }
}

/** Options of {@link RandomSampler}. */
export interface RandomSamplerOptions {
  /** Dataset length. */
  length: number;
  /** Seed; epoch e uses a seed mixed from (seed, e). */
  seed: number;
  /**
   * Draw with replacement (indices may repeat).
   * @default false — every index once per epoch, the usual training order.
   */
  replacement?: boolean;
  /**
   * Indices per epoch. Without replacement, more than `length` concatenates fresh permutations.
   * @default length
   */
  numSamples?: number;
}

/** Seeded random order, with or without replacement. */
export class RandomSampler implements Sampler {
  readonly length: number;
  private readonly n: number;
  private readonly seed: number;
  private readonly replacement: boolean;
  constructor(opts: RandomSamplerOptions) {
    const fn = 'RandomSampler';
    this.n = checkNonNegativeInt(fn, 'length', opts?.length);
    this.seed = checkSeed(fn, opts.seed);
    this.replacement = opts.replacement ?? false;
    this.length = opts.numSamples === undefined ? this.n : checkNonNegativeInt(fn, 'numSamples', opts.numSamples);
    if (this.n === 0 && this.length > 0)
      throw new RangeError(`${fn}: cannot draw ${this.length} samples from length 0`);
  }
  indices(epoch: number): Int32Array {
    checkEpoch('RandomSampler.indices', epoch);
    const rng = new Rng(mixSeed(this.seed, epoch));
    const out = new Int32Array(this.length);
    if (this.replacement) {
      for (let i = 0; i < out.length; i++) out[i] = rng.int(this.n);
      return out;
    }
    for (let start = 0; start < out.length; start += this.n) {
      const p = iota(this.n);
      rng.shuffle(p);
      out.set(p.subarray(0, Math.min(this.n, out.length - start)), start);
    }
    return out;
  }
}

/** Options of {@link WeightedRandomSampler}. */
export interface WeightedRandomSamplerOptions {
  /** Non-negative weight per dataset index (need not sum to 1). */
  weights: ArrayLike<number>;
  /** Indices per epoch. */
  numSamples: number;
  /**
   * Draw with replacement (Walker's alias method, O(1) a draw). Without replacement uses
   * Efraimidis–Spirakis keys `u^(1/w)`, so `numSamples` may not exceed the number of positive weights.
   * @default true — as PyTorch's `WeightedRandomSampler`.
   */
  replacement?: boolean;
  /** Seed; epoch e uses a seed mixed from (seed, e). */
  seed: number;
}

/** Index i drawn with probability proportional to `weights[i]`. */
export class WeightedRandomSampler implements Sampler {
  readonly length: number;
  private readonly weights: Float64Array;
  private readonly seed: number;
  private readonly replacement: boolean;
  private table: AliasTable | undefined;
  constructor(opts: WeightedRandomSamplerOptions) {
    const fn = 'WeightedRandomSampler';
    const w = opts?.weights;
    if (w === null || typeof w !== 'object' || typeof w.length !== 'number' || w.length === 0) {
      throw new TypeError(`${fn}: weights must be a non-empty array of numbers`);
    }
    this.weights = Float64Array.from(w);
    let positive = 0;
    for (let i = 0; i < this.weights.length; i++) {
      const x = this.weights[i];
      if (!Number.isFinite(x) || x < 0)
        throw new RangeError(`${fn}: weights[${i}] = ${String(w[i])} must be finite and >= 0`);
      if (x > 0) positive++;
    }
    if (positive === 0) throw new RangeError(`${fn}: all ${w.length} weights are 0`);
    this.length = checkNonNegativeInt(fn, 'numSamples', opts.numSamples);
    this.seed = checkSeed(fn, opts.seed);
    this.replacement = opts.replacement ?? true;
    if (!this.replacement && this.length > positive) {
      throw new RangeError(
        `${fn}: numSamples ${this.length} > ${positive} positive weights, impossible without replacement`,
      );
    }
  }
  indices(epoch: number): Int32Array {
    checkEpoch('WeightedRandomSampler.indices', epoch);
    const rng = new Rng(mixSeed(this.seed, epoch));
    const out = new Int32Array(this.length);
    if (this.replacement) {
      this.table ??= new AliasTable(this.weights);
      for (let i = 0; i < out.length; i++) out[i] = this.table.sample(rng);
      return out;
    }
    // Efraimidis–Spirakis: the k largest keys log(u)/w are a weighted sample without replacement.
    const n = this.weights.length;
    const keys = new Float64Array(n);
    const idx = iota(n);
    for (let i = 0; i < n; i++) {
      const wi = this.weights[i];
      // 1 - uniform() is in (0, 1], so log is finite.
      keys[i] = wi > 0 ? Math.log(1 - rng.uniform()) / wi : -Infinity;
    }
    idx.sort((a, b) => keys[b] - keys[a] || a - b);
    out.set(idx.subarray(0, this.length));
    return out;
  }
}

/** Options of {@link batchSampler}. */
export interface BatchSamplerOptions {
  /** Examples per batch, integer >= 1. */
  batchSize: number;
  /**
   * Drop the last batch if it is smaller than `batchSize`.
   * @default false — every example is seen.
   */
  dropLast?: boolean;
}

/** Cuts a sampler's indices into consecutive batches (PyTorch's `BatchSampler`). */
export function batchSampler(sampler: Sampler, opts: BatchSamplerOptions): BatchSampler {
  const fn = 'batchSampler';
  if (!sampler || typeof sampler.indices !== 'function') throw new TypeError(`${fn}: sampler must have indices(epoch)`);
  const batchSize = checkPositiveInt(fn, 'batchSize', opts?.batchSize);
  const dropLast = opts.dropLast ?? false;
  const n = sampler.length;
  const result: BatchSampler = {
    length: dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize),
    batches(epoch: number): Int32Array[] {
      const idx = sampler.indices(epoch);
      const out: Int32Array[] = [];
      for (let s = 0; s < idx.length; s += batchSize) {
        if (dropLast && s + batchSize > idx.length) break;
        out.push(idx.slice(s, s + batchSize));
      }
      return out;
    },
  };
  // A stateful sampler's state passes through, so DataLoader.state() saves it.
  if (typeof sampler.state === 'function') result.state = () => sampler.state!();
  if (typeof sampler.loadState === 'function') result.loadState = (s: unknown) => sampler.loadState!(s);
  return result;
}

/** Options of {@link ShardSampler}. */
export interface ShardSamplerOptions {
  /** Dataset length. */
  length: number;
  /** Number of shards (processes / replicas), integer >= 1. */
  numShards: number;
  /** This shard's rank, 0 <= shard < numShards. */
  shard: number;
  /**
   * Shuffle (the same permutation on every shard, from (seed, epoch)) before sharding.
   * @default true — as PyTorch's `DistributedSampler`.
   */
  shuffle?: boolean;
  /** Seed shared by all shards. @default 0 — shards must agree, so a fixed default is safer than a random one. */
  seed?: number;
  /**
   * Drop the tail so that every shard gets `floor(length / numShards)` indices; otherwise the
   * list is padded by repeating its first indices up to `ceil(length / numShards) * numShards`.
   * @default false — as PyTorch's `DistributedSampler`.
   */
  dropLast?: boolean;
}

/**
 * One shard of the dataset, exactly as PyTorch's `DistributedSampler`: the (shuffled) index list
 * is padded with its own first entries to a multiple of `numShards` (or cut, with `dropLast`),
 * and shard r takes positions r, r + numShards, r + 2·numShards, ... So without `dropLast` the
 * shards together cover every index at least once and `ceil(n/k)·k - n` indices twice; with
 * `dropLast`, `n mod k` indices are not seen that epoch and the rest exactly once.
 */
export class ShardSampler implements Sampler {
  readonly length: number;
  private readonly n: number;
  private readonly numShards: number;
  private readonly shard: number;
  private readonly shuffle: boolean;
  private readonly seed: number;
  private readonly dropLast: boolean;
  constructor(opts: ShardSamplerOptions) {
    const fn = 'ShardSampler';
    this.n = checkNonNegativeInt(fn, 'length', opts?.length);
    this.numShards = checkPositiveInt(fn, 'numShards', opts.numShards);
    this.shard = checkNonNegativeInt(fn, 'shard', opts.shard);
    if (this.shard >= this.numShards)
      throw new RangeError(`${fn}: shard ${this.shard} must be < numShards ${this.numShards}`);
    this.shuffle = opts.shuffle ?? true;
    this.seed = checkSeed(fn, opts.seed ?? 0);
    this.dropLast = opts.dropLast ?? false;
    const k = this.numShards;
    this.length = this.dropLast && this.n % k !== 0 ? Math.floor(this.n / k) : Math.ceil(this.n / k);
  }
  indices(epoch: number): Int32Array {
    checkEpoch('ShardSampler.indices', epoch);
    const k = this.numShards;
    const base = this.shuffle ? permutation(this.n, this.seed, epoch) : iota(this.n);
    const out = new Int32Array(this.length);
    if (this.n === 0) return out;
    for (let j = 0; j < this.length; j++) {
      const pos = this.shard + j * k; // position in the padded (or cut) list of length * k entries
      out[j] = base[pos % this.n]; // padding repeats the list from its start
    }
    return out;
  }
}

/** Options of {@link BucketBatchSampler}. */
export interface BucketBatchSamplerOptions {
  /** Length (in tokens) of every example, `lengths[i]` for dataset index i. */
  lengths: ArrayLike<number>;
  /** Examples per batch, integer >= 1. */
  batchSize: number;
  /** Seed; epoch e uses a seed mixed from (seed, e). */
  seed: number;
  /**
   * Shuffle examples into random pools and shuffle the order of batches. Off: pools are taken in
   * index order and batches come out shortest-first within each pool.
   * @default true
   */
  shuffle?: boolean;
  /**
   * A pool is `batchSize * bucketSizeMultiplier` random examples that are sorted by length and
   * cut into batches. Bigger pools → less padding, less randomness.
   * @default 100 — torchnlp's `BucketBatchSampler` default.
   */
  bucketSizeMultiplier?: number;
  /** Drop the last batch if it is smaller than `batchSize`. @default false */
  dropLast?: boolean;
}

/** Padding statistics of a set of batches. */
export interface PaddingStats {
  /** Real tokens in all batches. */
  realTokens: number;
  /** Cells of all padded `[B, T_batch]` matrices. */
  paddedCells: number;
  /** `1 - realTokens / paddedCells`: the fraction of cells that are padding. */
  padFraction: number;
}

/** Padding that padding each batch to its longest member costs. */
export function paddingStats(lengths: ArrayLike<number>, batches: Iterable<ArrayLike<number>>): PaddingStats {
  let real = 0;
  let cells = 0;
  for (const b of batches) {
    let max = 0;
    for (let i = 0; i < b.length; i++) {
      const l = lengths[b[i]];
      real += l;
      if (l > max) max = l;
    }
    cells += max * b.length;
  }
  return { realTokens: real, paddedCells: cells, padFraction: cells === 0 ? 0 : 1 - real / cells };
}

/**
 * Batches of similar length, to cut padding: each epoch shuffles the indices, cuts them into
 * pools of `batchSize * bucketSizeMultiplier`, sorts each pool by length (stable), cuts it into
 * batches, then shuffles the order of all batches. {@link BucketBatchSampler.stats} reports the
 * padding fraction achieved.
 */
export class BucketBatchSampler implements BatchSampler {
  readonly length: number;
  private readonly lengths: Int32Array;
  private readonly batchSize: number;
  private readonly seed: number;
  private readonly shuffle: boolean;
  private readonly pool: number;
  private readonly dropLast: boolean;
  constructor(opts: BucketBatchSamplerOptions) {
    const fn = 'BucketBatchSampler';
    const ls = opts?.lengths;
    if (ls === null || typeof ls !== 'object' || typeof ls.length !== 'number')
      throw new TypeError(`${fn}: lengths must be an array of integers`);
    this.lengths = new Int32Array(ls.length);
    for (let i = 0; i < ls.length; i++) {
      const l = ls[i];
      if (!Number.isInteger(l) || l < 0)
        throw new RangeError(`${fn}: lengths[${i}] = ${String(l)} must be an integer >= 0`);
      this.lengths[i] = l;
    }
    this.batchSize = checkPositiveInt(fn, 'batchSize', opts.batchSize);
    this.seed = checkSeed(fn, opts.seed);
    this.shuffle = opts.shuffle ?? true;
    this.pool = this.batchSize * checkPositiveInt(fn, 'bucketSizeMultiplier', opts.bucketSizeMultiplier ?? 100);
    this.dropLast = opts.dropLast ?? false;
    const n = this.lengths.length;
    this.length = this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }
  batches(epoch: number): Int32Array[] {
    checkEpoch('BucketBatchSampler.batches', epoch);
    const n = this.lengths.length;
    const rng = new Rng(mixSeed(this.seed, epoch));
    const order = iota(n);
    if (this.shuffle) rng.shuffle(order);
    const lengths = this.lengths;
    const out: Int32Array[] = [];
    // Pools are multiples of batchSize, so only the very last batch can be short.
    for (let s = 0; s < n; s += this.pool) {
      const pool = order.slice(s, Math.min(n, s + this.pool));
      // Stable sort by length (ties keep the shuffled order).
      const sorted = Array.from(pool).sort((a, b) => lengths[a] - lengths[b]);
      for (let b = 0; b < sorted.length; b += this.batchSize) {
        if (this.dropLast && b + this.batchSize > sorted.length) break;
        out.push(Int32Array.from(sorted.slice(b, b + this.batchSize)));
      }
    }
    if (this.shuffle) {
      // Shuffle batch order with a Fisher–Yates on positions.
      const pos = iota(out.length);
      rng.shuffle(pos);
      return Array.from(pos, (p) => out[p]);
    }
    return out;
  }
  /** Padding fraction that epoch `epoch`'s batches achieve (padding each to its longest). */
  stats(epoch = 0): PaddingStats {
    return paddingStats(this.lengths, this.batches(epoch));
  }
}
