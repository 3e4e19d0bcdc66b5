/**
 * Setup module of train.replicas.* (imported by every replica): the rnn bench model (embedding 128 ->
 * 2-layer biLSTM hidden 256 -> classifier, batch 64, T 50 ragged; rnn/model-config.mjs) or a GPT-style
 * TransformerLM (6 layers, d 256, 4 heads, FF 1024, vocab 1024, context 64, batch 32), Adam, over a
 * DataLoader of `steps` + 2 batches (the first two are warm-up). Dropout 0: N replicas train exactly as one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module, Rng, crossEntropy } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { LSTM } from '@wordloom/rnn';
import { Optimizer, adam } from '@wordloom/optim';
import { TransformerLM } from '@wordloom/transformer';
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

export function transformerConfig(quick) {
  return quick
    ? { L: 2, d: 64, H: 4, FF: 256, V: 256, T: 16, B: 8 }
    : { L: 6, d: 256, H: 4, FF: 1024, V: 1024, T: 64, B: 32 };
}

function lstmSetup(quick, steps) {
  const c = config(quick);
  const base = makeBatch(c);
  const examples = [];
  for (let s = 0; s < steps + 2; s++)
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
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 1e-3 })),
    train: new DataLoader({ dataset: fromArray(examples), batchSize: c.B, collate }),
    loss: (m, b) => crossEntropy(m.logits(b), b.labels),
  };
}

function transformerSetup(quick, steps) {
  const c = transformerConfig(quick);
  const rng = new Rng(11);
  const rows = Array.from({ length: (steps + 2) * c.B }, () =>
    Int32Array.from({ length: c.T + 1 }, () => rng.int(c.V)),
  );
  const collate = (xs) => {
    const input = new Int32Array(xs.length * c.T);
    const target = new Int32Array(xs.length * c.T);
    xs.forEach((x, i) => {
      input.set(x.subarray(0, c.T), i * c.T);
      target.set(x.subarray(1), i * c.T);
    });
    return {
      input: tf.tensor2d(input, [xs.length, c.T], 'int32'),
      target: tf.tensor2d(target, [xs.length, c.T], 'int32'),
    };
  };
  const model = new TransformerLM({
    vocabSize: c.V,
    dModel: c.d,
    nhead: c.H,
    numLayers: c.L,
    dimFeedforward: c.FF,
    maxLen: c.T,
    dropout: 0,
    seed: 0,
  });
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 1e-3 })),
    train: new DataLoader({ dataset: fromArray(rows), batchSize: c.B, collate }),
    loss: (m, b) => crossEntropy(m.forward(b.input).logits, b.target),
  };
}

export function setup({ options }) {
  return options.model === 'lstm'
    ? lstmSetup(options.quick, options.steps)
    : transformerSetup(options.quick, options.steps);
}
