/**
 * `lm shakespeare`: a character-level language model on Tiny Shakespeare (karpathy/char-rnn),
 * the first 90% of the text for training and the last 10% for validation (as char-rnn and
 * nanoGPT split it). Two models:
 * - `transformer`: @wordloom/transformer's `TransformerLM` (GPT-style, causal, pre-norm, tied
 *   embeddings), trained on `bpttBatches` chunks in shuffled order;
 * - `lstm`: Embedding → @wordloom/rnn `LSTM` → Linear, trained with truncated BPTT
 *   (`TruncatedBptt`) over `bpttBatches` chunks in stream order (the state carries across chunks).
 * AdamW with linear warmup + cosine decay and global-norm clipping (@wordloom/optim); samples are
 * drawn with @wordloom/seq2seq's `sampleDecode` (temperature, top-k, top-p), the transformer
 * stepping with its KV cache.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Embedding, Linear, Module, Rng, crossEntropy } from '@wordloom/core';
import { bpttBatches, lmChunkTensors, type LmChunk } from '@wordloom/data';
import {
  Optimizer,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  warmupCosineSchedule,
  type GradientTransformation,
} from '@wordloom/optim';
import { LSTM, TruncatedBptt, type RecurrentState } from '@wordloom/rnn';
import { sampleDecode, type StepOutput } from '@wordloom/seq2seq';
import { TransformerLM, disposeState, type LMState, type TransformerLMOptions } from '@wordloom/transformer';
import { CliError, PROGRAM, commonOptions, intOption, numberOption, type Command, type ParsedArgs } from '../args.js';
import { DATASETS, findData, readText } from '../data.js';
import { runOptions, trainLoop, type HistoryEntry } from '../loop.js';
import {
  exchangeGradients,
  parallelStep,
  parseWorkers,
  shardRange,
  startDataParallel,
  workersOption,
  type DataParallel,
} from '../parallel.js';
import { CharVocab } from '../toy-tasks.js';
import { backend, outDir, saveWeights, since, writeJson } from '../train-util.js';

const COMMAND = 'lm shakespeare';

/** `tf.tidy` for results that hold a recurrent state (an interface without an index signature). */
function tidyTree<R>(fn: () => R): R {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as R;
}

/** Everything that defines a run (a `--resume` must ask for the same). */
export interface LmConfig {
  model: 'transformer' | 'lstm';
  /** Transformer width / LSTM embedding size. */
  dModel: number;
  nhead: number;
  numLayers: number;
  /** LSTM hidden size (transformer: feed-forward size is 4·dModel). */
  hiddenSize: number;
  positional: 'learned' | 'sinusoidal';
  /** Characters per training window (transformer context; LSTM BPTT length). */
  blockSize: number;
  batchSize: number;
  dropout: number;
  optimizer: 'adam' | 'adamw';
  lr: number;
  minLr: number;
  weightDecay: number;
  warmup: number;
  clip: number;
  /** Optimizer steps (0: planned from --time-budget, else epochs × chunks). */
  maxSteps: number;
  epochs: number;
  seed: number;
  /** Use only the first N characters of the text (0 = all; for quick runs and tests). */
  limitChars: number;
}

export interface LmResult {
  data: string;
  trainChars: number;
  valChars: number;
  vocabSize: number;
  parameters: number;
  steps: number;
  plannedSteps: number;
  epochsDone: number;
  /** Mean cross-entropy (nats/char) over the validation text — see `valLossOn`. */
  valLoss: number;
  valLossOn: string;
  /**
   * Transformer: the loss over the same characters read in windows that overlap by half a context
   * ({@link evaluateLossSliding}, stride `blockSize / 2`), so each character after the first window
   * sees at least half a context — a second, fuller-context reading of the same model.
   */
  valLossSliding?: number;
  /** Bits per character (valLoss / ln 2). */
  valBpc: number;
  finalTrainLoss: number;
  trainSeconds: number;
  wallSeconds: number;
  charsPerSecond: number;
  /** CPU seconds (user + system) of this process during the run: with other work on the machine, wall ≫ CPU. */
  cpuSeconds: number;
  backend: string;
  interrupted: boolean;
  /** Every 50 steps: mean training loss, learning rate, and `valLoss` where it was estimated. */
  history: HistoryEntry[];
  sample: string;
}

