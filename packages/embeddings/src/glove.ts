/**
 * GloVe: weighted least squares on log co-occurrences, trained with AdaGrad.
 *
 * References: Pennington, Socher & Manning 2014; stanfordnlp/GloVe `glove.c` (initialization
 * uniform(−0.5, 0.5)/D, gradsq initialized to 1, `x_max` = 100, `alpha` = 0.75, `eta` = 0.05,
 * entries shuffled once, output `model 2` = word + context vectors).
 */
import { type CorpusSource, type EncodedCorpus } from './corpus.js';
import { Cooccurrence, countCooccurrences } from './cooccurrence.js';
import { KeyedVectors } from './keyed-vectors.js';
import { gloveKernel, type GloveParams, type GloveShared } from './internal/glove-kernel.js';
import { checkWorkers, runKernelInWorkers, shared } from './internal/pool.js';
import { kernelModule, xorshiftStream } from './internal/util.js';
import { GLOVE_SIMD_WASM_BASE64 } from './internal/glove-simd-wasm.js';

/** Progress of GloVe training, reported after each epoch (of worker 0 with several workers). */
export interface GloveProgress {
  epoch: number;
  /** mean weighted squared error per update of that epoch (glove.c prints the same) */
  cost: number;
}

/** Options of {@link trainGlove}. */
export interface GloveOptions {
  /** @default 100 */
  vectorSize?: number;
  /** @default 10 — GloVe paper. Ignored when a Cooccurrence is given. */
  window?: number;
  /** @default 5 */
  minCount?: number;
  maxVocabSize?: number;
  lowercase?: boolean;
  /** Cutoff of the weighting f(x) = min(1, (x/xMax)^alpha). @default 100 — GloVe paper. */
  xMax?: number;
  /** @default 0.75 — GloVe paper. */
  alpha?: number;
  /** AdaGrad initial learning rate. @default 0.05 — glove.c. */
  eta?: number;
  /** @default 25 — glove.c's default iterations. */
  epochs?: number;
  /** Hogwild workers; only 1 is bit-reproducible. @default 1 */
  workers?: number;
  /** @default 1 */
  seed?: number;
  /**
   * `'sum'`: word + context vectors (glove.c `-model 2`); `'word'`: word vectors only.
   * @default 'sum' — glove.c's default output and the paper's.
   */
  output?: 'sum' | 'word';
  /** Counting memory budget. @default 512 */
  memoryMB?: number;
  /**
   * Stops training within about 0.2 s of being aborted (with `workers: 1`: at the end of the
   * epoch, since training then runs on the calling thread and only `onProgress` can abort);
   * the promise rejects with `signal.reason`, as `trainWord2Vec` does.
   */
  signal?: AbortSignal;
  onProgress?: (p: GloveProgress) => void;
}

/**
 * Trains GloVe vectors from a corpus (counts co-occurrences with 1/distance weighting) or
 * from a {@link Cooccurrence}.
 * @throws on an empty corpus, every word under minCount, bad options.
 */
