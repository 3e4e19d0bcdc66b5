/**
 * DataLoader: batches from a dataset as an async iterable. After PyTorch's
 * `torch.utils.data.DataLoader` (single-process: JS collation runs on the main thread), with
 * two changes: every epoch's order is a pure function of (seed, epoch) — the epoch counter
 * advances each time iteration starts, so no `set_epoch` call is needed — and batches that
 * were prefetched but never handed out (a `break`) are disposed.
 */
import * as tf from '@tensorflow/tfjs-core';
import { isDataset, type Dataset, type IterableDataset } from './dataset.js';
import { checkNonNegativeInt, checkPositiveInt } from './internal/check.js';
import { checkSeed } from './internal/seed.js';
import { batchSampler, RandomSampler, SequentialSampler, type BatchSampler, type Sampler } from './samplers.js';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions<T, B> {
  /** A map-style {@link Dataset}, or an (async) iterable for streaming (no shuffle/samplers then). */
  dataset: Dataset<T> | IterableDataset<T>;
  /** Examples per batch, integer >= 1. Not allowed with `batchSampler`. @default 1 — as PyTorch */
  batchSize?: number;
  /** Reshuffle every epoch from (seed, epoch). Not allowed with `sampler`/`batchSampler`. @default false */
  shuffle?: boolean;
  /** Seed of the shuffle. @default 0 — runs are reproducible unless you choose otherwise */
  seed?: number;
  /** Drop the last batch if smaller than `batchSize`. @default false — every example is seen */
  dropLast?: boolean;
  /** Index order (e.g. {@link WeightedRandomSampler}, {@link ShardSampler}); cut into `batchSize` batches. */
  sampler?: Sampler;
  /** Whole batches of indices (e.g. {@link BucketBatchSampler}); replaces batchSize/shuffle/sampler/dropLast. */
  batchSampler?: BatchSampler;
  /**
   * Turns an array of examples (awaited, if `get` returns promises) into a batch, e.g.
   * {@link padCollate}. @default the array itself
   */
  collate?: (examples: Awaited<T>[]) => B;
  /**
   * Batches prepared ahead of the one being consumed. Helps when `dataset.get` is async (reads
   * overlap training); with synchronous data it only holds more batches in memory.
   * @default 0
   */
  prefetch?: number;
}

type Resolved<T> =
  | { kind: 'map'; dataset: Dataset<T>; sampler: BatchSampler }
  | { kind: 'stream'; dataset: IterableDataset<T>; batchSize: number; dropLast: boolean };

function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (
    x !== null &&
    (typeof x === 'object' || typeof x === 'function') &&
    typeof (x as PromiseLike<unknown>).then === 'function'
  );
}

/**
 * Iterates batches: `for await (const batch of loader)` runs one epoch (epoch 0, then 1, ...);
 * `loader.iterate(e)` runs epoch e explicitly. See {@link DataLoaderOptions}.
 */
export class DataLoader<T, B = Awaited<T>[]> implements AsyncIterable<B> {
  /** The epoch that the next `for await` will run. */
  epoch = 0;
  private readonly src: Resolved<T>;
  private readonly collate: (examples: Awaited<T>[]) => B;
  private readonly prefetch: number;

