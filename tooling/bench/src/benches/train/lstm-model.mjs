/**
 * The rnn bench model as a trainable classifier, shared by train.overhead (overhead-child.mjs) and
 * train.replicas.lstm (replicas-setup.mjs): embedding 128 -> 2-layer biLSTM hidden 256 -> classifier
 * on the last states (rnn/model-config.mjs), its data (the bench batch with its rows rotated per batch,
 * so every batch is real and different) and its collate.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module, crossEntropy } from '@wordloom/core';
import { LSTM } from '@wordloom/rnn';
import { config, makeBatch } from '../rnn/model-config.mjs';

export class Classifier extends Module {
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

/** Cross-entropy of the classifier's logits. */
export const classifierLoss = (m, b) => crossEntropy(m.logits(b), b.labels);

/**
 * The bench config, `batches` batches of examples (the bench batch rotated by one row per batch) and
 * a collate into { ids [B, T] int32, lengths, labels [B] int32 }.
 */
export function lstmBenchData(quick, batches) {
  const c = config(quick);
  const base = makeBatch(c);
  const examples = [];
  for (let s = 0; s < batches; s++)
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
  return { c, examples, collate };
}
