import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { continueWord2Vec, trainWord2Vec } from './index.js';
import { fixture } from '../test/fixture-path.js';

const reviews = readFileSync(fixture('nsmc.excerpt.txt'), 'utf8').trim().split('\n');

function meanCos(a: Float32Array, b: Float32Array, rows: number, D: number): number {
  let sum = 0;
  for (let w = 0; w < rows; w++) {
    let s = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < D; k++) {
      const x = a[w * D + k]!;
      const y = b[w * D + k]!;
      s += x * y;
      na += x * x;
      nb += y * y;
    }
    sum += s / Math.sqrt(na * nb);
  }
  return sum / rows;
}

describe('continueWord2Vec', () => {
  it('gensim update semantics: ids kept, counts summed, new words appended with vectors', async () => {
    const a = await trainWord2Vec(reviews.slice(0, 1000), {
      sg: true,
      vectorSize: 16,
      minCount: 3,
      epochs: 3,
      seed: 2,
    });
    const before = a.wv.vectors.slice();
    const b = await continueWord2Vec(a, reviews.slice(1000), { epochs: 3 });
    expect(Array.from(a.wv.vectors)).toEqual(Array.from(before));
    expect(b.vocab.words.slice(0, a.vocab.size)).toEqual(a.vocab.words);
    expect(b.newWords).toBeGreaterThan(0);
    expect(b.vocab.size).toBe(a.vocab.size + b.newWords);
    const added = b.vocab.words[a.vocab.size]!;
    expect(b.wv.get(added)).toHaveLength(16);
    // the new word reached minCount (3) in the new text alone
    const inNew = reviews
      .slice(1000)
      .join(' ')
      .split(/\s+/u)
      .filter((t) => t === added).length;
    expect(b.vocab.counts[a.vocab.size]).toBe(inNew);
    expect(inNew).toBeGreaterThanOrEqual(3);
    const i = a.vocab.index.get('영화')!;
    expect(b.vocab.counts[i]).toBeGreaterThan(a.vocab.counts[i]!);
    const m = meanCos(a.wv.vectors, b.wv.vectors, a.vocab.size, 16);
    expect(m).toBeGreaterThan(0.3);
    expect(m).toBeLessThan(0.9999);
    // addWords: false trains the known words only
    const c = await continueWord2Vec(a, reviews.slice(1000), { epochs: 1, addWords: false });
    expect(c.newWords).toBe(0);
    expect(c.vocab.size).toBe(a.vocab.size);
  });

  it('rejects hierarchical softmax and an empty new corpus', async () => {
    const a = await trainWord2Vec(reviews.slice(0, 300), {
      hs: true,
      negative: 0,
      vectorSize: 8,
      minCount: 3,
      epochs: 1,
    });
    await expect(continueWord2Vec(a, reviews.slice(300))).rejects.toThrow(/hierarchical softmax is not supported/);
    const b = await trainWord2Vec(reviews.slice(0, 300), { vectorSize: 8, minCount: 3, epochs: 1 });
    await expect(continueWord2Vec(b, [])).rejects.toThrow(/new corpus is empty/);
  });
});
