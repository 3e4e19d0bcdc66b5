import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@wordloom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CliError, parseCommandArgs } from '../args.js';
import { withCtrlCAt } from '../testdata/interrupt.js';
import { TransformerLM } from '@wordloom/transformer';
import { evaluateLoss, evaluateLossSliding, windowSegments } from '../lm/evaluate.js';
import { TINY_LM_ARGS } from '../lm/testdata/tiny-lm.js';
import { lmCommands, lmShakespeareCommand } from './lm.js';
import { cliTestDir, runCommand } from './testdata/run-cli.js';

const tmp = cliTestDir('wordloom-lm-');

/** A tiny, fast configuration: a few thousand characters, a model of a few thousand parameters. */
const TINY = [...TINY_LM_ARGS, '--eval-every', '0', '--sample-length', '40', '--prompt', 'ROMEO:', '--workers', '1'];

/** Runs the command in-process; returns what it printed. */
const run = (argv: string[]): Promise<{ out: string; err: string }> => runCommand(lmShakespeareCommand, argv);

interface Metrics {
  valLoss: number;
  steps: number;
  interrupted: boolean;
  history: Array<{ step: number; loss: number }>;
  vocabSize: number;
}
const metrics = (dir: string): Metrics => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Metrics;

describe('lm shakespeare', () => {
  it('is exported as lmCommands with --help', () => {
    expect(lmCommands.map((c) => c.name)).toEqual(['lm shakespeare', 'lm ptb']);
    expect(parseCommandArgs(lmShakespeareCommand, ['--help'])).toBe('help');
  });

  it('transformer: trains on the excerpt, loss decreases, writes weights + config, vocab, metrics, sample', async () => {
    const out = join(tmp, 'tf');
    const before = tf.memory().numTensors;
    await run([...TINY, '--out', out, '--max-steps', '100', '--quiet']);
    expect(tf.memory().numTensors).toBe(before); // no leaks across a whole run
    const m = metrics(out);
    expect(m.steps).toBe(100);
    expect(m.history.map((h) => h.step)).toEqual([50, 100]);
    expect(m.history[1].loss).toBeLessThan(m.history[0].loss);
    expect(m.valLoss).toBeGreaterThan(0);
    expect(m.valLoss).toBeLessThan(Math.log(m.vocabSize)); // better than uniform
    const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(st.metadata.get('model')).toBe('transformer');
    const cfg = JSON.parse(st.metadata.get('config')!) as Record<string, unknown>;
    expect(Object.keys(cfg).sort()).toEqual([
      'dModel',
      'dimFeedforward',
      'maxLen',
      'nhead',
      'normFirst',
      'numLayers',
      'positional',
      'tieWeights',
      'vocabSize',
    ]);
    expect(cfg).toMatchObject({
      vocabSize: m.vocabSize,
      dModel: 16,
      nhead: 2,
      numLayers: 1,
      dimFeedforward: 64,
      positional: 'learned',
      maxLen: 16,
      normFirst: true,
      tieWeights: true,
    });
    expect([...st.tensors.keys()]).toContain('tok_emb.weight');
    tf.dispose([...st.tensors.values()]);
    const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')) as { format: string; tokens: string[] };
    expect(vocab.format).toBe('wordloom-demo-charvocab v1');
    expect(vocab.tokens.length).toBe(m.vocabSize);
    expect(vocab.tokens).toContain('R');
    const sample = readFileSync(join(out, 'sample.txt'), 'utf8');
    expect(sample.startsWith('ROMEO:')).toBe(true);
    expect(sample.length).toBeGreaterThan('ROMEO:'.length + 20);
  });

  it('Ctrl-C mid-epoch or during an evaluation, then --resume: the uninterrupted weights bit for bit (transformer; LSTM with dropout and the carried TBPTT state)', async () => {
    // 3,000 characters: 2,700 train = 21 chunks of 8 × 16 an epoch, so 40 steps cross an epoch's end
    // (where the LSTM's carried state starts again from zeros).
    const base = [...TINY, '--max-steps', '40', '--sample-length', '5', '--limit-chars', '3000'];
    const weights = (dir: string): Buffer => readFileSync(join(dir, 'model.safetensors'));
    for (const [name, extra, at] of [
      ['transformer', [], / 4\/40 steps/],
      ['lstm-mid', ['--model', 'lstm', '--hidden', '24', '--dropout', '0.2', '--eval-every', '8'], / 12\/40 steps/],
      // Step 8 is printed (20%) right before its evaluation: the Ctrl-C lands in the evaluation.
      ['lstm-eval', ['--model', 'lstm', '--hidden', '24', '--dropout', '0.2', '--eval-every', '8'], / 8\/40 steps/],
    ] as const) {
      const common = [...base, ...extra];
      const full = join(tmp, `full-${name}`);
      const cut = join(tmp, `cut-${name}`);
      await run([...common, '--out', full, '--quiet']);
      const args = parseCommandArgs(lmShakespeareCommand, [...common, '--out', cut]);
      if (args === 'help') throw new Error('help');
      // The command stops, saves, and exits with 130 and a --resume hint.
      const { result, fired } = await withCtrlCAt(at, () => lmShakespeareCommand.run(args).catch((e: unknown) => e));
      expect(fired).toBe(true);
      expect((result as Error).message).toMatch(/interrupted after step \d+; continue with --resume/);
      const partial = metrics(cut);
      expect(partial.interrupted).toBe(true);
      expect(partial.steps).toBeLessThan(40);
      expect(readdirSync(join(cut, 'checkpoints')).length).toBeGreaterThan(0);
      await run([...common, '--out', cut, '--resume', '--quiet']);
      const resumed = metrics(cut);
      expect(resumed.steps).toBe(40);
      expect(resumed.interrupted).toBe(false);
      expect(weights(cut).equals(weights(full)), name).toBe(true);
      expect(resumed.valLoss).toBe(metrics(full).valLoss);
    }
  }, 240_000);

  it('--time-budget: fit stops training when the budget is spent, then the command evaluates and samples', async () => {
    const out = join(tmp, 'budget');
    const r = await run([...TINY, '--time-budget', '1', '--limit-chars', '3000', '--out', out, '--quiet']);
    const m = metrics(out);
    expect(m.interrupted).toBe(false);
    expect(m.steps).toBeGreaterThan(0);
    expect(Number.isFinite(m.valLoss)).toBe(true);
    expect(r.out).toMatch(/time budget of 1 s reached at step \d+; checkpoint saved/);
  });

  it('--resume with other options is a one-line error naming the option', async () => {
    const out = join(tmp, 'other-options');
    const common = [...TINY, '--sample-length', '5', '--limit-chars', '3000'];
    await run([...common, '--max-steps', '4', '--out', out, '--quiet']);
    const err = await run([...common, '--max-steps', '5', '--out', out, '--resume', '--quiet']).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(
      /was made with other options \(.*maxSteps.*\); use the same options or another --out$/,
    );
    expect((err as Error).message.includes('\n')).toBe(false);
  });

  it('lstm: truncated BPTT training decreases the loss; samples text', async () => {
    const out = join(tmp, 'lstm');
    const before = tf.memory().numTensors;
    await run([
      ...TINY,
      '--model',
      'lstm',
      '--hidden',
      '32',
      '--lr',
      '0.01',
      '--out',
      out,
      '--max-steps',
      '100',
      '--quiet',
    ]);
    expect(tf.memory().numTensors).toBe(before);
    const m = metrics(out);
    expect(m.history[1].loss).toBeLessThan(m.history[0].loss);
    expect(m.valLoss).toBeLessThan(Math.log(m.vocabSize));
    const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(st.metadata.get('model')).toBe('lstm');
    expect(JSON.parse(st.metadata.get('config')!)).toMatchObject({ hiddenSize: 32, numLayers: 1, embeddingDim: 16 });
    expect([...st.tensors.keys()]).toContain('rnn.weight_hh_l0');
    tf.dispose([...st.tensors.values()]);
    expect(readFileSync(join(out, 'sample.txt'), 'utf8').length).toBeGreaterThan(20);
  });

  it('a missing data file is a one-line CliError naming the data set and its source', async () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    const err = await run(['--data-dir', empty, '--out', join(tmp, 'x'), '--quiet']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    const msg = (err as Error).message;
    expect(msg).toContain('tinyshakespeare/input.txt');
    expect(msg).toContain('karpathy/char-rnn');
    expect(msg.includes('\n')).toBe(false);
  });

  it('a corrupt vocab.json of a resumed run is a one-line CliError (exit 3) naming the file', async () => {
    const out = mkdtempSync(join(tmp, 'bad-vocab-'));
    for (const text of ['{"tokens": [', '{"format": "something else", "tokens": ["a"]}', 'null']) {
      writeFileSync(join(out, 'vocab.json'), text);
      const err = await run([...TINY, '--out', out, '--resume', '--quiet']).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(CliError);
      expect((err as CliError).exitCode).toBe(3);
      expect((err as Error).message).toContain(`${join(out, 'vocab.json')} is not`);
      expect((err as Error).message).toMatch(/delete it and run without --resume, or use another --out$/);
      expect((err as Error).message.includes('\n')).toBe(false);
    }
  });

  it('bad options are one-line CliErrors', async () => {
    await expect(run([...TINY, '--d-model', '15', '--out', join(tmp, 'y')])).rejects.toThrow(/divisible by --heads/);
    await expect(run([...TINY, '--top-p', '1.5', '--out', join(tmp, 'y')])).rejects.toThrow(CliError);
    expect(() => parseCommandArgs(lmShakespeareCommand, ['--model', 'gru'])).toThrow(/not one of transformer\|lstm/);
  });
});

