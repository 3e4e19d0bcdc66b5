/**
 * Child process of train.overhead: the rnn bench model (embedding 128 -> 2-layer biLSTM, hidden 256
 * -> classifier; batch 64, T 50 ragged) trained for `steps` steps on wasm, either by `fit` over a
 * DataLoader or by a hand-written loop over the same batches (collate, variableGrads, Optimizer.step,
 * dispose). One hand-written warm-up step first on both sides (wasm kernels, XNNPACK operators).
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { Optimizer, adam } from '@wordloom/optim';
import { fit } from '@wordloom/train';
import { Classifier, classifierLoss, lstmBenchData } from './lstm-model.mjs';

export default async function run(side, quick) {
  const { backend } = await setupBackend({ prefer: ['wasm'] });
  const steps = quick ? 3 : 8;
  // `steps` + 1 different batches: the bench batch with its rows rotated, so both sides collate real data.
  const { c, examples, collate } = lstmBenchData(quick, steps + 1);
  const model = new Classifier(c);
  const optimizer = new Optimizer(model, adam({ lr: 1e-3 }));
  const lossOf = classifierLoss;
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
