import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Linear, linear, setupBackend } from './index.js';
import { checkGradients, expectClose, expectNoLeaks } from './testing.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('Linear', () => {
  it('has PyTorch layout and init bounds, seeded', () => {
    const a = new Linear({ inFeatures: 16, outFeatures: 4, seed: 3 });
    const b = new Linear({ inFeatures: 16, outFeatures: 4, seed: 3 });
    expect(a.weight.shape).toEqual([4, 16]);
    expect(a.bias!.shape).toEqual([4]);
    expect(Array.from(a.weight.dataSync())).toEqual(Array.from(b.weight.dataSync()));
    expect(Array.from(a.weight.dataSync())).not.toEqual(Array.from(a.bias!.dataSync()).concat(Array(60).fill(0)));
    const maxAbs = Math.max(...Array.from(a.weight.dataSync()).map(Math.abs));
    expect(maxAbs).toBeLessThanOrEqual(0.25);
    a.dispose();
    b.dispose();
    const nb = new Linear({ inFeatures: 2, outFeatures: 3, bias: false });
    expect([...nb.namedParameters().keys()]).toEqual(['weight']);
    nb.dispose();
  });

  it('forward equals x·Wᵀ + b for any leading shape', () => {
    const l = new Linear({ inFeatures: 3, outFeatures: 2, seed: 0 });
    l.loadStateDict({
      weight: tf.tensor2d([
        [1, 2, 3],
        [4, 5, 6],
      ]),
      bias: tf.tensor1d([0.5, -1]),
    });
    const x = tf.tensor3d([
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      [
        [0, 0, 1],
        [1, 1, 1],
      ],
    ]); // [2, 2, 3]
    const y = l.forward(x);
    expect(y.shape).toEqual([2, 2, 2]);
    expectClose(y, [1.5, 3, 2.5, 4, 3.5, 5, 6.5, 14]);
    expect(() => l.forward(tf.zeros([2, 4]))).toThrow('Linear.forward: x.shape = [2, 4] must end in inFeatures = 3');
    l.dispose();
  });

  it('custom backward (plain matmuls) matches finite differences, with and without bias', () => {
    const x = tf.tensor2d([
      [0.3, -1.2, 0.5],
      [1.1, 0.2, -0.7],
    ]);
    const w = tf.tensor2d([
      [0.1, -0.4, 0.9],
      [0.6, 0.2, -0.3],
    ]);
    const b = tf.tensor1d([0.05, -0.2]);
    const t = tf.tensor2d([
      [0.5, -0.5],
      [1, 2],
    ]);
    checkGradients(
      (xx, ww, bb) => tf.sum(tf.mul(tf.tanh(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D)), t)),
      [x, w, b],
    );
    checkGradients((xx, ww) => tf.sum(tf.mul(tf.sin(linear(xx as tf.Tensor2D, ww as tf.Tensor2D)), t)), [x, w]);
    // And equals tfjs's own MatMul gradient.
    const ours = tf.grads((xx, ww, bb) =>
      tf.sum(tf.mul(linear(xx as tf.Tensor2D, ww as tf.Tensor2D, bb as tf.Tensor1D), t)),
    )([x, w, b]);
    const ref = tf.grads((xx, ww, bb) => tf.sum(tf.mul(tf.add(tf.matMul(xx, ww, false, true), bb), t)))([x, w, b]);
    ours.forEach((g, i) => expectClose(g, ref[i], { name: `grad ${i}` }));
    tf.dispose([x, w, b, t, ...ours, ...ref]);
  });

  it('a training step leaks no tensors', async () => {
    const l = new Linear({ inFeatures: 4, outFeatures: 2, seed: 1 });
    const x = tf.randomNormal([5, 4], 0, 1, 'float32', 1);
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(() => tf.mean(tf.square(l.forward(x))) as tf.Scalar, l.parameters());
      tf.tidy(() => {
        for (const v of l.parameters()) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.1)));
      });
      value.dispose();
      tf.dispose(grads);
    });
    x.dispose();
    l.dispose();
  });
});
