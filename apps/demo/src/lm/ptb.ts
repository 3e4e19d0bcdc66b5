/**
 * `lm ptb`: a word-level language model on the Penn Treebank (Mikolov's ptb.{train,valid,test}.txt,
 * 10k words, `<unk>` already in the text; each line ends with `<eos>`), as in Deep Learning from
 * Scratch 2 ch. 6 — a tied 2-layer LSTM with variational dropout (ptb-model.ts), truncated BPTT over
 * `--batch-size` parallel streams, Adam + warmup-cosine planned by `fit`, global-norm clipping, on
 * every core (`--workers`). Reports validation and test perplexity (exp of the mean cross-entropy per
 * word, the LSTM state carried through each split as 10 streams, as the book evaluates).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { tidy } from '@wordloom/core';
import { bpttBatches, lmChunkTensors } from '@wordloom/data';
import type { RecurrentState } from '@wordloom/rnn';
import { CliError, PROGRAM, type ParsedArgs } from '../args.js';
import { findData, readText, type DataSet } from '../data.js';
import { demoFit, fitSource, lossText, type HistoryEntry } from '../fit-run.js';
import { interrupt } from '../progress.js';
import { backend, saveWeights, since, writeJson } from '../train-util.js';
import { lmLoss } from './model.js';
import type { PtbLSTM } from './ptb-model.js';
import { ptbSetup, type PtbConfig, type PtbSetup, type PtbSetupOptions } from './ptb-setup.js';

export const PTB_COMMAND = 'lm ptb';

const SOURCE =
  "Penn Treebank as preprocessed by Mikolov (ptb.*.txt), via Deep Learning from Scratch 2's dataset/ptb.py";
export const PTB: Record<'train' | 'valid' | 'test', DataSet> = {
  train: { name: 'ptb/ptb.train.txt', source: SOURCE },
  valid: { name: 'ptb/ptb.valid.txt', source: SOURCE },
  test: { name: 'ptb/ptb.test.txt', source: SOURCE },
};

/** Words of a PTB file: whitespace-separated tokens, `<eos>` at each line's end (as ptb.py). */
export function ptbWords(text: string): string[] {
  const out: string[] = [];
  for (const line of text.split('\n')) {
    const ws = line
      .trim()
      .split(/\s+/)
      .filter((w) => w !== '');
    if (ws.length === 0) continue;
    out.push(...ws, '<eos>');
  }
  return out;
}

/** Mean cross-entropy per word of `ids`, read as `streams` parallel streams with the state carried across chunks. */
export function ptbLoss(
  model: PtbLSTM,
  ids: Int32Array,
  opts: { streams: number; bptt: number; stop?: () => boolean },
): number {
  const wasTraining = model.training;
  model.eval();
  let total = 0;
  let count = 0;
  let state: RecurrentState[] | undefined;
  try {
    const chunks = bpttBatches(ids, {
      batchSize: Math.max(1, Math.min(opts.streams, Math.floor(ids.length / 2))),
      seqLen: opts.bptt,
    });
    for (let i = 0; i < chunks.length; i++) {
      if (opts.stop?.()) return NaN;
      const c = chunks.get(i);
      const { input, target } = lmChunkTensors(c);
      const r = tidy(() => {
        const o = model.forward(input, state);
        return { loss: lmLoss(o.logits, target), state: o.state };
      });
      tf.dispose([input, target]);
      if (state) for (const s of state) tf.dispose([s.h, s.c!]);
      state = r.state;
      const n = c.shape[0] * c.shape[1];
      total += r.loss.dataSync()[0] * n;
      count += n;
      r.loss.dispose();
    }
  } finally {
    if (state) for (const s of state) tf.dispose([s.h, s.c!]);
    model.train(wasTraining);
  }
  return total / count;
}

