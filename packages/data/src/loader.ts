/**
 * DataLoader: batches from a dataset as an async iterable. After PyTorch's
 * `torch.utils.data.DataLoader` (single-process: JS collation runs on the main thread), with
 * two changes: every epoch's order is a pure function of (seed, epoch) — the epoch counter
 * advances each time iteration starts, so no `set_epoch` call is needed — and batches that
 * were prefetched but never handed out (a `break`) are disposed. Its position (epoch, batches
 * handed out, sampler state) is saved by `state()` and restored by `loadState()`, as
 * torchdata's `StatefulDataLoader` does, so a run resumes in the middle of an epoch.
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

/**
 * A {@link DataLoader}'s position, from {@link DataLoader.state}: plain JSON-safe data.
 */
export interface DataLoaderState {
  /** The epoch in progress (or the next one, when none is in progress). */
  epoch: number;
  /** Batches of `epoch` already handed out to the consumer (prefetched ones do not count). */
  batch: number;
  /**
   * The sampler's own state at the start of `epoch`, for samplers whose order depends on more
   * than (seed, epoch) (they implement `state()`/`loadState()`); absent for the built-in ones.
   */
  sampler?: unknown;
}

/** A malformed {@link DataLoaderState}, or one this loader cannot take (e.g. a streaming dataset). */
export class DataLoaderStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DataLoaderStateError';
  }
}

/** The iteration started last: its epoch, the batches handed out, and whether it ran to the end. */
interface Cursor {
  epoch: number;
  batch: number;
  /** Sampler state captured right before `batches(epoch)` drew (undefined until then). */
  samplerState: unknown;
  started: boolean;
  done: boolean;
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
  /** Position of the iteration started last (null: none since construction / setEpoch / loadState). */
  private cursor: Cursor | null = null;
  /** A position from loadState() that the next iteration continues from. */
  private resume: { epoch: number; batch: number } | null = null;
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

  /** Sets the epoch of the next `for await` (as PyTorch's `sampler.set_epoch`); forgets any position. */
  setEpoch(epoch: number): void {
    this.epoch = checkNonNegativeInt('DataLoader.setEpoch', 'epoch', epoch);
    this.cursor = null;
    this.resume = null;
  }

  /**
   * The position in the data stream, to save with a checkpoint: `{ epoch: e, batch: k }` once k
   * batches of epoch e have been handed out (read it inside the `for await` body after using
   * the batch, or after a `break`); `{ epoch: e + 1, batch: 0 }` once epoch e has run to its
   * end; `{ epoch: loader.epoch, batch: 0 }` before any iteration. Batches prefetched but not
   * yet handed out do not count. JSON-safe.
   * @throws DataLoaderStateError for an iterable (streaming) dataset: resuming needs a map-style
   *   Dataset, whose batches can be re-made from their indices.
   */
  state(): DataLoaderState {
    const src = this.mapSource('DataLoader.state');
    const sampler = src.sampler;
    const withSampler = (epoch: number, batch: number, samplerState: unknown): DataLoaderState =>
      sampler.state ? { epoch, batch, sampler: samplerState } : { epoch, batch };
    if (this.resume) return withSampler(this.resume.epoch, this.resume.batch, sampler.state?.());
    const c = this.cursor;
    if (c === null) return withSampler(this.epoch, 0, sampler.state?.());
    if (!c.started) return withSampler(c.epoch, c.batch, sampler.state?.());
    // After the last batch the epoch is over: point at the next one (whose sampler state is the current one).
    if (c.done || c.batch >= sampler.length) return withSampler(c.epoch + 1, 0, sampler.state?.());
    return withSampler(c.epoch, c.batch, c.samplerState);
  }

