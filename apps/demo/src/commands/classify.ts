/**
 * `classify nsmc`: Korean movie-review sentiment (NSMC) from scratch — a BPE trained with
 * @wordloom/tokenizer on the training reviews, then a BiLSTM (@wordloom/rnn, ragged batches with
 * lengths, masked max/mean pooling or the final states) or a transformer encoder
 * (@wordloom/transformer's `TransformerClassifier`), batched by length with @wordloom/data's
 * `BucketBatchSampler` + `padCollate`, AdamW with warmup + cosine and clipping (@wordloom/optim).
 * Trains on "NSMC-raw derived train (seed 20150101)"; reports accuracy on the canonical
 * 50,000-review NSMC test set.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import {
  Dropout,
  Embedding,
  Linear,
  Module,
  Rng,
  crossEntropy,
  readSafetensors,
  writeSafetensors,
} from '@wordloom/core';
import { BucketBatchSampler, padCollate, type PaddedBatch } from '@wordloom/data';
import { readNsmcFile } from '@wordloom/data/node';
import { Optimizer, adamw, chain, clipByGlobalNorm, warmupCosineSchedule } from '@wordloom/optim';
import { LSTM } from '@wordloom/rnn';
import {
  BPE,
  Metaspace,
  MetaspaceDecoder,
  Tokenizer,
  UnicodeNormalizer,
  fromTokenizerJson,
  toTokenizerJson,
  trainBpe,
} from '@wordloom/tokenizer';
import { TransformerClassifier } from '@wordloom/transformer';
import { CliError, PROGRAM, commonOptions, intOption, numberOption, type Command, type ParsedArgs } from '../args.js';
import { DATASETS, findData, type DataSet } from '../data.js';
import { runOptions, trainLoop, type HistoryEntry } from '../loop.js';
import {
  parallelStep,
  parseWorkers,
  shardRange,
  startDataParallel,
  workerReplica,
  workersOption,
  type DataParallel,
} from '../parallel.js';
import { backend, outDir, saveWeights, since, writeJson } from '../train-util.js';
import { pretrainEmbeddings, pretrainedBinary } from './nsmc-pretrain.js';

const COMMAND = 'classify nsmc';
/** What the derived training split must be called (see ../shared/data/README.md). */
export const NSMC_TRAIN_NAME = 'NSMC-raw derived train (seed 20150101)';

export interface ClassifyConfig {
  model: 'bilstm' | 'transformer';
  vocabSize: number;
  embeddingDim: number;
  /** BiLSTM hidden size per direction / transformer feed-forward size is 4·embeddingDim. */
  hiddenSize: number;
  numLayers: number;
  nhead: number;
  pooling: 'max' | 'mean' | 'last';
  /** Reviews are cut to this many tokens. */
  maxLen: number;
  batchSize: number;
  dropout: number;
  lr: number;
  weightDecay: number;
  warmup: number;
  clip: number;
  epochs: number;
  /** Optimizer steps (0 = planned from --time-budget, else epochs). */
  maxSteps: number;
  /** Use only the first N training reviews (0 = all). */
  maxTrain: number;
  /** Use only the first N test reviews (0 = all 50,000). */
  maxTest: number;
  /** Training reviews held out to watch progress (taken from the training split, never the test set). */
  devSize: number;
  seed: number;
  /** tokenizer.json given with --tokenizer (else trained on the training reviews). */
  tokenizer: string;
  /** Initialise the BiLSTM's embedding with word2vec trained on the unlabeled raw reviews (test reviews left out). */
  pretrain: 'none' | 'word2vec';
  /** word2vec epochs over the raw reviews. */
  pretrainEpochs: number;
}

export interface ClassifyResult {
  trainData: string;
  testData: string;
  trainExamples: number;
  devExamples: number;
  testExamples: number;
  /** Accuracy on the test set (the canonical 50,000 reviews unless --max-test). */
  accuracy: number;
  devAccuracy: number;
  vocabSize: number;
  tokenizer: string;
  meanTokens: number;
  parameters: number;
  steps: number;
  plannedSteps: number;
  epochsDone: number;
  trainSeconds: number;
  /** Seconds from start to end (data, tokenizer, training, evaluation). */
  wall: number;
  /** CPU seconds (user + system) of this process during the run: with other work on the machine, wall ≫ CPU. */
  cpuSeconds: number;
  backend: string;
  interrupted: boolean;
  /** The embedding pretraining (`--pretrain word2vec`), if any. */
  pretrain?: {
    method: 'word2vec';
    file: string;
    reviews?: number;
    excludedTestReviews?: number;
    tokens?: number;
    covered?: number;
    seconds?: number;
  };
  /** Every 50 steps: mean training loss, learning rate, and `devAccuracy` where it was measured. */
  history: HistoryEntry[];
}

