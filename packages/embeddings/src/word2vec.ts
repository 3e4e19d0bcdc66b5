/**
 * word2vec training: skip-gram and CBOW with negative sampling and/or hierarchical softmax.
 *
 * References: Mikolov et al. 2013 ("Efficient Estimation of Word Representations in Vector
 * Space"; "Distributed Representations of Words and Phrases and their Compositionality");
 * word2vec.c (`InitUnigramTable`, `CreateBinaryTree`, `expTable`, `TrainModelThread`);
 * gensim 4.2 `Word2Vec` (option names and defaults, subsampling, `cbow_mean`).
 */
import { encodeCorpus, negativeCumTable, type CorpusSource, type EncodedCorpus, type Vocab } from './corpus.js';
import { KeyedVectors } from './keyed-vectors.js';
import {
  checkRunSettings,
  isEncoded,
  prepareRun,
  runPrepared,
  unpadRows,
  type RunSettings,
} from './internal/driver.js';
import { fillUniformRows } from './internal/util.js';
import { encodeUpdate } from './internal/update-vocab.js';

/** Progress report, delivered about every `progressEveryMs`. */
export interface TrainProgress {
  /** Fraction of all epochs' words done, 0..1. */
  progress: number;
  /** Current epoch (0-based, approximate with several workers). */
  epoch: number;
  /** Raw corpus words processed so far (all epochs). */
  words: number;
  /** Words kept after subsampling, so far. */
  effectiveWords: number;
  /** Effective (post-subsampling) words per second since the start. */
  wordsPerSec: number;
  /** Estimated seconds left. */
  etaSeconds: number;
  /** Mean loss per prediction (−log σ terms) since the last report; NaN if `computeLoss` is off. */
  loss: number;
  /** Current learning rate. */
  alpha: number;
}

/** Options of {@link trainWord2Vec} (gensim's names and defaults). */
export interface Word2VecOptions {
  /** @default 100 — gensim's default. */
  vectorSize?: number;
  /** Maximum distance between the current and a predicted word (a smaller one is drawn per word). @default 5 — gensim. */
  window?: number;
  /** @default 5 — gensim; passed to the vocabulary builder. */
  minCount?: number;
  /** @default undefined — no limit. */
  maxVocabSize?: number;
  /** Subsampling threshold of frequent words (0 disables). @default 1e-3 — gensim. */
  sample?: number;
  /** Skip-gram (`true`) or CBOW (`false`). @default false — gensim's default is CBOW. */
  sg?: boolean;
  /** Use hierarchical softmax. @default false — gensim. */
  hs?: boolean;
  /** Negative samples per prediction (0 disables negative sampling). @default 5 — gensim. */
  negative?: number;
  /** Exponent of the negative-sampling distribution. @default 0.75 — Mikolov et al. */
  nsExponent?: number;
  /** CBOW: mean (`true`) or sum (`false`) of the context vectors. @default true — gensim. */
  cbowMean?: boolean;
  /** Initial learning rate. @default 0.025 — gensim. */
  alpha?: number;
  /** Final learning rate (linear decay over all epochs). @default 0.0001 — gensim. */
  minAlpha?: number;
  /** @default 5 — gensim. */
  epochs?: number;
  /**
   * Worker threads (Hogwild). Only `workers: 1` is bit-reproducible for a given seed (it runs
   * on the calling thread); more workers race on the shared weights, as word2vec.c and gensim do.
   * @default 1 — reproducible by default.
   */
  workers?: number;
  /** @default 1 — gensim's default seed. */
  seed?: number;
  /** Track the loss (a table lookup per prediction, a few % slower). @default true */
  computeLoss?: boolean;
  /** Called about every `progressEveryMs`. */
  onProgress?: (p: TrainProgress) => void;
  /** @default 1000 */
  progressEveryMs?: number;
  /**
   * Stops training at the end of the job under way (about 10,000 words) once aborted; the
   * promise then rejects with `signal.reason` (an `AbortError` DOMException unless `abort()`
   * was given one). With `workers > 1` the calling thread is free while the workers train, so
   * a timer, a button or a SIGINT handler can abort; with `workers: 1` training runs on the
   * calling thread and only `onProgress` (or another thread) can.
   */
  signal?: AbortSignal;
  /** Lower-case tokens while reading (only when a source, not an EncodedCorpus, is given). @default false */
  lowercase?: boolean;
  /** @default 10000 — gensim's MAX_WORDS_IN_BATCH */
  maxSentenceLength?: number;
}

