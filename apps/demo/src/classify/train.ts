/**
 * Training for `classify nsmc`: Korean movie-review sentiment (NSMC) from scratch — a BPE trained with
 * @wordloom/tokenizer on the training reviews, then a BiLSTM (@wordloom/rnn, ragged batches with
 * lengths, masked max/mean pooling or the final states) or a transformer encoder
 * (@wordloom/transformer's `TransformerClassifier`), batched by length with @wordloom/data's
 * `BucketBatchSampler` + `padCollate`, AdamW with warmup + cosine and clipping (@wordloom/optim).
 * Trains on "NSMC-raw derived train (seed 20150101)"; reports accuracy on the canonical
 * 50,000-review NSMC test set.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, writeSafetensors, type Module } from '@wordloom/core';
import { toTokenizerJson } from '@wordloom/tokenizer';
import { CliError, PROGRAM, type ParsedArgs } from '../args.js';
import { DATASETS, findData } from '../data.js';
import { demoFit, fitSource, lossText, type HistoryEntry } from '../fit-run.js';
import { interrupt } from '../progress.js';
import { backend, saveWeights, since, writeJson } from '../train-util.js';
import { pretrainEmbeddings, pretrainedBinary } from './pretrain.js';
import { COMMAND, NSMC_TRAIN_NAME, type ClassifyConfig } from './config.js';
import { checkTokenizerOption, nsmcTokenizer, readNsmcRows, readPretrained } from './data.js';
import { correctIn, evaluateAccuracy, lengthSortedBatches, type Example } from './evaluate.js';
import { classifierConfig, type AnyClassifier } from './model.js';
import { classifySetup, type ClassifySetup, type ClassifySetupOptions } from './setup.js';

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
  checkTokenizerOption(cfg.tokenizer);
  if ((opts.workers ?? 1) > cfg.batchSize)
    throw new CliError(
      `${PROGRAM} ${COMMAND}: --workers ${opts.workers} is more than --batch-size ${cfg.batchSize}; each replica needs at least one review`,
    );
  return trainAndEvaluate(cfg, args, out, opts, { trainFile, testFile, t0, cpu0 });
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
  ctx: {
    trainFile: ReturnType<typeof findData>;
    testFile: ReturnType<typeof findData>;
    t0: number;
    cpu0: NodeJS.CpuUsage;
  },
): Promise<ClassifyResult> {
  const { trainFile, testFile, t0, cpu0 } = ctx;
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const be = await backend(log);
  const rawTrain = await readNsmcRows(trainFile.path, DATASETS.nsmcTrain, cfg.maxTrain);
  const rawTest = await readNsmcRows(testFile.path, DATASETS.nsmcTest, cfg.maxTest);
  log(
    `nsmc: ${rawTrain.texts.length.toLocaleString('en-US')} training reviews (${NSMC_TRAIN_NAME}) from ${trainFile.path}; ${rawTest.texts.length.toLocaleString('en-US')} test reviews from ${testFile.path}`,
  );

  // Tokenizer: --tokenizer FILE, else the one of a resumed run, else a BPE or Unigram trained on the training reviews.
  const tokPath = join(out, 'tokenizer.json');
  const { tok, source: tokSource } = await nsmcTokenizer(cfg, rawTrain.texts, {
    out,
    resume: opts.resume === true,
    log,
  });
  writeFileSync(tokPath, toTokenizerJson(tok));
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
    if (opts.resume && existsSync(embPath)) {
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
  const world = opts.workers ?? 1;
  // What every replica builds (classify/setup.ts): with --workers 1 here, else in each replica through fit's
  // setup module, from the encoded reviews sent to it.
  const setupOptions: ClassifySetupOptions = {
    command: 'classify',
    cfg,
    vocabSize,
    padId,
    ...(pretrained ? { pretrained } : {}),
    train,
  };
  let made: ClassifySetup | undefined;
  const describe = (m: ClassifySetup): void =>
    log(
      `model: ${cfg.model === 'bilstm' ? `BiLSTM ${cfg.numLayers}×${cfg.hiddenSize} per direction, ${cfg.pooling} pooling` : `transformer encoder ${cfg.numLayers} layers × d ${cfg.embeddingDim} × ${cfg.nhead} heads, mean pooling`}, embedding ${cfg.embeddingDim}, ${m.model.numParameters().toLocaleString('en-US')} parameters; AdamW lr ${cfg.lr} (warmup ${cfg.warmup}, cosine), clip ${cfg.clip}, batch ${cfg.batchSize}; ${m.sampler.length} steps/epoch${world > 1 ? `; ${world} data-parallel replicas` : ''}`,
    );
  const source = fitSource({
    world,
    options: setupOptions,
    build: classifySetup,
    onSetup: (m: ClassifySetup) => ((made = m), describe(m)),
  });
  const classifier = (): AnyClassifier => {
    if (made === undefined) throw new Error('classify: the model was not built');
    return made.classifier;
  };
  const loop = await demoFit({
    command: COMMAND,
    label: 'nsmc',
    out,
    ...source,
    config: { ...cfg },
    ...(cfg.maxSteps > 0
      ? { maxSteps: cfg.maxSteps }
      : opts.timeBudgetSeconds === undefined
        ? { epochs: cfg.epochs }
        : {}),
    ...(opts.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: opts.timeBudgetSeconds } : {}),
    ...(dev.length > 0 && (opts.evalEvery ?? 0) > 0
      ? {
          evaluate: {
            loader: lengthSortedBatches(dev),
            metrics: (_m: Module, batch: Example[]) => ({
              devAccuracy: correctIn(classifier(), batch, padId) / batch.length,
            }),
            every: opts.evalEvery,
            message: ({ devAccuracy }: Record<string, number>, { step, loss }: { step: number; loss: number }) =>
              `step ${step}: train loss ${lossText(loss)}, dev accuracy ${(100 * devAccuracy).toFixed(2)}% (${dev.length} held-out training reviews)`,
          },
        }
      : {}),
    ...(opts.resume ? { resume: true } : {}),
    ...(opts.quiet ? { quiet: true } : {}),
    log,
  });
  const model = classifier();
  const optimizer = made!.optimizer;
  const params = model.m.numParameters();
  const { step, trainSeconds, history } = loop;
  let { interrupted } = loop;
  const epoch = loop.epochs;
  const plannedSteps = loop.plannedSteps;
  // Interrupted: stop quickly; --resume finishes the run. A Ctrl-C during these evaluations stops them
  // within a batch (training is done and saved, so --resume only evaluates).
  const stop = (): boolean => interrupt.requested;
  let devAccuracy = NaN;
  let accuracy = NaN;
  if (!interrupted) {
    const d = await evaluateAccuracy(model, dev, padId, { stop });
    if (d !== undefined) {
      devAccuracy = d;
      log(`evaluating on ${test.length.toLocaleString('en-US')} test reviews…`);
    }
    const t = d === undefined ? undefined : await evaluateAccuracy(model, test, padId, { stop });
    if (t === undefined) {
      interrupted = true;
      log(`interrupted during the final evaluation; training is saved: --resume --out ${out} evaluates`);
    } else accuracy = t;
  }
  const modelConfig = classifierConfig(cfg, vocabSize, padId);
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
