/**
 * `lm ptb` on a small synthetic PTB-format corpus (ptb/ptb.{train,valid,test}.txt written here: short
 * sentences from a tiny grammar, `<unk>` included): the tied LSTM with variational dropout trains (the
 * loss falls, perplexity well under the vocabulary size), writes its files, and bad input is a one-line error.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { setBatchMatMulKernel } from '@wordloom/core';
import { expectClose } from '@wordloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../args.js';
import { PtbLSTM, VariationalDropout } from '../lm/ptb-model.js';
import { ptbWords } from '../lm/ptb.js';
import { lmPtbCommand } from './lm.js';
import { cliTestDir, runCommand } from './testdata/run-cli.js';

const tmp = cliTestDir('wordloom-ptb-');

function corpus(n: number, seed: number): string {
  let s = seed;
  const rand = (k: number): number => (s = (s * 1103515245 + 12345) >>> 0) % k;
  const subj = ['the cat', 'a dog', 'the market', 'mr. <unk>', 'the company'];
  const verb = ['sees', 'buys', 'sells', 'likes'];
  const obj = ['the fish', 'N shares', 'a house', 'the bonds', '<unk>'];
  return Array.from({ length: n }, () => ` ${subj[rand(5)]} ${verb[rand(4)]} ${obj[rand(5)]} `).join('\n') + '\n';
}

let dataDir = '';
beforeAll(() => {
  dataDir = join(tmp, 'data');
  mkdirSync(join(dataDir, 'ptb'), { recursive: true });
  writeFileSync(join(dataDir, 'ptb/ptb.train.txt'), corpus(600, 1));
  writeFileSync(join(dataDir, 'ptb/ptb.valid.txt'), corpus(60, 2));
  writeFileSync(join(dataDir, 'ptb/ptb.test.txt'), corpus(60, 3));
});

const TINY = [
  '--hidden',
  '32',
  '--batch-size',
  '8',
  '--bptt',
  '10',
  '--lr',
  '0.01',
  '--warmup',
  '5',
  '--eval-every',
  '0',
];

/** Runs `lm ptb` in-process; returns what it printed on stdout. */
const run = async (argv: string[]): Promise<string> => (await runCommand(lmPtbCommand, argv)).out;

