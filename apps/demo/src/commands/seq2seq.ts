/**
 * `seq2seq date|addition|reverse`: the toy tasks of "Deep Learning from Scratch 2" (ch. 7–8)
 * trained from scratch with @wordloom/seq2seq (encoder–decoder, optional attention), batched by
 * @wordloom/data, optimized by @wordloom/optim (Adam + global-norm clipping).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@wordloom/core';
import { BucketBatchSampler, DataLoader, fromArray, seq2seqCollate } from '@wordloom/data';
import { Optimizer, adam, chain, clipByGlobalNorm, warmupCosineSchedule } from '@wordloom/optim';
import {
  Seq2Seq,
  constantRatio,
  exponentialDecay,
  inverseSigmoidDecay,
  linearDecay,
  type AttentionType,
  type TeacherForcingSchedule,
} from '@wordloom/seq2seq';
import {
  CliError,
  PROGRAM,
  commonOptions,
  intOption,
  numberOption,
  type Command,
  type Options,
  type ParsedArgs,
} from '../args.js';
import { DATASETS, findData, readText } from '../data.js';
import { heatmapSvg, heatmapText } from '../heatmap.js';
import { demoFit, lossText, type HistoryEntry } from '../fit-run.js';
import { interrupt } from '../progress.js';
import { CharVocab, makeReversePairs, parseUnderscorePairs, type Pair } from '../toy-tasks.js';
import { backend, outDir, saveWeights, since, writeJson } from '../train-util.js';

export type ToyTaskName = 'date' | 'addition' | 'reverse';

export interface ToyConfig {
  task: ToyTaskName;
  attention: AttentionType;
  cell: 'gru' | 'lstm';
  bidirectional: boolean;
  embeddingDim: number;
  hiddenSize: number;
  batchSize: number;
  epochs: number;
  /** Stop after this many optimizer steps (0 = no limit). */
  maxSteps: number;
  lr: number;
  /** Constant, or cosine decay to 5% of `lr` over the planned steps. */
  lrSchedule: 'constant' | 'cosine';
  clip: number;
  schedule: 'none' | 'linear' | 'exponential' | 'inverse-sigmoid';
  seed: number;
  /** Use only this many examples (0 = all). */
  limit: number;
  reverseInput: boolean;
  beam: number;
}

export interface ToyResult {
  task: ToyTaskName;
  data: string;
  trainExamples: number;
  heldOutExamples: number;
  exactMatch: number;
  steps: number;
  epochsDone: number;
  wallSeconds: number;
  trainSeconds: number;
  /** CPU time of the training loop (user + system): what the wall time would be on an idle core. */
  trainCpuSeconds: number;
  finalLoss: number;
  parameters: number;
  backend: string;
  interrupted: boolean;
  example?: { question: string; predicted: string; expected: string };
  heatmapText?: string;
  /** Every 50 steps the mean training loss; at the end of each epoch but the last, `exactMatch` on 1,000 held-out examples. */
  history: HistoryEntry[];
}

function loadPairs(task: ToyTaskName, args: ParsedArgs, seed: number): { pairs: Pair[]; source: string } {
  if (task === 'reverse')
    return {
      pairs: makeReversePairs(20000, { seed }),
      source: `generated (20,000 random strings over a–j, lengths 3–12, seed ${seed})`,
    };
  const ds = task === 'date' ? DATASETS.date : DATASETS.addition;
  const found = findData(args, ds, { preferCommitted: true });
  const pairs = parseUnderscorePairs(readText(found.path), ds.name, task === 'date' ? 40 : 12);
  return {
    pairs,
    source: `${found.path} (${found.origin === 'committed' ? 'copy committed in apps/demo/data' : 'shared data folder'})`,
  };
}

function scheduleOf(cfg: ToyConfig, totalSteps: number): TeacherForcingSchedule {
  switch (cfg.schedule) {
    case 'none':
      return constantRatio(1);
    case 'linear':
      return linearDecay({ k: 1, c: 0.5 / Math.max(1, totalSteps), min: 0.5 });
    case 'exponential':
      return exponentialDecay({ k: Math.pow(0.5, 1 / Math.max(1, totalSteps)), min: 0.5 });
    case 'inverse-sigmoid': {
      const k = Math.max(1.01, totalSteps / 10);
      return inverseSigmoidDecay({ k, min: 0.5 });
    }
  }
}

