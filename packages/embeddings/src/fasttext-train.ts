/**
 * fastText training (skip-gram and CBOW with character n-grams), on word2vec's machinery:
 * the same job queue, worker threads / Web Workers (Hogwild), WebAssembly SIMD kernel,
 * gensim's subsampling thresholds and exact negative sampling; and continued training with
 * gensim's `build_vocab(update=True)` + `train` semantics.
 *
 * References: Bojanowski et al. 2017; fastText 0.9.2 `fasttext.cc` (`skipgram`, `cbow`),
 * `model.cc` (`Model::update`); gensim 4.2 `models/fasttext.py`, `fasttext_inner.pyx`.
 */
import { encodeCorpus, readSentences, type CorpusSource, type EncodedCorpus, type Vocab } from './corpus.js';
import { EOS, FastTextKeyedVectors, ngramHashes } from './fasttext.js';
import type { FastTextArgs } from './fasttext-format.js';
import { huffmanTree, sigmoidTables, type TrainProgress } from './word2vec.js';
import {
  checkInt,
  checkRunSettings,
  isEncoded,
  prepareRun,
  runPrepared,
  unpadRows,
  type RunSettings,
} from './internal/driver.js';
import { fillUniformRows } from './internal/util.js';
import { encodeUpdate } from './internal/update-vocab.js';

/** Options of {@link trainFastText} (gensim's `FastText` names and defaults). */
export interface FastTextOptions {
  /** @default 100 — gensim. */
  vectorSize?: number;
  /** @default 5 */
  window?: number;
  /** @default 5 */
  minCount?: number;
  /** @default undefined — no limit. */
  maxVocabSize?: number;
  /** Subsampling threshold (gensim's thresholds; 0 disables). @default 1e-3 — gensim (fastText's `-t` is 1e-4 with another formula). */
  sample?: number;
  /** Skip-gram (`true`) or CBOW. @default false — gensim's default (CBOW). */
  sg?: boolean;
  /** Hierarchical softmax (word2vec.c's Huffman tree). @default false */
  hs?: boolean;
  /** @default 5 */
  negative?: number;
  /** @default 0.75 — gensim (fastText uses 0.5). */
  nsExponent?: number;
  /** @default true */
  cbowMean?: boolean;
  /** @default 0.025 — gensim (fastText's `-lr` is 0.05). */
  alpha?: number;
  /** @default 0.0001 */
  minAlpha?: number;
  /** @default 5 */
  epochs?: number;
  /** @default 3 */
  minn?: number;
  /** `maxn < minn` (e.g. 0) trains without n-grams (plain word2vec with fastText's init). @default 6 */
  maxn?: number;
  /** @default 2000000 */
  bucket?: number;
  /**
   * Applied to every corpus token before counting (and kept in the returned vectors, which
   * apply it to looked-up words): e.g. a Hangul→jamo decomposition from `@wordloom/tokenizer`.
   * Not allowed with an {@link EncodedCorpus} (already counted).
   */
  wordTransform?: (word: string) => string;
  /** Hogwild threads; only 1 is bit-reproducible. @default 1 */
  workers?: number;
  /** @default 1 */
  seed?: number;
  /** @default true */
  computeLoss?: boolean;
  onProgress?: (p: TrainProgress) => void;
  /** @default 1000 */
  progressEveryMs?: number;
  /** Stops after the job under way; the promise rejects with `signal.reason` (see trainWord2Vec). */
  signal?: AbortSignal;
  /** @default false */
  lowercase?: boolean;
  /** @default 10000 */
  maxSentenceLength?: number;
}

/** Result of {@link trainFastText} / {@link continueFastText}. */
export interface FastTextResult {
  wv: FastTextKeyedVectors;
  vocab: Vocab;
  /** The arguments to record in a `.bin` (`writeFastTextBin(res.wv, res)`). */
  args: FastTextArgs;
  counts: Float64Array;
  ntokens: number;
  /** Negative-sampling output rows (V×D), when `negative > 0`. */
  syn1neg: Float32Array | undefined;
  /** Hierarchical-softmax inner nodes ((V−1)×D), when `hs`. */
  syn1: Float32Array | undefined;
  /** The output matrix fastText's `.bin` stores: `syn1neg`, else `syn1` padded to V rows. */
  output: Float32Array;
  /** The options used (continued training reuses them). */
  options: Readonly<Required<Omit<FastTextOptions, 'onProgress' | 'signal' | 'maxVocabSize' | 'wordTransform'>>> & {
    wordTransform: ((w: string) => string) | undefined;
  };
  stats: { rawWords: number; effectiveWords: number; seconds: number; wordsPerSec: number; loss: number };
}