describe('evaluateLossSliding', () => {
  let model: TransformerLM;
  const ids = Int32Array.from({ length: 203 }, (_, i) => (i * 7 + (i >> 3)) % 11);
  beforeAll(() => {
    // The file's cpu backend is set up by cliTestDir's beforeAll, which runs first.
    model = new TransformerLM({
      vocabSize: 11,
      dModel: 8,
      nhead: 2,
      numLayers: 1,
      dimFeedforward: 16,
      maxLen: 8,
      dropout: 0,
      seed: 5,
    });
  });
  afterAll(() => model.dispose());

  it("windowSegments: the segments' losses weighted by the characters they score give the whole text's loss", () => {
    const wrapped = { kind: 'transformer' as const, m: model };
    const whole = evaluateLoss(wrapped, ids, { blockSize: 8, rows: 4 });
    const segs = windowSegments(ids, 8, 3);
    expect(segs.length).toBe(Math.ceil(Math.floor(202 / 8) / 3));
    let sum = 0;
    let n = 0;
    for (const s of segs) {
      const chars = Math.floor((s.length - 1) / 8) * 8;
      sum += evaluateLoss(wrapped, s, { blockSize: 8, rows: 4 }) * chars;
      n += chars;
    }
    expect(n).toBe(Math.floor(202 / 8) * 8);
    expect(sum / n).toBeCloseTo(whole, 5);
  });

  it('with stride = context it is the non-overlapping evaluation', () => {
    const a = evaluateLossSliding(model, ids, { blockSize: 8, stride: 8, rows: 5 });
    const b = evaluateLoss({ kind: 'transformer', m: model }, ids, { blockSize: 8, rows: 5 });
    expect(Math.abs(a - b)).toBeLessThan(1e-5 * b);
  });

  it('scores each character once, with at least context − stride characters before it; leaks nothing', () => {
    const before = tf.memory().numTensors;
    // Per-position reference: the loss of character j+1 from the window that scores it.
    const T = 8;
    const S = 3;
    const scored = new Map<number, number>(); // target position → window start
    for (let s = 0; s + T + 1 <= ids.length; s += S) {
      for (let t = s === 0 ? 0 : T - S; t < T; t++) if (!scored.has(s + t + 1)) scored.set(s + t + 1, s);
    }
    let total = 0;
    for (const [pos, s] of scored) {
      const lp = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d(ids.subarray(s, s + T), [1, T], 'int32')).logits;
        return tf.logSoftmax(tf.reshape(logits, [T, 11]));
      });
      total -= (lp.arraySync() as number[][])[pos - 1 - s][ids[pos]];
      lp.dispose();
    }
    const got = evaluateLossSliding(model, ids, { blockSize: T, stride: S, rows: 4 });
    expect(Math.abs(got - total / scored.size)).toBeLessThan(1e-5);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('a stride outside [1, context] is a RangeError naming it', () => {
    expect(() => evaluateLossSliding(model, ids, { blockSize: 8, stride: 9, rows: 4 })).toThrow(
      /stride 9 must be an integer in \[1, 8\]/,
    );
    expect(() => evaluateLossSliding(model, ids, { blockSize: 8, stride: 0, rows: 4 })).toThrow(RangeError);
  });
});
