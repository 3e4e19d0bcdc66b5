/**
 * word2vec training: skip-gram and CBOW with negative sampling and/or hierarchical softmax.
 *
 * References: Mikolov et al. 2013 ("Efficient Estimation of Word Representations in Vector
 * Space"; "Distributed Representations of Words and Phrases and their Compositionality");
 * word2vec.c (`InitUnigramTable`, `CreateBinaryTree`, `expTable`, `TrainModelThread`);
 * gensim 4.2 `Word2Vec` (option names and defaults, subsampling, `cbow_mean`).
 */
import {
  encodeCorpus,
  negativeCumTable,
  subsampleThresholds,
  type CorpusSource,
  type EncodedCorpus,
  type Vocab,
} from './corpus.js';
import { KeyedVectors } from './keyed-vectors.js';
import { checkWorkers, runKernelInWorkers, shared } from './internal/pool.js';
import { PROGRESS_SLOTS, w2vKernel, type W2VParams, type W2VShared } from './internal/w2v-kernel.js';
import { aliasTable } from './internal/alias-table.js';
import { chunkSentences, kernelModule, xorshiftStream } from './internal/util.js';
import { W2V_SIMD_WASM_BASE64 } from './internal/w2v-simd-wasm.js';
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
/** A job index past any run's last job (2^30: adding one per worker never overflows). */
const STOP_JOB = 2 ** 30;

/**
 * Raw words per job that workers take from the shared job counter: gensim's job size
 * (MAX_WORDS_IN_BATCH). Small enough that the last job's tail is short (2 M tokens × 5 epochs =
 * ~1,000 jobs), large enough that the one `Atomics.add` per job costs nothing measurable.
 */
const JOB_WORDS = 10_000;

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

function isEncoded(x: unknown): x is EncodedCorpus {
  return typeof x === 'object' && x !== null && (x as EncodedCorpus).ids instanceof Int32Array && 'vocab' in x;
}