type Resolved = FastTextResult['options'];

function resolve(fn: string, opts: FastTextOptions): Resolved {
  const o: Resolved = {
    vectorSize: opts.vectorSize ?? 100,
    window: opts.window ?? 5,
    minCount: opts.minCount ?? 5,
    sample: opts.sample ?? 1e-3,
    sg: opts.sg ?? false,
    hs: opts.hs ?? false,
    negative: opts.negative ?? 5,
    nsExponent: opts.nsExponent ?? 0.75,
    cbowMean: opts.cbowMean ?? true,
    alpha: opts.alpha ?? 0.025,
    minAlpha: opts.minAlpha ?? 0.0001,
    epochs: opts.epochs ?? 5,
    minn: opts.minn ?? 3,
    maxn: opts.maxn ?? 6,
    bucket: opts.bucket ?? 2_000_000,
    workers: opts.workers ?? 1,
    seed: opts.seed ?? 1,
    computeLoss: opts.computeLoss ?? true,
    progressEveryMs: opts.progressEveryMs ?? 1000,
    lowercase: opts.lowercase ?? false,
    maxSentenceLength: opts.maxSentenceLength ?? 10000,
    wordTransform: opts.wordTransform,
  };
  checkRunSettings(fn, o);
  checkInt(fn, 'minn', o.minn, 1);
  checkInt(fn, 'maxn', o.maxn, 0);
  checkInt(fn, 'bucket', o.bucket, 0);
  return o;
}

async function* transformed(
  source: CorpusSource,
  lowercase: boolean,
  f: (w: string) => string,
): AsyncGenerator<string[]> {
  for await (const s of readSentences(source, { lowercase })) yield s.map(f);
}

/**
 * Trains fastText vectors (words + character n-grams) on a corpus.
 * @throws on an empty corpus, when every word is under `minCount`, on bad options.
 */
export async function trainFastText(
  corpus: CorpusSource | EncodedCorpus,
  opts: FastTextOptions = {},
): Promise<FastTextResult> {
  const fn = 'trainFastText';
  const o = resolve(fn, opts);
  opts.signal?.throwIfAborted();
  let enc: EncodedCorpus;
  if (isEncoded(corpus)) {
    if (o.wordTransform !== undefined) {
      throw new Error(`${fn}: wordTransform cannot apply to an EncodedCorpus (already counted); pass the sentences`);
    }
    enc = corpus;
  } else {
    const src = o.wordTransform === undefined ? corpus : transformed(corpus, o.lowercase, o.wordTransform);
    enc = await encodeCorpus(src, {
      minCount: o.minCount,
      maxVocabSize: opts.maxVocabSize,
      lowercase: o.wordTransform === undefined ? o.lowercase : false,
      maxSentenceLength: o.maxSentenceLength,
    });
  }
  return run(fn, enc, o, opts, undefined);
}

