/**
 * The word2vec training loop on typed arrays: skip-gram and CBOW, negative sampling and
 * hierarchical softmax, dynamic window, linear learning-rate decay.
 *
 * References: word2vec.c (`TrainModelThread`), gensim 4.2 `word2vec_inner.pyx`
 * (`fast_sentence_sg_neg`, `fast_sentence_cbow_neg`, `..._hs`, `cbow_mean` handling,
 * loss via `LOG_TABLE`).
 *
 * IMPORTANT: `w2vKernel` is self-contained (no imports, no outer references): worker threads
 * get it through `Function.prototype.toString()` (see `pool.ts`), so one source serves the
 * main thread (1 worker, bit-reproducible) and Hogwild workers.
 */

/** Typed arrays the kernel reads/writes; in multi-worker runs they view SharedArrayBuffers. */
export interface W2VShared {
  ids: Int32Array;
  sentenceStarts: Int32Array;
  syn0: Float32Array;
  /** negative-sampling output weights (V*D), or length 0 */
  syn1neg: Float32Array;
  /** hierarchical-softmax inner-node weights ((V-1)*D), or length 0 */
  syn1: Float32Array;
  /** unigram^nsExponent table of word ids (word2vec.c `table`), or length 0 */
  negTable: Int32Array;
  /** keep-thresholds (gensim `sample_int`) */
  sampleInt: Uint32Array;
  /** Huffman codes / points, word w at [codeOffsets[w], codeOffsets[w+1]) */
  codes: Uint8Array;
  points: Int32Array;
  codeOffsets: Int32Array;
  expTable: Float32Array;
  logTable: Float32Array;
  /** per worker: [rawWords, effectiveWords, lossSum, lossTerms, done] */
  progress: Float64Array;
}

export interface W2VParams {
  dim: number;
  window: number;
  negative: number;
  hs: number; // 0/1
  sg: number; // 0/1
  cbowMean: number; // 0/1
  sample: number; // 0/1 (use sampleInt)
  alpha: number;
  minAlpha: number;
  epochs: number;
  /** raw words of one epoch over the whole corpus (all workers) */
  totalWords: number;
  workers: number;
  computeLoss: number; // 0/1
  sentBegin: number;
  sentEnd: number;
  seed: number;
  maxExp: number;
  expTableSize: number;
}

export const PROGRESS_SLOTS = 5;

