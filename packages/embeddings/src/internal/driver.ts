/**
 * The training driver that word2vec and fastText share (one home; the two trainers used to carry
 * copies of it): the layout of the kernel's one WebAssembly memory (input rows, output rows,
 * sigmoid tables, per-worker scratch), the kernel's shared inputs and per-worker parameters, and
 * the run — on the calling thread (one worker, bit-reproducible) or in Hogwild workers — with
 * progress reports (the learning rate they show follows the kernel's linear decay) and abort.
 */
import { subsampleThresholds, type EncodedCorpus } from '../corpus.js';
import { aliasTable } from './alias-table.js';
import { checkWorkers, runKernelInWorkers, shared } from './pool.js';
import { chunkSentences, kernelModule } from './util.js';
import { PROGRESS_SLOTS, w2vKernel, type W2VParams, type W2VShared } from './w2v-kernel.js';
import { W2V_SIMD_WASM_BASE64 } from './w2v-simd-wasm.js';

/**
 * Raw words per job that workers take from the shared job counter: gensim's job size
 * (MAX_WORDS_IN_BATCH). Small enough that the last job's tail is short (2 M tokens × 5 epochs =
 * ~1,000 jobs), large enough that the one `Atomics.add` per job costs nothing measurable.
 */
const JOB_WORDS = 10_000;
/** A job index past any run's last job (2^30: adding one per worker never overflows). */
const STOP_JOB = 2 ** 30;

/** A run's settings, resolved and checked by the trainer. */
export interface RunSettings {
  vectorSize: number;
  window: number;
  negative: number;
  hs: boolean;
  sg: boolean;
  cbowMean: boolean;
  sample: number;
  nsExponent: number;
  alpha: number;
  minAlpha: number;
  epochs: number;
  workers: number;
  computeLoss: boolean;
  /** the kernel's seed (its per-worker xorshift streams) */
  kernelSeed: number;
}

/** Throws a RangeError naming `name` unless `v` is an integer ≥ `min`. */
export function checkInt(fn: string, name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
}

/**
 * The option checks that word2vec and fastText share (one home; each trainer had a copy): sizes,
 * counts, threads, something to train, learning rates, sampling. Each error names the function,
 * the option and its value.
 */
export function checkRunSettings(
  fn: string,
  s: Pick<
    RunSettings,
    'vectorSize' | 'window' | 'negative' | 'hs' | 'epochs' | 'workers' | 'alpha' | 'minAlpha' | 'sample'
  >,
): void {
  checkInt(fn, 'vectorSize', s.vectorSize, 1);
  checkInt(fn, 'window', s.window, 1);
  checkInt(fn, 'negative', s.negative, 0);
  checkInt(fn, 'epochs', s.epochs, 1);
  checkInt(fn, 'workers', s.workers, 1);
  checkWorkers(fn, s.workers);
  if (!s.hs && s.negative === 0) throw new RangeError(`${fn}: negative = 0 and hs = false: nothing to train`);
  if (!(s.alpha > 0) || !(s.minAlpha >= 0))
    throw new RangeError(`${fn}: alpha = ${s.alpha}, minAlpha = ${s.minAlpha} must be > 0 and >= 0`);
  if (!(s.sample >= 0)) throw new RangeError(`${fn}: sample must be >= 0, got ${s.sample}`);
}

/** Whether a trainer's corpus argument is an already encoded corpus (not sentences to read). */
export function isEncoded(x: unknown): x is EncodedCorpus {
  return typeof x === 'object' && x !== null && (x as EncodedCorpus).ids instanceof Int32Array && 'vocab' in x;
}

/** Progress report (see `TrainProgress` in word2vec.ts). */
export interface RunProgress {
  progress: number;
  epoch: number;
  words: number;
  effectiveWords: number;
  wordsPerSec: number;
  etaSeconds: number;
  loss: number;
  alpha: number;
}

