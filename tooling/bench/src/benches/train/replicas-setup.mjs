/**
 * Setup module of train.replicas.* (imported by every replica): the rnn bench model (embedding 128 ->
 * 2-layer biLSTM hidden 256 -> classifier, batch 64, T 50 ragged; rnn/model-config.mjs) or a GPT-style
 * TransformerLM (6 layers, d 256, 4 heads, FF 1024, vocab 1024, context 64, batch 32), Adam, over a
 * DataLoader of `steps` + 2 batches (the first two are warm-up). Dropout 0: N replicas train exactly as one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, crossEntropy } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { Optimizer, adam } from '@wordloom/optim';
import { TransformerLM } from '@wordloom/transformer';
import { Classifier, classifierLoss, lstmBenchData } from './lstm-model.mjs';

export function transformerConfig(quick) {
  return quick
    ? { L: 2, d: 64, H: 4, FF: 256, V: 256, T: 16, B: 8 }
    : { L: 6, d: 256, H: 4, FF: 1024, V: 1024, T: 64, B: 32 };
}

function lstmSetup(quick, steps) {
  const { c, examples, collate } = lstmBenchData(quick, steps + 2);
  const model = new Classifier(c);
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 1e-3 })),
    train: new DataLoader({ dataset: fromArray(examples), batchSize: c.B, collate }),
    loss: classifierLoss,
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