/** Embedding → bidirectional LSTM over the real tokens (lengths) → pooling → Linear. */
export class BiLstmClassifier extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM;
  readonly classifier: Linear;
  private readonly drop: Dropout;
  constructor(
    readonly opts: {
      vocabSize: number;
      embeddingDim: number;
      hiddenSize: number;
      numLayers: number;
      numClasses: number;
      dropout: number;
      pooling: 'max' | 'mean' | 'last';
      padId: number;
      seed: number;
      /** Initial embedding table `[vocabSize, embeddingDim]` (e.g. word2vec vectors); trained further. Its pad row is zeroed. */
      pretrained?: Float32Array;
    },
  ) {
    super();
    let weights: Float32Array | undefined;
    if (opts.pretrained) {
      weights = opts.pretrained.slice();
      weights.fill(0, opts.padId * opts.embeddingDim, (opts.padId + 1) * opts.embeddingDim);
    }
    this.embedding = this.addModule(
      'embedding',
      new Embedding({
        numEmbeddings: opts.vocabSize,
        embeddingDim: opts.embeddingDim,
        paddingIdx: opts.padId,
        seed: opts.seed,
        ...(weights ? { weights } : {}),
      }),
    );
    this.rnn = this.addModule(
      'rnn',
      new LSTM({
        inputSize: opts.embeddingDim,
        hiddenSize: opts.hiddenSize,
        numLayers: opts.numLayers,
        bidirectional: true,
        dropout: opts.dropout,
        seed: opts.seed + 1,
        forgetBias: 1,
      }),
    );
    this.classifier = this.addModule(
      'classifier',
      new Linear({ inFeatures: 2 * opts.hiddenSize, outFeatures: opts.numClasses, seed: opts.seed + 2 }),
    );
    this.drop = this.addModule('drop', new Dropout({ p: opts.dropout, seed: opts.seed + 3 }));
  }
  /** ids `[B, T]`, mask `[B, T]` (1 = real token), lengths → logits `[B, C]`. */
  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, lengths: Int32Array): tf.Tensor2D {
    return tf.tidy(() => {
      const x = this.drop.forward(this.embedding.forward(ids)); // [B, T, E]
      const r = this.rnn.forward(x, { lengths });
      const H = this.opts.hiddenSize;
      let pooled: tf.Tensor; // [B, 2H]
      if (this.opts.pooling === 'last') {
        // Final states of the last layer: forward direction at each review's last token, backward at its first.
        const L = this.opts.numLayers;
        const h = r.state.h; // [L·2, B, H]
        const B = ids.shape[0];
        const fwd = tf.reshape(tf.slice(h, [2 * (L - 1), 0, 0], [1, B, H]), [B, H]);
        const bwd = tf.reshape(tf.slice(h, [2 * (L - 1) + 1, 0, 0], [1, B, H]), [B, H]);
        pooled = tf.concat([fwd, bwd], 1);
      } else if (this.opts.pooling === 'max') {
        const m = tf.expandDims(tf.cast(mask, 'float32'), 2); // [B, T, 1]
        pooled = tf.max(tf.add(r.outputs, tf.mul(tf.sub(m, 1), 1e9)), 1);
      } else {
        const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
        pooled = tf.div(tf.sum(tf.mul(r.outputs, m), 1), tf.maximum(tf.sum(m, 1), 1));
      }
      return this.classifier.forward(this.drop.forward(pooled)) as tf.Tensor2D;
    });
  }
}

type AnyClassifier = { kind: 'bilstm'; m: BiLstmClassifier } | { kind: 'transformer'; m: TransformerClassifier };

function logitsOf(model: AnyClassifier, b: PaddedBatch, lengths: Int32Array): tf.Tensor2D {
  if (model.kind === 'bilstm') return model.m.forward(b.ids, b.mask, lengths);
  return model.m.forward(b.ids, { lengths }).logits;
}

/** Trains a BPE tokenizer with `▁` word marks (sentencepiece-style) and pad/unk/bos/eos special tokens. */
export async function trainNsmcTokenizer(texts: string[], vocabSize: number): Promise<Tokenizer> {
  const normalizer = new UnicodeNormalizer('NFKC');
  const preTokenizer = new Metaspace();
  const specials = ['<pad>', '<unk>', '<s>', '</s>'];
  const r = await trainBpe(texts, {
    vocabSize,
    specialTokens: specials,
    minFrequency: 2,
    limitAlphabet: 2000,
    normalizer,
    preTokenizer,
  });
  return new Tokenizer({
    model: new BPE({ vocab: r.vocab, merges: r.merges, unkToken: '<unk>' }),
    normalizer,
    preTokenizer,
    decoder: new MetaspaceDecoder(),
    specialTokens: { pad: '<pad>', unk: '<unk>', bos: '<s>', eos: '</s>' },
  });
}