export function w2vKernel(S: W2VShared, P: W2VParams, w: number, tick: ((w: number) => void) | null): void {
  const ids = S.ids;
  const starts = S.sentenceStarts;
  const syn0 = S.syn0;
  const syn1neg = S.syn1neg;
  const syn1 = S.syn1;
  const negTable = S.negTable;
  const negTableSize = negTable.length;
  const sampleInt = S.sampleInt;
  const codes = S.codes;
  const points = S.points;
  const codeOff = S.codeOffsets;
  const expT = S.expTable;
  const logT = S.logTable;
  const prog = S.progress;
  const D = P.dim | 0;
  const window = P.window | 0;
  const negative = P.negative | 0;
  const hs = P.hs | 0;
  const sg = P.sg | 0;
  const cbowMean = P.cbowMean | 0;
  const sampling = P.sample | 0;
  const computeLoss = P.computeLoss | 0;
  const MAX_EXP = P.maxExp;
  const TSIZE = P.expTableSize | 0;
  const scale = TSIZE / MAX_EXP / 2;
  const startAlpha = P.alpha;
  const minAlpha = P.minAlpha;
  const totalAll = P.epochs * P.totalWords;
  const workers = P.workers | 0;
  const slots = 5;
  const base = w * slots;
  const neu1 = new Float32Array(D);
  const work = new Float32Array(D);
  let maxSent = 0;
  for (let s = P.sentBegin; s < P.sentEnd; s++) {
    const l = starts[s + 1]! - starts[s]!;
    if (l > maxSent) maxSent = l;
  }
  const sen = new Int32Array(maxSent + 1);
  // xorshift32, seeded per worker
  let rnd = (Math.imul((P.seed | 0) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(w + 1, 0x85ebca6b)) | 0;
  if (rnd === 0) rnd = 0x2545f491;
  let alpha = startAlpha;
  let rawPending = 0;
  let effPending = 0;
  let lossPending = 0;
  let lossTerms = 0;


  for (let epoch = 0; epoch < P.epochs; epoch++) {
    for (let s = P.sentBegin; s < P.sentEnd; s++) {
      const a = starts[s]!;
      const b = starts[s + 1]!;
      let n = 0;
      if (sampling !== 0) {
        for (let t = a; t < b; t++) {
          const wd = ids[t]!;
          rnd ^= rnd << 13;
          rnd ^= rnd >>> 17;
          rnd ^= rnd << 5;
          if (sampleInt[wd]! < rnd >>> 0) continue;
          sen[n++] = wd;
        }
      } else {
        for (let t = a; t < b; t++) sen[n++] = ids[t]!;
      }
      rawPending += b - a;
      effPending += n;

      for (let pos = 0; pos < n; pos++) {
        const word = sen[pos]!;
        rnd ^= rnd << 13;
        rnd ^= rnd >>> 17;
        rnd ^= rnd << 5;
        const red = (rnd >>> 0) % window; // reduced window, as word2vec.c's `b`
        let lo = pos - window + red;
        if (lo < 0) lo = 0;
        let hi = pos + window - red + 1;
        if (hi > n) hi = n;

        if (sg !== 0) {
          for (let c = lo; c < hi; c++) {
            if (c === pos) continue;
            const l1 = sen[c]! * D;
            for (let k = 0; k < D; k++) work[k] = 0;
            if (hs !== 0) {
              const ce = codeOff[word + 1]!;
              for (let q = codeOff[word]!; q < ce; q++) {
                const l2 = points[q]! * D;
                // 4 accumulators: a single chain is bound by add latency (~25% slower here)
                let f0 = 0, f1 = 0, f2 = 0, f3 = 0, k = 0;
                for (; k + 3 < D; k += 4) {
                  f0 += syn0[l1 + k]! * syn1[l2 + k]!;
                  f1 += syn0[l1 + k + 1]! * syn1[l2 + k + 1]!;
                  f2 += syn0[l1 + k + 2]! * syn1[l2 + k + 2]!;
                  f3 += syn0[l1 + k + 3]! * syn1[l2 + k + 3]!;
                }
                for (; k < D; k++) f0 += syn0[l1 + k]! * syn1[l2 + k]!;
                const f = f0 + f1 + (f2 + f3);
                const code = codes[q]!;
                if (computeLoss !== 0) {
                  const ff = code === 0 ? f : -f;
                  lossPending -= ff <= -MAX_EXP ? ff : ff >= MAX_EXP ? 0 : logT[((ff + MAX_EXP) * scale) | 0]!;
                  lossTerms++;
                }
                if (f <= -MAX_EXP || f >= MAX_EXP) continue;
                const g = (1 - code - expT[((f + MAX_EXP) * scale) | 0]!) * alpha;
                for (let k = 0; k < D; k++) {
                  const o = syn1[l2 + k]!;
                  work[k] = work[k]! + g * o;
                  syn1[l2 + k] = o + g * syn0[l1 + k]!;
                }
              }
            }
            if (negative > 0) {
              for (let d = 0; d <= negative; d++) {
                let target: number;
                let label: number;
                if (d === 0) {
                  target = word;
                  label = 1;
                } else {
                  rnd ^= rnd << 13;
                  rnd ^= rnd >>> 17;
                  rnd ^= rnd << 5;
                  target = negTable[(rnd >>> 0) % negTableSize]!;
                  if (target === word) continue;
                  label = 0;
                }
                const l2 = target * D;
                // 4 accumulators: a single chain is bound by add latency (~25% slower here)
                let f0 = 0, f1 = 0, f2 = 0, f3 = 0, k = 0;
                for (; k + 3 < D; k += 4) {
                  f0 += syn0[l1 + k]! * syn1neg[l2 + k]!;
                  f1 += syn0[l1 + k + 1]! * syn1neg[l2 + k + 1]!;
                  f2 += syn0[l1 + k + 2]! * syn1neg[l2 + k + 2]!;
                  f3 += syn0[l1 + k + 3]! * syn1neg[l2 + k + 3]!;
                }
                for (; k < D; k++) f0 += syn0[l1 + k]! * syn1neg[l2 + k]!;
                const f = f0 + f1 + (f2 + f3);
                let g: number;
                if (f > MAX_EXP) g = (label - 1) * alpha;
                else if (f < -MAX_EXP) g = label * alpha;
                else g = (label - expT[((f + MAX_EXP) * scale) | 0]!) * alpha;
                if (computeLoss !== 0) {
                  const ff = label === 1 ? f : -f;
                  lossPending -= ff <= -MAX_EXP ? ff : ff >= MAX_EXP ? 0 : logT[((ff + MAX_EXP) * scale) | 0]!;
                  lossTerms++;
                }
                for (let k = 0; k < D; k++) {
                  const o = syn1neg[l2 + k]!;
                  work[k] = work[k]! + g * o;
                  syn1neg[l2 + k] = o + g * syn0[l1 + k]!;
                }
              }
            }
            for (let k = 0; k < D; k++) syn0[l1 + k] = syn0[l1 + k]! + work[k]!;
          }
        } else {
          // CBOW: neu1 = sum (or mean) of the context rows
          for (let k = 0; k < D; k++) neu1[k] = 0;
          let cw = 0;
          for (let c = lo; c < hi; c++) {
            if (c === pos) continue;
            const l1 = sen[c]! * D;
            for (let k = 0; k < D; k++) neu1[k] = neu1[k]! + syn0[l1 + k]!;
            cw++;
          }
          if (cw === 0) continue;
          const inv = 1 / cw;
          if (cbowMean !== 0) for (let k = 0; k < D; k++) neu1[k] = neu1[k]! * inv;
          for (let k = 0; k < D; k++) work[k] = 0;
          if (hs !== 0) {
            const ce = codeOff[word + 1]!;
            for (let q = codeOff[word]!; q < ce; q++) {
              const l2 = points[q]! * D;
              // 4 accumulators: a single chain is bound by add latency (~25% slower here)
              let f0 = 0, f1 = 0, f2 = 0, f3 = 0, k = 0;
              for (; k + 3 < D; k += 4) {
                f0 += neu1[k]! * syn1[l2 + k]!;
                f1 += neu1[k + 1]! * syn1[l2 + k + 1]!;
                f2 += neu1[k + 2]! * syn1[l2 + k + 2]!;
                f3 += neu1[k + 3]! * syn1[l2 + k + 3]!;
              }
              for (; k < D; k++) f0 += neu1[k]! * syn1[l2 + k]!;
              const f = f0 + f1 + (f2 + f3);
              const code = codes[q]!;
              if (computeLoss !== 0) {
                const ff = code === 0 ? f : -f;
                lossPending -= ff <= -MAX_EXP ? ff : ff >= MAX_EXP ? 0 : logT[((ff + MAX_EXP) * scale) | 0]!;
                lossTerms++;
              }
              if (f <= -MAX_EXP || f >= MAX_EXP) continue;
              const g = (1 - code - expT[((f + MAX_EXP) * scale) | 0]!) * alpha;
              for (let k = 0; k < D; k++) {
                const o = syn1[l2 + k]!;
                work[k] = work[k]! + g * o;
                syn1[l2 + k] = o + g * neu1[k]!;
              }
            }
          }
          if (negative > 0) {
            for (let d = 0; d <= negative; d++) {
              let target: number;
              let label: number;
              if (d === 0) {
                target = word;
                label = 1;
              } else {
                rnd ^= rnd << 13;
                rnd ^= rnd >>> 17;
                rnd ^= rnd << 5;
                target = negTable[(rnd >>> 0) % negTableSize]!;
                if (target === word) continue;
                label = 0;
              }
              const l2 = target * D;
              // 4 accumulators: a single chain is bound by add latency (~25% slower here)
              let f0 = 0, f1 = 0, f2 = 0, f3 = 0, k = 0;
              for (; k + 3 < D; k += 4) {
                f0 += neu1[k]! * syn1neg[l2 + k]!;
                f1 += neu1[k + 1]! * syn1neg[l2 + k + 1]!;
                f2 += neu1[k + 2]! * syn1neg[l2 + k + 2]!;
                f3 += neu1[k + 3]! * syn1neg[l2 + k + 3]!;
              }
              for (; k < D; k++) f0 += neu1[k]! * syn1neg[l2 + k]!;
              const f = f0 + f1 + (f2 + f3);
              let g: number;
              if (f > MAX_EXP) g = (label - 1) * alpha;
              else if (f < -MAX_EXP) g = label * alpha;
              else g = (label - expT[((f + MAX_EXP) * scale) | 0]!) * alpha;
              if (computeLoss !== 0) {
                const ff = label === 1 ? f : -f;
                lossPending -= ff <= -MAX_EXP ? ff : ff >= MAX_EXP ? 0 : logT[((ff + MAX_EXP) * scale) | 0]!;
                lossTerms++;
              }
              for (let k = 0; k < D; k++) {
                const o = syn1neg[l2 + k]!;
                work[k] = work[k]! + g * o;
                syn1neg[l2 + k] = o + g * neu1[k]!;
              }
            }
          }
          // gensim: with a summed context the error is divided over the window words
          if (cbowMean === 0) for (let k = 0; k < D; k++) work[k] = work[k]! * inv;
          for (let c = lo; c < hi; c++) {
            if (c === pos) continue;
            const l1 = sen[c]! * D;
            for (let k = 0; k < D; k++) syn0[l1 + k] = syn0[l1 + k]! + work[k]!;
          }
        }
      }
      if (rawPending >= 10000 || (epoch === P.epochs - 1 && s === P.sentEnd - 1)) {
        // flush counters, recompute the learning rate (no closure: captured mutable locals
        // would live in a context object and slow every access in the hot loop ~3x)
        prog[base] = prog[base]! + rawPending;
        prog[base + 1] = prog[base + 1]! + effPending;
        prog[base + 2] = prog[base + 2]! + lossPending;
        prog[base + 3] = prog[base + 3]! + lossTerms;
        rawPending = 0;
        effPending = 0;
        lossPending = 0;
        lossTerms = 0;
        let done = 0;
        for (let k = 0; k < workers; k++) done += prog[k * slots]!;
        alpha = startAlpha - ((startAlpha - minAlpha) * done) / totalAll;
        if (alpha < minAlpha) alpha = minAlpha;
        if (tick !== null) tick(w);
      }
    }
  }
  prog[base + 4] = 1;
}