/** Trains and evaluates one toy task; writes metrics, weights, vocabulary and heatmap into `out`. */
export async function runToyTask(
  cfg: ToyConfig,
  args: ParsedArgs,
  out: string,
  opts: {
    resume?: boolean;
    quiet?: boolean;
    log?: (s: string) => void;
    timeBudgetSeconds?: number;
    example?: string;
  } = {},
): Promise<ToyResult> {
  const log = opts.log ?? ((s: string) => process.stdout.write(s + '\n'));
  mkdirSync(out, { recursive: true });
  const t0 = performance.now();
  const be = await backend(log);
  const { pairs: all, source } = loadPairs(cfg.task, args, cfg.seed);
  // Split: shuffle with the seed, hold out 10%.
  const order = Int32Array.from(all, (_, i) => i);
  new Rng(cfg.seed).shuffle(order);
  let pairs = Array.from(order, (i) => all[i]);
  if (cfg.limit > 0) pairs = pairs.slice(0, cfg.limit);
  const nTest = Math.max(1, Math.round(pairs.length * 0.1));
  const test = pairs.slice(pairs.length - nTest);
  const train = pairs.slice(0, pairs.length - nTest);
  const vocab = CharVocab.fromPairs(train);
  const enc = (p: Pair) => {
    const src = vocab.encode(p.q);
    return { source: cfg.reverseInput ? src.reverse() : src, target: vocab.encode(p.a) };
  };
  const trainEx = train.map(enc);
  const testEx = test.map(enc);
  log(
    `${cfg.task}: ${train.length} training / ${test.length} held-out examples from ${source}; vocabulary ${vocab.size} characters`,
  );

  const model = new Seq2Seq({
    srcVocabSize: vocab.size,
    tgtVocabSize: vocab.size,
    embeddingDim: cfg.embeddingDim,
    hiddenSize: cfg.hiddenSize,
    cell: cfg.cell,
    bidirectional: cfg.bidirectional,
    attention: cfg.attention,
    bosId: vocab.bosId,
    eosId: vocab.eosId,
    padId: vocab.padId,
    seed: cfg.seed,
  });
  const collate = seq2seqCollate({ padId: vocab.padId, bosId: vocab.bosId, eosId: vocab.eosId });
  const sampler = new BucketBatchSampler({
    lengths: trainEx.map((e) => e.source.length),
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    bucketSizeMultiplier: 50,
  });
  const stepsPerEpoch = sampler.length;
  const totalSteps = cfg.maxSteps > 0 ? Math.min(cfg.maxSteps, stepsPerEpoch * cfg.epochs) : stepsPerEpoch * cfg.epochs;
  const lr =
    cfg.lrSchedule === 'cosine'
      ? warmupCosineSchedule({ peak: cfg.lr, warmupSteps: 0, totalSteps, end: cfg.lr * 0.05 })
      : cfg.lr;
  const optimizer = new Optimizer(model, chain(clipByGlobalNorm({ maxNorm: cfg.clip }), adam({ lr })));
  const schedule = scheduleOf(cfg, totalSteps);
  const command = `seq2seq ${cfg.task}`;
  log(
    `model: ${cfg.cell.toUpperCase()} encoder–decoder, ${cfg.attention === 'none' ? 'no attention' : `${cfg.attention} attention`}, embedding ${cfg.embeddingDim}, hidden ${cfg.hiddenSize}, ${model.numParameters().toLocaleString('en-US')} parameters; Adam lr ${cfg.lr}${cfg.lrSchedule === 'cosine' ? ' (cosine decay)' : ''}, clip ${cfg.clip}, batch ${cfg.batchSize}`,
  );

  type Example = (typeof testEx)[number];
  /** Exact matches in `chunk` (greedy decoding) and the decoded predictions. */
  const decodeChunk = (chunk: Example[]): { ok: number; preds: string[] } => {
    const b = collate(chunk);
    const hyps = model.generate(b.sourceIds, b.sourceLengths.dataSync() as Int32Array, {
      maxLength: Math.max(...chunk.map((c) => c.target.length)) + 2,
    });
    tf.dispose(b as unknown as tf.TensorContainer);
    let ok = 0;
    const preds = hyps.map((h, i) => {
      if (h.finished && Array.from(h.tokens).join() === Array.from(chunk[i].target).join()) ok++;
      return vocab.decode(h.tokens);
    });
    return { ok, preds };
  };
  /** Chunks of at most `size` examples (an evaluation checks Ctrl-C between them). */
  const chunks = (examples: Example[], size: number): Example[][] => {
    const out: Example[][] = [];
    for (let s = 0; s < examples.length; s += size) out.push(examples.slice(s, s + size));
    return out;
  };

  if (opts.timeBudgetSeconds !== undefined)
    log(
      `training for at most ${opts.timeBudgetSeconds} s (or ${totalSteps} steps); the bar's ETA is for the step limit`,
    );
  const cpuStart = process.cpuUsage();
  // Scheduled sampling draws from this generator; fit saves its state with each checkpoint.
  const rng = new Rng(cfg.seed + 17);
  const loader = new DataLoader({ dataset: fromArray(trainEx), batchSampler: sampler, collate });
  const loop = await demoFit({
    command,
    label: cfg.task,
    out,
    model,
    optimizer,
    train: loader,
    loss: (m, b, ctx) => {
      const ratio = schedule(ctx.step);
      const batch = {
        src: b.sourceIds,
        srcLengths: b.sourceLengths.dataSync() as Int32Array,
        tgt: b.decoderTarget,
        tgtLengths: b.targetLengths.dataSync() as Int32Array,
      };
      return m.loss(batch, ratio < 1 ? { teacherForcingRatio: ratio, rng } : {});
    },
    config: { ...cfg },
    epochs: cfg.epochs,
    ...(cfg.maxSteps > 0 ? { maxSteps: cfg.maxSteps } : {}),
    ...(opts.timeBudgetSeconds !== undefined ? { timeBudgetSeconds: opts.timeBudgetSeconds } : {}),
    rngs: { scheduledSampling: rng },
    barMetrics: (step): Record<string, number> => {
      const ratio = schedule(step);
      return ratio < 1 ? { tf: ratio } : {};
    },
    // At each epoch's end: exact match on (at most) 1,000 held-out examples.
    evaluate: {
      loader: chunks(testEx.slice(0, 1000), 250),
      metrics: (_m, chunk) => ({ exactMatch: decodeChunk(chunk).ok / chunk.length }),
      atEpochEnd: true,
      message: ({ exactMatch }, { epoch, loss }) =>
        `epoch ${epoch + 1}: loss ${lossText(loss)}, exact match on ${Math.min(1000, testEx.length).toLocaleString('en-US')} held-out ${(100 * exactMatch).toFixed(2)}%`,
    },
    ...(opts.resume ? { resume: true } : {}),
    ...(opts.quiet ? { quiet: true } : {}),
    log,
  });
  let { interrupted } = loop;
  const { step, trainSeconds, history, lastLoss } = loop;
  const epoch = loop.epochs;
  const cpu = process.cpuUsage(cpuStart);
  const trainCpuSeconds = (cpu.user + cpu.system) / 1e6;

  // The final evaluation on every held-out example; Ctrl-C stops it between chunks (training is saved).
  const preds: string[] = [];
  let ok = 0;
  if (!interrupted) {
    for (const chunk of chunks(testEx, 500)) {
      await new Promise<void>((r) => setImmediate(r)); // let a Ctrl-C in
      if (interrupt.requested) {
        interrupted = true;
        break;
      }
      const r = decodeChunk(chunk);
      ok += r.ok;
      preds.push(...r.preds);
    }
  }
  // Interrupted: no exact match (--resume finishes the run and measures it).
  const exact = interrupted ? NaN : ok / testEx.length;
  const wrong = preds.map((p, i) => ({ q: test[i].q, p, a: test[i].a })).filter((x) => x.p !== x.a);
  // The heatmap: the requested example, else the first held-out one.
  const exQ = opts.example ?? test[0].q;
  const exSrc = vocab.encode(exQ);
  const exIn = cfg.reverseInput ? exSrc.slice().reverse() : exSrc;
  const srcT = tf.tensor2d(exIn, [1, exIn.length], 'int32');
  const [hyp] = model.generate(srcT, Int32Array.of(exIn.length), { maxLength: 20 });
  srcT.dispose();
  const predicted = vocab.decode(hyp.tokens);
  const expected = all.find((p) => p.q === exQ)?.a ?? '';
  let heat: string | undefined;
  if (hyp.attention && hyp.attention.length > 0) {
    const colLabels = [...(cfg.reverseInput ? [...exQ].reverse().join('') : exQ)];
    const rowLabels = [...[...predicted], '</s>'].slice(0, hyp.attention.length);
    const h = {
      weights: hyp.attention,
      rowLabels,
      colLabels,
      title: `${cfg.attention} attention: "${exQ}" → "${predicted}"`,
    };
    writeFileSync(join(out, 'attention.svg'), heatmapSvg(h));
    heat = heatmapText(h);
  }
  saveWeights(join(out, 'model.safetensors'), model, { task: cfg.task, config: JSON.stringify(cfg) });
  writeJson(join(out, 'vocab.json'), { format: 'wordloom-demo-charvocab v1', tokens: vocab.itos });
  const result: ToyResult = {
    task: cfg.task,
    data: source,
    trainExamples: train.length,
    heldOutExamples: test.length,
    exactMatch: exact,
    steps: step,
    epochsDone: epoch,
    wallSeconds: since(t0),
    trainSeconds,
    trainCpuSeconds,
    finalLoss: lastLoss,
    parameters: model.numParameters(),
    backend: be,
    interrupted,
    example: { question: exQ, predicted, expected },
    ...(heat ? { heatmapText: heat } : {}),
    history,
  };
  writeJson(join(out, 'metrics.json'), { ...result, config: cfg, mistakes: wrong.slice(0, 20) });
  model.dispose();
  optimizer.dispose();
  log(
    `${cfg.task}: exact match ${(100 * exact).toFixed(2)}% on ${test.length} held-out examples after ${step} steps (${trainSeconds.toFixed(0)} s training, ${trainCpuSeconds.toFixed(0)} s CPU)`,
  );
  if (wrong.length > 0) log(`  e.g. wrong: "${wrong[0].q}" → "${wrong[0].p}" (expected "${wrong[0].a}")`);
  return result;
}