describe('lm ptb', () => {
  it('reads PTB lines as words with <eos> at each end', () => {
    expect(ptbWords(' a b \n\n c <unk> \n')).toEqual(['a', 'b', '<eos>', 'c', '<unk>', '<eos>']);
  });

  it('variational dropout keeps one mask per row and feature across time; off in eval', () => {
    const d = new VariationalDropout(0.5, 3);
    const y = d.forward(tf.ones([2, 6, 4]) as tf.Tensor3D);
    const v = y.arraySync() as number[][][];
    for (const row of v) for (const t of row) expect(t).toEqual(row[0]);
    expect(new Set(v.flat(2))).toEqual(new Set([0, 2]));
    d.eval();
    const z = tf.ones([2, 6, 4]) as tf.Tensor3D;
    expect(d.forward(z)).toBe(z);
    tf.dispose([y, z]);
  });

  it('ties the output layer to the embedding (one matrix, gradients from both uses)', () => {
    const m = new PtbLSTM({ vocabSize: 11, hiddenSize: 6, numLayers: 2, dropout: 0, seed: 1 });
    expect([...m.namedParameters().keys()].filter((k) => k.includes('embedding'))).toEqual(['embedding.weight']);
    expect(m.namedParameters().size).toBe(1 + 2 * 4 + 1); // embedding, 2 LSTM layers (w_ih, w_hh, b_ih, b_hh), output bias
    const ids = tf.tensor2d([[1, 2, 3]], [1, 3], 'int32');
    const r = m.forward(ids);
    expect(r.logits.shape).toEqual([1, 3, 11]);
    tf.dispose([ids, r.logits, ...r.state.flatMap((s) => [s.h, s.c!])]);
    m.dispose();
  });

  it("the tied output through core's SIMD batchMatMul equals x·Eᵀ + b by tf.matMul, values and gradients", () => {
    const m = new PtbLSTM({ vocabSize: 37, hiddenSize: 12, numLayers: 1, dropout: 0, seed: 2 });
    const x = tf.randomNormal([9, 12], 0, 1, 'float32', 5) as tf.Tensor2D;
    const dy = tf.randomNormal([9, 37], 0, 1, 'float32', 6);
    const E = m.embedding.weight;
    const reference = (xx: tf.Tensor2D): tf.Tensor => tf.add(tf.matMul(xx, E, false, true), m.bias);
    const prev = setBatchMatMulKernel('simd'); // the kernel on any backend (these tests run on cpu)
    try {
      const lossOf = (f: (xx: tf.Tensor2D) => tf.Tensor) => () => tf.sum(tf.mul(f(x), dy)) as tf.Scalar;
      const ours = tf.variableGrads(
        lossOf((xx) => m.project(xx)),
        [E, m.bias],
      );
      const dxOurs = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(m.project(xx as tf.Tensor2D), dy)))(x);
      const ref = tf.variableGrads(lossOf(reference), [E, m.bias]);
      const dxRef = tf.grad((xx: tf.Tensor) => tf.sum(tf.mul(reference(xx as tf.Tensor2D), dy)))(x);
      const y = m.project(x);
      const yRef = reference(x);
      expectClose(y, yRef, { rtol: 1e-5, atol: 1e-5, name: 'logits' });
      expectClose(dxOurs, dxRef, { rtol: 1e-5, atol: 1e-5, name: 'dx' });
      expectClose(ours.grads[E.name], ref.grads[E.name], { rtol: 1e-5, atol: 1e-5, name: 'dE' });
      expectClose(ours.grads[m.bias.name], ref.grads[m.bias.name], { rtol: 1e-5, atol: 1e-5, name: 'db' });
      tf.dispose([
        y,
        yRef,
        dxOurs,
        dxRef,
        ours.value,
        ref.value,
        ...Object.values(ours.grads),
        ...Object.values(ref.grads),
      ]);
    } finally {
      setBatchMatMulKernel(prev);
      tf.dispose([x, dy]);
      m.dispose();
    }
  });

  it('trains on a small corpus: the loss falls and the perplexities are far below the vocabulary size', async () => {
    const out = join(tmp, 'run');
    const before = tf.memory().numTensors;
    const text = await run([
      '--data-dir',
      dataDir,
      ...TINY,
      '--max-steps',
      '150',
      '--dropout',
      '0.1',
      '--workers',
      '1',
      '--out',
      out,
      '--quiet',
    ]);
    expect(text).toMatch(/test perplexity [\d.]+ \(validation [\d.]+\)/);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')) as {
      vocabSize: number;
      steps: number;
      valPerplexity: number;
      testPerplexity: number;
      history: Array<{ loss: number }>;
    };
    expect(m.steps).toBe(150);
    const V = new Set(ptbWords(readFileSync(join(dataDir, 'ptb/ptb.train.txt'), 'utf8'))).size;
    expect(V).toBeGreaterThan(10);
    expect(m.vocabSize).toBe(V);
    // The grammar allows ≤ 5 choices per position: a trained model is far below the uniform V.
    expect(m.testPerplexity).toBeLessThan(8);
    expect(m.valPerplexity).toBeLessThan(8);
    expect(m.history[m.history.length - 1].loss).toBeLessThan(Math.log(V));
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);

  it('a valid word missing from the training vocabulary without <unk> is a one-line error', async () => {
    const bad = join(tmp, 'bad');
    mkdirSync(join(bad, 'ptb'), { recursive: true });
    writeFileSync(join(bad, 'ptb/ptb.train.txt'), ' a b c d e f g h i j \n'.repeat(80));
    writeFileSync(join(bad, 'ptb/ptb.valid.txt'), ' a zebra \n');
    writeFileSync(join(bad, 'ptb/ptb.test.txt'), ' a b \n');
    const err = await run([
      '--data-dir',
      bad,
      ...TINY,
      '--max-steps',
      '1',
      '--workers',
      '1',
      '--out',
      join(tmp, 'o'),
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(/'zebra' of the valid split is not in the training vocabulary/);
  });
});
