import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { concat, filter, fromArray, fromIterable, isDataset, map, randomSplit, subset } from './dataset.js';

describe('datasets', () => {
  const ds = fromArray([10, 11, 12, 13, 14]);
  it('fromArray / map / filter / subset / concat', async () => {
    expect(isDataset(ds)).toBe(true);
    expect(ds.length).toBe(5);
    expect(ds.get(2)).toBe(12);
    expect(() => ds.get(5)).toThrow(/index 5 out of range \[0, 5\)/);
    const m = map(ds, (x, i) => x * 2 + i);
    expect(Array.from({ length: m.length }, (_, i) => m.get(i))).toEqual([20, 23, 26, 29, 32]);
    const f = filter(ds, (x) => x % 2 === 0);
    expect(f.length).toBe(3);
    expect([f.get(0), f.get(1), f.get(2)]).toEqual([10, 12, 14]);
    const s = subset(ds, [4, 0]);
    expect([s.get(0), s.get(1)]).toEqual([14, 10]);
    expect(() => subset(ds, [1.5])).toThrow(/indices\[0\] = 1.5/);
    const c = concat(ds, fromArray([]), fromArray([20, 21]));
    expect(c.length).toBe(7);
    expect(Array.from({ length: 7 }, (_, i) => c.get(i))).toEqual([10, 11, 12, 13, 14, 20, 21]);
    expect(() => concat(ds, {} as never)).toThrow(/datasets\[1\] is not a Dataset/);
  });
  it('map and filter on (async) iterables stay lazy streams', async () => {
    async function* gen() {
      yield* [1, 2, 3, 4];
    }
    const out: number[] = [];
    for await (const x of map(
      filter(gen(), (x) => x > 1),
      async (x) => x * 10,
    ))
      out.push(x);
    expect(out).toEqual([20, 30, 40]);
    const d = await fromIterable([5, 6]);
    expect(d.get(1)).toBe(6);
  });
  it('randomSplit: fractions like torch (floor, then remainder round-robin), disjoint, seeded', () => {
    const d = fromArray(Array.from({ length: 11 }, (_, i) => i));
    const [a, b, c] = randomSplit(d, { lengths: [0.5, 0.3, 0.2], seed: 3 });
    // floor(5.5)=5, floor(3.3)=3, floor(2.2)=2 → 10, remainder 1 goes to the first part.
    expect([a.length, b.length, c.length]).toEqual([6, 3, 2]);
    const all = [a, b, c].flatMap((p) => Array.from({ length: p.length }, (_, i) => p.get(i)));
    expect(all.slice().sort((x, y) => x - y)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    const again = randomSplit(d, { lengths: [6, 3, 2], seed: 3 });
    expect(Array.from({ length: 6 }, (_, i) => again[0].get(i))).toEqual(Array.from({ length: 6 }, (_, i) => a.get(i)));
    const other = randomSplit(d, { lengths: [6, 3, 2], seed: 4 });
    expect(Array.from({ length: 6 }, (_, i) => other[0].get(i))).not.toEqual(
      Array.from({ length: 6 }, (_, i) => a.get(i)),
    );
    expect(() => randomSplit(d, { lengths: [5, 5], seed: 1 })).toThrow(
      /fractions summing to 1 or counts summing to the dataset length 11/,
    );
    expect(() => randomSplit(d, { lengths: [0.5, 0.5] } as never)).toThrow(/seed must be an integer/);
  });
  it('randomSplit property: the parts partition the indices', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 200 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.integer(),
        (n, f, seed) => {
          const d = fromArray(Array.from({ length: n }, (_, i) => i));
          const parts = randomSplit(d, { lengths: [f, 1 - f], seed });
          const all = parts.flatMap((p) => Array.from({ length: p.length }, (_, i) => p.get(i)));
          expect(all.sort((x, y) => x - y)).toEqual(Array.from({ length: n }, (_, i) => i));
        },
      ),
    );
  });
});
