import { describe, expect, it } from 'vitest';
import { countCooccurrences, type Csr } from './cooccurrence.js';
import { ppmiMatrix, trainPpmiSvd } from './ppmi.js';
import { pca2d, randomizedSvd, symmetricEigen } from './svd.js';
import { xorshiftStream } from './internal/util.js';

function dense(A: Csr): number[][] {
  const M = Array.from({ length: A.rows }, () => new Array<number>(A.cols).fill(0));
  for (let i = 0; i < A.rows; i++)
    for (let p = A.indptr[i]!; p < A.indptr[i + 1]!; p++) M[i]![A.indices[p]!] = A.data[p]!;
  return M;
}

function randomSparse(n: number, m: number, density: number, seed: number): Csr {
  const rnd = xorshiftStream(seed);
  const indptr = new Int32Array(n + 1);
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < m; j++) {
      if (rnd() < density) {
        idx.push(j);
        val.push(rnd() * 2 - 1);
      }
    }
    indptr[i + 1] = idx.length;
  }
  return { rows: n, cols: m, indptr, indices: Int32Array.from(idx), data: Float64Array.from(val) };
}

describe('ppmiMatrix (hand-checked)', () => {
  it('computes PPMI with context smoothing and shift on "a b c a" / "b b"', async () => {
    const c = await countCooccurrences(
      [
        ['a', 'b', 'c', 'a'],
        ['b', 'b'],
      ],
      { window: 2, minCount: 1 },
    );
    // ids: b (3 occurrences) = 0, a = 1, c = 2.  X (symmetric):
    //        b    a    c
    //   b    2   1.5   1
    //   a   1.5   0   1.5
    //   c    1   1.5   0
    // row sums r = [4.5, 3, 2.5] (= column sums)
    const r = [4.5, 3, 2.5];
    const X = [
      [2, 1.5, 1],
      [1.5, 0, 1.5],
      [1, 1.5, 0],
    ];
    const alpha = 0.75;
    const z = r.reduce((s, x) => s + x ** alpha, 0);
    const expected = (k: number): number[][] =>
      X.map((row, i) =>
        row.map((x, j) => (x > 0 ? Math.max(0, Math.log((x * z) / (r[i]! * r[j]! ** alpha)) - Math.log(k)) : 0)),
      );
    for (const k of [1, 1.2]) {
      const P = dense(ppmiMatrix(c, { shift: k }));
      const E = expected(k);
      for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) expect(P[i]![j]).toBeCloseTo(E[i]![j]!, 12);
    }
    // a concrete value, by hand: PPMI(a, c) = log(1.5 * z / (3 * 2.5^0.75)), z = 4.5^.75 + 3^.75 + 2.5^.75
    expect(dense(ppmiMatrix(c))[1]![2]).toBeCloseTo(
      Math.log((1.5 * (4.5 ** 0.75 + 3 ** 0.75 + 2.5 ** 0.75)) / (3 * 2.5 ** 0.75)),
      12,
    );
    expect(() => ppmiMatrix(c, { alpha: 0 })).toThrow(/alpha must be > 0/);
  });
});

