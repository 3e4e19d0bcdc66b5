/**
 * Training for `lm shakespeare`: a character-level language model on Tiny Shakespeare (karpathy/char-rnn),
 * the first 90% of the text for training and the last 10% for validation (as char-rnn and
 * nanoGPT split it). Two models:
 * - `transformer`: @wordloom/transformer's `TransformerLM` (GPT-style, causal, pre-norm, tied
 *   embeddings), trained on `bpttBatches` chunks in shuffled order;
 * - `lstm`: Embedding → @wordloom/rnn `LSTM` → Linear, trained with truncated BPTT over
 *   `bpttBatches` chunks in stream order (the state carries across chunks in fit's carry).
 * AdamW with linear warmup + cosine decay and global-norm clipping (@wordloom/optim); samples are
 * drawn with @wordloom/seq2seq's `sampleDecode` (temperature, top-k, top-p), the transformer
 * stepping with its KV cache.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Module } from '@wordloom/core';
import { CliError, PROGRAM, type ParsedArgs } from '../args.js';
import { DATASETS, findData, readText } from '../data.js';
import { demoFit, fitSource, lossText, type HistoryEntry } from '../fit-run.js';
import { interrupt } from '../progress.js';
import { CharVocab, readCharVocab } from '../toy-tasks.js';
import { backend, saveWeights, since, writeJson } from '../train-util.js';
import { COMMAND, type LmConfig } from './config.js';
import { evaluateLoss, evaluateLossSliding, windowSegments } from './evaluate.js';
import { transformerOptions } from './model.js';
import { sampleText } from './sample.js';
import { lmSetup, type LmSetup, type LmSetupOptions } from './setup.js';

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
  return trainAndReport(cfg, args, out, opts, opts.workers ?? 1, found, t0, cpu0);
}

async function trainAndReport(
  cfg: LmConfig,
  args: ParsedArgs,
  out: string,
  opts: Parameters<typeof runLm>[3] & object,
  world: number,
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
    vocab = readCharVocab(vocabPath, COMMAND);
  } else {
    vocab = new CharVocab(text); // every character of the file (validation included), as char-rnn and nanoGPT do
  }
  writeJson(vocabPath, { format: 'wordloom-demo-charvocab v1', tokens: vocab.itos });
  const trainIds = vocab.encode(trainText);
  const valIds = vocab.encode(valText);
  log(
    `shakespeare: ${trainIds.length.toLocaleString('en-US')} training / ${valIds.length.toLocaleString('en-US')} validation characters from ${found.path}; vocabulary ${vocab.size} (${vocab.size - 4} characters + 4 specials)`,
  );

  const T = cfg.blockSize;
  const B = cfg.batchSize;
  // What every replica builds (lm/setup.ts): with --workers 1 here, else in each replica through fit's setup module.
  const setupOptions: LmSetupOptions = { command: 'lm', cfg, vocabSize: vocab.size, trainIds };
  let made: LmSetup | undefined;
  const describe = (m: LmSetup): void => {
    const chunksPerEpoch = m.train.length;
    const desc =
      m.lm.kind === 'transformer'
        ? `TransformerLM ${cfg.numLayers} layers × d ${cfg.dModel} × ${cfg.nhead} heads, ${cfg.positional} positions, context ${T}`
        : `LSTM ${cfg.numLayers} layers × ${cfg.hiddenSize} (embedding ${cfg.dModel}), BPTT ${T}`;
    log(
      `model: ${desc}, ${m.lm.m.numParameters().toLocaleString('en-US')} parameters; ${cfg.optimizer === 'adamw' ? `AdamW (wd ${cfg.weightDecay})` : 'Adam'} lr ${cfg.lr} (warmup ${cfg.warmup}, cosine to ${cfg.minLr}), clip ${cfg.clip}, batch ${B}×${T}; ${chunksPerEpoch} chunks/epoch${world > 1 ? `; ${world} data-parallel replicas of ${Math.ceil(B / world)} windows` : ''}`,
    );
  };
  const source = fitSource({
    world,
    options: setupOptions,
    build: lmSetup,
    onSetup: (m: LmSetup) => ((made = m), describe(m)),
  });
  // The model as rank 0 holds it (in-process with one replica; from the setup once fit has run it otherwise).
  const lm = (): LmSetup => {
    if (made === undefined) throw new Error('lm: the model was not built');
    return made;
  };
  const evalIds =
    opts.evalChars && opts.evalChars > 0 ? valIds.subarray(0, Math.min(valIds.length, opts.evalChars)) : valIds;
  const evalRows = cfg.model === 'transformer' ? 32 : 16;
  // The estimate during training: the transformer's windows in segments of `evalRows` windows (the
  // same windows; a Ctrl-C is heard between segments); the LSTM's stream in one piece (its state
  // carries through it). fit weights each segment's mean by the characters it scores.
  const evalSegments = cfg.model === 'transformer' ? windowSegments(evalIds, T, evalRows) : [evalIds];
  const loop = await demoFit({
    command: COMMAND,
    label: 'shakespeare',
    out,
    ...source,
    config: { ...cfg },
    ...(cfg.maxSteps > 0
      ? { maxSteps: cfg.maxSteps }
      : opts.timeBudgetSeconds === undefined
        ? { epochs: cfg.epochs }
        : {}),
    ...(opts.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: opts.timeBudgetSeconds } : {}),
    ...((opts.evalEvery ?? 0) > 0
      ? {
          evaluate: {
            loader: evalSegments,
            metrics: (_m: Module, ids: Int32Array) => ({
              valLoss: evaluateLoss(lm().lm, ids, { blockSize: T, rows: evalRows }),
            }),
            every: opts.evalEvery,
            message: ({ valLoss }: Record<string, number>, { step, loss }: { step: number; loss: number }) =>
              `step ${step}: train loss ${lossText(loss)}, val loss ${valLoss.toFixed(4)} (first ${evalIds.length.toLocaleString('en-US')} validation chars)`,
          },
        }
      : {}),
    ...(opts.resume ? { resume: true } : {}),
    ...(opts.quiet ? { quiet: true } : {}),
    log,
  });
  const model = lm().lm;
  const optimizer = lm().optimizer;
  const params = model.m.numParameters();
  const { step, trainSeconds, history, lastLoss } = loop;
  let { interrupted } = loop;
  const plannedSteps = loop.plannedSteps;
  const epoch = loop.epochs;

  // Interrupted: stop quickly (the loss on the whole split takes a while); --resume finishes the run.
  // A Ctrl-C during these final evaluations is checked between them (training is done and saved).
  const stopHere = async (): Promise<boolean> => {
    await new Promise<void>((r) => setImmediate(r));
    if (!interrupted && interrupt.requested) {
      interrupted = true;
      log(`interrupted during the final evaluation; training is saved: --resume --out ${out} evaluates`);
    }
    return interrupted;
  };
  if (!interrupted)
    log(`evaluating on the whole validation split (${valIds.length.toLocaleString('en-US')} characters)…`);
  const valLoss = (await stopHere()) ? NaN : evaluateLoss(model, valIds, { blockSize: T, rows: evalRows });
  const stride = Math.max(1, Math.floor(T / 2));
  const valLossSliding =
    (await stopHere()) || model.kind !== 'transformer'
      ? undefined
      : evaluateLossSliding(model.m, valIds, { blockSize: T, stride, rows: evalRows });
  const valLossOn =
    model.kind === 'transformer'
      ? `all ${valIds.length} validation characters (last 10% of the text), in non-overlapping windows of ${T} characters`
      : `all ${valIds.length} validation characters (last 10% of the text), as ${evalRows} streams with the LSTM state carried across chunks of ${T}`;
  const s = opts.sample ?? { prompt: '\n', length: 500, temperature: 0.8, topK: 0, topP: 0.95 };
  const sample = (await stopHere()) ? '' : sampleText(model, vocab, { ...s, blockSize: T, seed: cfg.seed });
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
