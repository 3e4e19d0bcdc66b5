/** Runs the README's "Use" example (kept in sync by hand: same code, minus logging). */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { expect, it } from 'vitest';
import { attention, BahdanauAttention, MultiHeadAttention } from './index.js';

it('README example runs', async () => {
  await setupBackend({ prefer: ['cpu'] });
  const before = tf.memory().numTensors;
  const q = tf.randomNormal([2, 8], 0, 1, 'float32', 1);
  const enc = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 2);
  const { context, weights } = attention(q, enc, enc, { score: 'scaledDot', lengths: [4, 3] });
  expect(context.shape).toEqual([2, 8]);
  expect((weights.arraySync() as number[][])[1][3]).toBe(0);
  const bahdanau = new BahdanauAttention({ queryDim: 8, keyDim: 8, attnDim: 16, seed: 0 });
  const keysProj = bahdanau.prepareKeys(enc);
  const step = bahdanau.forward(q, enc, { lengths: [4, 3], preparedKeys: keysProj });
  const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, seed: 0 });
  const pad = tf.tensor2d(
    [
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ],
    [2, 4],
    'bool',
  );
  const { output, weights: perHead } = mha.forward(enc, enc, enc, { keyPaddingMask: pad, averageAttnWeights: false });
  expect([...mha.namedParameters().keys()]).toEqual([
    'in_proj_weight',
    'in_proj_bias',
    'out_proj.weight',
    'out_proj.bias',
  ]);
  expect(output.shape).toEqual([2, 4, 8]);
  expect(perHead?.shape).toEqual([2, 2, 4, 4]);
  tf.dispose([q, enc, context, weights, keysProj, step.context, step.weights, pad, output, perHead!]);
  bahdanau.dispose();
  mha.dispose();
  expect(tf.memory().numTensors).toBe(before);
});
