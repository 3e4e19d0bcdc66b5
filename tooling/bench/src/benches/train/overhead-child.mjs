/**
 * Child process of train.overhead: the rnn bench model (embedding 128 -> 2-layer biLSTM, hidden 256
 * -> classifier; batch 64, T 50 ragged) trained for `steps` steps on wasm, either by `fit` over a
 * DataLoader or by a hand-written loop over the same batches (collate, variableGrads, Optimizer.step,
 * dispose). One hand-written warm-up step first on both sides (wasm kernels, XNNPACK operators).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module, crossEntropy, setupBackend } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { LSTM } from '@wordloom/rnn';
import { Optimizer, adam } from '@wordloom/optim';
import { fit } from '@wordloom/train';
import { config, makeBatch } from '../rnn/model-config.mjs';

class Classifier extends Module {
  constructor(c) {
    super();
    this.c = c;
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: c.V, embeddingDim: c.E, paddingIdx: 0, seed: 1 }));
    this.rnn = this.addModule(
      'rnn',
      new LSTM({ inputSize: c.E, hiddenSize: c.H, numLayers: c.L, bidirectional: true, seed: 2 }),
    );
    this.head = this.addModule('head', new Linear({ inFeatures: 2 * c.H, outFeatures: c.C, seed: 3 }));
  }
  logits(b) {
    const { c } = this;
    const B = b.lengths.length;
    const { state } = this.rnn.forward(this.emb.forward(b.ids), { lengths: b.lengths });
    const k = 2 * c.L;
    const last = tf.concat(
      [
        tf.reshape(tf.slice(state.h, [k - 2, 0, 0], [1, B, c.H]), [B, c.H]),
        tf.reshape(tf.slice(state.h, [k - 1, 0, 0], [1, B, c.H]), [B, c.H]),
      ],
      1,
    );
    return this.head.forward(last);
  }
}

export default async function run(side, quick) {
  const { backend } = await setupBackend({ prefer: ['wasm'] });
  const c = config(quick);
  const steps = quick ? 3 : 8;
  // `steps` different batches: the bench batch with its rows rotated, so both sides collate real data.
  const base = makeBatch(c);
  const examples = [];
  for (let s = 0; s < steps + 1; s++)
    for (let i = 0; i < c.B; i++) {
      const r = (i + s) % c.B;
      examples.push({ ids: base.ids.slice(r * c.T, r * c.T + base.lengths[r]), label: base.labels[r] });
    }
  const collate = (xs) => {
    const ids = new Int32Array(xs.length * c.T);
    xs.forEach((x, i) => ids.set(x.ids, i * c.T));
    return {
      ids: tf.tensor2d(ids, [xs.length, c.T], 'int32'),
      lengths: Int32Array.from(xs, (x) => x.ids.length),
      labels: tf.tensor1d(
        xs.map((x) => x.label),
        'int32',
      ),
    };
  };
  const model = new Classifier(c);
  const optimizer = new Optimizer(model, adam({ lr: 1e-3 }));
  const lossOf = (m, b) => crossEntropy(m.logits(b), b.labels);
  const handStep = (b) => {
    const { value, grads } = tf.variableGrads(() => lossOf(model, b), [...optimizer.params.values()]);
    optimizer.step(grads);
    const loss = value.dataSync()[0];
    tf.dispose([value, ...Object.values(grads)]);
    return loss;
  };
  // Warm-up on the extra batch (the last one), the same for both sides.
  const warm = collate(examples.slice(steps * c.B));
  handStep(warm);
  tf.dispose([warm.ids, warm.labels]);
  const before = tf.memory().numTensors;
  let loss = NaN;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  if (side === 'loop') {
    for (let s = 0; s < steps; s++) {
      const b = collate(examples.slice(s * c.B, (s + 1) * c.B));
      loss = handStep(b);
      tf.dispose([b.ids, b.labels]);
    }
  } else {
    const train = new DataLoader({ dataset: fromArray(examples.slice(0, steps * c.B)), batchSize: c.B, collate });
    const h = await fit({ model, optimizer, train, loss: lossOf, epochs: 1 });
    loss = h.steps[h.steps.length - 1].loss;
  }
  const stepMs = (performance.now() - t0) / steps;
  // CPU time of this process (user + system): on a machine loaded by others it varies far less than wall time.
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000 / steps;
  return { backend, stepMs, cpuMs, loss, leaked: tf.memory().numTensors - before };
}