  constructor(opts: DataLoaderOptions<T, B>) {
    const fn = 'DataLoader';
    if (opts === undefined || opts === null || typeof opts !== 'object')
      throw new TypeError(`${fn}: options with a dataset are required`);
    const { dataset } = opts;
    this.collate = opts.collate ?? ((xs: Awaited<T>[]) => xs as unknown as B);
    if (typeof this.collate !== 'function') throw new TypeError(`${fn}: collate must be a function`);
    this.prefetch = checkNonNegativeInt(fn, 'prefetch', opts.prefetch ?? 0);
    const batchSize = opts.batchSize === undefined ? 1 : checkPositiveInt(fn, 'batchSize', opts.batchSize);
    const seed = checkSeed(fn, opts.seed ?? 0);
    const shuffle = opts.shuffle ?? false;
    const dropLast = opts.dropLast ?? false;
    if (isDataset<T>(dataset)) {
      if (dataset.length === 0) throw new RangeError(`${fn}: dataset is empty (length 0)`);
      let sampler: BatchSampler;
      if (opts.batchSampler) {
        if (opts.batchSize !== undefined || opts.shuffle || opts.sampler || opts.dropLast) {
          throw new TypeError(
            `${fn}: batchSampler is mutually exclusive with batchSize, shuffle, sampler and dropLast`,
          );
        }
        sampler = opts.batchSampler;
      } else {
        if (opts.sampler && shuffle) throw new TypeError(`${fn}: sampler is mutually exclusive with shuffle`);
        const s =
          opts.sampler ??
          (shuffle
            ? new RandomSampler({ length: dataset.length, seed })
            : new SequentialSampler({ length: dataset.length }));
        sampler = batchSampler(s, { batchSize, dropLast });
      }
      if (typeof sampler.batches !== 'function') throw new TypeError(`${fn}: batchSampler must have batches(epoch)`);
      if (sampler.length === 0) {
        throw new RangeError(
          `${fn}: 0 batches per epoch (dataset length ${dataset.length}, batchSize ${batchSize}, dropLast ${dropLast})`,
        );
      }
      this.src = { kind: 'map', dataset, sampler };
    } else if (
      dataset !== null &&
      typeof dataset === 'object' &&
      (Symbol.asyncIterator in dataset || Symbol.iterator in dataset)
    ) {
      if (shuffle || opts.sampler || opts.batchSampler) {
        throw new TypeError(
          `${fn}: shuffle, sampler and batchSampler need a map-style Dataset (length + get), not an iterable`,
        );
      }
      this.src = { kind: 'stream', dataset, batchSize, dropLast };
    } else {
      throw new TypeError(`${fn}: dataset must be a Dataset (length + get) or an (async) iterable`);
    }
  }

  /** Batches per epoch. Throws for iterable datasets, whose length is unknown. */
  get length(): number {
    if (this.src.kind === 'stream') throw new TypeError('DataLoader.length: unknown for an iterable dataset');
    return this.src.sampler.length;
  }

  /** Sets the epoch of the next `for await` (as PyTorch's `sampler.set_epoch`). */
  setEpoch(epoch: number): void {
    this.epoch = checkNonNegativeInt('DataLoader.setEpoch', 'epoch', epoch);
  }

  /** One epoch; advances {@link DataLoader.epoch}. */
  [Symbol.asyncIterator](): AsyncIterator<B> {
    return this.iterate(this.epoch++);
  }

  /** The batches of epoch `epoch` (the same every time for the same epoch). */
  async *iterate(epoch: number): AsyncGenerator<B, void, undefined> {
    checkNonNegativeInt('DataLoader.iterate', 'epoch', epoch);
    if (this.src.kind === 'stream') {
      yield* this.iterateStream(this.src.dataset, this.src.batchSize, this.src.dropLast);
      return;
    }
    const { dataset, sampler } = this.src;
    const batches = sampler.batches(epoch);
    const make = (idx: Int32Array): B | Promise<B> => {
      const items: (T | Promise<T>)[] = new Array(idx.length);
      let async = false;
      for (let i = 0; i < idx.length; i++) {
        const x = dataset.get(idx[i]);
        if (isThenable(x)) async = true;
        items[i] = x;
      }
      if (!async) return this.collate(items as Awaited<T>[]);
      return Promise.all(items).then((xs) => this.collate(xs));
    };
    if (this.prefetch === 0) {
      for (const idx of batches) {
        const b = make(idx);
        yield isThenable(b) ? await b : b;
      }
      return;
    }
    const queue: Array<B | Promise<B>> = [];
    let next = 0;
    try {
      while (queue.length > 0 || next < batches.length) {
        const head = queue.length > 0 ? queue.shift()! : make(batches[next++]);
        // Start the next `prefetch` batches before waiting for this one.
        while (queue.length < this.prefetch && next < batches.length) queue.push(make(batches[next++]));
        yield isThenable(head) ? await head : head;
      }
    } finally {
      // Early exit (break/throw in the consumer): free batches made ahead but never handed out.
      for (const q of queue.splice(0)) {
        try {
          tf.dispose((isThenable(q) ? await q : q) as tf.TensorContainer);
        } catch {
          // A batch that failed to build has nothing to free.
        }
      }
    }
  }

  private async *iterateStream(
    source: IterableDataset<T>,
    batchSize: number,
    dropLast: boolean,
  ): AsyncGenerator<B, void, undefined> {
    let buf: Awaited<T>[] = [];
    let seen = 0;
    for await (const x of source as AsyncIterable<Awaited<T>>) {
      seen++;
      buf.push(x);
      if (buf.length === batchSize) {
        const b = buf;
        buf = [];
        yield this.collate(b);
      }
    }
    if (seen === 0) throw new RangeError('DataLoader: dataset is empty (the iterable yielded no examples)');
    if (buf.length > 0 && !dropLast) yield this.collate(buf);
  }
}