/** Reads an NSMC file with @wordloom/data; a malformed file is a one-line CliError naming the data set. */
export async function readNsmcRows(
  path: string,
  ds: DataSet,
  limit = 0,
): Promise<{ ids: string[]; texts: string[]; labels: Int32Array }> {
  let data;
  try {
    data = await readNsmcFile(path, limit > 0 ? { limit } : {});
  } catch (e) {
    throw new CliError(
      `${PROGRAM} ${COMMAND}: ${ds.name} (${path}) is not a valid NSMC file: ${(e as Error).message}`,
      3,
    );
  }
  if (data.rows.length === 0) throw new CliError(`${PROGRAM} ${COMMAND}: ${ds.name} (${path}) has no reviews`, 3);
  return {
    ids: data.rows.map((r) => r.id),
    texts: data.rows.map((r) => r.document),
    labels: Int32Array.from(data.rows, (r) => r.label),
  };
}

/** Reads the embedding table rank 0 pretrained (pretrained-embedding.safetensors), checking its shape. */
function readPretrained(path: string, vocabSize: number, dim: number): Float32Array {
  if (!existsSync(path))
    throw new CliError(`${PROGRAM} ${COMMAND}: ${path} is missing; run without --resume to pretrain again`);
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(path)));
  try {
    const w = tensors.get('weight');
    if (!w || w.shape.length !== 2 || w.shape[0] !== vocabSize || w.shape[1] !== dim) {
      throw new CliError(
        `${PROGRAM} ${COMMAND}: ${path} holds no [${vocabSize}, ${dim}] 'weight'; delete it or use another --out`,
      );
    }
    return (w.dataSync() as Float32Array).slice();
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Accuracy of `model` on encoded examples, in batches of similar length. */
export function evaluateAccuracy(
  model: AnyClassifier,
  examples: Array<{ ids: Int32Array; label: number }>,
  padId: number,
  batchSize = 256,
): number {
  if (examples.length === 0) return NaN;
  model.m.eval();
  const collate = padCollate({ padId });
  const order = Array.from(examples.keys()).sort((a, b) => examples[a].ids.length - examples[b].ids.length);
  let correct = 0;
  try {
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const b = collate(idx.map((i) => examples[i]));
      const lengths = b.lengths.dataSync() as Int32Array;
      const pred = tf.tidy(() => tf.argMax(logitsOf(model, b, lengths), 1));
      const p = pred.dataSync();
      pred.dispose();
      tf.dispose(b as unknown as tf.TensorContainer);
      idx.forEach((i, k) => {
        if (p[k] === examples[i].label) correct++;
      });
    }
  } finally {
    model.m.train();
  }
  return correct / examples.length;
}

/** Trains and evaluates; writes metrics.json, model.safetensors, tokenizer.json (and checkpoint.safetensors) into `out`. */
export async function runClassify(
  cfg: ClassifyConfig,
  args: ParsedArgs,
  out: string,
  opts: ClassifyRunOptions = {},
): Promise<ClassifyResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const trainFile = findData(args, DATASETS.nsmcTrain);
  const testFile = findData(args, DATASETS.nsmcTest);
  if (cfg.tokenizer !== '' && !existsSync(resolve(cfg.tokenizer))) {
    throw new CliError(
      `${PROGRAM} ${COMMAND}: --tokenizer ${cfg.tokenizer} does not exist; give a tokenizer.json (e.g. from '${PROGRAM} tokenize train --corpus nsmc') or leave it out to train one`,
    );
  }
  if ((opts.workers ?? 1) > cfg.batchSize)
    throw new CliError(
      `${PROGRAM} ${COMMAND}: --workers ${opts.workers} is more than --batch-size ${cfg.batchSize}; each replica needs at least one review`,
    );
  // A worker replica is one from the start; rank 0 starts its workers once the tokenizer (and the
  // pretrained embedding) are on disk, so the workers load them instead of making them again.
  const group: { dp?: DataParallel } = {};
  const replica = workerReplica();
  if (replica) {
    group.dp = replica;
    opts = {
      ...opts,
      quiet: true,
      log: process.env.WORDLOOM_DP_DEBUG ? (s: string) => process.stdout.write(`${s}\n`) : () => {},
    };
  }
  const start = (): DataParallel => (group.dp ??= startDataParallel(opts.workers ?? 1, args.argv));
  try {
    return await trainAndEvaluate(cfg, args, out, opts, start, { trainFile, testFile, t0, cpu0 });
  } catch (e) {
    if (group.dp?.primary) group.dp.abort();
    throw e;
  } finally {
    if (group.dp?.primary) await group.dp.close(); // a worker's channel is closed by dp-worker.js
  }
}

