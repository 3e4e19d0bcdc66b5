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

/** The `lm` subcommands (registered by commands/index.ts). */
export const lmCommands: Command[] = [lmShakespeareCommand];