/** Result of {@link trainWord2Vec}. */
export interface Word2VecResult {
  /** The input vectors (gensim `wv`). */
  wv: KeyedVectors;
  vocab: Vocab;
  /** Negative-sampling output weights (V×D), when `negative > 0`. */
  syn1neg: Float32Array | undefined;
  /** Hierarchical-softmax inner-node weights ((V−1)×D), when `hs`. */
  syn1: Float32Array | undefined;
  /** The options of the run (without callbacks), which {@link continueWord2Vec} reuses. */
  options: Omit<Word2VecOptions, 'onProgress' | 'signal'>;
  stats: {
    rawWords: number;
    effectiveWords: number;
    seconds: number;
    /** effective words per second (as gensim reports) */
    wordsPerSec: number;
    /** mean loss per prediction over the whole run (NaN if `computeLoss` is off) */
    loss: number;
  };
}

const MAX_EXP = 6;
const EXP_TABLE_SIZE = 1000;

/** word2vec.c's sigmoid table (and gensim's LOG_TABLE of its logs); EXP_TABLE_SIZE+1 entries. */
export function sigmoidTables(): { expTable: Float32Array; logTable: Float32Array } {
  const expTable = new Float32Array(EXP_TABLE_SIZE + 1);
  const logTable = new Float32Array(EXP_TABLE_SIZE + 1);
  for (let i = 0; i <= EXP_TABLE_SIZE; i++) {
    const e = Math.exp(((i / EXP_TABLE_SIZE) * 2 - 1) * MAX_EXP);
    expTable[i] = e / (e + 1);
    logTable[i] = Math.log(expTable[i]!);
  }
  return { expTable, logTable };
}

/**
 * Huffman tree over frequency-sorted counts, exactly as word2vec.c `CreateBinaryTree`:
 * word `w` has code bits `codes[codeOffsets[w] .. codeOffsets[w+1])` and inner-node ids
 * (rows of syn1, 0..V−2) `points[...]` along its path from the root.
 */
export function huffmanTree(counts: ArrayLike<number>): {
  codes: Uint8Array;
  points: Int32Array;
  codeOffsets: Int32Array;
} {
  const V = counts.length;
  const codeOffsets = new Int32Array(V + 1);
  if (V < 2) return { codes: new Uint8Array(0), points: new Int32Array(0), codeOffsets };
  const count = new Float64Array(2 * V - 1);
  const binary = new Uint8Array(2 * V - 1);
  const parent = new Int32Array(2 * V - 1);
  for (let i = 0; i < V; i++) count[i] = counts[i]!;
  for (let i = V; i < 2 * V - 1; i++) count[i] = 1e15;
  let pos1 = V - 1;
  let pos2 = V;
  for (let a = 0; a < V - 1; a++) {
    let min1: number;
    let min2: number;
    if (pos1 >= 0 && count[pos1]! < count[pos2]!) min1 = pos1--;
    else min1 = pos2++;
    if (pos1 >= 0 && count[pos1]! < count[pos2]!) min2 = pos1--;
    else min2 = pos2++;
    count[V + a] = count[min1]! + count[min2]!;
    parent[min1] = V + a;
    parent[min2] = V + a;
    binary[min2] = 1;
  }
  const root = 2 * V - 2;
  const lens = new Int32Array(V);
  let total = 0;
  for (let a = 0; a < V; a++) {
    let b = a;
    let i = 0;
    while (b !== root) {
      i++;
      b = parent[b]!;
    }
    lens[a] = i;
    total += i;
  }
  const codes = new Uint8Array(total);
  const points = new Int32Array(total);
  let off = 0;
  for (let a = 0; a < V; a++) {
    codeOffsets[a] = off;
    const L = lens[a]!;
    // walk leaf→root, write root→leaf
    let b = a;
    for (let i = L - 1; i >= 0; i--) {
      codes[off + i] = binary[b]!;
      b = parent[b]!;
      points[off + i] = b - V; // inner node above the bit
    }
    off += L;
  }
  codeOffsets[V] = off;
  return { codes, points, codeOffsets };
}

