/**
 * Dense/sparse linear algebra for PPMI+SVD and PCA: sparse × dense products, Gram–Schmidt
 * with re-orthogonalization, cyclic Jacobi for symmetric eigenproblems, and randomized
 * truncated SVD.
 *
 * References: Halko, Martinsson & Tropp 2011, "Finding structure with randomness"
 * (Algorithms 4.3/4.4: range finder with power iterations, Q re-orthonormalized each step;
 * Algorithm 5.1: direct SVD of B = QᵀA); Giraud et al. 2005 ("twice is enough" for
 * Gram–Schmidt); Golub & Van Loan §8.5 (cyclic Jacobi).
 */
import type { Csr } from './cooccurrence.js';
import { xorshiftStream } from './internal/util.js';
import { linalg } from './internal/linalg-wasm.js';

/** Y = A·X for CSR A (n×m) and row-major X (m×l). */
export function csrMatmul(A: Csr, X: Float64Array, l: number): Float64Array {
  const Y = new Float64Array(A.rows * l);
  const { indptr, indices, data } = A;
  for (let i = 0; i < A.rows; i++) {
    const yo = i * l;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const a = data[p]!;
      const xo = indices[p]! * l;
      for (let t = 0; t < l; t++) Y[yo + t] = Y[yo + t]! + a * X[xo + t]!;
    }
  }
  return Y;
}

/** Y = Aᵀ·X for CSR A (n×m) and row-major X (n×l); Y is m×l. */
export function csrTMatmul(A: Csr, X: Float64Array, l: number): Float64Array {
  const Y = new Float64Array(A.cols * l);
  const { indptr, indices, data } = A;
  for (let i = 0; i < A.rows; i++) {
    const xo = i * l;
    for (let p = indptr[i]!; p < indptr[i + 1]!; p++) {
      const a = data[p]!;
      const yo = indices[p]! * l;
      for (let t = 0; t < l; t++) Y[yo + t] = Y[yo + t]! + a * X[xo + t]!;
    }
  }
  return Y;
}

/**
 * Orthonormalizes the columns of row-major Y (n×l) in place: modified Gram–Schmidt, run
 * twice (re-orthogonalization), columns that vanish are replaced by zeros.
 */
export function orthonormalizeColumns(Y: Float64Array, n: number, l: number): void {
  // work column-major for contiguous column access
  const C = new Float64Array(n * l);
  for (let i = 0; i < n; i++) for (let t = 0; t < l; t++) C[t * n + i] = Y[i * l + t]!;
  for (let t = 0; t < l; t++) {
    const ct = t * n;
    let n0 = 0;
    for (let i = 0; i < n; i++) n0 += C[ct + i]! * C[ct + i]!;
    n0 = Math.sqrt(n0);
    for (let pass = 0; pass < 2; pass++) {
      for (let s = 0; s < t; s++) {
        const cs = s * n;
        let d = 0;
        for (let i = 0; i < n; i++) d += C[cs + i]! * C[ct + i]!;
        for (let i = 0; i < n; i++) C[ct + i] = C[ct + i]! - d * C[cs + i]!;
      }
    }
    let nn = 0;
    for (let i = 0; i < n; i++) nn += C[ct + i]! * C[ct + i]!;
    nn = Math.sqrt(nn);
    // a column that is (numerically) in the span of the previous ones carries no direction
    const inv = nn > 1e-10 * Math.max(n0, 1e-300) && nn > 0 ? 1 / nn : 0;
    for (let i = 0; i < n; i++) C[ct + i] = C[ct + i]! * inv;
  }
  for (let i = 0; i < n; i++) for (let t = 0; t < l; t++) Y[i * l + t] = C[t * n + i]!;
}

/**
 * Eigen-decomposition of a symmetric l×l matrix (row-major) by cyclic Jacobi rotations.
 * Returns eigenvalues in decreasing order and the matching eigenvectors as columns of a
 * row-major l×l matrix.
 */
