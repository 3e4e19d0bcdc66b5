/**
 * PPMI + truncated SVD word vectors.
 *
 * References: Levy, Goldberg & Dagan 2015, "Improving Distributional Similarity with Lessons
 * Learned from Word Embeddings" (context-distribution smoothing α = 0.75, shifted PPMI with
 * log k, eigenvalue weighting U·S^p); Bullinaria & Levy 2007.
 */
import { type CorpusSource, type EncodedCorpus, encodeCorpus } from './corpus.js';
import { Cooccurrence, countCooccurrences, type Csr } from './cooccurrence.js';
import { KeyedVectors } from './keyed-vectors.js';
import { randomizedSvd } from './svd.js';

/** Options of {@link ppmiMatrix}. */
export interface PpmiOptions {
  /** Context-distribution smoothing exponent. @default 0.75 — Levy et al. 2015. */
  alpha?: number;
  /** Shift k: PPMI = max(PMI − log k, 0). @default 1 — no shift. */
  shift?: number;
}

/**
 * PPMI of a co-occurrence matrix: with row sums #(w), column sums #(c) and
 * P_α(c) = #(c)^α / Σ #(c')^α, PMI(w, c) = log( #(w,c)/N / (#(w)/N · P_α(c)) ) where N = Σ #(w,c);
 * PPMI = max(PMI − log k, 0), zeros dropped.
 */
export function ppmiMatrix(counts: Cooccurrence | Csr, opts: PpmiOptions = {}): Csr {
  const alpha = opts.alpha ?? 0.75;
  const k = opts.shift ?? 1;
  if (!(alpha > 0)) throw new RangeError(`ppmiMatrix: alpha must be > 0, got ${alpha}`);
  if (!(k > 0)) throw new RangeError(`ppmiMatrix: shift must be > 0, got ${k}`);
  const X = counts instanceof Cooccurrence ? counts.toCsr() : counts;
  const rowSum = new Float64Array(X.rows);
  const colSum = new Float64Array(X.cols);
  for (let i = 0; i < X.rows; i++) {
    for (let p = X.indptr[i]!; p < X.indptr[i + 1]!; p++) {
      rowSum[i] = rowSum[i]! + X.data[p]!;
      colSum[X.indices[p]!] = colSum[X.indices[p]!]! + X.data[p]!;
    }
  }
  let colPow = 0;
  const cPow = new Float64Array(X.cols);
  for (let c = 0; c < X.cols; c++) {
    cPow[c] = colSum[c]! ** alpha;
    colPow += cPow[c]!;
  }
  const logShift = Math.log(k);
  const indptr = new Int32Array(X.rows + 1);
  const indices = new Int32Array(X.indices.length);
  const data = new Float64Array(X.indices.length);
  let nnz = 0;
  for (let i = 0; i < X.rows; i++) {
    for (let p = X.indptr[i]!; p < X.indptr[i + 1]!; p++) {
      const c = X.indices[p]!;
      const x = X.data[p]!;
      if (x <= 0) continue;
      // (x/N) / ((r/N) * (c^α/Σc^α)) = x * Σc^α / (r * c^α)
      const v = Math.log((x * colPow) / (rowSum[i]! * cPow[c]!)) - logShift;
      if (v > 0) {
        indices[nnz] = c;
        data[nnz] = v;
        nnz++;
      }
    }
    indptr[i + 1] = nnz;
  }
  return { rows: X.rows, cols: X.cols, indptr, indices: indices.slice(0, nnz), data: data.slice(0, nnz) };
}

/** Options of {@link trainPpmiSvd}. */
export interface PpmiSvdOptions extends PpmiOptions {
  /** @default 100 */
  vectorSize?: number;
  /** Context words on each side. @default 5 — Levy et al. test 2, 5 and 10. */
  window?: number;
  /** @default 'uniform' — plain window counts, as Levy et al.'s PPMI baseline (set 'harmonic' for 1/d). */
  weighting?: 'uniform' | 'harmonic';
  /** Eigenvalue weighting p: vectors are U·S^p. @default 0.5 — Levy et al. find 0 or 0.5 beat 1. */
  eigenvalueWeighting?: number;
  /** @default 5 */
  minCount?: number;
  /** @default undefined — all words over minCount */
  maxVocabSize?: number;
  lowercase?: boolean;
  /** @default 4 */
  powerIterations?: number;
  /** @default 10 */
  oversample?: number;
  /** @default 0 */
  seed?: number;
  /** Co-occurrence table budget. @default 512 */
  memoryMB?: number;
}

/**
 * Counts co-occurrences, takes PPMI and factors it with randomized SVD; word vectors are
 * U·S^p (cosine similarity is scale-free, so no normalization is stored).
 * @throws on an empty corpus, every word under minCount, `vectorSize` > vocabulary size.
 */
export async function trainPpmiSvd(
  corpus: CorpusSource | EncodedCorpus,
  opts: PpmiSvdOptions = {},
): Promise<{ wv: KeyedVectors; singularValues: Float64Array; stats: { nnz: number; seconds: number } }> {
  const t0 = performance.now();
  const enc =
    typeof corpus === 'object' && corpus !== null && (corpus as EncodedCorpus).ids instanceof Int32Array
      ? (corpus as EncodedCorpus)
      : await encodeCorpus(corpus as CorpusSource, {
          minCount: opts.minCount ?? 5,
          maxVocabSize: opts.maxVocabSize,
          lowercase: opts.lowercase,
        });
  const D = opts.vectorSize ?? 100;
  if (!Number.isInteger(D) || D < 1 || D > enc.vocab.size) {
    throw new RangeError(
      `trainPpmiSvd: vectorSize must be an integer in [1, ${enc.vocab.size}] (vocabulary size), got ${D}`,
    );
  }
  const cooc = await countCooccurrences(enc, {
    window: opts.window ?? 5,
    weighting: opts.weighting ?? 'uniform',
    memoryMB: opts.memoryMB,
  });
  const M = ppmiMatrix(cooc, opts);
  const svd = randomizedSvd(M, {
    rank: D,
    oversample: opts.oversample,
    powerIterations: opts.powerIterations,
    seed: opts.seed,
  });
  const p = opts.eigenvalueWeighting ?? 0.5;
  const n = enc.vocab.size;
  const vectors = new Float32Array(n * D);
  for (let t = 0; t < D; t++) {
    const w = svd.S[t]! ** p;
    for (let i = 0; i < n; i++) vectors[i * D + t] = svd.U[i * D + t]! * w;
  }
  return {
    wv: new KeyedVectors({ words: enc.vocab.words, vectors, dim: D, counts: enc.vocab.counts }),
    singularValues: svd.S,
    stats: { nnz: M.data.length, seconds: (performance.now() - t0) / 1000 },
  };
}
