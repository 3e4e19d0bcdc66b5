// Runs the README's "Use" example (its imports are hoisted here; keep the two in sync).
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { LSTM } from '@wordloom/rnn';
import { expect, it } from 'vitest';

it('README example runs', async () => {
  const logs: string[] = [];
  const log = (...a: unknown[]): void => {
    logs.push(a.join(' '));
  };
  // ---- README example start ----
  await setupBackend({ prefer: ['wasm', 'cpu'] });
  const lstm = new LSTM({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, seed: 0 });

  const x = tf.randomNormal([3, 5, 8]); // [B, T, D], right-padded
  const { outputs, state } = lstm.forward(x, { lengths: [5, 2, 4] });
  log(outputs.shape, state.h.shape, state.c?.shape); // [3,5,32] [4,3,16] [4,3,16]

  // Train: gradients flow through the fused kernels.
  const { value, grads } = tf.variableGrads(
    () => tf.mean(tf.square(lstm.forward(x, { lengths: [5, 2, 4] }).outputs)) as tf.Scalar,
  );
  log([...lstm.namedParameters().keys()].slice(0, 4).join(' ')); // weight_ih_l0 weight_hh_l0 bias_ih_l0 bias_hh_l0
  tf.dispose([value, ...Object.values(grads), x, outputs, state.h, state.c]);
  lstm.dispose();
  // ---- README example end ----
  expect(logs[0]).toBe('3,5,32 4,3,16 4,3,16');
  expect(logs[1]).toBe('weight_ih_l0 weight_hh_l0 bias_ih_l0 bias_hh_l0');
});
