import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Embedding, embeddingLookup, setupBackend } from './index.js';
import { checkGradients, expectClose } from './testing.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('Embedding', () => {
  it('looks up rows for any id shape', () => {
    const w = new Float32Array([0, 0, 1, 2, 3, 4]);
    const e = new Embedding({ numEmbeddings: 3, embeddingDim: 2, weights: w });
    const ids = tf.tensor2d(
      [
        [2, 1],
        [0, 2],
      ],
      [2, 2],
      'int32',
    );
    const y = e.forward(ids);
    expect(y.shape).toEqual([2, 2, 2]);
    expectClose(y, [3, 4, 1, 2, 0, 0, 3, 4]);
    expect(() => e.forward(tf.tensor1d([1]))).toThrow('Embedding.forward: ids.dtype = float32, expected int32');
    tf.dispose([ids, y]);
    e.dispose();
  });

  it('paddingIdx row starts at zero and receives no gradient', () => {
    const e = new Embedding({ numEmbeddings: 4, embeddingDim: 3, paddingIdx: -1, seed: 1 });
    expect(e.paddingIdx).toBe(3);
    const rows = e.weight.arraySync() as number[][];
    expect(rows[3].map(Math.abs)).toEqual([0, 0, 0]);
    expect(rows[0].some((v) => v !== 0)).toBe(true);
    const ids = tf.tensor2d(
      [
        [0, 3, 3],
        [1, 1, 3],
      ],
      [2, 3],
      'int32',
    );
    const { grads, value } = tf.variableGrads(
      () => tf.sum(tf.square(tf.add(e.forward(ids), 1))) as tf.Scalar,
      [e.weight],
    );
    const g = grads[e.weight.name].arraySync() as number[][];
    expect(g[3].map(Math.abs)).toEqual([0, 0, 0]);
    expect(g[2].map(Math.abs)).toEqual([0, 0, 0]);
    // d/dw sum((w+1)^2) = 2(w+1) per occurrence; row 1 occurs twice.
    expectClose(
      g[1],
      rows[1].map((v) => 4 * (v + 1)),
    );
    expectClose(
      g[0],
      rows[0].map((v) => 2 * (v + 1)),
    );
    tf.dispose([ids, value, ...Object.values(grads)]);
    e.dispose();
    expect(() => new Embedding({ numEmbeddings: 4, embeddingDim: 3, paddingIdx: 4 })).toThrow(/paddingIdx = 4/);
  });

  it('pretrained weights are copied; freeze makes them non-trainable; shapes are checked', () => {
    const w = tf.tensor2d([
      [1, 2],
      [3, 4],
    ]);
    const e = new Embedding({ numEmbeddings: 2, embeddingDim: 2, weights: w, freeze: true, paddingIdx: 0 });
    w.dispose();
    expect(e.weight.arraySync()).toEqual([
      [1, 2],
      [3, 4],
    ]); // pad row of pretrained weights kept (PyTorch)
    expect(e.weight.trainable).toBe(false);
    expect(e.trainableParameters().size).toBe(0);
    e.dispose();
    expect(() => new Embedding({ numEmbeddings: 3, embeddingDim: 2, weights: new Float32Array(5) })).toThrow(
      'Embedding: weights.length = 5, expected numEmbeddings * embeddingDim = 6',
    );
    const bad = tf.zeros([2, 3]) as tf.Tensor2D;
    expect(() => new Embedding({ numEmbeddings: 2, embeddingDim: 2, weights: bad })).toThrow(
      /weights.shape = \[2, 3\], expected \[2, 2\]/,
    );
    bad.dispose();
  });

  it('custom gradient matches finite differences and tfjs gather gradient', () => {
    const w = tf.tensor2d([
      [0.1, -0.3],
      [0.7, 0.2],
      [-0.5, 0.4],
      [0.9, -0.8],
    ]);
    const ids = tf.tensor2d(
      [
        [1, 3],
        [1, 0],
      ],
      [2, 2],
      'int32',
    );
    const t = tf.tensor3d([
      [
        [1, 2],
        [3, -1],
      ],
      [
        [0.5, 0.5],
        [-2, 1],
      ],
    ]);
    checkGradients((ww) => tf.sum(tf.mul(tf.tanh(embeddingLookup(ww as tf.Tensor2D, ids)), t)), [w]);
    // With paddingIdx = 1 the gradient is the true one with row 1 zeroed.
    const padded = tf.grad((ww) => tf.sum(tf.mul(tf.tanh(embeddingLookup(ww as tf.Tensor2D, ids, 1)), t)))(w);
    const full = tf.grad((ww) => tf.sum(tf.mul(tf.tanh(embeddingLookup(ww as tf.Tensor2D, ids)), t)))(w);
    const fullRows = full.arraySync() as number[][];
    fullRows[1] = [0, 0];
    expectClose(padded, fullRows.flat());
    tf.dispose([padded, full]);
    const ours = tf.grad((ww) => tf.sum(tf.mul(embeddingLookup(ww as tf.Tensor2D, ids), t)))(w);
    const ref = tf.grad((ww) => tf.sum(tf.mul(tf.reshape(tf.gather(ww, tf.reshape(ids, [-1])), [2, 2, 2]), t)))(w);
    expectClose(ours, ref);
    tf.dispose([w, ids, t, ours, ref]);
  });
});
