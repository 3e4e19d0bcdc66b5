/**
 * `classify nsmc`: Korean movie-review sentiment (NSMC) from scratch — a BPE (or, with `--tokenizer
 * unigram`, a sentencepiece-style Unigram) trained with @wordloom/tokenizer on the training reviews, then a BiLSTM (@wordloom/rnn, ragged batches with
 * lengths, masked max/mean pooling or the final states) or a transformer encoder
 * (@wordloom/transformer's `TransformerClassifier`), batched by length with @wordloom/data's
 * `BucketBatchSampler` + `padCollate`, AdamW with warmup + cosine and clipping (@wordloom/optim).
 * Trains on "NSMC-raw derived train (seed 20150101)"; reports accuracy on the canonical
 * 50,000-review NSMC test set.
 */
import { join } from 'node:path';
import { CliError, PROGRAM, commonOptions, intOption, numberOption, type Command, type ParsedArgs } from '../args.js';
import { parseWorkers, workersOption } from '../replicas.js';
import { outDir } from '../train-util.js';
import { COMMAND, NSMC_TRAIN_NAME, type ClassifyConfig } from '../classify/config.js';
import { runClassify } from '../classify/train.js';

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
    tokenizer: typeof args.values.tokenizer === 'string' ? args.values.tokenizer : 'bpe',
    pretrain: (args.values.pretrain ?? d.pretrain) as ClassifyConfig['pretrain'],
    pretrainEpochs: int('pretrain-epochs', 1),
  };
}

export const classifyNsmcCommand: Command = {
  name: COMMAND,
  summary:
    'Korean movie-review sentiment (NSMC) from scratch: BPE or Unigram + BiLSTM or transformer encoder; test accuracy',
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
      value: 'bpe|unigram|FILE',
      default: 'bpe',
      description:
        'train a BPE (NFKC, ▁ word marks) or a sentencepiece-style Unigram (trainUnigram) on the training reviews, or use a tokenizer.json FILE (a file named bpe or unigram: ./bpe)',
    },
    'vocab-size': {
      type: 'string',
      value: 'N',
      default: '8000',
      description: 'vocabulary size of the tokenizer trained here (bpe or unigram)',
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
      description:
        'stop training after this many seconds (the cosine schedule is fitted to it once, after timing 20 steps; at most --max-steps)',
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
