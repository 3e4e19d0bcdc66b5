import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { DataLoader } from './loader.js';
import { fromArray, type Dataset } from './dataset.js';
import { padCollate } from './collate.js';
import { BucketBatchSampler, ShardSampler, WeightedRandomSampler } from './samplers.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
async function collect<B>(it: AsyncIterable<B>): Promise<B[]> {
  const out: B[] = [];
  for await (const b of it) out.push(b);
  return out;
}

describe('DataLoader', () => {
  it('sequential batches, length, dropLast', async () => {
    const ds = fromArray(range(10));
    const l = new DataLoader({ dataset: ds, batchSize: 4 });
    expect(l.length).toBe(3);
    expect(await collect(l)).toEqual([
      [0, 1, 2, 3],
      [4, 5, 6, 7],
      [8, 9],
    ]);
    const d = new DataLoader({ dataset: ds, batchSize: 4, dropLast: true });
    expect(d.length).toBe(2);
    expect((await collect(d)).length).toBe(2);
  });
  it('same seed → same batches; each epoch reshuffles; epoch(e) is reproducible', async () => {
    const ds = fromArray(range(50));
    const a = new DataLoader({ dataset: ds, batchSize: 8, shuffle: true, seed: 42 });
    const b = new DataLoader({ dataset: ds, batchSize: 8, shuffle: true, seed: 42 });
    const a0 = await collect(a);
    const a1 = await collect(a);
    expect(a.epoch).toBe(2);
    expect(await collect(b)).toEqual(a0);
    expect(a1).not.toEqual(a0);
    expect(await collect(a.iterate(1))).toEqual(a1);
    b.setEpoch(1);
    expect(await collect(b)).toEqual(a1);
    const c = new DataLoader({ dataset: ds, batchSize: 8, shuffle: true, seed: 43 });
    expect(await collect(c)).not.toEqual(a0);
  });
  it('property: an epoch visits every example exactly once, for any seed, batch size and epoch', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 80 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer(),
        fc.nat(10),
        async (n, bs, seed, epoch) => {
          const l = new DataLoader({ dataset: fromArray(range(n)), batchSize: bs, shuffle: true, seed });
          const all = (await collect(l.iterate(epoch))).flat();
          expect(all.slice().sort((x, y) => x - y)).toEqual(range(n));
          expect(await collect(l.iterate(epoch))).toEqual(await collect(l.iterate(epoch)));
        },
      ),
      { numRuns: 50 },
    );
  });
  it('sampler and batchSampler', async () => {
    const ds = fromArray(range(10));
    const s = new DataLoader({
      dataset: ds,
      batchSize: 3,
      sampler: new ShardSampler({ length: 10, numShards: 2, shard: 1, shuffle: false }),
    });
    expect(await collect(s)).toEqual([
      [1, 3, 5],
      [7, 9],
    ]);
    const w = new DataLoader({
      dataset: ds,
      batchSize: 5,
      sampler: new WeightedRandomSampler({ weights: [0, 0, 1, 0, 0, 0, 0, 0, 0, 0], numSamples: 5, seed: 1 }),
    });
    expect(await collect(w)).toEqual([[2, 2, 2, 2, 2]]);
    const lengths = [5, 1, 4, 2, 3, 1];
    const bb = new BucketBatchSampler({ lengths, batchSize: 2, seed: 0, shuffle: false });
    const l = new DataLoader({ dataset: fromArray(lengths), batchSampler: bb });
    expect(l.length).toBe(3);
    expect(await collect(l)).toEqual([
      [1, 1],
      [2, 3],
      [4, 5],
    ]);
  });
  it('async get and prefetch give the same batches', async () => {
    const ds: Dataset<Promise<number>> = { length: 9, get: async (i) => i * i };
    const plain = await collect(new DataLoader({ dataset: ds, batchSize: 2 }));
    const pre = await collect(new DataLoader({ dataset: ds, batchSize: 2, prefetch: 3 }));
    expect(plain).toEqual([[0, 1], [4, 9], [16, 25], [36, 49], [64]]);
    expect(pre).toEqual(plain);
  });
  it('prefetch starts the gets of the next `prefetch` batches before handing out the current one', async () => {
    for (const prefetch of [0, 1, 3]) {
      const started: number[] = [];
      const ds: Dataset<Promise<number>> = {
        length: 20,
        get: (i) => {
          started.push(i);
          return new Promise((resolve) => setTimeout(() => resolve(i), 1));
        },
      };
      const it = new DataLoader({ dataset: ds, batchSize: 2, prefetch })[Symbol.asyncIterator]();
      expect((await it.next()).value).toEqual([0, 1]);
      expect(started.length).toBe(2 * (1 + prefetch));
      await it.return?.();
    }
  });
  it('iterable datasets stream in order; no shuffle there; length unknown', async () => {
    async function* gen() {
      for (let i = 0; i < 5; i++) yield i;
    }
    expect(await collect(new DataLoader({ dataset: gen(), batchSize: 2 }))).toEqual([[0, 1], [2, 3], [4]]);
    expect(await collect(new DataLoader({ dataset: [1, 2, 3], batchSize: 2, dropLast: true }))).toEqual([[1, 2]]);
    expect(() => new DataLoader({ dataset: gen(), shuffle: true })).toThrow(/need a map-style Dataset/);
    expect(() => new DataLoader({ dataset: gen() }).length).toThrow(/unknown for an iterable dataset/);
    await expect(collect(new DataLoader({ dataset: [] as number[] }))).rejects.toThrow(/dataset is empty/);
  });
  it('bad input: empty dataset, batchSize < 1, conflicting options', () => {
    expect(() => new DataLoader({ dataset: fromArray([]) })).toThrow(/DataLoader: dataset is empty \(length 0\)/);
    expect(() => new DataLoader({ dataset: fromArray([1]), batchSize: 0 })).toThrow(
      /batchSize must be an integer >= 1, got 0/,
    );
    expect(() => new DataLoader({ dataset: fromArray([1]), batchSize: 1.5 })).toThrow(
      /batchSize must be an integer >= 1, got 1.5/,
    );
    expect(() => new DataLoader({ dataset: fromArray([1, 2]), batchSize: 3, dropLast: true })).toThrow(
      /0 batches per epoch/,
    );
    expect(
      () =>
        new DataLoader({
          dataset: fromArray([1]),
          shuffle: true,
          sampler: new ShardSampler({ length: 1, numShards: 1, shard: 0 }),
        }),
    ).toThrow(/mutually exclusive/);
    expect(() => new DataLoader({ dataset: 5 as never })).toThrow(/dataset must be a Dataset/);
  });
});

describe('DataLoader + padCollate: no tensor leaks', () => {
  const rows = range(37).map((i) => ({ ids: Int32Array.from(range((i % 9) + 1), (x) => x + 3), label: i % 2 }));
  it('iterating an epoch and disposing each batch leaves numTensors unchanged (with and without prefetch)', async () => {
    for (const prefetch of [0, 2]) {
      const loader = new DataLoader({
        dataset: fromArray(rows),
        batchSize: 8,
        shuffle: true,
        seed: 1,
        prefetch,
        collate: padCollate({ padId: 0 }),
      });
      const before = tf.memory().numTensors;
      let n = 0;
      for await (const b of loader) {
        n += b.ids.shape[0];
        tf.dispose(b);
      }
      expect(n).toBe(37);
      expect(tf.memory().numTensors).toBe(before);
    }
  });
  it('breaking out early disposes prefetched batches', async () => {
    const loader = new DataLoader({
      dataset: fromArray(rows),
      batchSize: 4,
      prefetch: 3,
      collate: padCollate({ padId: 0 }),
    });
    const before = tf.memory().numTensors;
    for await (const b of loader) {
      tf.dispose(b);
      break;
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