/** The kernel's memory and inputs, ready to initialize and run. */
export interface Prepared {
  memory: WebAssembly.Memory;
  /** a float32 view of the whole memory */
  F32: Float32Array;
  /** row stride in floats (dim rounded up to a multiple of 8) */
  stride: number;
  /** byte offsets of the input rows, negative-sampling and hierarchical-softmax output rows */
  syn0: number;
  syn1neg: number;
  syn1: number;
  S: W2VShared;
  params: W2VParams[];
}

/**
 * Lays out the memory and builds the kernel's inputs for `enc`: `inputRows` rows of input weights
 * (V for word2vec, V + bucket for fastText), the tables, `contextInts` ints of context scratch per
 * worker, and `subwords` (fastText's rows of every word) when given. Weights start at zero: the
 * trainer initializes them. `tooBig(gib)` is the error message when they exceed 4 GiB.
 */
export function prepareRun(
  fn: string,
  enc: EncodedCorpus,
  s: RunSettings,
  layout: {
    inputRows: number;
    contextInts: number;
    tree: { codes: Uint8Array; points: Int32Array; codeOffsets: Int32Array };
    tables: { expTable: Float32Array; logTable: Float32Array };
    tooBig: (gib: string) => string;
    subwords?: { subOffsets: Int32Array; subIds: Int32Array; subFactor: Float32Array };
  },
): Prepared {
  const { vocab } = enc;
  const V = vocab.size;
  const D = s.vectorSize;
  const multi = s.workers > 1;
  const mk = <T extends Int32Array | Uint32Array | Uint8Array | Float32Array | Float64Array>(a: T): T =>
    multi ? shared(a) : a;
  const { tree } = layout;
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
  const tableSize = layout.tables.expTable.length;
  const oSyn0 = place(layout.inputRows * rowBytes);
  const oSyn1neg = place(s.negative > 0 ? V * rowBytes : 0);
  const oSyn1 = place(s.hs ? Math.max(1, V - 1) * rowBytes : 0);
  const oExp = place(tableSize * 4);
  const oLog = place(layout.tables.logTable.length * 4);
  const maxTargets = maxCode + s.negative + 1;
  const scratch: Array<{ work: number; neu1: number; targets: number; labels: number; contexts: number }> = [];
  for (let w = 0; w < s.workers; w++) {
    scratch.push({
      work: place(rowBytes),
      neu1: place(rowBytes),
      targets: place(maxTargets * 4),
      labels: place(maxTargets * 4),
      contexts: place(layout.contextInts * 4),
    });
  }
  const pages = Math.ceil(Math.max(off, 1) / 65536);
  if (pages > 65536) throw new RangeError(`${fn}: ${layout.tooBig((off / 2 ** 30).toFixed(1))}`);
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: multi });
  const F32 = new Float32Array(memory.buffer);
  F32.set(layout.tables.expTable, oExp / 4);
  F32.set(layout.tables.logTable, oLog / 4);
  // negatives come from an alias table of count^nsExponent (8 bytes a word: in L2 up to ~100k
  // words) rather than word2vec.c's 1e8-slot unigram table; see alias-table.ts for why
  const negTable =
    s.negative > 0 ? mk(aliasTable(Array.from(vocab.counts, (c) => c ** s.nsExponent))) : new Int32Array(0);
  const S: W2VShared = {
    ids: mk(enc.ids),
    sentenceStarts: mk(enc.sentenceStarts),
    negTable,
    sampleInt: mk(subsampleThresholds(vocab.counts, s.sample)),
    codes: mk(tree.codes),
    points: mk(tree.points),
    codeOffsets: mk(tree.codeOffsets),
    chunks: mk(chunkSentences(enc.sentenceStarts, JOB_WORDS)),
    // 32 ints = 128 bytes: the job counter shares its cache line with nothing else
    next: mk(new Int32Array(32)),
    progress: mk(new Float64Array(s.workers * PROGRESS_SLOTS)),
    memory,
    wasm: kernelModule(W2V_SIMD_WASM_BASE64, multi), // 1,226 bytes
  };
  if (layout.subwords !== undefined) {
    S.subOffsets = mk(layout.subwords.subOffsets);
    S.subIds = mk(layout.subwords.subIds);
    S.subFactor = mk(layout.subwords.subFactor);
  }
  const totalWords = enc.ids.length;
  let maxSentence = 0;
  for (let i = 0; i + 1 < enc.sentenceStarts.length; i++) {
    maxSentence = Math.max(maxSentence, enc.sentenceStarts[i + 1]! - enc.sentenceStarts[i]!);
  }
  const params: W2VParams[] = scratch.map((sc) => ({
    dim: D,
    stride: Dp,
    window: s.window,
    negative: s.negative,
    hs: s.hs ? 1 : 0,
    sg: s.sg ? 1 : 0,
    cbowMean: s.cbowMean ? 1 : 0,
    sample: s.sample > 0 ? 1 : 0,
    alpha: s.alpha,
    minAlpha: s.minAlpha,
    epochs: s.epochs,
    totalWords,
    computeLoss: s.computeLoss ? 1 : 0,
    maxSentence,
    seed: s.kernelSeed,
    syn0: oSyn0,
    syn1neg: oSyn1neg,
    syn1: oSyn1,
    expTable: oExp,
    logTable: oLog,
    ...sc,
  }));
  return { memory, F32, stride: Dp, syn0: oSyn0, syn1neg: oSyn1neg, syn1: oSyn1, S, params };
}

