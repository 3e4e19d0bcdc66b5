/** Child process: our LSTM/GRU model on wasm; one warm-up step, then timed steps and inference. */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, crossEntropy, getThreads, poolStats, setupBackend, startThreads } from '@wordloom/core';
import { LSTM, GRU } from '@wordloom/rnn';
import { Optimizer, adam } from '@wordloom/optim';
import { config, makeBatch } from './model-config.mjs';

export default async function run(mode, quick, threads = 'auto') {
  // threads: @wordloom/core's intra-op pool ('auto' = WORDLOOM_THREADS or the cores; 1 = off)
  const { backend } = await setupBackend({ prefer: ['wasm'], threads });
  const c = config(quick);
  const data = makeBatch(c);
  const emb = new Embedding({ numEmbeddings: c.V, embeddingDim: c.E, paddingIdx: 0, seed: 1 });
  const Rnn = mode === 'lstm' ? LSTM : GRU;
  const rnn = new Rnn({ inputSize: c.E, hiddenSize: c.H, numLayers: c.L, bidirectional: true, seed: 2 });
  const head = new Linear({ inFeatures: 2 * c.H, outFeatures: c.C, seed: 3 });
  const params = new Map();
  for (const [pre, m] of [
    ['emb', emb],
    ['rnn', rnn],
    ['head', head],
  ])
    for (const [n, v] of m.namedParameters()) params.set(`${pre}.${n}`, v);
  const opt = new Optimizer(params, adam({ lr: 1e-3 }));
  const ids = tf.tensor2d(data.ids, [c.B, c.T], 'int32');
  const labels = tf.tensor1d(data.labels, 'int32');
  const logits = () => {
    const { state } = rnn.forward(emb.forward(ids), { lengths: data.lengths });
    const k = 2 * c.L;
    const last = tf.concat(
      [
        tf.reshape(tf.slice(state.h, [k - 2, 0, 0], [1, c.B, c.H]), [c.B, c.H]),
        tf.reshape(tf.slice(state.h, [k - 1, 0, 0], [1, c.B, c.H]), [c.B, c.H]),
      ],
      1,
    );
    return head.forward(last);
  };
  const step = () => {
    const { value, grads } = tf.variableGrads(() => crossEntropy(logits(), labels), [...params.values()]);
    opt.step(grads);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  step(); // warm-up: wasm kernels, XNNPACK operators, the pool's kernels
  await startThreads(); // the workers (re)started by the warm-up are ready
  const t0 = performance.now();
  let loss = 0;
  for (let i = 0; i < c.steps; i++) loss = step();
  const stepMs = (performance.now() - t0) / c.steps;
  rnn.eval();
  tf.tidy(() => logits().dataSync());
  await startThreads(); // the inference kernels joined the pool: its workers restarted
  const t1 = performance.now();
  for (let i = 0; i < c.inferRuns; i++) tf.tidy(() => logits().dataSync());
  const inferMs = (performance.now() - t1) / c.inferRuns;
  // parts each pool worker ran: whether the second thread really took part (a loaded machine may starve it)
  const workerParts = poolStats().jobs;
  return { backend, threads: getThreads(), workerParts, stepMs, inferMs, loss, numTensors: tf.memory().numTensors };
}