/** Embedding → LSTM stack → (dropout) → Linear: PyTorch's word_language_model, at the character level. */
export class CharLSTM extends Module {
  readonly encoder: Embedding;
  readonly rnn: LSTM;
  readonly decoder: Linear;
  private readonly drop: Dropout;
  constructor(
    readonly opts: {
      vocabSize: number;
      embeddingDim: number;
      hiddenSize: number;
      numLayers: number;
      dropout: number;
      seed: number;
    },
  ) {
    super();
    this.encoder = this.addModule(
      'encoder',
      new Embedding({ numEmbeddings: opts.vocabSize, embeddingDim: opts.embeddingDim, seed: opts.seed }),
    );
    this.rnn = this.addModule(
      'rnn',
      new LSTM({
        inputSize: opts.embeddingDim,
        hiddenSize: opts.hiddenSize,
        numLayers: opts.numLayers,
        dropout: opts.dropout,
        seed: opts.seed + 1,
        forgetBias: 1,
      }),
    );
    this.decoder = this.addModule(
      'decoder',
      new Linear({ inFeatures: opts.hiddenSize, outFeatures: opts.vocabSize, seed: opts.seed + 2 }),
    );
    this.drop = this.addModule('drop', new Dropout({ p: opts.dropout, seed: opts.seed + 3 }));
  }
  /** ids `[B, T]` → logits `[B, T, V]` and the state after the last step. */
  forward(ids: tf.Tensor2D, state?: RecurrentState): { logits: tf.Tensor3D; state: RecurrentState } {
    const [B, T] = ids.shape;
    const x = this.drop.forward(this.encoder.forward(ids)); // [B, T, E]
    const r = this.rnn.forward(x, state ? { initialState: state } : {});
    const h = this.drop.forward(r.outputs); // [B, T, H]
    const logits = tf.reshape(this.decoder.forward(tf.reshape(h, [B * T, this.opts.hiddenSize])), [
      B,
      T,
      this.opts.vocabSize,
    ]) as tf.Tensor3D;
    return { logits, state: r.state };
  }
  zeroState(B: number): RecurrentState {
    const shape: [number, number, number] = [this.opts.numLayers, B, this.opts.hiddenSize];
    return { h: tf.zeros(shape), c: tf.zeros(shape) };
  }
}

/** The TransformerLM options this config builds (also written as the weights' `config` metadata). */
export function transformerOptions(
  cfg: LmConfig,
  vocabSize: number,
): Required<
  Pick<
    TransformerLMOptions,
    | 'vocabSize'
    | 'dModel'
    | 'nhead'
    | 'numLayers'
    | 'dimFeedforward'
    | 'positional'
    | 'maxLen'
    | 'normFirst'
    | 'tieWeights'
  >
> {
  return {
    vocabSize,
    dModel: cfg.dModel,
    nhead: cfg.nhead,
    numLayers: cfg.numLayers,
    dimFeedforward: 4 * cfg.dModel,
    positional: cfg.positional,
    maxLen: cfg.blockSize,
    normFirst: true,
    tieWeights: true,
  };
}

type AnyLM = { kind: 'transformer'; m: TransformerLM } | { kind: 'lstm'; m: CharLSTM };

function buildModel(cfg: LmConfig, vocabSize: number): AnyLM {
  if (cfg.model === 'transformer') {
    if (cfg.dModel % cfg.nhead !== 0)
      throw new CliError(`${PROGRAM} ${COMMAND}: --d-model ${cfg.dModel} must be divisible by --heads ${cfg.nhead}`);
    return {
      kind: 'transformer',
      m: new TransformerLM({ ...transformerOptions(cfg, vocabSize), dropout: cfg.dropout, seed: cfg.seed }),
    };
  }
  return {
    kind: 'lstm',
    m: new CharLSTM({
      vocabSize,
      embeddingDim: cfg.dModel,
      hiddenSize: cfg.hiddenSize,
      numLayers: cfg.numLayers,
      dropout: cfg.dropout,
      seed: cfg.seed,
    }),
  };
}

/** Mean next-character cross-entropy of `logits [B, T, V]` against `target [B, T]`. */
function lmLoss(logits: tf.Tensor3D, target: tf.Tensor2D): tf.Scalar {
  const V = logits.shape[2];
  return crossEntropy(tf.reshape(logits, [-1, V]), tf.reshape(target, [-1])) as tf.Scalar;
}

/**
 * Mean loss (nats/char) over every position of `ids` (the validation text): the transformer reads
 * it in non-overlapping windows of `blockSize` characters (each character predicted from the
 * characters before it in its window, as nanoGPT's evaluation does); the LSTM reads it as one
 * stream cut into `rows` rows, its state carried from chunk to chunk.
 */