function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
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
  checkInt(fn, 'vectorSize', D, 1);
  checkInt(fn, 'window', window, 1);
  checkInt(fn, 'negative', negative, 0);
  checkInt(fn, 'epochs', epochs, 1);
  checkInt(fn, 'workers', workers, 1);
  checkWorkers(fn, workers);
  opts.signal?.throwIfAborted();
  if (!hs && negative === 0) throw new RangeError(`${fn}: negative = 0 and hs = false: nothing to train`);
  if (!(alpha > 0) || !(minAlpha >= 0))
    throw new RangeError(`${fn}: alpha = ${alpha}, minAlpha = ${minAlpha} must be > 0 and >= 0`);
  if (!(sample >= 0)) throw new RangeError(`${fn}: sample must be >= 0, got ${sample}`);

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
  const multi = workers > 1;
  const mk = <T extends Int32Array | Uint32Array | Uint8Array | Float64Array>(a: T): T => (multi ? shared(a) : a);

  const tree = hs
    ? huffmanTree(vocab.counts)
    : { codes: new Uint8Array(0), points: new Int32Array(0), codeOffsets: new Int32Array(V + 1) };
  let maxCode = 0;
  for (let w = 0; w < V; w++) maxCode = Math.max(maxCode, tree.codeOffsets[w + 1]! - tree.codeOffsets[w]!);
  // One WebAssembly memory holds the weights, the sigmoid tables and per-worker scratch; rows
  // are padded to a multiple of 8 floats for the SIMD loops (the padding stays zero).
  const Dp = Math.ceil(D / 8) * 8;
  const rowBytes = Dp * 4;
  const al = (x: number): number => Math.ceil(x / 64) * 64;
  let off = 0;
  const place = (bytes: number): number => {
    const at = off;
    off = al(off + bytes);
    return at;
  };
  const oSyn0 = place(V * rowBytes);
  const oSyn1neg = place(negative > 0 ? V * rowBytes : 0);
  const oSyn1 = place(hs ? Math.max(1, V - 1) * rowBytes : 0);
  const oExp = place((EXP_TABLE_SIZE + 1) * 4);
  const oLog = place((EXP_TABLE_SIZE + 1) * 4);
  const maxTargets = maxCode + negative + 1;
  const scratch: Array<{ work: number; neu1: number; targets: number; labels: number; contexts: number }> = [];
  for (let w = 0; w < workers; w++) {
    scratch.push({
      work: place(rowBytes),
      neu1: place(rowBytes),
      targets: place(maxTargets * 4),
      labels: place(maxTargets * 4),
      contexts: place(2 * window * 4),
    });
  }
  const pages = Math.ceil(Math.max(off, 1) / 65536);
  if (pages > 65536) {
    throw new RangeError(
      `${fn}: vocabulary ${V} × vectorSize ${D} needs ${(off / 2 ** 30).toFixed(1)} GiB of weights, over WebAssembly's 4 GiB`,
    );
  }
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: multi });
  const F32 = new Float32Array(memory.buffer);
  // init: uniform(-0.5/D, 0.5/D) as gensim/word2vec.c; output layers zero
  // (continued training: the old rows as they were, fresh ones for new words from another stream)
  const rng = xorshiftStream(prev === undefined ? seed : seed + 0x51ed);
  const prevV = prev === undefined ? 0 : prev.vocab.size;
  if (prev !== undefined) {
    if (prev.wv.dim !== D) throw new Error(`${fn}: the previous model has dim ${prev.wv.dim}, not ${D}`);
    for (let i = 0; i < prevV; i++) F32.set(prev.wv.vectors.subarray(i * D, (i + 1) * D), oSyn0 / 4 + i * Dp);
    if (negative > 0 && prev.syn1neg !== undefined) {
      for (let i = 0; i < prevV; i++) F32.set(prev.syn1neg.subarray(i * D, (i + 1) * D), oSyn1neg / 4 + i * Dp);
    }
  }
  for (let i = prevV; i < V; i++) {
    const o = oSyn0 / 4 + i * Dp;
    for (let k = 0; k < D; k++) F32[o + k] = (rng() - 0.5) / D;
  }
  const { expTable, logTable } = sigmoidTables();
  F32.set(expTable, oExp / 4);
  F32.set(logTable, oLog / 4);
  // negatives come from an alias table of count^nsExponent (8 bytes a word: in L2 up to ~100k
  // words) rather than word2vec.c's 1e8-slot unigram table; see internal/alias-table.ts for why
  const nsExponent = opts.nsExponent ?? 0.75;
  const negTable = negative > 0 ? mk(aliasTable(Array.from(vocab.counts, (c) => c ** nsExponent))) : new Int32Array(0);
  const S: W2VShared = {
    ids: mk(enc.ids),
    sentenceStarts: mk(enc.sentenceStarts),
    negTable,
    sampleInt: mk(subsampleThresholds(vocab.counts, sample)),
    codes: mk(tree.codes),
    points: mk(tree.points),
    codeOffsets: mk(tree.codeOffsets),
    chunks: mk(chunkSentences(enc.sentenceStarts, JOB_WORDS)),
    // 32 ints = 128 bytes: the job counter shares its cache line with nothing else
    next: mk(new Int32Array(32)),
    progress: mk(new Float64Array(workers * PROGRESS_SLOTS)),
    memory,
    wasm: kernelModule(W2V_SIMD_WASM_BASE64, multi), // 1,226 bytes
  };
  const totalWords = enc.ids.length;
  let maxSentence = 0;
  for (let s = 0; s + 1 < enc.sentenceStarts.length; s++) {
    maxSentence = Math.max(maxSentence, enc.sentenceStarts[s + 1]! - enc.sentenceStarts[s]!);
  }
  const params: W2VParams[] = scratch.map((sc) => ({
    dim: D,
    stride: Dp,
    window,
    negative,
    hs: hs ? 1 : 0,
    sg: sg ? 1 : 0,
    cbowMean: (opts.cbowMean ?? true) ? 1 : 0,
    sample: sample > 0 ? 1 : 0,
    alpha,
    minAlpha,
    epochs,
    totalWords,
    computeLoss: (opts.computeLoss ?? true) ? 1 : 0,
    maxSentence,
    seed: prev === undefined ? seed : seed + 7919,
    syn0: oSyn0,
    syn1neg: oSyn1neg,
    syn1: oSyn1,
    expTable: oExp,
    logTable: oLog,
    ...sc,
  }));

  // Abort: push the shared job counter past the last job, so every worker stops after the job
  // it is on (no kernel change, no extra read per job).
  const signal = opts.signal;
  signal?.throwIfAborted();
  const stop = (): void => {
    Atomics.store(S.next, 0, STOP_JOB);
  };
  const t0 = performance.now();
  const every = opts.progressEveryMs ?? 1000;
  let lastReport = t0;
  let lastLoss = 0;
  let lastTerms = 0;
  const report = (): void => {
    if (!opts.onProgress) return;
    let raw = 0;
    let eff = 0;
    let loss = 0;
    let terms = 0;
    for (let w = 0; w < workers; w++) {
      raw += S.progress[w * PROGRESS_SLOTS]!;
      eff += S.progress[w * PROGRESS_SLOTS + 1]!;
      loss += S.progress[w * PROGRESS_SLOTS + 2]!;
      terms += S.progress[w * PROGRESS_SLOTS + 3]!;
    }
    const sec = (performance.now() - t0) / 1000;
    const progress = Math.min(1, raw / (epochs * totalWords));
    opts.onProgress({
      progress,
      epoch: Math.min(epochs - 1, Math.floor(progress * epochs)),
      words: raw,
      effectiveWords: eff,
      wordsPerSec: sec > 0 ? eff / sec : 0,
      etaSeconds: progress > 0 ? (sec * (1 - progress)) / progress : Infinity,
      loss: terms > lastTerms ? (loss - lastLoss) / (terms - lastTerms) : NaN,
      alpha: Math.max(minAlpha, alpha - (alpha - minAlpha) * progress),
    });
    lastLoss = loss;
    lastTerms = terms;
  };
  if (!multi) {
    w2vKernel(S, params[0]!, 0, () => {
      const now = performance.now();
      if (now - lastReport >= every) {
        lastReport = now;
        report();
      }
      if (signal?.aborted) stop();
    });
  } else {
    signal?.addEventListener('abort', stop);
    try {
      await runKernelInWorkers(fn, w2vKernel, S, params, opts.onProgress ? report : null, every);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }
  signal?.throwIfAborted();
  report();
  const seconds = (performance.now() - t0) / 1000;
  let raw = 0;
  let eff = 0;
  let loss = 0;
  let terms = 0;
  for (let w = 0; w < workers; w++) {
    raw += S.progress[w * PROGRESS_SLOTS]!;
    eff += S.progress[w * PROGRESS_SLOTS + 1]!;
    loss += S.progress[w * PROGRESS_SLOTS + 2]!;
    terms += S.progress[w * PROGRESS_SLOTS + 3]!;
  }
  // plain (non-shared, unpadded) copies for the artifact
  const unpad = (o: number, rows: number): Float32Array => {
    const out = new Float32Array(rows * D);
    for (let i = 0; i < rows; i++) out.set(F32.subarray(o / 4 + i * Dp, o / 4 + i * Dp + D), i * D);
    return out;
  };
  const wv = new KeyedVectors({ words: vocab.words, vectors: unpad(oSyn0, V), dim: D, counts: vocab.counts });
  const { onProgress: _p, signal: _s, ...options } = opts;
  return {
    wv,
    vocab,
    options,
    syn1neg: negative > 0 ? unpad(oSyn1neg, V) : undefined,
    syn1: hs ? unpad(oSyn1, Math.max(0, V - 1)) : undefined,
    stats: {
      rawWords: raw,
      effectiveWords: eff,
      seconds,
      wordsPerSec: eff / seconds,
      loss: terms > 0 ? loss / terms : NaN,
    },
  };
}
