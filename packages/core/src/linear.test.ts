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

  it('linear takes any rank ≥ 1 and has finite-difference gradients there (both forward paths)', () => {
    const w = tf.tensor2d([0.1, -0.4, 0.9, 0.6, 0.2, -0.3], [2, 3]);
    const b = tf.tensor1d([0.05, -0.2]);
    // 1-D, 3-D with 6 rows (transpose-flag forward path) and 3-D with 12 rows (explicit transpose).
    for (const shape of [[3], [2, 3, 3], [3, 4, 3]]) {
      const n = shape.reduce((a, c) => a * c, 1);
      const x = tf.tensor(
        Array.from({ length: n }, (_, i) => Math.sin(i + 1)),
        shape,
      );
      const y = linear(x, w, b);
      expect(y.shape).toEqual([...shape.slice(0, -1), 2]);
      const ref = tf.add(tf.reshape(tf.matMul(tf.reshape(x, [-1, 3]), w, false, true), y.shape), b);
      expectClose(y, ref, { name: `linear [${shape.join(', ')}]` });
      checkGradients((xx, ww, bb) => tf.sum(tf.tanh(linear(xx, ww, bb))), [x, w, b]);
      checkGradients((xx, ww) => tf.sum(tf.sin(linear(xx, ww))), [x, w]);
      tf.dispose([x, y, ref]);
    }
    tf.dispose([w, b]);
  });

  it('linear rejects mismatched shapes, naming them', () => {
    const w = tf.zeros([2, 3]);
    expect(() => linear(tf.zeros([4, 5]), w)).toThrow(
      'linear: input last dim 5 (shape [4, 5]) does not match weight in-features 3',
    );
    expect(() => linear(tf.zeros([4, 3]), tf.zeros([3]))).toThrow('linear: weight must be [out, in], got shape [3]');
    expect(() => linear(tf.zeros([4, 3]), w, tf.zeros([3]))).toThrow(
      'linear: bias shape [3] does not match weight out-features 2',
    );
    w.dispose();
  });

  it('the backward uses only plain 2-D matmuls (no transpose flag, no batch axis)', () => {
    // The wasm backend runs flagged or batched matmuls ≈ 10× slower than plain 2-D ones.
    const kernel = tf.getKernel('BatchMatMul', tf.getBackend())!;
    const calls: { transposeA: boolean; transposeB: boolean; batch: number }[] = [];
    tf.unregisterKernel('BatchMatMul', tf.getBackend());
    tf.registerKernel({
      ...kernel,
      kernelFunc: (args) => {
        const { a } = args.inputs as { a: tf.Tensor };
        const { transposeA, transposeB } = args.attrs as unknown as { transposeA: boolean; transposeB: boolean };
        calls.push({ transposeA, transposeB, batch: a.rank === 3 ? a.shape[0] : 1 });
        return kernel.kernelFunc(args);
      },
    });
    try {
      for (const [out, inF] of [
        [3, 5],
        [5, 3],
      ]) {
        const x = tf.randomNormal([2, 6, inF], 0, 1, 'float32', 1); // 12 rows: the plain forward path
        const w = tf.randomNormal([out, inF], 0, 1, 'float32', 2);
        const b = tf.zeros([out]);
        calls.length = 0;
        const g = tf.grads((xx, ww, bb) => tf.sum(linear(xx, ww, bb)))([x, w, b]);
        // forward 1 + dx 1 + dW 1 + db 1
        expect(calls.length).toBe(4);
        expect(calls.every((c) => !c.transposeA && !c.transposeB && c.batch === 1)).toBe(true);
        tf.dispose([x, w, b, ...g]);
      }
    } finally {
      tf.unregisterKernel('BatchMatMul', tf.getBackend());
      tf.registerKernel(kernel);
    }
  });
});
