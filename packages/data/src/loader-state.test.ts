import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, setupBackend } from '@wordloom/core';
import { DataLoader, DataLoaderStateError, type DataLoaderOptions, type DataLoaderState } from './loader.js';
import { fromArray, type Dataset } from './dataset.js';
import { padCollate } from './collate.js';
import { BucketBatchSampler, WeightedRandomSampler, type Sampler } from './samplers.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const N = 11;
const EPOCHS = 2;

/**
 * A sampler with its own running generator (its order depends on every epoch drawn before), so
 * only a saved sampler state can repeat an epoch.
 */
class RunningSampler implements Sampler {
  readonly length = N;
  private readonly rng = new Rng(5);
  indices(): Int32Array {
    return this.rng.shuffle(Int32Array.from(range(N)));
  }
  state(): unknown {
    return this.rng.getState();
  }
  loadState(s: unknown): void {
    this.rng.setState(s as ReturnType<Rng['getState']>);
  }
}

type Opts = Omit<DataLoaderOptions<number, number[]>, 'dataset'>;
const configs: Array<[string, () => Opts]> = [
  ['shuffle', () => ({ batchSize: 3, shuffle: true, seed: 9 })],
  ['shuffle + prefetch 2', () => ({ batchSize: 3, shuffle: true, seed: 9, prefetch: 2 })],
  ['shuffle + dropLast', () => ({ batchSize: 4, shuffle: true, seed: 1, dropLast: true })],
  [
    'BucketBatchSampler',
    () => ({
      batchSampler: new BucketBatchSampler({
        lengths: range(N).map((i) => (i * 7) % 5),
        batchSize: 2,
        seed: 3,
        bucketSizeMultiplier: 2,
      }),
    }),
  ],
  [
    'WeightedRandomSampler',
    () => ({
      batchSize: 2,
      sampler: new WeightedRandomSampler({ weights: range(N).map((i) => i + 1), numSamples: 9, seed: 4 }),
    }),
  ],
  [
    'WeightedRandomSampler without replacement',
    () => ({
      batchSize: 3,
      sampler: new WeightedRandomSampler({
        weights: range(N).map((i) => i + 1),
        numSamples: 8,
        seed: 4,
        replacement: false,
      }),
    }),
  ],
  ['a sampler with a running generator', () => ({ batchSize: 3, sampler: new RunningSampler() })],
];

function make(opts: Opts): DataLoader<number, number[]> {
  return new DataLoader({ dataset: fromArray(range(N)), ...opts });
}

async function uninterrupted(opts: Opts): Promise<number[][]> {
  const l = make(opts);
  const out: number[][] = [];
  for (let e = 0; e < EPOCHS; e++) for await (const b of l) out.push(b);
  return out;
}

