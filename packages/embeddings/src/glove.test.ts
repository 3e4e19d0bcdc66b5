import { describe, expect, it } from 'vitest';
import { countCooccurrences } from './cooccurrence.js';
import { trainGlove, type GloveProgress } from './glove.js';
import { xorshiftStream } from './internal/util.js';

const rnd = xorshiftStream(21);
const A = ['cat', 'dog', 'pet', 'fur', 'paw', 'vet'];
const B = ['car', 'road', 'tire', 'gas', 'wheel', 'drive'];
const sents = Array.from({ length: 400 }, (_, s) =>
  Array.from({ length: 8 }, () => (s % 2 ? B : A)[Math.floor(rnd() * 6)]!),
);

describe('trainGlove', () => {
  it('cost falls, topics separate, 1 worker is reproducible', async () => {
    const cooc = await countCooccurrences(sents, { window: 5, minCount: 1 });
    const seen: GloveProgress[] = [];
    const a = await trainGlove(cooc, { vectorSize: 8, epochs: 30, xMax: 10, onProgress: (p) => seen.push(p) });
    expect(seen.length).toBe(30);
    expect(seen[29]!.cost).toBeLessThan(seen[0]!.cost * 0.5);
    expect(a.wv.similarity('cat', 'dog')).toBeGreaterThan(a.wv.similarity('cat', 'car') + 0.3);
    const b = await trainGlove(cooc, { vectorSize: 8, epochs: 30, xMax: 10 });
    expect(b.wv.vectors).toEqual(a.wv.vectors);
    const w = await trainGlove(cooc, { vectorSize: 8, epochs: 30, xMax: 10, output: 'word' });
    expect(w.wv.vectors).not.toEqual(a.wv.vectors);
  });

  it('trains with 2 Hogwild workers', async () => {
    const r = await trainGlove(sents, { vectorSize: 8, epochs: 30, xMax: 10, window: 5, minCount: 1, workers: 2 });
    const s = (x: string, y: string): number => r.wv.similarity(x, y);
    const within = (s('cat', 'dog') + s('pet', 'fur') + s('car', 'road') + s('gas', 'tire')) / 4;
    const across = (s('cat', 'car') + s('pet', 'gas') + s('dog', 'road') + s('fur', 'tire')) / 4;
    expect(within).toBeGreaterThan(across + 0.3);
  });

  it('stops when its signal is aborted, rejecting with the reason', async () => {
    const cooc = await countCooccurrences(sents, { window: 5, minCount: 1 });
    await expect(trainGlove(cooc, { signal: AbortSignal.abort(new Error('not today')) })).rejects.toThrow('not today');
    // 1 worker: aborted from onProgress at the end of the first epoch
    const c1 = new AbortController();
    const seen1: number[] = [];
    const one = trainGlove(cooc, {
      vectorSize: 8,
      epochs: 30,
      signal: c1.signal,
      onProgress: (p) => {
        seen1.push(p.epoch);
        c1.abort();
      },
    });
    await expect(one).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen1).toEqual([0]);
    // 2 workers: aborted by a timer while they train, on a corpus whose epochs take ~0.1 s
    const r = xorshiftStream(8);
    const many = Array.from({ length: 6000 }, () => Array.from({ length: 10 }, () => `w${Math.floor(r() * 2000)}`));
    const bigCooc = await countCooccurrences(many, { window: 10, minCount: 1 });
    const seen2: number[] = [];
    const t0 = performance.now();
    const two = trainGlove(bigCooc, {
      vectorSize: 32,
      epochs: 400,
      workers: 2,
      signal: AbortSignal.timeout(300),
      onProgress: (p) => seen2.push(p.epoch),
    });
    await expect(two).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Math.max(-1, ...seen2)).toBeLessThan(200); // stopped long before its 400 epochs
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('bad input', async () => {
    await expect(trainGlove([])).rejects.toThrow(/the corpus is empty/);
    await expect(trainGlove([['a', 'b', 'c']], { minCount: 2 })).rejects.toThrow(/every word is under minCount = 2/);
    await expect(trainGlove([['a'], ['a']], { minCount: 1 })).rejects.toThrow(/trainGlove: no co-occurrences/);
    await expect(trainGlove(sents, { xMax: 0 })).rejects.toThrow(/xMax = 0/);
  });
});