export function evaluateLoss(model: AnyLM, ids: Int32Array, opts: { blockSize: number; rows: number }): number {
  model.m.eval();
  let total = 0;
  let count = 0;
  try {
    if (model.kind === 'transformer') {
      const T = opts.blockSize;
      const nWin = Math.floor((ids.length - 1) / T);
      const per = Math.max(1, opts.rows);
      for (let w = 0; w < nWin; w += per) {
        const k = Math.min(per, nWin - w);
        const input = new Int32Array(k * T);
        const target = new Int32Array(k * T);
        for (let r = 0; r < k; r++) {
          const s = (w + r) * T;
          input.set(ids.subarray(s, s + T), r * T);
          target.set(ids.subarray(s + 1, s + 1 + T), r * T);
        }
        const loss = tf.tidy(() => {
          const x = tf.tensor2d(input, [k, T], 'int32');
          const y = tf.tensor2d(target, [k, T], 'int32');
          return lmLoss(model.m.forward(x).logits, y);
        });
        total += loss.dataSync()[0] * k * T;
        count += k * T;
        loss.dispose();
      }
    } else {
      const chunks = bpttBatches(ids, {
        batchSize: Math.max(1, Math.min(opts.rows, Math.floor(ids.length / 2))),
        seqLen: opts.blockSize,
      });
      let state: RecurrentState | undefined;
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks.get(i);
        const { input, target } = lmChunkTensors(c);
        const r = tidyTree(() => {
          const o = model.m.forward(input, state);
          return { loss: lmLoss(o.logits, target), state: o.state };
        });
        tf.dispose([input, target]);
        if (state) tf.dispose([state.h, state.c]);
        state = r.state;
        const n = c.shape[0] * c.shape[1];
        total += r.loss.dataSync()[0] * n;
        count += n;
        r.loss.dispose();
      }
      if (state) tf.dispose([state.h, state.c]);
    }
  } finally {
    model.m.train();
  }
  return total / Math.max(1, count);
}

/**
 * Transformer only: mean loss (nats/char) over the validation text read in windows of `blockSize`
 * that overlap — each window starts `stride` characters after the previous one and scores only its
 * last `stride` characters (the first window scores all of its own), so every character after the
 * first window is predicted from at least `blockSize − stride` characters before it. This is the
 * sliding-window evaluation of Hugging Face's "Perplexity of fixed-length models"; with
 * `stride = blockSize` it is the non-overlapping evaluation of {@link evaluateLoss}.
 */
export function evaluateLossSliding(
  model: TransformerLM,
  ids: Int32Array,
  opts: { blockSize: number; stride: number; rows: number },
): number {
  const T = opts.blockSize;
  const S = opts.stride;
  if (!Number.isInteger(S) || S < 1 || S > T)
    throw new RangeError(`evaluateLossSliding: stride ${S} must be an integer in [1, ${T}]`);
  if (ids.length < T + 1)
    throw new RangeError(`evaluateLossSliding: ${ids.length} characters, fewer than one window of ${T} + 1`);
  // Window starts 0, S, 2S, … while a full window (and its targets) fits.
  const starts: number[] = [];
  for (let s = 0; s + T + 1 <= ids.length; s += S) starts.push(s);
  model.eval();
  let total = 0;
  let count = 0;
  try {
    for (let w = 0; w < starts.length; w += opts.rows) {
      const k = Math.min(opts.rows, starts.length - w);
      const input = new Int32Array(k * T);
      const target = new Int32Array(k * T);
      const mask = new Float32Array(k * T);
      for (let r = 0; r < k; r++) {
        const s = starts[w + r];
        input.set(ids.subarray(s, s + T), r * T);
        target.set(ids.subarray(s + 1, s + 1 + T), r * T);
        mask.fill(1, r * T + (w + r === 0 ? 0 : T - S), (r + 1) * T);
      }
      const sum = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d(input, [k, T], 'int32')).logits; // [k, T, V]
        const V = logits.shape[2];
        const logp = tf.logSoftmax(tf.reshape(logits, [k * T, V]));
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(target, 'int32'), V)), 1); // [k·T]
        return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(mask))));
      });
      total += sum.dataSync()[0];
      sum.dispose();
      for (let i = 0; i < mask.length; i++) count += mask[i];
    }
  } finally {
    model.train();
  }
  return total / Math.max(1, count);
}

/**
 * Continues `prompt` by `length` characters with temperature / top-k / top-p sampling
 * (`sampleDecode` over the model's step function). The transformer generates in segments of at
 * most `blockSize` positions (its learned positions end there): each new segment is primed with
 * the last half block of text.
 */