export interface ClassifyRunOptions {
  resume?: boolean;
  quiet?: boolean;
  log?: (s: string) => void;
  timeBudgetSeconds?: number;
  evalEvery?: number;
  /** Data-parallel replicas (threads), each on its share of every batch. @default 1 */
  workers?: number;
}

async function trainAndEvaluate(
  cfg: ClassifyConfig,
  args: ParsedArgs,
  out: string,
  opts: ClassifyRunOptions,
  startGroup: () => DataParallel,
  ctx: {
    trainFile: ReturnType<typeof findData>;
    testFile: ReturnType<typeof findData>;
    t0: number;
    cpu0: NodeJS.CpuUsage;
  },
): Promise<ClassifyResult> {
  const { trainFile, testFile, t0, cpu0 } = ctx;
  const isWorker = workerReplica() !== undefined;
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const be = await backend(log);
  const rawTrain = await readNsmcRows(trainFile.path, DATASETS.nsmcTrain, cfg.maxTrain);
  const rawTest = await readNsmcRows(testFile.path, DATASETS.nsmcTest, cfg.maxTest);
  log(
    `nsmc: ${rawTrain.texts.length.toLocaleString('en-US')} training reviews (${NSMC_TRAIN_NAME}) from ${trainFile.path}; ${rawTest.texts.length.toLocaleString('en-US')} test reviews from ${testFile.path}`,
  );

  // Tokenizer: --tokenizer FILE, else the one of a resumed run, else a BPE trained on the training reviews.
  const tokPath = join(out, 'tokenizer.json');
  let tok: Tokenizer;
  let tokSource: string;
  const loadTok = (p: string): Tokenizer => {
    if (!existsSync(p))
      throw new CliError(
        `${PROGRAM} ${COMMAND}: --tokenizer ${p} does not exist; give a tokenizer.json (e.g. from '${PROGRAM} tokenize train --corpus nsmc') or leave it out to train one`,
      );
    try {
      return fromTokenizerJson(readFileSync(p, 'utf8'));
    } catch (e) {
      throw new CliError(
        `${PROGRAM} ${COMMAND}: --tokenizer ${p} is not a tokenizer.json: ${(e as Error).message.split('\n')[0]}`,
      );
    }
  };
  if (isWorker) {
    tok = loadTok(tokPath); // written by rank 0 before it started the workers
    tokSource = tokPath;
  } else if (cfg.tokenizer !== '') {
    tok = loadTok(resolve(cfg.tokenizer));
    tokSource = resolve(cfg.tokenizer);
  } else if (opts.resume && existsSync(tokPath)) {
    tok = loadTok(tokPath);
    tokSource = `${tokPath} (from the resumed run)`;
  } else {
    const tt = performance.now();
    tok = await trainNsmcTokenizer(rawTrain.texts, cfg.vocabSize);
    tokSource = `BPE trained on the ${rawTrain.texts.length} training reviews (vocab ${cfg.vocabSize}, NFKC, ▁ word marks)`;
    log(`tokenizer: ${tokSource} in ${since(tt).toFixed(1)} s`);
  }
  if (!isWorker) writeFileSync(tokPath, toTokenizerJson(tok));
  let padId: number;
  let unkId: number;
  try {
    padId = tok.specialTokenId('pad');
  } catch {
    const p = tok.tokenToId('<pad>') ?? tok.tokenToId('[PAD]');
    if (p === undefined)
      throw new CliError(
        `${PROGRAM} ${COMMAND}: the tokenizer has no pad token ('<pad>' or '[PAD]'); add one to its added_tokens`,
      );
    padId = p;
  }
  try {
    unkId = tok.specialTokenId('unk');
  } catch {
    unkId = padId === 0 ? 1 : 0;
  }
  const encode = (texts: string[], labels: Int32Array): Array<{ ids: Int32Array; label: number }> =>
    texts.map((t, i) => {
      let ids = tok.encodeIds(t);
      if (ids.length > cfg.maxLen) ids = ids.subarray(0, cfg.maxLen);
      if (ids.length === 0) ids = Int32Array.of(unkId); // 3 test reviews are empty: one unknown token
      return { ids, label: labels[i] };
    });
  const te = performance.now();
  const allTrain = encode(rawTrain.texts, rawTrain.labels);
  const test = encode(rawTest.texts, rawTest.labels);
  // Dev split: a seeded sample of the training reviews, to watch progress without touching the test set.
  const perm = Int32Array.from(allTrain.keys());
  new Rng(cfg.seed).shuffle(perm);
  const nDev = Math.min(cfg.devSize, Math.floor(allTrain.length / 10));
  const dev = Array.from(perm.subarray(0, nDev), (i) => allTrain[i]);
  const train = Array.from(perm.subarray(nDev), (i) => allTrain[i]);
  const meanTokens = allTrain.reduce((a, e) => a + e.ids.length, 0) / allTrain.length;
  log(
    `encoded in ${since(te).toFixed(1)} s: ${train.length} train / ${dev.length} dev / ${test.length} test; ${meanTokens.toFixed(1)} tokens per review on average (cut at ${cfg.maxLen}); vocabulary ${tok.vocabSize}, pad id ${padId}`,
  );

  const vocabSize = tok.vocabSize;
  let pretrained: Float32Array | undefined;
  let pretrainInfo: ClassifyResult['pretrain'];
  if (cfg.pretrain === 'word2vec') {
    const embPath = join(out, 'pretrained-embedding.safetensors');
    if (isWorker || (opts.resume && existsSync(embPath))) {
      pretrained = readPretrained(embPath, vocabSize, cfg.embeddingDim);
      pretrainInfo = { method: 'word2vec', file: embPath };
    } else {
      // The whole test set's ids are left out, even when --max-test evaluates on fewer.
      const testIds = cfg.maxTest > 0 ? (await readNsmcRows(testFile.path, DATASETS.nsmcTest)).ids : rawTest.ids;
      const raw = findData(args, DATASETS.nsmcRaw);
      const r = await pretrainEmbeddings({
        rawPath: raw.path,
        exclude: new Set(testIds),
        tokenizer: tok,
        dim: cfg.embeddingDim,
        epochs: cfg.pretrainEpochs,
        window: 5,
        negative: 5,
        minCount: 2,
        workers: Math.max(1, opts.workers ?? 1),
        seed: cfg.seed,
        log,
        ...(opts.quiet ? { quiet: true } : {}),
      });
      pretrained = r.weights;
      const table = tf.tensor2d(r.weights, [vocabSize, cfg.embeddingDim]);
      writeFileSync(
        embPath,
        writeSafetensors(new Map([['weight', table]]), { format: 'wordloom-demo-pretrained-embedding v1' }),
      );
      table.dispose();
      writeFileSync(join(out, 'pretrained-vectors.bin'), pretrainedBinary(r.wv));
      pretrainInfo = {
        method: 'word2vec',
        file: embPath,
        reviews: r.reviews,
        excludedTestReviews: r.excluded,
        tokens: r.tokens,
        covered: r.covered,
        seconds: r.seconds,
      };
      log(
        `pretrain: skip-gram word2vec, ${cfg.embeddingDim}-d, window 5, negative 5, ${cfg.pretrainEpochs} epochs on ${r.tokens.toLocaleString('en-US')} tokens in ${r.seconds.toFixed(0)} s; ${r.covered} of ${vocabSize} token ids got a vector (pretrained-vectors.bin: word2vec binary, gensim reads it)`,
      );
    }
  }
  const dp = startGroup();
  const model: AnyClassifier =
    cfg.model === 'bilstm'
      ? {
          kind: 'bilstm',
          m: new BiLstmClassifier({
            vocabSize,
            embeddingDim: cfg.embeddingDim,
            hiddenSize: cfg.hiddenSize,
            numLayers: cfg.numLayers,
            numClasses: 2,
            dropout: cfg.dropout,
            pooling: cfg.pooling,
            padId,
            seed: cfg.seed,
            ...(pretrained ? { pretrained } : {}),
          }),
        }
      : {
          kind: 'transformer',
          m: new TransformerClassifier({
            vocabSize,
            numClasses: 2,
            dModel: cfg.embeddingDim,
            nhead: cfg.nhead,
            numLayers: cfg.numLayers,
            dimFeedforward: 4 * cfg.embeddingDim,
            dropout: cfg.dropout,
            pooling: 'mean',
            positional: 'learned',
            maxLen: cfg.maxLen,
            normFirst: true,
            seed: cfg.seed,
          }),
        };
  if (cfg.model === 'transformer' && cfg.embeddingDim % cfg.nhead !== 0)
    throw new CliError(
      `${PROGRAM} ${COMMAND}: --embedding ${cfg.embeddingDim} must be divisible by --heads ${cfg.nhead}`,
    );
  const sampler = new BucketBatchSampler({
    lengths: train.map((e) => e.ids.length),
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    bucketSizeMultiplier: 50,
  });
  const stepsPerEpoch = sampler.length;
  let plannedSteps = cfg.maxSteps > 0 ? cfg.maxSteps : cfg.epochs * stepsPerEpoch;
  // A resumed run keeps the plan in its checkpoint (re-planning would bend the schedule mid-run).
  const planFromBudget = cfg.maxSteps === 0 && opts.timeBudgetSeconds !== undefined && !opts.resume;
  const schedule = (s: number): number =>
    warmupCosineSchedule({
      peak: cfg.lr,
      warmupSteps: Math.min(cfg.warmup, plannedSteps - 1),
      totalSteps: Math.max(plannedSteps, 2),
      end: cfg.lr / 50,
    })(s);
  const optimizer = new Optimizer(
    model.m,
    chain(clipByGlobalNorm({ maxNorm: cfg.clip }), adamw({ lr: schedule, weightDecay: cfg.weightDecay })),
  );
  const collate = padCollate({ padId });
  const params = model.m.numParameters();
  log(
    `model: ${cfg.model === 'bilstm' ? `BiLSTM ${cfg.numLayers}×${cfg.hiddenSize} per direction, ${cfg.pooling} pooling` : `transformer encoder ${cfg.numLayers} layers × d ${cfg.embeddingDim} × ${cfg.nhead} heads, mean pooling`}, embedding ${cfg.embeddingDim}, ${params.toLocaleString('en-US')} parameters; AdamW lr ${cfg.lr} (warmup ${cfg.warmup}, cosine), clip ${cfg.clip}, batch ${cfg.batchSize}; ${stepsPerEpoch} steps/epoch${dp.world > 1 ? `; ${dp.world} data-parallel replicas` : ''}`,
  );
  const trainable = model.m.trainableParameters();
  const apply = (grads: Map<string, tf.Tensor>): void => {
    optimizer.step(grads);
  };
  const loop = await trainLoop<Int32Array>({
    command: COMMAND,
    label: 'nsmc',
    out,
    model: model.m,
    optimizer,
    config: { ...cfg },
    batches: (epoch) => {
      const bs = sampler.batches(epoch);
      return { length: bs.length, get: (i) => Int32Array.from(bs[i]) };
    },
    step: (batch) => {
      // This replica's share of the batch (all of it with one replica).
      const [a, b] = shardRange(batch.length, dp.rank, dp.world);
      if (a === b) return parallelStep(dp, trainable, null, 0, apply);
      const pb = collate(Array.from(batch.subarray(a, b), (i) => train[i]));
      try {
        const lengths = pb.lengths.dataSync() as Int32Array;
        return parallelStep(
          dp,
          trainable,
          () => crossEntropy(logitsOf(model, pb, lengths), pb.labels as tf.Tensor1D) as tf.Scalar,
          b - a,
          apply,
        );
      } finally {
        tf.dispose(pb as unknown as tf.TensorContainer);
      }
    },
    plannedSteps,
    onPlan: (p) => {
      plannedSteps = p;
    },
    planFromBudget,
    ...runOptions(opts, log),
    lr: schedule,
    evalEvery: dev.length > 0 ? (opts.evalEvery ?? 0) : 0,
    evaluate: ({ step, loss }) => {
      const devAccuracy = evaluateAccuracy(model, dev, padId);
      return {
        metrics: { devAccuracy },
        message: `step ${step}: train loss ${loss.toFixed(4)}, dev accuracy ${(100 * devAccuracy).toFixed(2)}% (${dev.length} held-out training reviews)`,
      };
    },
    dp,
  });
  const { step, interrupted, trainSeconds, history } = loop;
  const epoch = loop.epochs;
  // Interrupted: stop quickly (50,000 test reviews take a while); --resume finishes the run.
  const devAccuracy = interrupted ? NaN : evaluateAccuracy(model, dev, padId);
  if (!interrupted) log(`evaluating on ${test.length.toLocaleString('en-US')} test reviews…`);
  const accuracy = interrupted ? NaN : evaluateAccuracy(model, test, padId);
  const modelConfig =
    cfg.model === 'bilstm'
      ? {
          vocabSize,
          embeddingDim: cfg.embeddingDim,
          hiddenSize: cfg.hiddenSize,
          numLayers: cfg.numLayers,
          bidirectional: true,
          pooling: cfg.pooling,
          numClasses: 2,
          padId,
        }
      : {
          vocabSize,
          numClasses: 2,
          dModel: cfg.embeddingDim,
          nhead: cfg.nhead,
          numLayers: cfg.numLayers,
          dimFeedforward: 4 * cfg.embeddingDim,
          pooling: 'mean',
          positional: 'learned',
          maxLen: cfg.maxLen,
          normFirst: true,
        };
  saveWeights(join(out, 'model.safetensors'), model.m, {
    model: cfg.model,
    config: JSON.stringify(modelConfig),
    tokenizer: 'tokenizer.json',
    labels: JSON.stringify(['negative', 'positive']),
  });
  const result: ClassifyResult = {
    trainData: `${trainFile.path} — ${NSMC_TRAIN_NAME}${cfg.maxTrain > 0 ? `, first ${cfg.maxTrain} reviews` : ''}`,
    testData: `${testFile.path} — NSMC test split (canonical)${cfg.maxTest > 0 ? `, first ${cfg.maxTest} reviews` : ''}`,
    trainExamples: train.length,
    devExamples: dev.length,
    testExamples: test.length,
    accuracy,
    devAccuracy,
    vocabSize,
    tokenizer: tokSource,
    meanTokens,
    parameters: params,
    steps: step,
    plannedSteps,
    epochsDone: epoch,
    trainSeconds,
    wall: since(t0),
    cpuSeconds: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6,
    backend: be,
    interrupted,
    ...(pretrainInfo ? { pretrain: pretrainInfo } : {}),
    history,
  };
  writeJson(join(out, 'metrics.json'), { ...result, config: cfg });
  model.m.dispose();
  optimizer.dispose();
  if (!interrupted)
    log(
      `nsmc (${cfg.model}): test accuracy ${(100 * accuracy).toFixed(2)}% on ${test.length.toLocaleString('en-US')} reviews (dev ${(100 * devAccuracy).toFixed(2)}%) after ${step} steps; ${trainSeconds.toFixed(0)} s training, ${result.wall.toFixed(0)} s wall, ${result.cpuSeconds.toFixed(0)} CPU s`,
    );
  return result;
}

