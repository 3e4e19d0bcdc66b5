import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import {
  batchSampler,
  BucketBatchSampler,
  paddingStats,
  permutation,
  RandomSampler,
  SequentialSampler,
  ShardSampler,
  WeightedRandomSampler,
} from './samplers.js';
import { Rng } from '@wordloom/core';

const golden = JSON.parse(readFileSync(new URL('../test/fixtures/torch_golden.json', import.meta.url), 'utf8'));
const sorted = (a: ArrayLike<number>) => Array.from(a).sort((x, y) => x - y);
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('ShardSampler vs torch DistributedSampler(shuffle=False)', () => {
  for (const c of golden.distributedSampler as Array<{
    length: number;
    numShards: number;
    dropLast: boolean;
    indices: number[][];
  }>) {
    it(`n=${c.length} shards=${c.numShards} dropLast=${c.dropLast}`, () => {
      for (let r = 0; r < c.numShards; r++) {
        const s = new ShardSampler({
          length: c.length,
          numShards: c.numShards,
          shard: r,
          shuffle: false,
          dropLast: c.dropLast,
        });
        expect(s.length).toBe(c.indices[r].length);
        expect(Array.from(s.indices(0))).toEqual(c.indices[r]);
      }
    });
  }
});

describe('ShardSampler coverage (shuffled)', () => {
  it('shards are disjoint and cover every index exactly once when n divides; padding repeats the first indices otherwise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1, max: 7 }),
        fc.integer(),
        fc.integer({ min: 0, max: 5 }),
        fc.boolean(),
        (n, k, seed, epoch, dropLast) => {
          const all: number[] = [];
          for (let r = 0; r < k; r++)
            all.push(...new ShardSampler({ length: n, numShards: k, shard: r, seed, dropLast }).indices(epoch));
          const counts = new Map<number, number>();
          for (const i of all) counts.set(i, (counts.get(i) ?? 0) + 1);
          if (n % k === 0) {
            expect(sorted(all)).toEqual(range(n));
          } else if (dropLast) {
            expect(all.length).toBe(Math.floor(n / k) * k);
            expect([...counts.values()].every((c) => c === 1)).toBe(true);
          } else {
            const total = Math.ceil(n / k) * k;
            expect(all.length).toBe(total);
            expect(counts.size).toBe(n); // every index at least once
            const dup = [...counts.values()].reduce((a, c) => a + c - 1, 0);
            expect(dup).toBe(total - n);
          }
        },
      ),
    );
  });
  it('all shards agree on the permutation; epochs differ', () => {
    const a = new ShardSampler({ length: 100, numShards: 2, shard: 0, seed: 5 });
    expect(Array.from(a.indices(0))).toEqual(Array.from(a.indices(0)));
    expect(Array.from(a.indices(0))).not.toEqual(Array.from(a.indices(1)));
    expect(() => new ShardSampler({ length: 10, numShards: 2, shard: 2 })).toThrow(/shard 2 must be < numShards 2/);
  });
});

describe('RandomSampler / permutation', () => {
  it('a shuffle is a permutation; same (seed, epoch) → same order', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 300 }), fc.integer(), fc.nat(100), (n, seed, epoch) => {
        const s = new RandomSampler({ length: n, seed });
        const a = s.indices(epoch);
        expect(sorted(a)).toEqual(range(n));
        expect(Array.from(new RandomSampler({ length: n, seed }).indices(epoch))).toEqual(Array.from(a));
      }),
    );
  });
  it('epochs and seeds give different orders', () => {
    const s = new RandomSampler({ length: 50, seed: 1 });
    expect(Array.from(s.indices(0))).not.toEqual(Array.from(s.indices(1)));
    expect(Array.from(permutation(50, 1, 0))).not.toEqual(Array.from(permutation(50, 2, 0)));
  });
  it('with replacement draws uniformly; numSamples > length without replacement chains permutations', () => {
    const s = new RandomSampler({ length: 4, seed: 9, replacement: true, numSamples: 8000 });
    const counts = [0, 0, 0, 0];
    for (const i of s.indices(0)) counts[i]++;
    for (const c of counts) expect(Math.abs(c - 2000)).toBeLessThan(200);
    const t = new RandomSampler({ length: 3, seed: 9, numSamples: 7 }).indices(0);
    expect(sorted(t.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(sorted(t.subarray(3, 6))).toEqual([0, 1, 2]);
    expect(t.length).toBe(7);
  });
  it('sequential is 0..n-1', () => {
    expect(Array.from(new SequentialSampler({ length: 4 }).indices(3))).toEqual([0, 1, 2, 3]);
  });
});