export function sampleText(
  model: AnyLM,
  vocab: CharVocab,
  opts: {
    prompt: string;
    length: number;
    blockSize: number;
    temperature: number;
    topK: number;
    topP: number;
    seed: number;
  },
): string {
  model.m.eval();
  let text = opts.prompt.length > 0 ? opts.prompt : '\n';
  let generated = '';
  let segment = 0;
  try {
    while (generated.length < opts.length) {
      const ctxLen =
        model.kind === 'transformer'
          ? Math.max(1, Math.floor(opts.blockSize / 2))
          : Math.min(text.length, 4 * opts.blockSize);
      const ctx = vocab.encode(text.slice(-ctxLen));
      const prime = ctx.subarray(0, ctx.length - 1);
      const bos = ctx[ctx.length - 1];
      const room = model.kind === 'transformer' ? opts.blockSize - prime.length : Infinity;
      const maxLength = Math.min(opts.length - generated.length, room);
      const common = {
        bosId: bos,
        eosId: vocab.eosId,
        maxLength,
        batchSize: 1,
        seed: opts.seed + segment,
        temperature: opts.temperature,
        topK: opts.topK,
        topP: opts.topP,
      };
      let tokens: Int32Array;
      if (model.kind === 'transformer') {
        const lm = model.m;
        let init: LMState = lm.initState();
        if (prime.length > 0) {
          const r = lm.advance(init, [Array.from(prime)]);
          r.logits.dispose();
          init = r.state;
        }
        const [h] = sampleDecode((s: LMState, t: Int32Array) => lm.step(s, t), init, common);
        disposeState(init);
        tokens = h.tokens;
      } else {
        const lstm = model.m;
        let init = lstm.zeroState(1);
        if (prime.length > 0) {
          const ids = tf.tensor2d(prime, [1, prime.length], 'int32');
          const r = tidyTree(() => lstm.forward(ids, init));
          r.logits.dispose();
          ids.dispose();
          tf.dispose([init.h, init.c]);
          init = r.state;
        }
        const step = (s: RecurrentState, t: Int32Array): StepOutput<RecurrentState> =>
          tidyTree(() => {
            const o = lstm.forward(tf.tensor2d(t, [t.length, 1], 'int32'), s);
            return { logits: tf.reshape(o.logits, [t.length, -1]) as tf.Tensor2D, state: o.state };
          });
        const [h] = sampleDecode(step, init, common);
        tf.dispose([init.h, init.c]);
        tokens = h.tokens;
      }
      const piece = vocab.decode(tokens);
      if (piece.length === 0) break; // only specials (never trained targets): nothing more to say
      generated += piece;
      text += piece;
      segment++;
    }
  } finally {
    model.m.train();
  }
  return generated;
}

/** Trains (or resumes) a character LM; writes model.safetensors, vocab.json, metrics.json, sample.txt into `out`. */
export async function runLm(
  cfg: LmConfig,
  args: ParsedArgs,
  out: string,
  opts: {
    resume?: boolean;
    quiet?: boolean;
    log?: (s: string) => void;
    timeBudgetSeconds?: number;
    evalEvery?: number;
    evalChars?: number;
    sample?: { prompt: string; length: number; temperature: number; topK: number; topP: number };
    /** Data-parallel replicas (threads), each on its share of every batch. @default 1 */
    workers?: number;
  } = {},
): Promise<LmResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const found = findData(args, DATASETS.shakespeare);
  if ((opts.workers ?? 1) > cfg.batchSize)
    throw new CliError(
      `${PROGRAM} ${COMMAND}: --workers ${opts.workers} is more than --batch-size ${cfg.batchSize}; each replica needs at least one window`,
    );
  const dp = startDataParallel(opts.workers ?? 1, args.argv);
  if (!dp.primary)
    opts = {
      ...opts,
      quiet: true,
      log: process.env.WORDLOOM_DP_DEBUG ? (s: string) => process.stdout.write(`${s}\n`) : () => {},
    };
  try {
    return await trainAndReport(cfg, args, out, opts, dp, found, t0, cpu0);
  } catch (e) {
    if (dp.primary) dp.abort();
    throw e;
  } finally {
    if (dp.primary) await dp.close(); // a worker's channel is closed by dp-worker.js
  }
}