/** What a run did, summed over the workers. */
export interface RunTotals {
  seconds: number;
  rawWords: number;
  effectiveWords: number;
  /** loss sum and number of terms */
  loss: number;
  lossTerms: number;
}

/**
 * Runs the kernel: on the calling thread with one worker (progress and abort checked after every
 * job), else in Hogwild workers. Abort pushes the shared job counter past the last job, so every
 * worker stops after the job it is on (no kernel change, no extra read per job); the promise then
 * rejects with `signal.reason`.
 */
export async function runPrepared(
  fn: string,
  p: Prepared,
  s: RunSettings,
  cb: { onProgress?: (r: RunProgress) => void; progressEveryMs?: number; signal?: AbortSignal },
): Promise<RunTotals> {
  const { S, params } = p;
  const { workers, epochs, alpha, minAlpha } = s;
  const totalWords = params[0]!.totalWords;
  const signal = cb.signal;
  signal?.throwIfAborted();
  const stop = (): void => {
    Atomics.store(S.next, 0, STOP_JOB);
  };
  const sum = (): { raw: number; eff: number; loss: number; terms: number } => {
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
    return { raw, eff, loss, terms };
  };
  const t0 = performance.now();
  const every = cb.progressEveryMs ?? 1000;
  let lastReport = t0;
  let lastLoss = 0;
  let lastTerms = 0;
  const report = (): void => {
    if (!cb.onProgress) return;
    const { raw, eff, loss, terms } = sum();
    const sec = (performance.now() - t0) / 1000;
    const progress = Math.min(1, raw / (epochs * totalWords));
    cb.onProgress({
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
  if (workers === 1) {
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
      await runKernelInWorkers(fn, w2vKernel, S, params, cb.onProgress ? report : null, every);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }
  signal?.throwIfAborted();
  report();
  const seconds = (performance.now() - t0) / 1000;
  const { raw, eff, loss, terms } = sum();
  return { seconds, rawWords: raw, effectiveWords: eff, loss, lossTerms: terms };
}

/** Rows [0, rows) at byte offset `off` as a plain (unshared, unpadded) rows × dim copy. */
export function unpadRows(p: Prepared, off: number, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows * dim);
  const Dp = p.stride;
  for (let i = 0; i < rows; i++) out.set(p.F32.subarray(off / 4 + i * Dp, off / 4 + i * Dp + dim), i * dim);
  return out;
}
