import { describe, expect, it } from 'vitest';
import { aliasTable } from './alias-table.js';

/** The exact distribution a table encodes: column j gives j with threshold/2^32, else its alias. */
function encoded(t: Int32Array): number[] {
  const V = t.length / 2;
  const p = new Array<number>(V).fill(0);
  for (let j = 0; j < V; j++) {
    const own = (t[2 * j]! >>> 0) / 4294967296;
    p[j]! += own / V;
    p[t[2 * j + 1]!]! += (1 - own) / V;
  }
  return p;
}

describe('aliasTable', () => {
  it('encodes unigram^0.75 shares exactly (to 1e-9)', () => {
    const counts = [1000, 400, 81, 16, 16, 5, 5, 5, 1];
    const w = counts.map((c) => c ** 0.75);
    const total = w.reduce((a, b) => a + b, 0);
    const p = encoded(aliasTable(w));
    p.forEach((x, i) => expect(x).toBeCloseTo(w[i]! / total, 9));
  });

  it('gives a word of weight zero no mass, and a single word all of it', () => {
    expect(encoded(aliasTable([3, 0, 1]))[1]).toBe(0);
    expect(encoded(aliasTable([7]))).toEqual([1]);
    expect(aliasTable([7])[1]).toBe(0); // the rest goes to itself
  });

  it('draws the distribution (chi-square-free check: 200k draws within 1%)', () => {
    const t = aliasTable([8, 4, 2, 1, 1]);
    let s = 0x1234567;
    const next = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    const n = new Array<number>(5).fill(0);
    for (let k = 0; k < 200_000; k++) {
      const j = (next() * (5 / 4294967296)) | 0;
      const w = next() < t[2 * j]! >>> 0 ? j : t[2 * j + 1]!;
      n[w]!++;
    }
    [8, 4, 2, 1, 1].forEach((x, i) => expect(n[i]! / 200_000).toBeCloseTo(x / 16, 2));
  });

  it('rejects weights that sum to zero', () => {
    expect(() => aliasTable([0, 0])).toThrow(/aliasTable: weights must have a positive sum, got 0/);
  });
});