async function trainAndReport(
  cfg: LmConfig,
  args: ParsedArgs,
  out: string,
  opts: Parameters<typeof runLm>[3] & object,
  dp: DataParallel,
  found: ReturnType<typeof findData>,
  t0: number,
  cpu0: NodeJS.CpuUsage,
): Promise<LmResult> {
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const be = await backend(log);
  let text = readText(found.path);
  if (cfg.limitChars > 0) text = text.slice(0, cfg.limitChars);
  const nTrain = Math.floor(text.length * 0.9);
  if (nTrain < 2 * cfg.blockSize + 2 || text.length - nTrain < cfg.blockSize + 2) {
    throw new CliError(
      `${PROGRAM} ${COMMAND}: ${found.path} has ${text.length} characters, too few for --block-size ${cfg.blockSize} (need ≥ ${20 * (cfg.blockSize + 2)})`,
      3,
    );
  }
  const trainText = text.slice(0, nTrain);
  const valText = text.slice(nTrain);
  let vocab: CharVocab;
  const vocabPath = join(out, 'vocab.json');
  if (opts.resume && existsSync(vocabPath)) {
    const j = JSON.parse(readFileSync(vocabPath, 'utf8')) as { tokens: string[] };
    vocab = new CharVocab(j.tokens);
  } else {
    vocab = new CharVocab(text); // every character of the file (validation included), as char-rnn and nanoGPT do
  }
  if (dp.primary) writeJson(vocabPath, { format: 'wordloom-demo-charvocab v1', tokens: vocab.itos });
  const trainIds = vocab.encode(trainText);
  const valIds = vocab.encode(valText);
  log(
    `shakespeare: ${trainIds.length.toLocaleString('en-US')} training / ${valIds.length.toLocaleString('en-US')} validation characters from ${found.path}; vocabulary ${vocab.size} (${vocab.size - 4} characters + 4 specials)`,
  );

  const model = buildModel(cfg, vocab.size);
  const T = cfg.blockSize;
  const B = cfg.batchSize;
  const chunksPerEpoch = bpttBatches(trainIds.subarray(T), { batchSize: B, seqLen: T }).length;
  // Planned length of the cosine schedule: --max-steps, else planned from --time-budget after
  // timing the first steps, else epochs × chunks per epoch.
  let plannedSteps = cfg.maxSteps > 0 ? cfg.maxSteps : cfg.epochs * chunksPerEpoch;
  // A resumed run keeps the plan in its checkpoint (re-planning would bend the schedule mid-run).
  const planFromBudget = cfg.maxSteps === 0 && opts.timeBudgetSeconds !== undefined && !opts.resume;
  const schedule = (s: number): number =>
    warmupCosineSchedule({
      peak: cfg.lr,
      warmupSteps: Math.min(cfg.warmup, plannedSteps - 1),
      totalSteps: Math.max(plannedSteps, 2),
      end: cfg.minLr,
    })(s);
  const base: GradientTransformation =
    cfg.optimizer === 'adamw'
      ? adamw({ lr: schedule, betas: [0.9, 0.99], weightDecay: cfg.weightDecay })
      : adam({ lr: schedule, betas: [0.9, 0.99] });
  const optimizer = new Optimizer(model.m, chain(clipByGlobalNorm({ maxNorm: cfg.clip }), base));
  const params = model.m.numParameters();
  const desc =
    model.kind === 'transformer'
      ? `TransformerLM ${cfg.numLayers} layers × d ${cfg.dModel} × ${cfg.nhead} heads, ${cfg.positional} positions, context ${T}`
      : `LSTM ${cfg.numLayers} layers × ${cfg.hiddenSize} (embedding ${cfg.dModel}), BPTT ${T}`;
  log(
    `model: ${desc}, ${params.toLocaleString('en-US')} parameters; ${cfg.optimizer === 'adamw' ? `AdamW (wd ${cfg.weightDecay})` : 'Adam'} lr ${cfg.lr} (warmup ${cfg.warmup}, cosine to ${cfg.minLr}), clip ${cfg.clip}, batch ${B}×${T}; ${chunksPerEpoch} chunks/epoch${dp.world > 1 ? `; ${dp.world} data-parallel replicas of ${Math.ceil(B / dp.world)} windows` : ''}`,
  );

  // Each replica trains on its own rows of every chunk (all of them with one replica).
  const [r0, r1] = shardRange(B, dp.rank, dp.world);
  const mine = (chunk: LmChunk): LmChunk => {
    if (dp.world === 1) return chunk;
    const t = chunk.shape[1];
    return {
      input: chunk.input.subarray(r0 * t, r1 * t),
      target: chunk.target.subarray(r0 * t, r1 * t),
      shape: [r1 - r0, t],
    };
  };
  const trainable = model.m.trainableParameters();
  const apply = (grads: Map<string, tf.Tensor>): void => {
    optimizer.step(grads);
  };
  const tbptt =
    model.kind === 'lstm'
      ? new TruncatedBptt<LmChunk>({
          params: trainable,
          forward: (chunk, state) => {
            const { input, target } = lmChunkTensors(chunk);
            const o = model.m.forward(input, state);
            return { loss: lmLoss(o.logits, target), state: o.state };
          },
          // With replicas the loss in the log is rank 0's slice (the update callback runs before the loss is read).
          update: (grads) =>
            dp.world === 1 ? apply(grads) : void exchangeGradients(dp, trainable, grads, 0, r1 - r0, apply),
        })
      : null;
  const trainStep = (chunk: LmChunk): number => {
    const c = mine(chunk);
    if (tbptt) return tbptt.step(c);
    const { input, target } = lmChunkTensors(c);
    try {
      return parallelStep(
        dp,
        trainable,
        () => lmLoss((model.m as TransformerLM).forward(input).logits, target),
        r1 - r0,
        apply,
      );
    } finally {
      tf.dispose([input, target]);
    }
  };
  const evalIds =
    opts.evalChars && opts.evalChars > 0 ? valIds.subarray(0, Math.min(valIds.length, opts.evalChars)) : valIds;
  const evalRows = model.kind === 'transformer' ? 32 : 16;

  const loop = await trainLoop<LmChunk>({
    command: COMMAND,
    label: 'shakespeare',
    out,
    model: model.m,
    optimizer,
    config: { ...cfg },
    // Each epoch starts the stream at a different offset in [0, T), so windows are not always cut at the same places.
    batches: (epoch) => {
      const erng = new Rng(cfg.seed * 1000 + epoch);
      const offset = erng.int(T);
      const chunks = bpttBatches(trainIds.subarray(offset), { batchSize: B, seqLen: T });
      const order = Int32Array.from({ length: chunks.length }, (_, i) => i);
      if (model.kind === 'transformer') erng.shuffle(order);
      return { length: chunks.length, get: (i) => chunks.get(order[i]) };
    },
    step: (chunk) => trainStep(chunk),
    plannedSteps,
    onPlan: (p) => {
      plannedSteps = p;
    },
    planFromBudget,
    ...runOptions(opts, log),
    lr: schedule,
    onEpochStart: () => tbptt?.reset(),
    evalEvery: opts.evalEvery ?? 0,
    evaluate: ({ step, loss }) => {
      const valLoss = evaluateLoss(model, evalIds, { blockSize: T, rows: evalRows });
      return {
        metrics: { valLoss },
        message: `step ${step}: train loss ${loss.toFixed(4)}, val loss ${valLoss.toFixed(4)} (first ${evalIds.length.toLocaleString('en-US')} validation chars)`,
      };
    },
    dp,
  });
  const { step, interrupted, trainSeconds, history, lastLoss } = loop;
  const epoch = loop.epochs;

  // Interrupted: stop quickly (the loss on the whole split takes a while); --resume finishes the run.
  if (!interrupted)
    log(`evaluating on the whole validation split (${valIds.length.toLocaleString('en-US')} characters)…`);
  const valLoss = interrupted ? NaN : evaluateLoss(model, valIds, { blockSize: T, rows: evalRows });
  const stride = Math.max(1, Math.floor(T / 2));
  const valLossSliding =
    interrupted || model.kind !== 'transformer'
      ? undefined
      : evaluateLossSliding(model.m, valIds, { blockSize: T, stride, rows: evalRows });
  const valLossOn =
    model.kind === 'transformer'
      ? `all ${valIds.length} validation characters (last 10% of the text), in non-overlapping windows of ${T} characters`
      : `all ${valIds.length} validation characters (last 10% of the text), as ${evalRows} streams with the LSTM state carried across chunks of ${T}`;
  const s = opts.sample ?? { prompt: '\n', length: 500, temperature: 0.8, topK: 0, topP: 0.95 };
  const sample = interrupted ? '' : sampleText(model, vocab, { ...s, blockSize: T, seed: cfg.seed });
  if (!interrupted) writeFileSync(join(out, 'sample.txt'), s.prompt + sample + '\n');
  const config =
    model.kind === 'transformer'
      ? transformerOptions(cfg, vocab.size)
      : { vocabSize: vocab.size, embeddingDim: cfg.dModel, hiddenSize: cfg.hiddenSize, numLayers: cfg.numLayers };
  saveWeights(join(out, 'model.safetensors'), model.m, {
    model: cfg.model,
    config: JSON.stringify(config),
    vocab: 'vocab.json',
  });
  const result: LmResult = {
    data: `${found.path} (Tiny Shakespeare, karpathy/char-rnn; first 90% train, last 10% validation${cfg.limitChars > 0 ? `; first ${cfg.limitChars} characters only` : ''})`,
    trainChars: trainIds.length,
    valChars: valIds.length,
    vocabSize: vocab.size,
    parameters: params,
    steps: step,
    plannedSteps,
    epochsDone: epoch,
    valLoss,
    valLossOn,
    ...(valLossSliding !== undefined ? { valLossSliding } : {}),
    valBpc: valLoss / Math.LN2,
    finalTrainLoss: history.length ? history[history.length - 1].loss : lastLoss,
    trainSeconds,
    wallSeconds: since(t0),
    charsPerSecond: (step * B * T) / Math.max(trainSeconds, 1e-9),
    cpuSeconds: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6,
    backend: be,
    interrupted,
    history,
    sample,
  };
  writeJson(join(out, 'metrics.json'), { ...result, config: cfg });
  tbptt?.dispose();
  model.m.dispose();
  optimizer.dispose();
  if (valLossSliding !== undefined)
    log(
      `val loss with windows overlapping by half (stride ${stride}; each character sees ≥ ${T - stride} before it): ${valLossSliding.toFixed(4)} nats/char`,
    );
  if (!interrupted)
    log(
      `shakespeare (${cfg.model}): val loss ${valLoss.toFixed(4)} nats/char (${result.valBpc.toFixed(3)} bits/char) after ${step} steps, ${trainSeconds.toFixed(0)} s training (${result.wallSeconds.toFixed(0)} s wall, ${result.cpuSeconds.toFixed(0)} CPU s)`,
    );
  return result;
}