export async function trainGlove(
  corpus: CorpusSource | EncodedCorpus | Cooccurrence,
  opts: GloveOptions = {},
): Promise<{ wv: KeyedVectors; stats: { seconds: number; nnz: number; cost: number } }> {
  const fn = 'trainGlove';
  const t0 = performance.now();
  const D = opts.vectorSize ?? 100;
  const epochs = opts.epochs ?? 25;
  const workers = opts.workers ?? 1;
  for (const [name, v, min] of [
    ['vectorSize', D, 1],
    ['epochs', epochs, 1],
    ['workers', workers, 1],
  ] as const) {
    if (!Number.isInteger(v) || v < min) throw new RangeError(`${fn}: ${name} must be an integer >= ${min}, got ${v}`);
  }
  checkWorkers(fn, workers);
  opts.signal?.throwIfAborted();
  const xMax = opts.xMax ?? 100;
  const alpha = opts.alpha ?? 0.75;
  const eta = opts.eta ?? 0.05;
  if (!(xMax > 0) || !(alpha > 0) || !(eta > 0)) {
    throw new RangeError(`${fn}: xMax = ${xMax}, alpha = ${alpha}, eta = ${eta} must all be > 0`);
  }
  let cooc: Cooccurrence | undefined =
    corpus instanceof Cooccurrence
      ? corpus
      : await countCooccurrences(corpus, {
          window: opts.window ?? 10,
          weighting: 'harmonic',
          minCount: opts.minCount,
          maxVocabSize: opts.maxVocabSize,
          lowercase: opts.lowercase,
          memoryMB: opts.memoryMB,
        });
  const vocab = cooc.vocab;
  const V = vocab.size;
  const nnz = cooc.nnz;
  if (nnz === 0) throw new Error(`${fn}: no co-occurrences (every sentence has fewer than 2 vocabulary words)`);
  const multi = workers > 1;
  // One WebAssembly memory: entries (rows, cols, log x, f(x), shuffled order) and W, gradsq.
  // Rows of W/G: vector padded to an even length, then the bias (stride = dp + 2 doubles).
  const dp = D + (D % 2);
  const stride = dp + 2;
  let off = 0;
  const place = (bytes: number): number => {
    const at = off;
    off += Math.ceil(bytes / 16) * 16;
    return at;
  };
  const oRows = place(nnz * 4);
  const oCols = place(nnz * 4);
  const oLx = place(nnz * 8);
  const oWgt = place(nnz * 8);
  const oOrder = place(nnz * 4);
  const oW = place(2 * V * stride * 8);
  const oG = place(2 * V * stride * 8);
  const pages = Math.ceil(off / 65536);
  if (pages > 65536) {
    throw new RangeError(
      `${fn}: ${nnz} co-occurrences and ${V} words need ${(off / 2 ** 30).toFixed(1)} GiB, over WebAssembly's 4 GiB`,
    );
  }
  const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: multi });
  const buf = memory.buffer;
  const rowsW = new Int32Array(buf, oRows, nnz);
  const colsW = new Int32Array(buf, oCols, nnz);
  rowsW.set(cooc.rows);
  colsW.set(cooc.cols);
  const lx = new Float64Array(buf, oLx, nnz);
  const wgt = new Float64Array(buf, oWgt, nnz);
  for (let e = 0; e < nnz; e++) {
    const x = cooc.values[e]!;
    lx[e] = Math.log(x);
    wgt[e] = x > xMax ? 1 : Math.pow(x / xMax, alpha);
  }
  // The entries now live in the WebAssembly memory; counts made here can be collected.
  cooc = undefined;
  const rnd = xorshiftStream(opts.seed ?? 1);
  const W = new Float64Array(buf, oW, 2 * V * stride);
  for (let r = 0; r < 2 * V; r++) for (let k = 0; k <= D; k++) W[r * stride + (k === D ? dp : k)] = (rnd() - 0.5) / D;
  new Float64Array(buf, oG, 2 * V * stride).fill(1);
  const order = new Uint32Array(buf, oOrder, nnz);
  for (let i = 0; i < nnz; i++) order[i] = i;
  for (let i = nnz - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const S: GloveShared = {
    memory,
    wasm: kernelModule(GLOVE_SIMD_WASM_BASE64, multi),
    progress: multi ? shared(new Float64Array(workers * 3)) : new Float64Array(workers * 3),
    stop: multi ? shared(new Int32Array(1)) : new Int32Array(1),
  };
  const params: GloveParams[] = [];
  for (let w = 0; w < workers; w++) {
    const begin = Math.floor((w * nnz) / workers);
    const end = Math.floor(((w + 1) * nnz) / workers);
    let updates = 0;
    for (let t = begin; t < end; t++) updates += rowsW[order[t]!] === colsW[order[t]!] ? 1 : 2; // a diagonal entry is one update
    params.push({
      rows: oRows,
      cols: oCols,
      lx: oLx,
      wgt: oWgt,
      order: oOrder,
      W: oW,
      G: oG,
      stride,
      dp,
      vocabSize: V,
      eta,
      epochs,
      begin,
      end,
      updates,
    });
  }
  let lastEpoch = 0;
  const report = (): void => {
    const e = S.progress[2]!;
    if (e > lastEpoch && opts.onProgress) {
      lastEpoch = e;
      let cost = 0;
      let up = 0;
      for (let w = 0; w < workers; w++) {
        cost += S.progress[w * 3]!;
        up += S.progress[w * 3 + 1]!;
      }
      opts.onProgress({ epoch: e - 1, cost: up > 0 ? cost / up : NaN });
    }
  };
  const signal = opts.signal;
  signal?.throwIfAborted();
  const stop = (): void => {
    Atomics.store(S.stop, 0, 1);
  };
  if (!multi) {
    gloveKernel(S, params[0]!, 0, () => {
      report();
      if (signal?.aborted) stop();
    });
  } else {
    signal?.addEventListener('abort', stop);
    try {
      await runKernelInWorkers(fn, gloveKernel, S, params, report, 250);
    } finally {
      signal?.removeEventListener('abort', stop);
    }
  }
  signal?.throwIfAborted();
  let cost = 0;
  let up = 0;
  for (let w = 0; w < workers; w++) {
    cost += S.progress[w * 3]!;
    up += S.progress[w * 3 + 1]!;
  }
  const out = new Float32Array(V * D);
  const sum = (opts.output ?? 'sum') === 'sum';
  for (let i = 0; i < V; i++) {
    for (let k = 0; k < D; k++) {
      out[i * D + k] = W[i * stride + k]! + (sum ? W[(i + V) * stride + k]! : 0);
    }
  }
  return {
    wv: new KeyedVectors({ words: vocab.words, vectors: out, dim: D, counts: vocab.counts }),
    stats: { seconds: (performance.now() - t0) / 1000, nnz, cost: up > 0 ? cost / up : NaN },
  };
}
