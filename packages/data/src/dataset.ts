/**
 * Map-style and iterable datasets, after PyTorch's `torch.utils.data.Dataset`,
 * `IterableDataset`, `Subset`, `ConcatDataset` and `random_split`.
 */
import { Rng } from '@wordloom/core';
import { checkSeed } from './internal/seed.js';

/** A map-style dataset: a known `length` and random access by index (PyTorch's `Dataset`). */
export interface Dataset<T> {
  readonly length: number;
  get(index: number): T;
}

/** A stream of examples with no random access (PyTorch's `IterableDataset`). */
export type IterableDataset<T> = Iterable<T> | AsyncIterable<T>;

/** True if `x` has a numeric `length` and a `get` method (a map-style {@link Dataset}). */
export function isDataset<T = unknown>(x: unknown): x is Dataset<T> {
  return (
    typeof x === 'object' &&
    x !== null &&
    typeof (x as Dataset<T>).get === 'function' &&
    typeof (x as Dataset<T>).length === 'number'
  );
}

function checkIndex(fn: string, index: number, length: number): void {
  if (!Number.isInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`${fn}: index ${String(index)} out of range [0, ${length})`);
  }
}

class ArrayDataset<T> implements Dataset<T> {
  constructor(private readonly items: readonly T[]) {}
  get length(): number {
    return this.items.length;
  }
  get(index: number): T {
    checkIndex('fromArray.get', index, this.items.length);
    return this.items[index];
  }
}

/** Wraps an array (not copied) as a {@link Dataset}. */
export function fromArray<T>(items: readonly T[]): Dataset<T> {
  if (!Array.isArray(items)) throw new TypeError(`fromArray: items must be an array, got ${typeof items}`);
  return new ArrayDataset(items);
}

/** Reads an (async) iterable to the end and returns its items as a {@link Dataset}. */
export async function fromIterable<T>(source: IterableDataset<T>): Promise<Dataset<T>> {
  const items: T[] = [];
  for await (const x of source) items.push(x);
  return new ArrayDataset(items);
}

/** The items of `dataset` at `indices`, in that order (PyTorch's `Subset`). */
export function subset<T>(dataset: Dataset<T>, indices: ArrayLike<number>): Dataset<T> {
  const idx = Int32Array.from(indices as ArrayLike<number>);
  for (let i = 0; i < idx.length; i++) {
    if (idx[i] !== indices[i]) {
      throw new TypeError(`subset: indices[${i}] = ${String(indices[i])} is not an int32 integer`);
    }
    checkIndex(`subset: indices[${i}]`, idx[i], dataset.length);
  }
  return {
    length: idx.length,
    get(index: number): T {
      checkIndex('subset.get', index, idx.length);
      return dataset.get(idx[index]);
    },
  };
}

/**
 * Lazily applies `fn` to each example. On a {@link Dataset} the result is a Dataset (the
 * function runs on every `get`, so keep it cheap or pure); on an iterable, an async iterable.
 */
export function map<T, U>(dataset: Dataset<T>, fn: (x: T, index: number) => U): Dataset<U>;
export function map<T, U>(dataset: IterableDataset<T>, fn: (x: T, index: number) => U | Promise<U>): AsyncIterable<U>;
export function map<T, U>(
  dataset: Dataset<T> | IterableDataset<T>,
  fn: (x: T, index: number) => U | Promise<U>,
): Dataset<U> | AsyncIterable<U> {
  if (typeof fn !== 'function') throw new TypeError(`map: fn must be a function, got ${typeof fn}`);
  if (isDataset<T>(dataset)) {
    const ds = dataset;
    return {
      get length() {
        return ds.length;
      },
      get(index: number): U {
        return fn(ds.get(index), index) as U;
      },
    };
  }
  const it = dataset;
  return {
    async *[Symbol.asyncIterator]() {
      let i = 0;
      for await (const x of it) yield await fn(x, i++);
    },
  };
}

/**
 * Keeps the examples for which `predicate` is true. On a {@link Dataset} the predicate runs
 * once over every example now (to know the new length) and the result indexes into `dataset`;
 * on an iterable it runs lazily.
 */
