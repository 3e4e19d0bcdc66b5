import { describe, expect, it } from 'vitest';
import { countCooccurrences } from './cooccurrence.js';
import { encodeCorpus } from './corpus.js';
import { xorshiftStream } from './internal/util.js';

describe('countCooccurrences', () => {
  it('hand-checked: "a b c a" / "b b", window 2, 1/distance', async () => {
    const c = await countCooccurrences(
      [
        ['a', 'b', 'c', 'a'],
        ['b', 'b'],
      ],
      { window: 2, minCount: 1 },
    );
    // a-b at d=1 (+1), a-c d=2 (+.5), b-c d=1 (+1), b-a d=2 (+.5), c-a d=1 (+1); b-b d=1 in sentence 2 (+2 on the diagonal)
    expect(c.getWords('a', 'b')).toBe(1.5);
    expect(c.getWords('b', 'a')).toBe(1.5);
    expect(c.getWords('a', 'c')).toBe(1.5);
    expect(c.getWords('b', 'c')).toBe(1);
    expect(c.getWords('b', 'b')).toBe(2);
    expect(c.getWords('a', 'a')).toBe(0); // distance 3 > window
    expect(c.nnz).toBe(4);
    const c3 = await countCooccurrences([['a', 'b', 'c', 'a']], { window: 3, minCount: 1, weighting: 'uniform' });
    expect(c3.getWords('a', 'a')).toBe(2); // one pair at d=3, counted in both directions
    expect(c3.getWords('a', 'b')).toBe(2);
    const csr = c.toCsr();
    expect(Array.from(csr.indptr)).toEqual([0, 3, 5, 7]); // ids: b = 0 (3 times), a = 1, c = 2
    // row sums of the symmetric matrix
    const sums = [0, 1, 2].map((i) => csr.data.slice(csr.indptr[i], csr.indptr[i + 1]).reduce((s, x) => s + x, 0));
    expect(sums).toEqual([4.5, 3, 2.5]);
    expect(() => c.getWords('a', 'zz')).toThrow('Cooccurrence.getWords: word "zz" is not in the vocabulary');
  });

  it('gives the same counts when a small memory budget forces row shards', async () => {
    const rnd = xorshiftStream(5);
    const sents: string[][] = [];
    for (let s = 0; s < 400; s++) sents.push(Array.from({ length: 50 }, () => `w${Math.floor(rnd() * 600)}`));
    const enc = await encodeCorpus(sents, { minCount: 1 });
    const big = await countCooccurrences(enc, { window: 5 });
    const small = await countCooccurrences(enc, { window: 5, memoryMB: 1 });
    expect(big.nnz).toBeGreaterThan(40000); // > one 1 MB table (45,875 slots at 0.7 load): sharded
    expect(small.rows).toEqual(big.rows);
    expect(small.cols).toEqual(big.cols);
    for (let k = 0; k < big.nnz; k++) expect(Math.abs(small.values[k]! - big.values[k]!)).toBeLessThan(1e-9);
  });

  it('validates options', async () => {
    await expect(countCooccurrences([['a']], { window: 0, minCount: 1 })).rejects.toThrow(
      /window must be an integer >= 1, got 0/,
    );
    await expect(countCooccurrences([['a']], { weighting: 'x' as 'uniform', minCount: 1 })).rejects.toThrow(
      /weighting must be/,
    );
  });
});