const TASK_DEFAULTS: Record<ToyTaskName, Partial<Record<string, string>>> = {
  // date: a bidirectional encoder lets the attention tell "Jun" from "Jul" at the first letter
  // (unidirectional: 90.6% after 3 epochs, June/July and March/May confusions; bidirectional: 99.2% after 1).
  date: { encoder: 'bi', epochs: '2', hidden: '64', embedding: '16', 'batch-size': '128', lr: '0.01' },
  addition: { encoder: 'uni', epochs: '6', hidden: '128', embedding: '16', 'batch-size': '128', lr: '0.01' },
  reverse: { encoder: 'uni', epochs: '10', hidden: '64', embedding: '16', 'batch-size': '64', lr: '0.01' },
};

function toyOptions(task: ToyTaskName): Options {
  const d = TASK_DEFAULTS[task];
  return {
    ...commonOptions,
    attention: {
      type: 'string',
      choices: ['none', 'luong', 'bahdanau'],
      default: 'luong',
      description: 'decoder: plain, or Luong / Bahdanau attention',
    },
    cell: { type: 'string', choices: ['gru', 'lstm'], default: 'gru', description: 'recurrent cell' },
    encoder: {
      type: 'string',
      choices: ['uni', 'bi'],
      default: d.encoder,
      description: 'unidirectional or bidirectional encoder (directions summed for the decoder)',
    },
    epochs: { type: 'string', value: 'N', default: d.epochs, description: 'passes over the training data' },
    'max-steps': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'stop after N optimizer steps (0 = no limit)',
    },
    hidden: { type: 'string', value: 'N', default: d.hidden, description: 'hidden size' },
    embedding: { type: 'string', value: 'N', default: d.embedding, description: 'embedding size' },
    'batch-size': { type: 'string', value: 'N', default: d['batch-size'], description: 'examples per batch' },
    lr: { type: 'string', value: 'X', default: d.lr, description: 'Adam learning rate' },
    'lr-schedule': {
      type: 'string',
      choices: ['constant', 'cosine'],
      default: 'cosine',
      description: 'learning rate: constant, or cosine decay to 5% over the run',
    },
    clip: { type: 'string', value: 'X', default: '5', description: 'clip gradients to this global norm' },
    'scheduled-sampling': {
      type: 'string',
      choices: ['none', 'linear', 'exponential', 'inverse-sigmoid'],
      default: 'none',
      description: 'decay the teacher-forcing ratio from 1 to 0.5 over training (Bengio et al. 2015)',
    },
    limit: { type: 'string', value: 'N', default: '0', description: 'use only N examples (0 = all; for quick runs)' },
    ...(task === 'addition'
      ? {
          'no-reverse-input': {
            type: 'boolean',
            description: 'feed the question as written (default: reversed, as the book does)',
          },
        }
      : {}),
    example: {
      type: 'string',
      value: 'TEXT',
      description: 'question whose attention heatmap is drawn (default: the first held-out one)',
    },
    resume: { type: 'boolean', description: 'continue from <out>/checkpoint.safetensors' },
    quiet: { type: 'boolean', description: 'no progress bar' },
  };
}

