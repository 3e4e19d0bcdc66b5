/**
 * The word2vec training loop: skip-gram and CBOW, negative sampling and hierarchical
 * softmax, dynamic window, linear learning-rate decay. Sentence handling, subsampling, window
 * and negative draws are JS; the vector arithmetic (dot products and updates of one input
 * vector against its 1 + negative targets or its Huffman path) runs in WebAssembly SIMD
 * (`w2v-simd.wat`), on weights that live in one shared `WebAssembly.Memory`.
 * Why: the plain-JS loops reached about a third of gensim's words per CPU-second (gensim calls
 * BLAS sdot/saxpy); f32x4 closes most of that gap.
 *
 * References: word2vec.c (`TrainModelThread`), gensim 4.2 `word2vec_inner.pyx`
 * (`fast_sentence_sg_neg`, `fast_sentence_cbow_neg`, `..._hs`, `cbow_mean` handling,
 * loss via `LOG_TABLE`).
 *
 * fastText (when `S.subOffsets` is given) runs in the same loop: a word's input rows are its own
 * row and its n-gram bucket rows (`subIds[subOffsets[w] .. subOffsets[w+1])`, row ids into one
 * (V + bucket)-row matrix). Skip-gram (fastText `FastText::skipgram`, gensim
 * `fasttext_fast_sentence_sg_neg`): for every context word, the hidden vector is the sum of the
 * CENTER word's rows divided by its number of n-gram rows (gensim's `norm_factor`; fastText
 * divides by all rows), the target is the context word, and the error is added to every one of
 * those rows. CBOW (`FastText::cbow`, gensim alike): the hidden vector is the mean of all rows of
 * all context words, the target the center word. The job loop, subsampling, window draws and progress are
 * the same code for both (one home: the two used to be separate 300-line copies).
 *
 * IMPORTANT: `w2vKernel` is self-contained (no imports, no outer references): worker threads
 * get it through `Function.prototype.toString()` (see `pool.ts`), so one source serves the
 * main thread (1 worker, bit-reproducible) and Hogwild workers.
 */

/** What the kernel reads/writes; typed arrays are SharedArrayBuffer views with several workers. */
export interface W2VShared {
  ids: Int32Array;
  sentenceStarts: Int32Array;
  /** alias table of unigram^nsExponent (`aliasTable`: [threshold, alias] per word), or length 0 */
  negTable: Int32Array;
  /** keep-thresholds (gensim `sample_int`) */
  sampleInt: Uint32Array;
  /** Huffman codes / points, word w at [codeOffsets[w], codeOffsets[w+1]) */
  codes: Uint8Array;
  points: Int32Array;
  codeOffsets: Int32Array;
  /**
   * Jobs: chunk `c` of an epoch is sentences [chunks[c], chunks[c+1]) (about 10,000 raw words,
   * gensim's job size). Job `j` is chunk `j % C` of epoch `floor(j / C)`.
   */
  chunks: Int32Array;
  /** next[0]: the next job to take (`Atomics.add`, once per job); the array spans a cache line of its own */
  next: Int32Array;
  /** per worker, PROGRESS_SLOTS apart: [rawWords, effectiveWords, lossSum, lossTerms, done] */
  progress: Float64Array;
  /** weights, tables and per-worker scratch (byte offsets in W2VParams) */
  memory: WebAssembly.Memory;
  wasm: WebAssembly.Module;
  /** fastText only: word w's input rows are subIds[subOffsets[w] .. subOffsets[w+1]) (its own id first) */
  subOffsets?: Int32Array;
  subIds?: Int32Array;
  /** fastText only, per word: Σ over its distinct rows of (occurrences in its list)² / (its number of n-gram rows, or 1 when none) */
  subFactor?: Float32Array;
}