/** word2vec.c's unigram table: `size` word ids, word i filling a share ∝ count^e. */
export function unigramTable(counts: ArrayLike<number>, nsExponent: number, size: number): Int32Array {
  const cum = negativeCumTable(counts, nsExponent);
  const V = counts.length;
  const table = new Int32Array(size);
  const last = cum[V - 1]!;
  let w = 0;
  for (let a = 0; a < size; a++) {
    const r = ((a + 0.5) / size) * last;
    while (w < V - 1 && cum[w]! <= r) w++;
    table[a] = w;
  }
  return table;
}

/**
 * Trains word2vec on a corpus (a file path, `.gz`, an iterable of sentences, or an
 * {@link EncodedCorpus} from {@link encodeCorpus}).
 * @throws on an empty corpus, when every word is under `minCount`, on bad options.
 */
export async function trainWord2Vec(
  corpus: CorpusSource | EncodedCorpus,
  opts: Word2VecOptions = {},
): Promise<Word2VecResult> {
  return train('trainWord2Vec', corpus, opts, undefined);
}

/** Options of {@link continueWord2Vec}: the new run's; the rest come from the first run. */
export interface ContinueWord2VecOptions {
  /** @default the first run's */
  epochs?: number;
  /** @default the first run's (gensim restarts the decay from `alpha` on every `train`) */
  alpha?: number;
  /** @default the first run's */
  minAlpha?: number;
  /** Words new to the model need this many occurrences IN THE NEW TEXT. @default the first run's */
  minCount?: number;
  /** Add new words (`false`: only known words train). @default true — gensim's `update=True` */
  addWords?: boolean;
  workers?: number;
  seed?: number;
  onProgress?: (p: TrainProgress) => void;
  progressEveryMs?: number;
  signal?: AbortSignal;
}

/**
 * Continues training word2vec on new text, as gensim's
 * `model.build_vocab(new, update=True); model.train(new, total_examples=…, epochs=model.epochs)`:
 * known words keep their ids and rows and their counts grow by their new counts (subsampling and
 * negatives use the sums); words new to the model that reach `minCount` in the new text are
 * appended with fresh random rows (zero output rows); the learning rate decays again from
 * `alpha` to `minAlpha` over the new text. `prev` is not modified.
 * @throws with hierarchical softmax (the Huffman tree would change under the old inner-node rows).
 */
export async function continueWord2Vec(
  prev: Word2VecResult,
  corpus: CorpusSource,
  opts: ContinueWord2VecOptions = {},
): Promise<Word2VecResult & { newWords: number }> {
  const fn = 'continueWord2Vec';
  const po = prev.options;
  if (po.hs === true) throw new Error(`${fn}: continued training with hierarchical softmax is not supported`);
  const o: Word2VecOptions = {
    ...po,
    epochs: opts.epochs ?? po.epochs,
    alpha: opts.alpha ?? po.alpha,
    minAlpha: opts.minAlpha ?? po.minAlpha,
    workers: opts.workers ?? po.workers,
    seed: opts.seed ?? po.seed,
    onProgress: opts.onProgress,
    progressEveryMs: opts.progressEveryMs ?? po.progressEveryMs,
    signal: opts.signal,
  };
  opts.signal?.throwIfAborted();
  const enc = await encodeUpdate(fn, { words: prev.vocab.words, counts: prev.vocab.counts }, corpus, {
    minCount: (opts.addWords ?? true) ? (opts.minCount ?? po.minCount ?? 5) : Number.MAX_SAFE_INTEGER,
    maxSentenceLength: po.maxSentenceLength ?? 10000,
    lowercase: po.lowercase,
  });
  const res = await train(fn, enc, o, prev);
  return { ...res, newWords: enc.newWords };
}