const MODEL_DEFAULTS: Record<ClassifyConfig['model'], Record<string, string>> = {
  bilstm: { embedding: '128', hidden: '128', layers: '1', lr: '0.004', dropout: '0.2', pretrain: 'word2vec' },
  transformer: { embedding: '128', hidden: '0', layers: '2', lr: '0.001', dropout: '0.1', pretrain: 'none' },
};

export function classifyConfigFrom(args: ParsedArgs): ClassifyConfig {
  const model = (args.values.model ?? 'bilstm') as ClassifyConfig['model'];
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
    vocabSize: int('vocab-size', 16),
    embeddingDim: int('embedding', 1),
    hiddenSize: model === 'bilstm' ? int('hidden', 1) : 0,
    numLayers: int('layers', 1),
    nhead: int('heads', 1),
    pooling: args.values.pooling as ClassifyConfig['pooling'],
    maxLen: int('max-len', 1),
    batchSize: int('batch-size', 1),
    dropout,
    lr,
    weightDecay: num('weight-decay', 0),
    warmup: int('warmup', 0),
    clip: num('clip', 0),
    epochs: int('epochs', 1),
    maxSteps: int('max-steps', 0),
    maxTrain: int('max-train', 0),
    maxTest: int('max-test', 0),
    devSize: int('dev-size', 0),
    seed: int('seed', 0),
    tokenizer: typeof args.values.tokenizer === 'string' ? args.values.tokenizer : '',
    pretrain: (args.values.pretrain ?? d.pretrain) as ClassifyConfig['pretrain'],
    pretrainEpochs: int('pretrain-epochs', 1),
  };
}