export function symmetricEigen(M: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(M);
  const Vm = new Float64Array(l * l);
  for (let i = 0; i < l; i++) Vm[i * l + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let diag = 0;
    for (let i = 0; i < l; i++) {
      diag += A[i * l + i]! * A[i * l + i]!;
      for (let j = i + 1; j < l; j++) off += A[i * l + j]! * A[i * l + j]!;
    }
    if (off <= 1e-30 * Math.max(diag, 1e-300)) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = A[p * l + q]!;
        if (apq === 0) continue;
        const app = A[p * l + p]!;
        const aqq = A[q * l + q]!;
        const theta = (aqq - app) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = A[k * l + p]!;
          const akq = A[k * l + q]!;
          A[k * l + p] = c * akp - s * akq;
          A[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = A[p * l + k]!;
          const aqk = A[q * l + k]!;
          A[p * l + k] = c * apk - s * aqk;
          A[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = Vm[k * l + p]!;
          const vkq = Vm[k * l + q]!;
          Vm[k * l + p] = c * vkp - s * vkq;
          Vm[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const order = Array.from({ length: l }, (_, i) => i).sort((a, b) => A[b * l + b]! - A[a * l + a]!);
  const values = new Float64Array(l);
  const vectors = new Float64Array(l * l);
  order.forEach((src, dst) => {
    values[dst] = A[src * l + src]!;
    for (let k = 0; k < l; k++) vectors[k * l + dst] = Vm[k * l + src]!;
  });
  return { values, vectors };
}

/** Options of {@link randomizedSvd}. */
export interface RandomizedSvdOptions {
  /** Singular triplets wanted. */
  rank: number;
  /** Extra random directions. @default 10 — Halko et al.'s p = 10 (and sklearn's). */
  oversample?: number;
  /** Power iterations (each re-orthonormalized). @default 4 — sklearn's `n_iter='auto'` for small ranks. */
  powerIterations?: number;
  /** @default 0 */
  seed?: number;
}

/** A truncated SVD A ≈ U·diag(S)·Vᵀ; U (n×k) and V (m×k) row-major. */
export interface TruncatedSvd {
  U: Float64Array;
  S: Float64Array;
  V: Float64Array;
  rank: number;
}

/**
 * Randomized truncated SVD of a sparse matrix (Halko et al. 2011): Gaussian test matrix,
 * range finder with `powerIterations` power steps (Q re-orthonormalized by Gram–Schmidt run
 * twice after each), then the exact SVD of the small B = QᵀA through the eigen-decomposition
 * of B·Bᵀ (Jacobi). The sparse products and Gram–Schmidt run in WebAssembly SIMD (f64x2,
 * `internal/linalg-simd.wat`): ~3× the plain-JS loops.
 * @throws if `rank` is not an integer in [1, min(n, m)].
 */
export function randomizedSvd(A: Csr, opts: RandomizedSvdOptions): TruncatedSvd {
  const fn = 'randomizedSvd';
  const k = opts.rank;
  const n = A.rows;
  const m = A.cols;
  if (!Number.isInteger(k) || k < 1 || k > Math.min(n, m)) {
    throw new RangeError(`${fn}: rank must be an integer in [1, ${Math.min(n, m)}], got ${k}`);
  }
  const l = Math.min(k + (opts.oversample ?? 10), n, m);
  const q = opts.powerIterations ?? 4;
  // SIMD layout: dense row lengths and column lengths even (zero padding changes no product)
  const lp = l + (l % 2);
  const kp = k + (k % 2);
  const np = n + (n % 2);
  const nnz = A.indptr[n]!;
  let off = 0;
  const place = (bytes: number): number => {
    const at = off;
    off += Math.ceil(bytes / 16) * 16;
    return at;
  };
  const oIndptr = place((n + 1) * 4);
  const oIndices = place(nnz * 4);
  const oData = place(nnz * 8);
  const oZ = place(m * lp * 8);
  const oY = place(n * lp * 8);
  const oC = place(np * lp * 8);
  const oW = place(lp * kp * 8);
  const oU = place(n * kp * 8);
  const oV = place(m * kp * 8);
  const { memory, ex } = linalg(fn, off);
  const buf = memory.buffer;
  new Int32Array(buf, oIndptr, n + 1).set(A.indptr);
  new Int32Array(buf, oIndices, nnz).set(A.indices.subarray(0, nnz));
  new Float64Array(buf, oData, nnz).set(A.data.subarray(0, nnz));
  const Z = new Float64Array(buf, oZ, m * lp);
  const Y = new Float64Array(buf, oY, n * lp);
  const C = new Float64Array(buf, oC, np * lp);
  const mul = (): void => {
    Y.fill(0);
    ex.spmm(oIndptr, oIndices, oData, n, oZ, oY, lp);
  };
  const mulT = (): void => {
    Z.fill(0);
    ex.spmmT(oIndptr, oIndices, oData, n, oY, oZ, lp);
  };
  /** Orthonormalizes the first l columns of Y: MGS twice on a column-major copy. */
  const orth = (): void => {
    C.fill(0);
    for (let i = 0; i < n; i++) for (let t = 0; t < l; t++) C[t * np + i] = Y[i * lp + t]!;
    for (let t = 0; t < l; t++) {
      const ct = oC + t * np * 8;
      const n0 = Math.sqrt(ex.dot(ct, ct, np));
      for (let pass = 0; pass < 2; pass++) {
        for (let s = 0; s < t; s++) {
          const cs = oC + s * np * 8;
          ex.axpy(ct, cs, -ex.dot(cs, ct, np), np);
        }
      }
      const nn = Math.sqrt(ex.dot(ct, ct, np));
      // a column (numerically) in the span of the previous ones carries no direction
      const inv = nn > 1e-10 * Math.max(n0, 1e-300) && nn > 0 ? 1 / nn : 0;
      for (let i = 0; i < n; i++) C[t * np + i] = C[t * np + i]! * inv;
    }
    for (let i = 0; i < n; i++) for (let t = 0; t < l; t++) Y[i * lp + t] = C[t * np + i]!;
  };

  const rnd = xorshiftStream(opts.seed ?? 0);
  for (let i = 0; i < m; i++) {
    for (let t = 0; t < l; t += 2) {
      // Box–Muller
      const u1 = Math.max(rnd(), 1e-300);
      const u2 = rnd();
      const r = Math.sqrt(-2 * Math.log(u1));
      Z[i * lp + t] = r * Math.cos(2 * Math.PI * u2);
      if (t + 1 < l) Z[i * lp + t + 1] = r * Math.sin(2 * Math.PI * u2);
    }
  }
  mul();
  orth();
  for (let it = 0; it < q; it++) {
    // Z = AᵀQ is not re-orthonormalized (Halko's Alg. 4.4 does; sklearn LU-normalizes): with Q
    // orthonormal, Z's condition number is at most σ1/σl of A, harmless in float64, and the
    // orthonormalization of Y right after restores the basis. Saves 4 of 9 Gram–Schmidt runs.
    mulT();
    mul();
    orth();
  }
  mulT(); // Z = AᵀQ = Bᵀ (m×l)
  // B·Bᵀ = ZᵀZ (l×l)
  const G = new Float64Array(l * l);
  for (let r = 0; r < m; r++) {
    const o = r * lp;
    for (let a = 0; a < l; a++) {
      const x = Z[o + a]!;
      if (x === 0) continue;
      for (let b = a; b < l; b++) G[a * l + b] = G[a * l + b]! + x * Z[o + b]!;
    }
  }
  for (let a = 0; a < l; a++) for (let b = 0; b < a; b++) G[a * l + b] = G[b * l + a]!;
  const { values, vectors: Wl } = symmetricEigen(G, l);
  const S = new Float64Array(k);
  for (let t = 0; t < k; t++) S[t] = Math.sqrt(Math.max(0, values[t]!));
  // W: first k eigenvectors as an lp×kp row-major matrix
  const W = new Float64Array(buf, oW, lp * kp);
  for (let a = 0; a < l; a++) for (let t = 0; t < k; t++) W[a * kp + t] = Wl[a * l + t]!;
  // U = Q·W, V = Z·W / S (row i: Σ_a X[i,a]·W[a,:])
  const Uw = new Float64Array(buf, oU, n * kp);
  const Vw = new Float64Array(buf, oV, m * kp);
  for (let i = 0; i < n; i++) for (let a = 0; a < l; a++) ex.axpy(oU + i * kp * 8, oW + a * kp * 8, Y[i * lp + a]!, kp);
  for (let i = 0; i < m; i++) for (let a = 0; a < l; a++) ex.axpy(oV + i * kp * 8, oW + a * kp * 8, Z[i * lp + a]!, kp);
  const U = new Float64Array(n * k);
  const V = new Float64Array(m * k);
  for (let i = 0; i < n; i++) for (let t = 0; t < k; t++) U[i * k + t] = Uw[i * kp + t]!;
  for (let i = 0; i < m; i++) for (let t = 0; t < k; t++) V[i * k + t] = S[t] === 0 ? 0 : Vw[i * kp + t]! / S[t]!;
  return { U, S, V, rank: k };
}

/**
 * Projects row vectors (n×d, row-major) on their first 2 principal components (centered,
 * covariance eigenvectors by Jacobi). Returns n×2 row-major coordinates.
 */
export function pca2d(X: ArrayLike<number>, n: number, d: number): Float64Array {
  if (X.length !== n * d) throw new RangeError(`pca2d: X.length = ${X.length} but n * d = ${n} * ${d}`);
  if (n < 1) throw new RangeError('pca2d: need at least one row');
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let k = 0; k < d; k++) mean[k] = mean[k]! + X[i * d + k]! / n;
  const C = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const xa = X[i * d + a]! - mean[a]!;
      for (let b = a; b < d; b++) C[a * d + b] = C[a * d + b]! + xa * (X[i * d + b]! - mean[b]!);
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b < a; b++) C[a * d + b] = C[b * d + a]!;
  const { vectors } = symmetricEigen(C, d);
  const out = new Float64Array(n * 2);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < Math.min(2, d); c++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += (X[i * d + k]! - mean[k]!) * vectors[k * d + c]!;
      out[i * 2 + c] = s;
    }
  }
  return out;
}