describe('WeightedRandomSampler', () => {
  it('with replacement follows the weights (chi-square-ish bound)', () => {
    const w = [1, 0, 3, 6];
    const s = new WeightedRandomSampler({ weights: w, numSamples: 20000, seed: 4 });
    const counts = [0, 0, 0, 0];
    for (const i of s.indices(0)) counts[i]++;
    expect(counts[1]).toBe(0);
    expect(counts[0] / 20000).toBeCloseTo(0.1, 1);
    expect(counts[2] / 20000).toBeCloseTo(0.3, 1);
    expect(counts[3] / 20000).toBeCloseTo(0.6, 1);
  });
  it('without replacement gives distinct indices with positive weight, heavier first more often', () => {
    const s = new WeightedRandomSampler({ weights: [1, 0, 100, 1], numSamples: 3, replacement: false, seed: 1 });
    let heavyFirst = 0;
    for (let e = 0; e < 200; e++) {
      const a = s.indices(e);
      expect(sorted(a)).toEqual([0, 2, 3]);
      if (a[0] === 2) heavyFirst++;
    }
    expect(heavyFirst).toBeGreaterThan(180);
    expect(() => new WeightedRandomSampler({ weights: [1, 0], numSamples: 2, replacement: false, seed: 1 })).toThrow(
      /numSamples 2 > 1 positive weights/,
    );
    expect(() => new WeightedRandomSampler({ weights: [1, -1], numSamples: 2, seed: 1 })).toThrow(/weights\[1\] = -1/);
  });
});

describe('batchSampler', () => {
  for (const c of golden.batchSampler as Array<{ n: number; batchSize: number; dropLast: boolean; batches: number }>) {
    it(`n=${c.n} batchSize=${c.batchSize} dropLast=${c.dropLast} → ${c.batches} batches like torch BatchSampler`, () => {
      const b = batchSampler(new SequentialSampler({ length: c.n }), { batchSize: c.batchSize, dropLast: c.dropLast });
      expect(b.length).toBe(c.batches);
      expect(b.batches(0).length).toBe(c.batches);
    });
  }
  it('batchSize < 1 is an error', () => {
    expect(() => batchSampler(new SequentialSampler({ length: 3 }), { batchSize: 0 })).toThrow(
      /batchSize must be an integer >= 1, got 0/,
    );
  });
});

describe('BucketBatchSampler', () => {
  const rng = new Rng(7);
  const lengths = Array.from({ length: 2000 }, () => 1 + Math.floor(rng.uniform() ** 2 * 100));
  it('every index exactly once per epoch, batches ≤ batchSize, deterministic, epochs differ', () => {
    const s = new BucketBatchSampler({ lengths, batchSize: 32, seed: 3, bucketSizeMultiplier: 10 });
    const b0 = s.batches(0);
    expect(b0.length).toBe(s.length);
    expect(sorted(b0.flatMap((b) => Array.from(b)))).toEqual(range(2000));
    expect(b0.every((b) => b.length <= 32)).toBe(true);
    expect(b0.filter((b) => b.length < 32).length).toBeLessThanOrEqual(1);
    expect(s.batches(0).map((b) => Array.from(b))).toEqual(b0.map((b) => Array.from(b)));
    expect(s.batches(1).map((b) => Array.from(b))).not.toEqual(b0.map((b) => Array.from(b)));
  });
  it('cuts padding by more than half versus random batches of the same size', () => {
    const s = new BucketBatchSampler({ lengths, batchSize: 32, seed: 3 });
    const random = batchSampler(new RandomSampler({ length: lengths.length, seed: 3 }), { batchSize: 32 });
    const bucketed = s.stats(0).padFraction;
    const baseline = paddingStats(lengths, random.batches(0)).padFraction;
    expect(bucketed).toBeLessThan(baseline * 0.5);
    expect(s.stats(0).realTokens).toBe(lengths.reduce((a, b) => a + b, 0));
  });
  it('dropLast drops only the one short batch; bad lengths are errors', () => {
    const s = new BucketBatchSampler({ lengths: range(10), batchSize: 4, seed: 1, dropLast: true });
    expect(s.length).toBe(2);
    expect(s.batches(0).every((b) => b.length === 4)).toBe(true);
    expect(() => new BucketBatchSampler({ lengths: [1, -2], batchSize: 1, seed: 1 })).toThrow(/lengths\[1\] = -2/);
  });
  it('paddingStats counts cells of each batch padded to its longest', () => {
    expect(
      paddingStats(
        [1, 3, 2, 2],
        [
          [0, 1],
          [2, 3],
        ],
      ),
    ).toEqual({ realTokens: 8, paddedCells: 10, padFraction: 1 - 8 / 10 });
  });
});