export const classifyNsmcCommand: Command = {
  name: COMMAND,
  summary: 'Korean movie-review sentiment (NSMC) from scratch: BPE + BiLSTM or transformer encoder; test accuracy',
  details: [
    `Data: nsmc/ratings_train.derived.txt.gz — ${NSMC_TRAIN_NAME}, built from github.com/e9t/nsmc raw reviews (CC0) by NSMC's own rule; it is not the canonical ratings_train.txt.`,
    'Accuracy is measured on the canonical NSMC test set nsmc/ratings_test.txt.gz (50,000 reviews, CC0). A dev set is held out of the training reviews.',
    'Writes metrics.json (accuracy, wall, history), model.safetensors (metadata: model, config), tokenizer.json, checkpoint.safetensors.',
    'Ctrl-C stops after the current step and saves a checkpoint; --resume continues it (same --out and options).',
  ].join('\n'),
  options: {
    ...commonOptions,
    model: {
      type: 'string',
      choices: ['bilstm', 'transformer'],
      default: 'bilstm',
      description: 'bidirectional LSTM, or transformer encoder (TransformerClassifier)',
    },
    tokenizer: {
      type: 'string',
      value: 'FILE',
      description: 'tokenizer.json to use (default: train a BPE on the training reviews)',
    },
    'vocab-size': {
      type: 'string',
      value: 'N',
      default: '8000',
      description: 'BPE vocabulary size when training the tokenizer',
    },
    embedding: { type: 'string', value: 'N', description: 'embedding size / transformer width (default 128)' },
    hidden: { type: 'string', value: 'N', description: 'BiLSTM hidden size per direction (default 128)' },
    layers: { type: 'string', value: 'N', description: 'LSTM layers / transformer blocks (default 1 / 2)' },
    heads: { type: 'string', value: 'N', default: '4', description: 'attention heads (transformer)' },
    pooling: {
      type: 'string',
      choices: ['max', 'mean', 'last'],
      default: 'max',
      description: 'BiLSTM: masked max / mean over time, or the final states of both directions',
    },
    'max-len': {
      type: 'string',
      value: 'N',
      default: '48',
      description: 'cut reviews to N tokens (the mean is 16 with the 8k BPE)',
    },
    'batch-size': {
      type: 'string',
      value: 'N',
      default: '256',
      description: 'reviews per step (split across the --workers replicas)',
    },
    dropout: { type: 'string', value: 'X', description: 'dropout (default 0.2 / 0.1)' },
    lr: { type: 'string', value: 'X', description: 'peak learning rate (default 0.004 / 0.001)' },
    'weight-decay': { type: 'string', value: 'X', default: '0.01', description: 'AdamW decoupled weight decay' },
    warmup: { type: 'string', value: 'N', default: '100', description: 'linear warmup steps' },
    clip: { type: 'string', value: 'X', default: '1', description: 'clip gradients to this global norm' },
    epochs: {
      type: 'string',
      value: 'N',
      default: '3',
      description: 'passes over the training reviews (unless --max-steps or --time-budget)',
    },
    'max-steps': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'optimizer steps (0: fit to --time-budget, else --epochs)',
    },
    'time-budget': {
      type: 'string',
      value: 'SECONDS',
      description: 'stop training after this many seconds (the cosine schedule is fitted to it unless --max-steps)',
    },
    'max-train': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'use only the first N training reviews (0 = all)',
    },
    'max-test': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'evaluate on the first N test reviews only (0 = all 50,000)',
    },
    'dev-size': {
      type: 'string',
      value: 'N',
      default: '5000',
      description: 'training reviews held out to report progress (at most 10%)',
    },
    'eval-every': {
      type: 'string',
      value: 'N',
      default: '500',
      description: 'dev accuracy every N steps (0 = only at the end)',
    },
    workers: workersOption,
    pretrain: {
      type: 'string',
      choices: ['none', 'word2vec'],
      description:
        'start the embedding from skip-gram word2vec trained here on the unlabeled raw reviews (nsmc-raw/, text only, test reviews left out); default word2vec for bilstm, none for transformer',
    },
    'pretrain-epochs': {
      type: 'string',
      value: 'N',
      default: '3',
      description: 'word2vec epochs over the raw reviews',
    },
    resume: { type: 'boolean', description: 'continue from <out>/checkpoint.safetensors' },
    quiet: { type: 'boolean', description: 'no progress bar' },
  },
  async run(args) {
    const cfg = classifyConfigFrom(args);
    if (cfg.pretrain !== 'none' && cfg.model !== 'bilstm')
      throw new CliError(
        `${PROGRAM} ${COMMAND}: --pretrain ${cfg.pretrain} initialises the BiLSTM's embedding; use it with --model bilstm`,
      );
    const budgetRaw = args.values['time-budget'];
    const timeBudgetSeconds = typeof budgetRaw === 'string' ? numberOption(args, COMMAND, 'time-budget', 1) : undefined;
    const out = outDir(args, COMMAND);
    const r = await runClassify(cfg, args, out, {
      resume: args.values.resume === true,
      quiet: args.values.quiet === true,
      ...(timeBudgetSeconds !== undefined ? { timeBudgetSeconds } : {}),
      evalEvery: intOption(args, COMMAND, 'eval-every', 0),
      workers: parseWorkers(args.values.workers, COMMAND),
    });
    if (r.interrupted)
      throw new CliError(
        `${PROGRAM} ${COMMAND}: interrupted after step ${r.steps}; continue with --resume --out ${out}`,
        130,
      );
    process.stdout.write(
      `accuracy ${(100 * r.accuracy).toFixed(2)}% on ${r.testExamples} NSMC test reviews; wrote ${join(out, 'metrics.json')}, model.safetensors, tokenizer.json\n`,
    );
  },
};

/** The `classify` subcommands (registered by commands/index.ts). */
export const classifyCommands: Command[] = [classifyNsmcCommand];