const MODEL_DEFAULTS: Record<LmConfig['model'], Record<string, string>> = {
  transformer: {
    'd-model': '128',
    layers: '2',
    'block-size': '128',
    'batch-size': '32',
    lr: '0.004',
    hidden: '0',
    warmup: '50',
  },
  lstm: {
    'd-model': '64',
    layers: '2',
    'block-size': '64',
    'batch-size': '32',
    lr: '0.004',
    hidden: '384',
    warmup: '30',
  },
};

/** Reads the config from parsed options (model-dependent defaults where an option was left out). */
export function lmConfigFrom(args: ParsedArgs): LmConfig {
  const model = (args.values.model ?? 'transformer') as LmConfig['model'];
  const d = MODEL_DEFAULTS[model];
  const v = (name: string): ParsedArgs => ({
    ...args,
    values: { ...args.values, [name]: args.values[name] ?? d[name] },
  });
  const int = (name: string, min: number): number => intOption(v(name), COMMAND, name, min);
  const num = (name: string, min: number): number => numberOption(v(name), COMMAND, name, min);
  const lr = num('lr', 0);
  if (!(lr > 0)) throw new CliError(`${PROGRAM} ${COMMAND}: --lr ${lr} must be > 0`);
  const dropout = num('dropout', 0);
  if (dropout >= 1) throw new CliError(`${PROGRAM} ${COMMAND}: --dropout ${dropout} must be < 1`);
  return {
    model,
    dModel: int('d-model', 1),
    nhead: int('heads', 1),
    numLayers: int('layers', 1),
    hiddenSize: model === 'lstm' ? int('hidden', 1) : 0,
    positional: args.values.positional as LmConfig['positional'],
    blockSize: int('block-size', 2),
    batchSize: int('batch-size', 1),
    dropout,
    optimizer: args.values.optimizer as LmConfig['optimizer'],
    lr,
    minLr: num('min-lr', 0),
    weightDecay: num('weight-decay', 0),
    warmup: int('warmup', 0),
    clip: num('clip', 0),
    maxSteps: int('max-steps', 0),
    epochs: int('epochs', 1),
    seed: int('seed', 0),
    limitChars: int('limit-chars', 0),
  };
}