export interface W2VParams {
  dim: number;
  /** row stride in floats (dim rounded up to a multiple of 8; the padding stays zero) */
  stride: number;
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
  computeLoss: number; // 0/1
  /** longest sentence (tokens) */
  maxSentence: number;
  seed: number;
  /** byte offsets in memory */
  syn0: number;
  syn1neg: number;
  syn1: number;
  expTable: number;
  logTable: number;
  /**
   * this worker's scratch: work, neu1 (stride floats each), targets (Int32), labels (Float32),
   * contexts (Int32: 2·window word ids; fastText: the rows of a whole window (CBOW) or of one word (SG))
   */
  work: number;
  contexts: number;
  neu1: number;
  targets: number;
  labels: number;
}

/**
 * Stride of a worker's progress counters: 16 doubles = 128 bytes, so two workers' counters never
 * share a cache line (nor an adjacent-line prefetch pair). The kernel repeats the literal.
 */
export const PROGRESS_SLOTS = 16;

export function w2vKernel(S: W2VShared, P: W2VParams, w: number, tick: ((w: number) => void) | null): void {
  const ex = new WebAssembly.Instance(S.wasm, { env: { mem: S.memory } }).exports as unknown as {
    train: (
      inp: number,
      outBase: number,
      tgt: number,
      lab: number,
      cnt: number,
      work: number,
      dim: number,
      alpha: number,
      exp: number,
      logt: number,
      hs: number,
    ) => number;
    addz: (dst: number, src: number, n: number, zero: number) => void;
    scale: (dst: number, s: number, n: number) => void;
    gather_sum: (dst: number, base: number, idx: number, cnt: number, dim: number) => void;
    scatter_add: (base: number, idx: number, cnt: number, src: number, dim: number) => void;
  };
  const gatherSum = ex.gather_sum;
  const scatterAdd = ex.scatter_add;
  const train = ex.train;
  const addz = ex.addz;
  const scale = ex.scale;
  const I32 = new Int32Array(S.memory.buffer);
  const F32 = new Float32Array(S.memory.buffer);
  const ids = S.ids;
  const starts = S.sentenceStarts;
  const negTable = S.negTable;
  // Random index = uint32 × (size / 2^32), truncated: a float multiply. `(rnd >>> 0) % size` was
  // compiled as a float64 modulo (a uint32 by a typed-array length is no int32 division for
  // TurboFan) and that one line took ~47% of a skip-gram run's CPU time (--cpu-prof line ticks).
  // (2^32 − 1) × size / 2^32 stays below size in float64 for any size under 2^31.
  const negScale = negTable.length / 2 / 4294967296;
  const winScale = (P.window | 0) / 4294967296;
  const sampleInt = S.sampleInt;
  const codes = S.codes;
  const points = S.points;
  const codeOff = S.codeOffsets;
  // fastText: the subword rows of every word (absent for word2vec)
  const subwords = S.subOffsets !== undefined ? 1 : 0;
  const subOff = S.subOffsets as Int32Array;
  const subIds = S.subIds as Int32Array;
  const subFactor = S.subFactor as Float32Array;
  const prog = S.progress;
  const chunks = S.chunks;
  const next = S.next;
  const nChunks = chunks.length - 1;
  const jobs = P.epochs * nChunks;
  const epochWords = P.totalWords;
  const Dp = P.stride | 0;
  const rowBytes = Dp * 4;
  const window = P.window | 0;
  const negative = P.negative | 0;
  const hs = P.hs | 0;
  const sg = P.sg | 0;
  const cbowMean = P.cbowMean | 0;
  const sampling = P.sample | 0;
  const computeLoss = P.computeLoss | 0;
  const syn0 = P.syn0 | 0;
  const syn1neg = P.syn1neg | 0;
  const syn1 = P.syn1 | 0;
  const expT = P.expTable | 0;
  const logT = P.logTable | 0;
  const work = P.work | 0;
  const neu1 = P.neu1 | 0;
  const tgt = P.targets | 0;
  const lab = P.labels | 0;
  const tgtI = tgt >> 2;
  const ctx = P.contexts | 0;
  const ctxI = ctx >> 2;
  const labI = lab >> 2;
  const startAlpha = P.alpha;
  const minAlpha = P.minAlpha;
  const totalAll = P.epochs * P.totalWords;
  const slots = 16; // PROGRESS_SLOTS
  const base = w * slots;
  const sen = new Int32Array((P.maxSentence | 0) + 1);
  // xorshift32, seeded per worker
  let rnd = (Math.imul((P.seed | 0) ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(w + 1, 0x85ebca6b)) | 0;
  if (rnd === 0) rnd = 0x2545f491;
  let alpha = startAlpha;
  let rawPending = 0;
  let effPending = 0;
  let lossPending = 0;
  let lossTerms = 0;
  for (let k = 0; k < Dp; k++) F32[(work >> 2) + k] = 0;

  // Jobs are taken from a shared counter (gensim's job queue, without the queue): a worker slowed
  // by another process on the machine simply takes fewer jobs, where fixed halves of the corpus
  // made the run as slow as the slowest worker. One worker takes jobs 0, 1, 2, … in corpus
  // order, so a 1-worker run is exactly reproducible.
  for (;;) {
    const job = Atomics.add(next, 0, 1);
    if (job >= jobs) break;
    const epoch = (job / nChunks) | 0;
    const chunk = job - epoch * nChunks;
    const epochBase = epoch * epochWords;
    const sEnd = chunks[chunk + 1]!;
    for (let s = chunks[chunk]!; s < sEnd; s++) {
      const a = starts[s]!;
      const b = starts[s + 1]!;
      // linear decay by position in the whole run (all epochs), as word2vec.c and gensim; from
      // the position, not from shared counters, so it costs no cross-thread reads
      alpha = startAlpha - ((startAlpha - minAlpha) * (epochBase + a)) / totalAll;
      if (alpha < minAlpha) alpha = minAlpha;
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
        const red = ((rnd >>> 0) * winScale) | 0; // reduced window in [0, window), as word2vec.c's `b`
        let lo = pos - window + red;
        if (lo < 0) lo = 0;
        let hi = pos + window - red + 1;
        if (hi > n) hi = n;
        if (subwords !== 0) {
          if (sg === 0) {
            // CBOW: hidden = mean of the rows of every context word (word + n-grams), target = word
            let cw = 0;
            for (let c = lo; c < hi; c++) {
              if (c === pos) continue;
              const cword = sen[c]!;
              const se = subOff[cword + 1]!;
              for (let q = subOff[cword]!; q < se; q++) I32[ctxI + cw++] = subIds[q]!;
            }
            if (cw === 0) continue;
            gatherSum(neu1, syn0, ctx, cw, Dp);
            if (cbowMean !== 0) scale(neu1, 1 / cw, Dp);
            let nh = 0;
            if (hs !== 0) {
              const ce = codeOff[word + 1]!;
              for (let q = codeOff[word]!; q < ce; q++) {
                I32[tgtI + nh] = points[q]!;
                F32[labI + nh] = 1 - codes[q]!;
                nh++;
              }
              if (nh > 0) {
                const l = train(neu1, syn1, tgt, lab, nh, work, Dp, alpha, expT, logT, 1);
                if (computeLoss !== 0) {
                  lossPending += l;
                  lossTerms += nh;
                }
              }
            }
            if (negative > 0) {
              let m = 0;
              I32[tgtI + nh] = word;
              F32[labI + nh] = 1;
              m++;
              for (let d = 0; d < negative; d++) {
                rnd ^= rnd << 13;
                rnd ^= rnd >>> 17;
                rnd ^= rnd << 5;
                const col = ((rnd >>> 0) * negScale) | 0;
                rnd ^= rnd << 13;
                rnd ^= rnd >>> 17;
                rnd ^= rnd << 5;
                const tw = rnd >>> 0 < negTable[2 * col]! >>> 0 ? col : negTable[2 * col + 1]!;
                if (tw === word) continue;
                I32[tgtI + nh + m] = tw;
                F32[labI + nh + m] = 0;
                m++;
              }
              const l = train(neu1, syn1neg, tgt + nh * 4, lab + nh * 4, m, work, Dp, alpha, expT, logT, 1);
              if (computeLoss !== 0) {
                lossPending += l;
                lossTerms += m;
              }
            }
            // gensim: with a summed context the error is divided over the rows
            if (cbowMean === 0) scale(work, 1 / cw, Dp);
            scatterAdd(syn0, ctx, cw, work, Dp);
            for (let k = 0; k < Dp; k++) F32[(work >> 2) + k] = 0;
            continue;
          }
          // skip-gram: the center word's rows, once per center word
          let cw = 0;
          const se = subOff[word + 1]!;
          for (let q = subOff[word]!; q < se; q++) I32[ctxI + cw++] = subIds[q]!;
          // hidden = the center word's rows summed and divided by its number of N-GRAM rows,
          // cw − 1 (its own row when it has none), as gensim 4.2 does (`norm_factor = 1 /
          // subwords_len` in `fasttext_fast_sentence_sg_neg/_hs`, where `subwords_len` counts the
          // word's n-gram buckets only) — not the mean over all cw rows of fastText's
          // `computeHidden`. That makes the hidden vector (cw)/(cw − 1) times the mean: 1.06× for
          // a typical 6-letter word, 1.17× for "the", 2× for "a"; at 1 epoch on 1 M tokens the mean
          // trailed gensim by 0.62 analogy points (3 vs 5 seeds); following gensim: −0.10 (README).
          // gensim and fastText recompute the hidden vector for every context word, after the
          // update of the one before added the error `work` to each row once per occurrence in the
          // list; that moves it by exactly f·work with f = Σ_rows (occurrences²) / (cw − 1)
          // (precomputed per word in `subFactor`), so the kernel adds f·work instead of gathering
          // all rows again (same arithmetic up to float rounding, half the memory traffic).
          const f = subFactor[word]!;
          gatherSum(neu1, syn0, ctx, cw, Dp);
          if (cw > 1) scale(neu1, 1 / (cw - 1), Dp);
          for (let c = lo; c < hi; c++) {
            if (c === pos) continue;
            const target = sen[c]!;
            let nh = 0;
            if (hs !== 0) {
              const ce = codeOff[target + 1]!;
              for (let q = codeOff[target]!; q < ce; q++) {
                I32[tgtI + nh] = points[q]!;
                F32[labI + nh] = 1 - codes[q]!;
                nh++;
              }
              if (nh > 0) {
                const l = train(neu1, syn1, tgt, lab, nh, work, Dp, alpha, expT, logT, 1);
                if (computeLoss !== 0) {
                  lossPending += l;
                  lossTerms += nh;
                }
              }
            }
            if (negative > 0) {
              let m = 0;
              I32[tgtI + nh] = target;
              F32[labI + nh] = 1;
              m++;
              for (let d = 0; d < negative; d++) {
                rnd ^= rnd << 13;
                rnd ^= rnd >>> 17;
                rnd ^= rnd << 5;
                const col = ((rnd >>> 0) * negScale) | 0;
                rnd ^= rnd << 13;
                rnd ^= rnd >>> 17;
                rnd ^= rnd << 5;
                const tw = rnd >>> 0 < negTable[2 * col]! >>> 0 ? col : negTable[2 * col + 1]!;
                if (tw === target) continue;
                I32[tgtI + nh + m] = tw;
                F32[labI + nh + m] = 0;
                m++;
              }
              const l = train(neu1, syn1neg, tgt + nh * 4, lab + nh * 4, m, work, Dp, alpha, expT, logT, 1);
              if (computeLoss !== 0) {
                lossPending += l;
                lossTerms += m;
              }
            }
            scatterAdd(syn0, ctx, cw, work, Dp);
            if (f !== 1) scale(work, f, Dp);
            addz(neu1, work, Dp, 1); // neu1 += f·work; work = 0
          }
          continue;
        }
        // word2vec: targets of this word: Huffman path (hs) and/or word + negatives (ns)
        let nh = 0;
        if (hs !== 0) {
          const ce = codeOff[word + 1]!;
          for (let q = codeOff[word]!; q < ce; q++) {
            I32[tgtI + nh] = points[q]!;
            F32[labI + nh] = 1 - codes[q]!;
            nh++;
          }
        }
        const rounds = sg !== 0 ? hi - lo - 1 : 1;
        let cw = 0;
        let inp = neu1;
        if (sg === 0) {
          // CBOW input: sum (or mean) of the context rows (one wasm call)
          for (let c = lo; c < hi; c++) if (c !== pos) I32[ctxI + cw++] = sen[c]!;
          if (cw === 0) continue;
          gatherSum(neu1, syn0, ctx, cw, Dp);
          if (cbowMean !== 0) scale(neu1, 1 / cw, Dp);
        }
        let c = lo;
        for (let r = 0; r < rounds; r++) {
          if (sg !== 0) {
            if (c === pos) c++;
            inp = syn0 + sen[c]! * rowBytes;
          }
          if (hs !== 0 && nh > 0) {
            const l = train(inp, syn1, tgt, lab, nh, work, Dp, alpha, expT, logT, 1);
            if (computeLoss !== 0) {
              lossPending += l;
              lossTerms += nh;
            }
          }
          if (negative > 0) {
            let m = 0;
            I32[tgtI + nh] = word;
            F32[labI + nh] = 1;
            m++;
            for (let d = 0; d < negative; d++) {
              rnd ^= rnd << 13;
              rnd ^= rnd >>> 17;
              rnd ^= rnd << 5;
              // alias method: a uniform column, then a coin against its threshold
              const col = ((rnd >>> 0) * negScale) | 0;
              rnd ^= rnd << 13;
              rnd ^= rnd >>> 17;
              rnd ^= rnd << 5;
              const tw = rnd >>> 0 < negTable[2 * col]! >>> 0 ? col : negTable[2 * col + 1]!;
              if (tw === word) continue;
              I32[tgtI + nh + m] = tw;
              F32[labI + nh + m] = 0;
              m++;
            }
            // last argument 1: skip predictions with |f| >= 6 as gensim 4 does (word2vec.c clamps)
            const l = train(inp, syn1neg, tgt + nh * 4, lab + nh * 4, m, work, Dp, alpha, expT, logT, 1);
            if (computeLoss !== 0) {
              lossPending += l;
              lossTerms += m;
            }
          }
          if (sg !== 0) {
            addz(inp, work, Dp, 1); // syn0[context] += work; work = 0
            c++;
          }
        }
        if (sg === 0) {
          // gensim: with a summed context the error is divided over the window words
          if (cbowMean === 0) scale(work, 1 / cw, Dp);
          scatterAdd(syn0, ctx, cw, work, Dp);
          for (let k = 0; k < Dp; k++) F32[(work >> 2) + k] = 0;
        }
      }
    }
    // flush this worker's counters once per job (inline, not a closure: captured mutable locals
    // would live in a context object and slow every access in the hot loop)
    prog[base] = prog[base]! + rawPending;
    prog[base + 1] = prog[base + 1]! + effPending;
    prog[base + 2] = prog[base + 2]! + lossPending;
    prog[base + 3] = prog[base + 3]! + lossTerms;
    rawPending = 0;
    effPending = 0;
    lossPending = 0;
    lossTerms = 0;
    if (tick !== null) tick(w);
  }
  prog[base + 4] = 1;
}