export function toyConfigFrom(task: ToyTaskName, args: ParsedArgs): ToyConfig {
  const name = `seq2seq ${task}`;
  const lr = numberOption(args, name, 'lr', 0);
  if (!(lr > 0)) throw new CliError(`${PROGRAM} ${name}: --lr must be > 0`);
  return {
    task,
    attention: args.values.attention as AttentionType,
    cell: args.values.cell as 'gru' | 'lstm',
    bidirectional: args.values.encoder === 'bi',
    embeddingDim: intOption(args, name, 'embedding', 1),
    hiddenSize: intOption(args, name, 'hidden', 1),
    batchSize: intOption(args, name, 'batch-size', 1),
    epochs: intOption(args, name, 'epochs', 1),
    maxSteps: intOption(args, name, 'max-steps', 0),
    lr,
    lrSchedule: args.values['lr-schedule'] as 'constant' | 'cosine',
    clip: numberOption(args, name, 'clip', 0),
    schedule: args.values['scheduled-sampling'] as ToyConfig['schedule'],
    seed: intOption(args, name, 'seed', 0),
    limit: intOption(args, name, 'limit', 0),
    reverseInput: task === 'addition' && args.values['no-reverse-input'] !== true,
    beam: 1,
  };
}

function toyCommand(task: ToyTaskName, summary: string, details: string): Command {
  return {
    name: `seq2seq ${task}`,
    summary,
    details,
    options: toyOptions(task),
    async run(args) {
      const cfg = toyConfigFrom(task, args);
      const out = outDir(args, `seq2seq ${task}`);
      const r = await runToyTask(cfg, args, out, {
        resume: args.values.resume === true,
        quiet: args.values.quiet === true,
        ...(typeof args.values.example === 'string' ? { example: args.values.example } : {}),
      });
      if (r.heatmapText) process.stdout.write(`\n${r.heatmapText}\n\n`);
      process.stdout.write(
        `wrote ${join(out, 'metrics.json')}, model.safetensors, vocab.json${r.heatmapText ? ', attention.svg' : ''}\n`,
      );
      if (r.interrupted)
        throw new CliError(
          `${PROGRAM} seq2seq ${task}: interrupted after step ${r.steps}; continue with --resume --out ${out}`,
          130,
        );
    },
  };
}

export const seq2seqCommands: Command[] = [
  toyCommand(
    'date',
    'date-format conversion (DLFS2 ch. 8): "september 27, 1994" → "1994-09-27"',
    'Data: dlfs2-seq2seq/date.txt (50,000 lines, MIT; a copy is committed in apps/demo/data). Shuffled with --seed, 10% held out.\nReports exact match on the held-out 10%; draws the attention of one example (attention.svg and in the terminal).',
  ),
  toyCommand(
    'addition',
    'addition (DLFS2 ch. 7): "16+75" → "91"',
    'Data: dlfs2-seq2seq/addition.txt (50,000 lines, MIT; committed copy in apps/demo/data). The question is fed reversed unless --no-reverse-input.',
  ),
  toyCommand(
    'reverse',
    'reverse a string: "aacd" → "dcaa" (generated data)',
    '20,000 random strings over a–j (lengths 3–12) made with --seed; 10% held out.',
  ),
];