export const lmShakespeareCommand: Command = {
  name: COMMAND,
  summary: 'character-level language model on Tiny Shakespeare (transformer or LSTM): validation loss and sampled text',
  details: [
    'Data: tinyshakespeare/input.txt (1.1 MB, karpathy/char-rnn; MIT, the text is public domain). First 90% of the text trains, last 10% validates.',
    'Reports the validation loss in nats/char (mean over the whole validation split) and samples text (temperature / top-k / top-p).',
    'Writes model.safetensors (metadata: model, config), vocab.json, metrics.json (valLoss, history every 50 steps), sample.txt, checkpoint.safetensors.',
    'Ctrl-C stops after the current step and saves a checkpoint; --resume continues it (same --out and options).',
  ].join('\n'),
  options: {
    ...commonOptions,
    model: {
      type: 'string',
      choices: ['transformer', 'lstm'],
      default: 'transformer',
      description: 'GPT-style TransformerLM, or Embedding + LSTM + Linear',
    },
    'd-model': {
      type: 'string',
      value: 'N',
      description: 'transformer width / LSTM embedding size (default 128 / 64)',
    },
    heads: { type: 'string', value: 'N', default: '4', description: 'attention heads (transformer)' },
    layers: { type: 'string', value: 'N', description: 'transformer blocks / LSTM layers (default 2 / 2)' },
    hidden: { type: 'string', value: 'N', description: 'LSTM hidden size (default 384)' },
    positional: {
      type: 'string',
      choices: ['learned', 'sinusoidal'],
      default: 'learned',
      description: 'transformer position encoding',
    },
    'block-size': {
      type: 'string',
      value: 'N',
      description: 'characters per window: transformer context / LSTM BPTT length (default 128 / 64)',
    },
    'batch-size': { type: 'string', value: 'N', description: 'windows per step (default 32)' },
    dropout: { type: 'string', value: 'X', default: '0', description: 'dropout (0 suits short runs, which underfit)' },
    optimizer: { type: 'string', choices: ['adamw', 'adam'], default: 'adamw', description: 'optimizer' },
    lr: { type: 'string', value: 'X', description: 'peak learning rate (default 0.004)' },
    'min-lr': {
      type: 'string',
      value: 'X',
      default: '0.0001',
      description: 'learning rate at the end of the cosine decay',
    },
    'weight-decay': { type: 'string', value: 'X', default: '0.01', description: 'AdamW decoupled weight decay' },
    warmup: { type: 'string', value: 'N', description: 'linear warmup steps (default 50 / 30)' },
    clip: { type: 'string', value: 'X', default: '1', description: 'clip gradients to this global norm' },
    'max-steps': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'optimizer steps (0: fit to --time-budget, else --epochs)',
    },
    epochs: {
      type: 'string',
      value: 'N',
      default: '1',
      description: 'passes over the training text when neither --max-steps nor --time-budget is given',
    },
    'time-budget': {
      type: 'string',
      value: 'SECONDS',
      description: 'stop training after this many seconds (the cosine schedule is fitted to it unless --max-steps)',
    },
    'eval-every': {
      type: 'string',
      value: 'N',
      default: '500',
      description: 'estimate the validation loss every N steps (0 = only at the end)',
    },
    'eval-chars': {
      type: 'string',
      value: 'N',
      default: '20000',
      description: 'characters of validation text for the estimates during training (the final loss uses all)',
    },
    'limit-chars': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'use only the first N characters of the text (0 = all; for quick runs)',
    },
    prompt: { type: 'string', value: 'TEXT', default: 'ROMEO:', description: 'text the sample continues' },
    'sample-length': { type: 'string', value: 'N', default: '500', description: 'characters to sample' },
    temperature: { type: 'string', value: 'X', default: '0.8', description: 'sampling temperature' },
    'top-k': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'sample among the k most probable characters (0 = all)',
    },
    'top-p': { type: 'string', value: 'X', default: '0.95', description: 'nucleus sampling threshold (1 = off)' },
    workers: workersOption,
    resume: { type: 'boolean', description: 'continue from <out>/checkpoint.safetensors' },
    quiet: { type: 'boolean', description: 'no progress bar' },
  },
  async run(args) {
    const cfg = lmConfigFrom(args);
    const workers = parseWorkers(args.values.workers, COMMAND);
    const budgetRaw = args.values['time-budget'];
    const timeBudgetSeconds = typeof budgetRaw === 'string' ? numberOption(args, COMMAND, 'time-budget', 1) : undefined;
    const temperature = numberOption(args, COMMAND, 'temperature', 0);
    if (!(temperature > 0)) throw new CliError(`${PROGRAM} ${COMMAND}: --temperature must be > 0`);
    const topP = numberOption(args, COMMAND, 'top-p', 0);
    if (!(topP > 0 && topP <= 1)) throw new CliError(`${PROGRAM} ${COMMAND}: --top-p ${topP} must be in (0, 1]`);
    const out = outDir(args, COMMAND);
    const prompt = String(args.values.prompt ?? '');
    const r = await runLm(cfg, args, out, {
      resume: args.values.resume === true,
      quiet: args.values.quiet === true,
      ...(timeBudgetSeconds !== undefined ? { timeBudgetSeconds } : {}),
      evalEvery: intOption(args, COMMAND, 'eval-every', 0),
      evalChars: intOption(args, COMMAND, 'eval-chars', 0),
      sample: {
        prompt,
        length: intOption(args, COMMAND, 'sample-length', 1),
        temperature,
        topK: intOption(args, COMMAND, 'top-k', 0),
        topP,
      },
      workers,
    });
    if (r.interrupted)
      throw new CliError(
        `${PROGRAM} ${COMMAND}: interrupted after step ${r.steps}; continue with --resume --out ${out}`,
        130,
      );
    process.stdout.write(`\n${prompt}${r.sample}\n\n`);
    process.stdout.write(`wrote ${join(out, 'metrics.json')}, model.safetensors, vocab.json, sample.txt\n`);
  },
};

/** The `lm` subcommands (registered by commands/index.ts). */
export const lmCommands: Command[] = [lmShakespeareCommand];
