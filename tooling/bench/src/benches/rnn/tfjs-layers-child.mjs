/**
 * Child process: the same model in tfjs-layers 4.22 on wasm — Embedding(maskZero) ->
 * Bidirectional(LSTM/GRU, recurrentActivation 'sigmoid' as PyTorch) x L -> Dense(softmax),
 * Adam(1e-3), trainOnBatch. The mask threads through Embedding and Bidirectional.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { setupBackend } from '@wordloom/core';
import { config, makeBatch } from './model-config.mjs';

export default async function run(mode, quick) {
  // core's setup registers the gradients and wasm's UnsortedSegmentSum (embedding gradient).
  // threads: 1 — tfjs-layers as it is: with @wordloom/core's pool on, core would wrap wasm's BatchMatMul for it too
  const { backend } = await setupBackend({ prefer: ['wasm'], threads: 1 });
  const c = config(quick);
  const data = makeBatch(c);
  const input = tfl.input({ shape: [c.T], dtype: 'int32' });
  let x = tfl.layers.embedding({ inputDim: c.V, outputDim: c.E, maskZero: true }).apply(input);
  for (let l = 0; l < c.L; l++) {
    // glorotUniform recurrent init: tfjs-layers' orthogonal initializer calls a chained op (rMat.flatten) that
    // the tfjs-core node build does not register; initialization does not change the step's cost.
    const cellOpts = {
      units: c.H,
      recurrentActivation: 'sigmoid',
      recurrentInitializer: 'glorotUniform',
      returnSequences: l < c.L - 1,
    };
    const cell = mode === 'lstm' ? tfl.layers.lstm(cellOpts) : tfl.layers.gru(cellOpts);
    x = tfl.layers.bidirectional({ layer: cell, mergeMode: 'concat' }).apply(x);
  }
  const out = tfl.layers.dense({ units: c.C, activation: 'softmax' }).apply(x);
  const model = tfl.model({ inputs: input, outputs: out });
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy' });
  const ids = tf.tensor2d(data.ids, [c.B, c.T], 'int32');
  const labels = tf.tensor2d(data.labels, [c.B, 1], 'float32');
  // No warm-up at full size: a step takes ~33 s, next to which one-time setup (wasm kernels,
  // weight init) is small; quick mode warms up since its steps are milliseconds.
  if (quick) {
    await model.trainOnBatch(ids, labels);
    tf.tidy(() => model.predict(ids).dataSync());
  }
  const t0 = performance.now();
  const loss = await model.trainOnBatch(ids, labels);
  const stepMs = performance.now() - t0;
  const t1 = performance.now();
  tf.tidy(() => model.predict(ids).dataSync());
  const inferMs = performance.now() - t1;
  return { backend, stepMs, inferMs, loss };
}