/** Options of {@link continueFastText}: the new run's epochs, rates, threads, progress. */
export interface ContinueOptions {
  /** @default the first run's */
  epochs?: number;
  /** @default the first run's (gensim restarts the decay from `alpha` on every `train`) */
  alpha?: number;
  /** @default the first run's */
  minAlpha?: number;
  /** Words new to the model need this many occurrences IN THE NEW TEXT. @default the first run's */
  minCount?: number;
  /** Add new words to the vocabulary (`false`: only known words train, new ones get their n-gram vectors). @default true — gensim's `update=True` */
  addWords?: boolean;
  workers?: number;
  seed?: number;
  onProgress?: (p: TrainProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

/**
 * Continues training a fastText model on new text, as gensim's
 * `model.build_vocab(new, update=True); model.train(new, total_examples=…, epochs=model.epochs)`:
 * known words keep their ids and rows, their counts grow by their new counts; words new to the
 * model that reach `minCount` in the new text are appended with fresh random rows (zero output
 * rows); the n-gram rows carry on; the learning rate decays again from `alpha` to `minAlpha`
 * over the new text's words × epochs. The previous result is not modified.
 * @throws with hierarchical softmax (the Huffman tree would change under the old inner-node rows).
 */
export async function continueFastText(
  prev: FastTextResult,
  corpus: CorpusSource,
  opts: ContinueOptions = {},
): Promise<FastTextResult & { newWords: number }> {
  const fn = 'continueFastText';
  if (prev.options.hs) throw new Error(`${fn}: continued training with hierarchical softmax is not supported`);
  const o = resolve(fn, {
    ...prev.options,
    epochs: opts.epochs ?? prev.options.epochs,
    alpha: opts.alpha ?? prev.options.alpha,
    minAlpha: opts.minAlpha ?? prev.options.minAlpha,
    minCount: opts.minCount ?? prev.options.minCount,
    workers: opts.workers ?? prev.options.workers,
    seed: opts.seed ?? prev.options.seed,
    progressEveryMs: opts.progressEveryMs ?? prev.options.progressEveryMs,
  });
  opts.signal?.throwIfAborted();
  const enc = await encodeUpdate(fn, { words: prev.vocab.words, counts: prev.counts }, corpus, {
    minCount: (opts.addWords ?? true) ? o.minCount : Number.MAX_SAFE_INTEGER,
    maxSentenceLength: o.maxSentenceLength,
    lowercase: o.lowercase,
    wordTransform: o.wordTransform,
  });
  const res = await run(fn, enc, o, opts, prev);
  res.ntokens = prev.ntokens + enc.rawTokens;
  return { ...res, newWords: enc.newWords };
}

async function run(
  fn: string,
  enc: EncodedCorpus,
  o: Resolved,
  cb: { onProgress?: (p: TrainProgress) => void; signal?: AbortSignal },
  prev: FastTextResult | undefined,
): Promise<FastTextResult> {
  const D = o.vectorSize;
  const { window, negative, hs, sg, epochs, workers, alpha, minAlpha, sample, seed } = o;
  const { vocab } = enc;
  const V = vocab.size;
  const bucket = o.maxn >= o.minn ? o.bucket : 0;

  // subword rows of every word: its own row, then V + bucket of each n-gram (fastText order)
  const subOffsets = new Int32Array(V + 1);
  const subList: Int32Array[] = new Array(V);
  let total = 0;
  let maxSub = 1;
  for (let w = 0; w < V; w++) {
    const word = vocab.words[w]!;
    const h = word === EOS || bucket === 0 ? new Int32Array(0) : ngramHashes(word, o.minn, o.maxn, bucket);
    subList[w] = h;
    total += 1 + h.length;
    maxSub = Math.max(maxSub, 1 + h.length);
  }
  const subIds = new Int32Array(total);
  const subFactor = new Float32Array(V);
  for (let w = 0, p = 0; w < V; w++) {
    subOffsets[w] = p;
    subIds[p++] = w;
    const h = subList[w]!;
    for (let i = 0; i < h.length; i++) subIds[p++] = V + h[i]!;
    subOffsets[w + 1] = p;
    // repeated rows (an n-gram twice in a word, e.g. "ana" in "banana", or a bucket collision)
    const occ = new Map<number, number>();
    for (let i = 0; i < h.length; i++) occ.set(h[i]!, (occ.get(h[i]!) ?? 0) + 1);
    let sq = 1;
    for (const k of occ.values()) sq += k * k;
    // skip-gram's hidden vector is the rows' sum over the n-gram count (gensim; see w2v-kernel.ts)
    subFactor[w] = sq / Math.max(1, h.length);
  }

  const tree = hs
    ? huffmanTree(vocab.counts)
    : { codes: new Uint8Array(0), points: new Int32Array(0), codeOffsets: new Int32Array(V + 1) };
  const settings: RunSettings = {
    vectorSize: D,
    window,
    negative,
    hs,
    sg,
    cbowMean: o.cbowMean,
    sample,
    nsExponent: o.nsExponent,
    alpha,
    minAlpha,
    epochs,
    workers,
    computeLoss: o.computeLoss,
    kernelSeed: seed + (prev === undefined ? 0 : 7919),
  };
  const prep = prepareRun(fn, enc, settings, {
    inputRows: V + bucket,
    // the rows of a whole window (CBOW) or of one word (skip-gram)
    contextInts: sg ? maxSub : 2 * window * maxSub,
    tree,
    tables: sigmoidTables(),
    tooBig: (gib) =>
      `(vocabulary ${V} + bucket ${bucket}) × vectorSize ${D} needs ${gib} GiB, over WebAssembly's 4 GiB; lower bucket`,
    subwords: { subOffsets, subIds, subFactor },
  });
  const { F32, stride: Dp, memory } = prep;
  // init: uniform(-1/D, 1/D) for word and n-gram rows, as fastText and gensim's FastText
  const initSeed = seed + (prev === undefined ? 0 : 0x51ed);
  const base = prep.syn0 / 4;
  const prevV = prev === undefined ? 0 : prev.vocab.size;
  if (prev !== undefined) {
    if (prev.wv.dim !== D || prev.wv.bucket !== bucket) throw new Error(`${fn}: the previous model's shape differs`);
    for (let i = 0; i < prevV; i++) F32.set(prev.wv.vectorsVocab.subarray(i * D, (i + 1) * D), base + i * Dp);
    fillUniformRows(F32, base + prevV * Dp, V - prevV, D, Dp, initSeed, 2, D);
    for (let b = 0; b < bucket; b++) F32.set(prev.wv.vectorsNgrams.subarray(b * D, (b + 1) * D), base + (V + b) * Dp);
    if (negative > 0 && prev.syn1neg !== undefined) {
      for (let i = 0; i < prevV; i++) F32.set(prev.syn1neg.subarray(i * D, (i + 1) * D), prep.syn1neg / 4 + i * Dp);
    }
  } else {
    fillUniformRows(F32, base, V + bucket, D, Dp, initSeed, 2, D);
  }

  const t = await runPrepared(fn, prep, settings, { ...cb, progressEveryMs: o.progressEveryMs });
  const syn1neg = negative > 0 ? unpadRows(prep, prep.syn1neg, V, D) : undefined;
  const syn1 = hs ? unpadRows(prep, prep.syn1, Math.max(0, V - 1), D) : undefined;
  const vectorsVocab = unpadRows(prep, prep.syn0, V, D);
  // The n-gram rows (most of the memory: 2 M buckets × 100-d = 800 MB) are not copied: they are
  // packed in place to `dim` floats a row at the start of the weights (row b moves from
  // (V + b)·stride down to b·dim, in increasing b, so no row is overwritten before it moves) and
  // returned as a view of the kernel's memory, which the result then keeps alive.
  for (let b = 0; b < bucket; b++) {
    const from = base + (V + b) * Dp;
    F32.copyWithin(base + b * D, from, from + D);
  }
  const vectorsNgrams = new Float32Array(memory.buffer, prep.syn0, bucket * D);
  const wv = new FastTextKeyedVectors({
    words: vocab.words,
    vectorsVocab,
    vectorsNgrams,
    dim: D,
    minn: o.minn,
    maxn: o.maxn,
    counts: vocab.counts,
    wordTransform: o.wordTransform,
  });
  let output: Float32Array;
  if (syn1neg !== undefined) output = syn1neg;
  else {
    output = new Float32Array(V * D);
    output.set(syn1!);
  }
  return {
    wv,
    vocab,
    args: {
      dim: D,
      ws: window,
      epoch: epochs,
      minCount: o.minCount,
      neg: negative,
      wordNgrams: 1,
      loss: syn1neg !== undefined ? 'ns' : 'hs',
      model: sg ? 'skipgram' : 'cbow',
      bucket,
      minn: o.minn,
      maxn: o.maxn,
      lrUpdateRate: 100,
      t: sample,
    },
    counts: vocab.counts,
    ntokens: enc.rawTokens,
    syn1neg,
    syn1,
    output,
    options: o,
    stats: {
      rawWords: t.rawWords,
      effectiveWords: t.effectiveWords,
      seconds: t.seconds,
      wordsPerSec: t.effectiveWords / t.seconds,
      loss: t.lossTerms > 0 ? t.loss / t.lossTerms : NaN,
    },
  };
}