export function filter<T>(dataset: Dataset<T>, predicate: (x: T, index: number) => boolean): Dataset<T>;
export function filter<T>(dataset: IterableDataset<T>, predicate: (x: T, index: number) => boolean): AsyncIterable<T>;
export function filter<T>(
  dataset: Dataset<T> | IterableDataset<T>,
  predicate: (x: T, index: number) => boolean,
): Dataset<T> | AsyncIterable<T> {
  if (typeof predicate !== 'function')
    throw new TypeError(`filter: predicate must be a function, got ${typeof predicate}`);
  if (isDataset<T>(dataset)) {
    const keep: number[] = [];
    for (let i = 0; i < dataset.length; i++) if (predicate(dataset.get(i), i)) keep.push(i);
    return subset(dataset, keep);
  }
  const it = dataset;
  return {
    async *[Symbol.asyncIterator]() {
      let i = 0;
      for await (const x of it) if (predicate(x, i++)) yield x;
    },
  };
}

/** Datasets one after another (PyTorch's `ConcatDataset`); lengths are read once, now. */
export function concat<T>(...datasets: Dataset<T>[]): Dataset<T> {
  const ends: number[] = [];
  let total = 0;
  datasets.forEach((d, i) => {
    if (!isDataset(d)) throw new TypeError(`concat: datasets[${i}] is not a Dataset (needs length and get)`);
    total += d.length;
    ends.push(total);
  });
  return {
    length: total,
    get(index: number): T {
      checkIndex('concat.get', index, total);
      // Binary search for the first end > index.
      let lo = 0;
      let hi = ends.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (ends[mid] > index) hi = mid;
        else lo = mid + 1;
      }
      const start = lo === 0 ? 0 : ends[lo - 1];
      return datasets[lo].get(index - start);
    },
  };
}

/** Options of {@link randomSplit}. */
export interface RandomSplitOptions {
  /**
   * Sizes of the parts: fractions summing to 1 (e.g. `[0.9, 0.1]`) or counts summing to the
   * dataset length. Fractions become counts by flooring, then the remainder is given one by one
   * to the parts in order, as PyTorch's `random_split` does.
   */
  lengths: number[];
  /** Seed of the shuffle; the same seed gives the same split. */
  seed: number;
}

/** Splits a dataset into disjoint random parts (PyTorch's `random_split`). */
export function randomSplit<T>(dataset: Dataset<T>, opts: RandomSplitOptions): Dataset<T>[] {
  const fn = 'randomSplit';
  if (!isDataset(dataset)) throw new TypeError(`${fn}: dataset is not a Dataset (needs length and get)`);
  const seed = checkSeed(fn, opts?.seed);
  const lengths = splitLengths(fn, dataset.length, opts.lengths);
  const perm = new Int32Array(dataset.length);
  for (let i = 0; i < perm.length; i++) perm[i] = i;
  new Rng(seed).shuffle(perm);
  const parts: Dataset<T>[] = [];
  let start = 0;
  for (const n of lengths) {
    parts.push(subset(dataset, perm.subarray(start, start + n)));
    start += n;
  }
  return parts;
}

/** Part sizes for {@link randomSplit}: counts as given, or fractions turned into counts. */
function splitLengths(fn: string, n: number, lengths: number[]): number[] {
  if (!Array.isArray(lengths) || lengths.length === 0) {
    throw new TypeError(`${fn}: lengths must be a non-empty array, got ${String(lengths)}`);
  }
  for (let i = 0; i < lengths.length; i++) {
    const l = lengths[i];
    if (typeof l !== 'number' || !Number.isFinite(l) || l < 0) {
      throw new RangeError(`${fn}: lengths[${i}] = ${String(l)} must be a finite number >= 0`);
    }
  }
  const sum = lengths.reduce((a, b) => a + b, 0);
  const allInts = lengths.every((l) => Number.isInteger(l));
  if (allInts && sum === n) {
    return lengths.slice();
  }
  if (Math.abs(sum - 1) <= 1e-6 && lengths.every((l) => l <= 1)) {
    const counts = lengths.map((f) => Math.floor(n * f));
    let rest = n - counts.reduce((a, b) => a + b, 0);
    for (let i = 0; rest > 0; i = (i + 1) % counts.length, rest--) counts[i]++;
    return counts;
  }
  throw new RangeError(
    `${fn}: lengths [${lengths.join(', ')}] must be fractions summing to 1 or counts summing to the dataset length ${n}`,
  );
}