describe('DataLoader.state / loadState', () => {
  for (const [name, opts] of configs) {
    it(`${name}: interrupted at every batch over ${EPOCHS} epochs, a new loader continues with exactly the same batches`, async () => {
      const ref = await uninterrupted(opts());
      const perEpoch = make(opts()).length;
      expect(ref.length).toBe(EPOCHS * perEpoch);
      // The orders differ between epochs, so resuming the wrong epoch would be caught.
      expect(ref.slice(perEpoch)).not.toEqual(ref.slice(0, perEpoch));
      for (let stop = 0; stop <= ref.length; stop++) {
        const a = make(opts());
        const seen: number[][] = [];
        let state: DataLoaderState | undefined = stop === 0 ? a.state() : undefined;
        outer: for (let e = 0; e < EPOCHS; e++) {
          for await (const b of a) {
            seen.push(b);
            if (seen.length === stop) {
              state = a.state();
              break outer;
            }
          }
        }
        expect(state, `stop ${stop}`).toBeDefined();
        const k = stop % perEpoch;
        const epoch = Math.floor(stop / perEpoch);
        expect({ epoch: state!.epoch, batch: state!.batch }).toEqual({ epoch, batch: k });
        const b = make(opts());
        b.loadState(JSON.parse(JSON.stringify(state)) as DataLoaderState);
        while (seen.length < ref.length) for await (const x of b) seen.push(x);
        expect(seen, `${name}, stopped after ${stop} batches`).toEqual(ref);
      }
    });
  }

  it('iterate(state.epoch) resumes too; another epoch is refused', async () => {
    const opts = configs[0][1]();
    const ref = await uninterrupted(opts);
    const b = make(opts);
    b.loadState({ epoch: 1, batch: 2 });
    expect(() => b.iterate(0)).toThrow(DataLoaderStateError);
    expect(() => b.iterate(0)).toThrow('DataLoader.iterate: epoch = 0, but loadState() restored epoch 1 (batch 2)');
    const rest: number[][] = [];
    for await (const x of b.iterate(1)) rest.push(x);
    expect(rest).toEqual(ref.slice(b.length + 2));
    expect(b.epoch).toBe(2);
  });

  it('positions: fresh, inside the loop, after a break, after the epoch ended, after setEpoch', async () => {
    const l = make({ batchSize: 4, shuffle: true });
    expect(l.state()).toEqual({ epoch: 0, batch: 0 });
    let i = 0;
    for await (const _ of l) {
      void _;
      i++;
      expect(l.state()).toEqual({ epoch: 0, batch: i });
      if (i === 2) break;
    }
    expect(l.state()).toEqual({ epoch: 0, batch: 2 });
    for await (const _ of l) void _; // epoch 1, run to the end
    expect(l.state()).toEqual({ epoch: 2, batch: 0 });
    l.setEpoch(7);
    expect(l.state()).toEqual({ epoch: 7, batch: 0 });
    l.loadState({ epoch: 3, batch: 1 });
    expect(l.state()).toEqual({ epoch: 3, batch: 1 });
    expect(l.epoch).toBe(3);
    // batch = batches per epoch means that epoch is over.
    l.loadState({ epoch: 3, batch: l.length });
    expect(l.state()).toEqual({ epoch: 4, batch: 0 });
  });

  it('prefetched batches that were not handed out are not counted', async () => {
    const ds: Dataset<Promise<number>> = { length: 20, get: async (i) => i };
    const l = new DataLoader({ dataset: ds, batchSize: 2, prefetch: 3 });
    const it = l[Symbol.asyncIterator]();
    await it.next();
    await it.next();
    expect(l.state()).toEqual({ epoch: 0, batch: 2 });
    await it.return?.();
    const r = new DataLoader({ dataset: ds, batchSize: 2, prefetch: 3 });
    r.loadState(l.state());
    expect((await r[Symbol.asyncIterator]().next()).value).toEqual([4, 5]);
  });

  it('resuming with padCollate + prefetch leaks no tensors', async () => {
    const rows = range(23).map((i) => ({ ids: Int32Array.from(range((i % 5) + 1)), label: i % 2 }));
    const opts = {
      dataset: fromArray(rows),
      batchSize: 4,
      shuffle: true,
      prefetch: 2,
      collate: padCollate({ padId: 0 }),
    };
    const before = tf.memory().numTensors;
    const a = new DataLoader(opts);
    for await (const b of a) {
      tf.dispose(b);
      if (a.state().batch === 3) break;
    }
    const b = new DataLoader(opts);
    b.loadState(a.state());
    let n = 0;
    for await (const x of b) {
      n += x.ids.shape[0];
      tf.dispose(x);
    }
    expect(n).toBe(23 - 12);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('malformed states throw DataLoaderStateError naming the field', () => {
    const l = make({ batchSize: 3 });
    const bad: Array<[unknown, RegExp]> = [
      [null, /state = null is not a DataLoaderState object/],
      [[0, 1], /is not a DataLoaderState object/],
      [{ batch: 0 }, /state.epoch = undefined must be an integer >= 0/],
      [{ epoch: -1, batch: 0 }, /state.epoch = -1 must be an integer >= 0/],
      [{ epoch: 0, batch: 1.5 }, /state.batch = 1.5 must be an integer >= 0/],
      [{ epoch: 0, batch: '1' }, /state.batch = 1 must be an integer >= 0/],
      [{ epoch: 0, batch: 5 }, /state.batch = 5 exceeds the 4 batches per epoch of this loader/],
      [{ epoch: 0, batch: 0, sampler: { x: 1 } }, /state.sampler is set but this loader's sampler has no loadState/],
    ];
    for (const [s, re] of bad) {
      expect(() => l.loadState(s as DataLoaderState)).toThrow(DataLoaderStateError);
      expect(() => l.loadState(s as DataLoaderState)).toThrow(re);
    }
    const r = make({ batchSize: 3, sampler: new RunningSampler() });
    expect(() => r.loadState({ epoch: 0, batch: 0 })).toThrow(
      /state.sampler is missing but this loader's sampler keeps state/,
    );
    expect(() => r.loadState({ epoch: 0, batch: 0, sampler: { kind: 'nope' } })).toThrow(
      /DataLoader.loadState: state.sampler rejected: Rng.setState: state.kind = 'nope'/,
    );
    // A failed load leaves the position alone.
    expect(l.state()).toEqual({ epoch: 0, batch: 0 });
  });

  it('streaming datasets: state() and loadState() say that resuming needs a map-style dataset', () => {
    const l = new DataLoader({ dataset: [1, 2, 3], batchSize: 2 });
    expect(() => l.state()).toThrow(DataLoaderStateError);
    expect(() => l.state()).toThrow(
      'DataLoader.state: resuming needs a map-style Dataset (length + get); this loader reads an iterable (streaming) dataset',
    );
    expect(() => l.loadState({ epoch: 0, batch: 0 })).toThrow(
      /DataLoader.loadState: resuming needs a map-style Dataset/,
    );
  });
});

describe('README: resuming mid-epoch', () => {
  it('the example continues with batches 3, 4, … of epoch 0, then epoch 1', async () => {
    const examples = range(200).map((i) => ({ ids: Int32Array.from(range((i % 7) + 1)), label: i }));
    const make = () =>
      new DataLoader({
        dataset: fromArray(examples),
        batchSize: 32,
        shuffle: true,
        seed: 1,
        collate: padCollate({ padId: 0 }),
      });
    const loader = make();
    let saved = '';
    for await (const batch of loader) {
      tf.dispose(batch);
      if (loader.state().batch === 3) {
        saved = JSON.stringify(loader.state());
        break;
      }
    }
    expect(saved).toBe('{"epoch":0,"batch":3}');
    const labelsOf = async (it: AsyncIterable<{ labels?: tf.Tensor }>) => {
      const out: number[][] = [];
      for await (const b of it) {
        out.push(Array.from(b.labels!.dataSync()));
        tf.dispose(b as tf.TensorContainer);
      }
      return out;
    };
    const ref = make();
    const epoch0 = await labelsOf(ref);
    const epoch1 = await labelsOf(ref);
    const resumed = make();
    resumed.loadState(JSON.parse(saved) as DataLoaderState);
    expect(await labelsOf(resumed)).toEqual(epoch0.slice(3));
    expect(await labelsOf(resumed)).toEqual(epoch1);
  });
});
