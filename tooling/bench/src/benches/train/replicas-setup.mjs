/**
 * Setup module of train.replicas.* (imported by every replica): the rnn bench model (embedding 128 ->
 * 2-layer biLSTM hidden 256 -> classifier, batch 64, T 50 ragged; rnn/model-config.mjs) or a GPT-style
 * TransformerLM (6 layers, d 256, 4 heads, FF 1024, vocab 1024, context 64, batch 32), Adam, over a
 * DataLoader of `steps` + 2 batches (the first two are warm-up). Dropout 0: N replicas train exactly as one.
 * `part` = [p, parts]: every batch cut to the rows replica p of `parts` takes (`sliceRange`), for the
 * independent single-replica runs that bound what `parts` replicas can reach.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, crossEntropy } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { Optimizer, adam } from '@wordloom/optim';
import { TransformerLM } from '@wordloom/transformer';
import { sliceRange } from '@wordloom/train';
import { Classifier, classifierLoss, lstmBenchData } from './lstm-model.mjs';

export function transformerConfig(quick) {
  return quick
    ? { L: 2, d: 64, H: 4, FF: 256, V: 256, T: 16, B: 8 }
    : { L: 6, d: 256, H: 4, FF: 1024, V: 1024, T: 64, B: 32 };
}

/** The examples of part p of `parts` of every batch of `B` (all of them without `part`), and the batch size. */
function partOf(examples, B, part) {
  if (!part) return { rows: examples, batchSize: B };
  const [a, b] = sliceRange(B, part[0], part[1]);
  return { rows: examples.filter((_, i) => i % B >= a && i % B < b), batchSize: b - a };
}

function lstmSetup(quick, steps, part) {
  const { c, examples, collate } = lstmBenchData(quick, steps + 2);
  const model = new Classifier(c);
  const { rows, batchSize } = partOf(examples, c.B, part);
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 1e-3 })),
    train: new DataLoader({ dataset: fromArray(rows), batchSize, collate }),
    loss: classifierLoss,
  };
}

function transformerSetup(quick, steps, part) {
  const c = transformerConfig(quick);
  const rng = new Rng(11);
  const all = Array.from({ length: (steps + 2) * c.B }, () => Int32Array.from({ length: c.T + 1 }, () => rng.int(c.V)));
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
  const { rows, batchSize } = partOf(all, c.B, part);
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 1e-3 })),
    train: new DataLoader({ dataset: fromArray(rows), batchSize, collate }),
    loss: (m, b) => crossEntropy(m.forward(b.input).logits, b.target),
  };
}

export function setup({ options }) {
  return options.model === 'lstm'
    ? lstmSetup(options.quick, options.steps, options.part)
    : transformerSetup(options.quick, options.steps, options.part);
}