export interface PtbResult {
  data: string;
  trainWords: number;
  validWords: number;
  testWords: number;
  vocabSize: number;
  parameters: number;
  steps: number;
  plannedSteps: number;
  epochsDone: number;
  valPerplexity: number;
  testPerplexity: number;
  finalTrainLoss: number;
  trainSeconds: number;
  wallSeconds: number;
  cpuSeconds: number;
  backend: string;
  workers: number;
  interrupted: boolean;
  history: HistoryEntry[];
}

export async function runPtb(
  cfg: PtbConfig,
  args: ParsedArgs,
  out: string,
  opts: {
    resume?: boolean;
    quiet?: boolean;
    log?: (s: string) => void;
    timeBudgetSeconds?: number;
    evalEvery?: number;
    evalWords?: number;
    workers?: number;
  } = {},
): Promise<PtbResult> {
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  const files = { train: findData(args, PTB.train), valid: findData(args, PTB.valid), test: findData(args, PTB.test) };
  const be = await backend(log);
  let trainWords = ptbWords(readText(files.train.path));
  if (cfg.limitWords > 0) trainWords = trainWords.slice(0, cfg.limitWords);
  const validWords = ptbWords(readText(files.valid.path));
  const testWords = ptbWords(readText(files.test.path));
  // The vocabulary: the training words in order of first appearance (as ptb.py); PTB has <unk> for the rest.
  const vocab = new Map<string, number>();
  for (const w of trainWords) if (!vocab.has(w)) vocab.set(w, vocab.size);
  const unk = vocab.get('<unk>');
  const encode = (ws: string[], split: string): Int32Array =>
    Int32Array.from(ws, (w) => {
      const id = vocab.get(w) ?? unk;
      if (id === undefined)
        throw new CliError(
          `${PROGRAM} ${PTB_COMMAND}: '${w}' of the ${split} split is not in the training vocabulary and there is no <unk>`,
          3,
        );
      return id;
    });
  const trainIds = encode(trainWords, 'train');
  const validIds = encode(validWords, 'valid');
  const testIds = encode(testWords, 'test');
  const world = opts.workers ?? 1;
  if (world > cfg.batchSize)
    throw new CliError(
      `${PROGRAM} ${PTB_COMMAND}: --workers ${world} is more than --batch-size ${cfg.batchSize}; each replica needs a stream`,
    );
  if (trainIds.length < cfg.batchSize * (cfg.bptt + 1))
    throw new CliError(
      `${PROGRAM} ${PTB_COMMAND}: ${trainIds.length} training words, too few for --batch-size ${cfg.batchSize} × --bptt ${cfg.bptt}`,
      3,
    );
  log(
    `ptb: ${trainIds.length.toLocaleString('en-US')} training / ${validIds.length.toLocaleString('en-US')} validation / ${testIds.length.toLocaleString('en-US')} test words from ${files.train.path} (and valid, test); vocabulary ${vocab.size}`,
  );
  const setupOptions: PtbSetupOptions = { command: 'ptb', cfg, vocabSize: vocab.size, trainIds };
  let made: PtbSetup | undefined;
  const describe = (m: PtbSetup): void =>
    log(
      `model: ${cfg.numLayers}-layer LSTM × ${cfg.hiddenSize}, tied embedding/output, variational dropout ${cfg.dropout}, ${m.model.numParameters().toLocaleString('en-US')} parameters; Adam lr ${cfg.lr} (warmup ${cfg.warmup}, cosine to ${cfg.minLr}), clip ${cfg.clip}; ${cfg.batchSize} streams × BPTT ${cfg.bptt}, ${m.train.length} chunks/epoch${world > 1 ? `; ${world} data-parallel replicas` : ''}`,
    );
  const source = fitSource({
    world,
    options: setupOptions,
    build: ptbSetup,
    onSetup: (m: PtbSetup) => ((made = m), describe(m)),
  });
  const model = (): PtbLSTM => {
    if (made === undefined) throw new Error('lm ptb: the model was not built');
    return made.model;
  };
  const evalIds =
    opts.evalWords && opts.evalWords > 0 ? validIds.subarray(0, Math.min(validIds.length, opts.evalWords)) : validIds;
  const loop = await demoFit({
    command: PTB_COMMAND,
    label: 'ptb',
    out,
    ...source,
    config: { ...cfg },
    ...(cfg.maxSteps > 0
      ? { maxSteps: cfg.maxSteps }
      : opts.timeBudgetSeconds === undefined
        ? { epochs: cfg.epochs }
        : { epochs: cfg.epochs }),
    ...(opts.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: opts.timeBudgetSeconds } : {}),
    ...((opts.evalEvery ?? 0) > 0
      ? {
          evaluate: {
            loader: [evalIds],
            metrics: (_m: PtbLSTM, ids: Int32Array) => ({
              valLoss: ptbLoss(model(), ids, { streams: 10, bptt: cfg.bptt }),
            }),
            every: opts.evalEvery,
            message: ({ valLoss }: Record<string, number>, { step, loss }: { step: number; loss: number }) =>
              `step ${step}: train loss ${lossText(loss)}, val perplexity ${Math.exp(valLoss).toFixed(1)} (first ${evalIds.length.toLocaleString('en-US')} validation words)`,
          },
        }
      : {}),
    ...(opts.resume ? { resume: true } : {}),
    ...(opts.quiet ? { quiet: true } : {}),
    log,
  });
  let { interrupted } = loop;
  const stop = (): boolean => interrupt.requested;
  let valLoss = NaN;
  let testLoss = NaN;
  if (!interrupted) {
    log(
      `evaluating on the validation (${validIds.length.toLocaleString('en-US')} words) and test (${testIds.length.toLocaleString('en-US')} words) splits…`,
    );
    valLoss = ptbLoss(model(), validIds, { streams: 10, bptt: cfg.bptt, stop });
    testLoss = Number.isNaN(valLoss) ? NaN : ptbLoss(model(), testIds, { streams: 10, bptt: cfg.bptt, stop });
    if (Number.isNaN(testLoss)) {
      interrupted = true;
      log(`interrupted during the final evaluation; training is saved: --resume --out ${out} evaluates`);
    }
  }
  saveWeights(join(out, 'model.safetensors'), model(), { model: 'ptb-lstm', config: JSON.stringify(model().opts) });
  writeJson(join(out, 'vocab.json'), { format: 'wordloom-demo-wordvocab v1', tokens: [...vocab.keys()] });
  const result: PtbResult = {
    data: `${files.train.path}, ${files.valid.path}, ${files.test.path} (${SOURCE})${cfg.limitWords > 0 ? `; first ${cfg.limitWords} training words only` : ''}`,
    trainWords: trainIds.length,
    validWords: validIds.length,
    testWords: testIds.length,
    vocabSize: vocab.size,
    parameters: model().numParameters(),
    steps: loop.step,
    plannedSteps: loop.plannedSteps,
    epochsDone: loop.epochs,
    valPerplexity: Math.exp(valLoss),
    testPerplexity: Math.exp(testLoss),
    finalTrainLoss: loop.lastLoss,
    trainSeconds: loop.trainSeconds,
    wallSeconds: since(t0),
    cpuSeconds: (process.cpuUsage(cpu0).user + process.cpuUsage(cpu0).system) / 1e6,
    backend: be,
    workers: world,
    interrupted,
    history: loop.history,
  };
  writeJson(join(out, 'metrics.json'), { ...result, config: cfg });
  made!.optimizer.dispose();
  model().dispose();
  if (!interrupted)
    log(
      `ptb: validation perplexity ${result.valPerplexity.toFixed(1)}, test perplexity ${result.testPerplexity.toFixed(1)} after ${loop.step} steps; ${loop.trainSeconds.toFixed(0)} s training, ${result.wallSeconds.toFixed(0)} s wall, ${result.cpuSeconds.toFixed(0)} CPU s`,
    );
  return result;
}
