import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dropout, LayerNorm, gelu, logSoftmax, relu, setupBackend, sigmoid, softmax, tanh } from './index.js';
import { checkGradients, expectClose } from './testing.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('LayerNorm', () => {
  it('normalizes the last axis; parameters named weight/bias; optional affine', () => {
    const ln = new LayerNorm({ normalizedShape: 4 });
    expect([...ln.namedParameters().keys()]).toEqual(['weight', 'bias']);
    const x = tf.tensor2d([
      [1, 2, 3, 4],
      [10, 10, 10, 10],
    ]);
    const y = ln.forward(x);
    const m = tf.mean(y, -1);
    expectClose(m, [0, 0], { atol: 1e-6 });
    expectClose(tf.slice(y, [1, 0], [1, 4]), [0, 0, 0, 0]); // constant row -> zeros (eps keeps it finite)
    const bare = new LayerNorm({ normalizedShape: 4, elementwiseAffine: false, eps: 0.5 });
    expect(bare.numParameters()).toBe(0);
    expectClose(tf.slice(bare.forward(x), [0, 0], [1, 1]), [-1.5 / Math.sqrt(1.25 + 0.5)]);
    expect(() => ln.forward(tf.zeros([2, 3]))).toThrow(
      'LayerNorm.forward: x.shape = [2, 3] must end in normalizedShape = 4',
    );
    expect(() => new LayerNorm({ normalizedShape: 0 })).toThrow(/normalizedShape = 0/);
    tf.dispose([x, y, m]);
    ln.dispose();
  });
});

describe('Dropout', () => {
  it('is seeded, scales kept units by 1/(1-p), and is the identity in eval()', () => {
    const x = tf.ones([1000]);
    const a = new Dropout({ p: 0.3, seed: 5 });
    const b = new Dropout({ p: 0.3, seed: 5 });
    const ya = a.forward(x).dataSync();
    const yb = b.forward(x).dataSync();
    expect(Array.from(ya)).toEqual(Array.from(yb));
    const kept = Array.from(ya).filter((v) => v !== 0);
    expect(new Set(kept.map((v) => v.toFixed(5)))).toEqual(new Set([(1 / 0.7).toFixed(5)]));
    expect(kept.length / 1000).toBeGreaterThan(0.65);
    expect(kept.length / 1000).toBeLessThan(0.75);
    // Each call draws a new mask.
    expect(Array.from(a.forward(x).dataSync())).not.toEqual(Array.from(ya));
    a.eval();
    expect(a.forward(x)).toBe(x);
    expect(Array.from(new Dropout({ p: 1 }).forward(x).dataSync()).every((v) => v === 0)).toBe(true);
    expect(() => new Dropout({ p: 1.5 })).toThrow('Dropout: p = 1.5 must be in [0, 1]');
    x.dispose();
  });

  it('passes gradients only through kept units', () => {
    const d = new Dropout({ p: 0.5, seed: 1 });
    const x = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8]);
    let mask: Float32Array | undefined;
    const g = tf.grad((v: tf.Tensor) => {
      const y = d.forward(v);
      mask = y.dataSync() as Float32Array;
      return tf.sum(y);
    })(x);
    expectClose(
      g,
      Array.from(mask!, (v, i) => (v === 0 ? 0 : v / (i + 1))),
    );
    tf.dispose([x, g]);
  });
});

describe('activations', () => {
  it('elementwise definitions and gradients', () => {
    const x = tf.tensor1d([-2, -0.5, 0.3, 1.7]);
    expectClose(relu(x), [0, 0, 0.3, 1.7]);
    expectClose(tanh(x), [-2, -0.5, 0.3, 1.7].map(Math.tanh));
    expectClose(
      sigmoid(x),
      [-2, -0.5, 0.3, 1.7].map((v) => 1 / (1 + Math.exp(-v))),
    );
    checkGradients((v) => tf.sum(gelu(v)), [x]);
    checkGradients((v) => tf.sum(gelu(v, { approximate: 'tanh' })), [x]);
    expect(() => gelu(x, { approximate: 'fast' as 'tanh' })).toThrow(/gelu: approximate = 'fast'/);
    x.dispose();
  });

  it('softmax along any axis sums to one; errors name the axis', () => {
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
    for (const axis of [0, 1, 2, -1, -3]) {
      const s = tf.sum(softmax(x, axis), axis);
      expectClose(s, new Array(s.size).fill(1), { rtol: 1e-6 });
      expectClose(tf.exp(logSoftmax(x, axis)), softmax(x, axis));
    }
    expect(() => softmax(x, 3)).toThrow('softmax: axis = 3 is out of range for a tensor of rank 3');
    x.dispose();
  });
});