  /**
   * Continues from a {@link state}: the next `for await` (or `iterate(state.epoch)`) yields the
   * rest of epoch `state.epoch` from batch `state.batch` on — exactly the batches the
   * uninterrupted loader would have yielded — and the epochs after it follow as usual. Works on
   * a new loader built with the same options (dataset, batch size, sampler, seed).
   * @throws DataLoaderStateError if `state` is malformed, `batch` exceeds the batches per epoch,
   *   its sampler state does not fit this loader's sampler, or the dataset is streaming
   */
  loadState(state: DataLoaderState): void {
    const fn = 'DataLoader.loadState';
    const src = this.mapSource(fn);
    if (state === null || typeof state !== 'object' || Array.isArray(state))
      throw new DataLoaderStateError(`${fn}: state = ${String(state)} is not a DataLoaderState object`);
    const { epoch, batch } = state;
    if (typeof epoch !== 'number' || !Number.isInteger(epoch) || epoch < 0)
      throw new DataLoaderStateError(`${fn}: state.epoch = ${String(epoch)} must be an integer >= 0`);
    if (typeof batch !== 'number' || !Number.isInteger(batch) || batch < 0)
      throw new DataLoaderStateError(`${fn}: state.batch = ${String(batch)} must be an integer >= 0`);
    const length = src.sampler.length;
    if (batch > length)
      throw new DataLoaderStateError(
        `${fn}: state.batch = ${batch} exceeds the ${length} batches per epoch of this loader (built with other options?)`,
      );
    const { sampler } = src;
    const has = 'sampler' in state && state.sampler !== undefined;
    if (has && typeof sampler.loadState !== 'function')
      throw new DataLoaderStateError(`${fn}: state.sampler is set but this loader's sampler has no loadState()`);
    if (!has && typeof sampler.state === 'function')
      throw new DataLoaderStateError(`${fn}: state.sampler is missing but this loader's sampler keeps state`);
    if (has) {
      try {
        sampler.loadState!(state.sampler);
      } catch (e) {
        throw new DataLoaderStateError(`${fn}: state.sampler rejected: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
    this.cursor = null;
    // All batches handed out: the epoch is over.
    this.resume = batch === length ? { epoch: epoch + 1, batch: 0 } : { epoch, batch };
    this.epoch = this.resume.epoch;
  }

  /** One epoch (or the rest of the one {@link loadState} restored); advances {@link DataLoader.epoch}. */
  [Symbol.asyncIterator](): AsyncIterator<B> {
    const r = this.resume;
    if (r) {
      this.resume = null;
      this.epoch = r.epoch + 1;
      return this.run(r.epoch, r.batch);
    }
    return this.run(this.epoch++, 0);
  }

  /**
   * The batches of epoch `epoch` (the same every time for the same epoch). After
   * {@link loadState}, `iterate(state.epoch)` yields the rest of that epoch.
   * @throws DataLoaderStateError after loadState() for a different epoch than the state's
   */
  iterate(epoch: number): AsyncGenerator<B, void, undefined> {
    const r = this.resume;
    if (r && epoch !== r.epoch)
      throw new DataLoaderStateError(
        `DataLoader.iterate: epoch = ${epoch}, but loadState() restored epoch ${r.epoch} (batch ${r.batch})`,
      );
    if (r) {
      this.resume = null;
      this.epoch = r.epoch + 1;
      return this.run(r.epoch, r.batch);
    }
    return this.run(epoch, 0);
  }

  private mapSource(fn: string): Extract<Resolved<T>, { kind: 'map' }> {
    if (this.src.kind === 'stream')
      throw new DataLoaderStateError(
        `${fn}: resuming needs a map-style Dataset (length + get); this loader reads an iterable (streaming) dataset`,
      );
    return this.src;
  }

  private run(epoch: number, skip: number): AsyncGenerator<B, void, undefined> {
    const cursor: Cursor = { epoch, batch: skip, samplerState: undefined, started: false, done: false };
    if (this.src.kind === 'map') this.cursor = cursor;
    return this.runCursor(epoch, cursor);
  }

  private async *runCursor(epoch: number, cursor: Cursor): AsyncGenerator<B, void, undefined> {
    checkNonNegativeInt('DataLoader.iterate', 'epoch', epoch);
    if (this.src.kind === 'stream') {
      yield* this.iterateStream(this.src.dataset, this.src.batchSize, this.src.dropLast);
      return;
    }
    const { dataset, sampler } = this.src;
    cursor.samplerState = sampler.state?.();
    cursor.started = true;
    const batches = sampler.batches(epoch);
    if (cursor.batch > batches.length)
      throw new DataLoaderStateError(
        `DataLoader.iterate: resuming at batch ${cursor.batch} but epoch ${epoch} has ${batches.length} batches`,
      );
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
      for (let i = cursor.batch; i < batches.length; i++) {
        const b = make(batches[i]);
        const ready = isThenable(b) ? await b : b;
        cursor.batch = i + 1; // counted when handed out
        yield ready;
      }
      cursor.done = true;
      return;
    }
    const queue: Array<B | Promise<B>> = [];
    let next = cursor.batch;
    try {
      while (queue.length > 0 || next < batches.length) {
        const head = queue.length > 0 ? queue.shift()! : make(batches[next++]);
        // Start the next `prefetch` batches before waiting for this one.
        while (queue.length < this.prefetch && next < batches.length) queue.push(make(batches[next++]));
        const ready = isThenable(head) ? await head : head;
        cursor.batch++; // prefetched batches are not counted until handed out
        yield ready;
      }
      cursor.done = true;
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
