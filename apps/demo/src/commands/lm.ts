/**
 * `lm shakespeare`: a character-level language model on Tiny Shakespeare (karpathy/char-rnn),
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
import { join } from 'node:path';
import { CliError, PROGRAM, commonOptions, intOption, numberOption, type Command, type ParsedArgs } from '../args.js';
import { parseWorkers, workersOption } from '../replicas.js';
import { outDir } from '../train-util.js';
import { COMMAND, type LmConfig } from '../lm/config.js';
import { runLm } from '../lm/train.js';
import { PTB_COMMAND, runPtb } from '../lm/ptb.js';
import type { PtbConfig } from '../lm/ptb-setup.js';

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
      description:
        'stop training after this many seconds (the cosine schedule is fitted to it once, after timing 20 steps; at most --max-steps)',
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

/** Reads the `lm ptb` config from parsed options. */
export function ptbConfigFrom(args: ParsedArgs): PtbConfig {
  const int = (name: string, min: number): number => intOption(args, PTB_COMMAND, name, min);
  const num = (name: string, min: number): number => numberOption(args, PTB_COMMAND, name, min);
  const lr = num('lr', 0);
  if (!(lr > 0)) throw new CliError(`${PROGRAM} ${PTB_COMMAND}: --lr ${lr} must be > 0`);
  const dropout = num('dropout', 0);
  if (dropout >= 1) throw new CliError(`${PROGRAM} ${PTB_COMMAND}: --dropout ${dropout} must be < 1`);
  return {
    hiddenSize: int('hidden', 1),
    numLayers: int('layers', 1),
    dropout,
    batchSize: int('batch-size', 1),
    bptt: int('bptt', 2),
    lr,
    minLr: num('min-lr', 0),
    warmup: int('warmup', 0),
    clip: num('clip', 0),
    epochs: int('epochs', 1),
    maxSteps: int('max-steps', 0),
    seed: int('seed', 0),
    limitWords: int('limit-words', 0),
  };
}

export const lmPtbCommand: Command = {
  name: PTB_COMMAND,
  summary: 'word-level LSTM language model on the Penn Treebank: validation and test perplexity',
  details: [
    "Data: ptb/ptb.{train,valid,test}.txt (Mikolov's preprocessed PTB, 10k words; the train file may be gzipped).",
    'Model (Deep Learning from Scratch 2 ch. 6, Zaremba et al. 2014): 2-layer LSTM, embedding tied to the output layer, variational dropout (one mask per sequence), truncated BPTT over --batch-size streams, global-norm clipping, trained with fit on --workers replicas.',
    'Default: a 60-minute --time-budget (the cosine schedule is planned to it). References: book 75.8 test perplexity (650 units, 40 epochs, GPU); Zaremba small 114.5 (200 units, 13 epochs), medium 82.7.',
    'Writes model.safetensors, vocab.json, metrics.json (valPerplexity, testPerplexity, history), checkpoints/. Ctrl-C saves; --resume continues.',
  ].join('\n'),
  options: {
    ...commonOptions,
    hidden: {
      type: 'string',
      value: 'N',
      default: '200',
      description:
        "LSTM hidden size = embedding size (tied); 200 as Zaremba's small model: the 10k-word output is most of a step's work and grows with it, so 200 sees ~35 % more epochs than 256 in the budget",
    },
    layers: { type: 'string', value: 'N', default: '2', description: 'LSTM layers' },
    dropout: {
      type: 'string',
      value: 'X',
      default: '0.2',
      description: 'variational dropout (same mask at every step); light, as a 60-minute run sees only a few epochs',
    },
    'batch-size': { type: 'string', value: 'N', default: '20', description: 'parallel streams of the training text' },
    bptt: { type: 'string', value: 'N', default: '35', description: 'truncated-BPTT length (words per chunk)' },
    lr: { type: 'string', value: 'X', default: '0.003', description: 'peak learning rate (Adam)' },
    'min-lr': {
      type: 'string',
      value: 'X',
      default: '0.0001',
      description: 'learning rate at the end of the cosine decay',
    },
    warmup: { type: 'string', value: 'N', default: '100', description: 'linear warmup steps' },
    clip: { type: 'string', value: 'X', default: '0.5', description: 'clip gradients to this global norm' },
    epochs: { type: 'string', value: 'N', default: '40', description: 'passes over the training text (at most)' },
    'max-steps': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'optimizer steps (0: --time-budget / --epochs)',
    },
    'time-budget': {
      type: 'string',
      value: 'SECONDS',
      default: '3600',
      description: 'training seconds (the schedule is planned to it after timing 20 steps); 0 = none',
    },
    'eval-every': {
      type: 'string',
      value: 'N',
      default: '1000',
      description: 'estimate the validation perplexity every N steps (0 = only at the end)',
    },
    'eval-words': {
      type: 'string',
      value: 'N',
      default: '20000',
      description: 'validation words for the estimates (the final figures use all)',
    },
    'limit-words': {
      type: 'string',
      value: 'N',
      default: '0',
      description: 'use only the first N training words (0 = all)',
    },
    workers: workersOption,
    resume: { type: 'boolean', description: 'continue from <out>/checkpoints' },
    quiet: { type: 'boolean', description: 'no progress bar' },
  },
  async run(args) {
    const cfg = ptbConfigFrom(args);
    const workers = parseWorkers(args.values.workers, PTB_COMMAND);
    const budget = numberOption(args, PTB_COMMAND, 'time-budget', 0);
    const out = outDir(args, PTB_COMMAND);
    const r = await runPtb(cfg, args, out, {
      resume: args.values.resume === true,
      quiet: args.values.quiet === true,
      ...(budget > 0 && cfg.maxSteps === 0 ? { timeBudgetSeconds: budget } : {}),
      evalEvery: intOption(args, PTB_COMMAND, 'eval-every', 0),
      evalWords: intOption(args, PTB_COMMAND, 'eval-words', 0),
      workers,
    });
    if (r.interrupted)
      throw new CliError(
        `${PROGRAM} ${PTB_COMMAND}: interrupted after step ${r.steps}; continue with --resume --out ${out}`,
        130,
      );
    process.stdout.write(
      `test perplexity ${r.testPerplexity.toFixed(1)} (validation ${r.valPerplexity.toFixed(1)}); wrote ${join(out, 'metrics.json')}, model.safetensors, vocab.json\n`,
    );
  },
};

/** The `lm` subcommands (registered by commands/index.ts). */
export const lmCommands: Command[] = [lmShakespeareCommand, lmPtbCommand];