describe('randomizedSvd', () => {
  it('full rank reconstructs the matrix; truncated singular values match a dense SVD computed via eig(AᵀA)', () => {
    const A = randomSparse(40, 25, 0.3, 11);
    const D = dense(A);
    const full = randomizedSvd(A, { rank: 25, seed: 1 });
    let err = 0;
    for (let i = 0; i < 40; i++) {
      for (let j = 0; j < 25; j++) {
        let s = 0;
        for (let t = 0; t < 25; t++) s += full.U[i * 25 + t]! * full.S[t]! * full.V[j * 25 + t]!;
        err = Math.max(err, Math.abs(s - D[i]![j]!));
      }
    }
    expect(err).toBeLessThan(1e-8);
    // dense reference: singular values = sqrt(eig(AᵀA)) with Jacobi on the 25×25 Gram matrix
    const G = new Float64Array(25 * 25);
    for (let a = 0; a < 25; a++)
      for (let b = 0; b < 25; b++) for (let i = 0; i < 40; i++) G[a * 25 + b] += D[i]![a]! * D[i]![b]!;
    const ref = Array.from(symmetricEigen(G, 25).values).map((x) => Math.sqrt(Math.max(0, x)));
    const k5 = randomizedSvd(A, { rank: 5, seed: 2, powerIterations: 6 });
    // randomized: accurate to ~1e-6 relative after 6 power iterations on this spectrum
    for (let t = 0; t < 5; t++) expect(Math.abs(k5.S[t]! - ref[t]!) / ref[t]!).toBeLessThan(1e-5);
    // U has orthonormal columns
    for (let a = 0; a < 5; a++) {
      for (let b = 0; b < 5; b++) {
        let s = 0;
        for (let i = 0; i < 40; i++) s += k5.U[i * 5 + a]! * k5.U[i * 5 + b]!;
        expect(s).toBeCloseTo(a === b ? 1 : 0, 10);
      }
    }
    expect(() => randomizedSvd(A, { rank: 26 })).toThrow(/rank must be an integer in \[1, 25\], got 26/);
  });

  it('symmetricEigen on a hand-checkable matrix', () => {
    // [[2,1],[1,2]] has eigenvalues 3 and 1 with eigenvectors (1,1)/√2 and (1,−1)/√2
    const { values, vectors } = symmetricEigen(Float64Array.from([2, 1, 1, 2]), 2);
    expect(values[0]).toBeCloseTo(3, 12);
    expect(values[1]).toBeCloseTo(1, 12);
    expect(Math.abs(vectors[0]!)).toBeCloseTo(Math.SQRT1_2, 12);
    expect(vectors[0]! * vectors[2]!).toBeGreaterThan(0);
  });

  it('pca2d finds the main axis', () => {
    const rnd = xorshiftStream(3);
    const n = 200;
    const X = new Float64Array(n * 3);
    for (let i = 0; i < n; i++) {
      const t = rnd() * 10 - 5;
      X[i * 3] = t;
      X[i * 3 + 1] = t;
      X[i * 3 + 2] = (rnd() - 0.5) * 0.1;
    }
    const Y = pca2d(X, n, 3);
    // first coordinate = projection on (1,1,0)/√2 (up to sign)
    const sign = Math.sign(Y[0]! / (X[0]! - 0 + 1e-12)) || 1;
    let mean = 0;
    for (let i = 0; i < n; i++) mean += X[i * 3]! / n;
    for (let i = 0; i < n; i += 37) expect(Y[i * 2]! * sign).toBeCloseTo((X[i * 3]! - mean) * Math.SQRT2, 1);
  });
});

describe('trainPpmiSvd', () => {
  it('separates two topics and validates vectorSize', async () => {
    const rnd = xorshiftStream(8);
    const A = ['cat', 'dog', 'pet', 'fur', 'paw', 'vet'];
    const B = ['car', 'road', 'tire', 'gas', 'wheel', 'drive'];
    const sents = Array.from({ length: 400 }, (_, s) =>
      Array.from({ length: 8 }, () => (s % 2 ? B : A)[Math.floor(rnd() * 6)]!),
    );
    const { wv, singularValues } = await trainPpmiSvd(sents, { vectorSize: 4, minCount: 1 });
    expect(wv.dim).toBe(4);
    expect(singularValues[0]).toBeGreaterThanOrEqual(singularValues[1]!);
    expect(wv.similarity('cat', 'dog')).toBeGreaterThan(wv.similarity('cat', 'car') + 0.3);
    await expect(trainPpmiSvd(sents, { vectorSize: 13, minCount: 1 })).rejects.toThrow(
      /vectorSize must be an integer in \[1, 12\]/,
    );
  });
});