async function train(
  fn: string,
  corpus: CorpusSource | EncodedCorpus,
  opts: Word2VecOptions,
  prev: Word2VecResult | undefined,
): Promise<Word2VecResult> {
  const D = opts.vectorSize ?? 100;
  const window = opts.window ?? 5;
  const negative = opts.negative ?? 5;
  const hs = opts.hs ?? false;
  const sg = opts.sg ?? false;
  const epochs = opts.epochs ?? 5;
  const workers = opts.workers ?? 1;
  const alpha = opts.alpha ?? 0.025;
  const minAlpha = opts.minAlpha ?? 0.0001;
  const sample = opts.sample ?? 1e-3;
  const seed = opts.seed ?? 1;
  checkRunSettings(fn, { vectorSize: D, window, negative, hs, epochs, workers, alpha, minAlpha, sample });
  opts.signal?.throwIfAborted();

  const enc = isEncoded(corpus)
    ? corpus
    : await encodeCorpus(corpus, {
        minCount: opts.minCount ?? 5,
        maxVocabSize: opts.maxVocabSize,
        lowercase: opts.lowercase,
        maxSentenceLength: opts.maxSentenceLength,
      });
  const { vocab } = enc;
  const V = vocab.size;
  const settings: RunSettings = {
    vectorSize: D,
    window,
    negative,
    hs,
    sg,
    cbowMean: opts.cbowMean ?? true,
    sample,
    nsExponent: opts.nsExponent ?? 0.75,
    alpha,
    minAlpha,
    epochs,
    workers,
    computeLoss: opts.computeLoss ?? true,
    kernelSeed: prev === undefined ? seed : seed + 7919,
  };
  const tree = hs
    ? huffmanTree(vocab.counts)
    : { codes: new Uint8Array(0), points: new Int32Array(0), codeOffsets: new Int32Array(V + 1) };
  const p = prepareRun(fn, enc, settings, {
    inputRows: V,
    contextInts: 2 * window,
    tree,
    tables: sigmoidTables(),
    tooBig: (gib) => `vocabulary ${V} × vectorSize ${D} needs ${gib} GiB of weights, over WebAssembly's 4 GiB`,
  });
  const { F32, stride: Dp } = p;
  // init: uniform(-0.5/D, 0.5/D) as gensim/word2vec.c; output layers zero
  // (continued training: the old rows as they were, fresh ones for new words from another stream)
  const prevV = prev === undefined ? 0 : prev.vocab.size;
  if (prev !== undefined) {
    if (prev.wv.dim !== D) throw new Error(`${fn}: the previous model has dim ${prev.wv.dim}, not ${D}`);
    for (let i = 0; i < prevV; i++) F32.set(prev.wv.vectors.subarray(i * D, (i + 1) * D), p.syn0 / 4 + i * Dp);
    if (negative > 0 && prev.syn1neg !== undefined) {
      for (let i = 0; i < prevV; i++) F32.set(prev.syn1neg.subarray(i * D, (i + 1) * D), p.syn1neg / 4 + i * Dp);
    }
  }
  fillUniformRows(F32, p.syn0 / 4 + prevV * Dp, V - prevV, D, Dp, prev === undefined ? seed : seed + 0x51ed, 1, D);

  const t = await runPrepared(fn, p, settings, opts);
  const wv = new KeyedVectors({
    words: vocab.words,
    vectors: unpadRows(p, p.syn0, V, D),
    dim: D,
    counts: vocab.counts,
  });
  const { onProgress: _p, signal: _s, ...options } = opts;
  return {
    wv,
    vocab,
    options,
    syn1neg: negative > 0 ? unpadRows(p, p.syn1neg, V, D) : undefined,
    syn1: hs ? unpadRows(p, p.syn1, Math.max(0, V - 1), D) : undefined,
    stats: {
      rawWords: t.rawWords,
      effectiveWords: t.effectiveWords,
      seconds: t.seconds,
      wordsPerSec: t.effectiveWords / t.seconds,
      loss: t.lossTerms > 0 ? t.loss / t.lossTerms : NaN,
    },
  };
}
