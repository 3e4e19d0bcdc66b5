import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  Rng,
  batchMatMul,
  batchMatMulUsesSimd,
  setBatchMatMulKernel,
  setupBackend,
  simdMatMulAvailable,
} from '../index.js';
import { checkGradients, expectClose, expectNoLeaks } from '../testing.js';
import { simdBatchMatMul } from './matmul-kernel.js';

function randn(rng: Rng, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

/** Random shapes incl. sizes that are not multiples of the kernel's 4 × 8 block. */
function shapes(rng: Rng, count: number): Array<{ batch: number[]; M: number; K: number; N: number }> {
  const out = [
    { batch: [], M: 1, K: 1, N: 1 },
    { batch: [3], M: 4, K: 8, N: 8 },
    { batch: [2, 3], M: 33, K: 17, N: 9 },
    { batch: [1], M: 5, K: 64, N: 130 },
    { batch: [2], M: 0, K: 3, N: 4 },
    { batch: [2], M: 3, K: 0, N: 4 },
  ];
  for (let i = 0; i < count; i++) {
    const batch = Array.from({ length: rng.int(3) }, () => 1 + rng.int(4));
    out.push({ batch, M: 1 + rng.int(40), K: 1 + rng.int(70), N: 1 + rng.int(40) });
  }
  return out;
}

function compareWithTfjs(rng: Rng, kernel: 'simd' | 'auto'): void {
  for (const { batch, M, K, N } of shapes(rng, 12)) {
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      tf.tidy(() => {
        const a = randn(rng, [...batch, ...(ta ? [K, M] : [M, K])]);
        const b = randn(rng, [...batch, ...(tb ? [N, K] : [K, N])]);
        const got = batchMatMul(a, b, { transposeA: ta, transposeB: tb, kernel });
        const want = tf.matMul(a, b, ta, tb);
        // float32 sums in another order: error grows with K
        expectClose(got, want, {
          rtol: 1e-5,
          atol: 1e-6 * (K + 1),
          name: `[${batch}] ${M}x${K}x${N} ta=${ta} tb=${tb}`,
        });
      });
    }
  }
}

describe('batchMatMul (SIMD kernel)', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });

  it('the engine has WebAssembly SIMD', () => {
    expect(simdMatMulAvailable()).toBe(true);
  });

  it("equals tf.matMul within float32 rounding over random shapes and all transposes (kernel 'simd' on cpu)", () => {
    compareWithTfjs(new Rng(1), 'simd');
  });

  it('the raw kernel computes a known product (2×3 · 3×2, B transposed)', () => {
    const a = Float32Array.from([1, 2, 3, 4, 5, 6]);
    const bt = Float32Array.from([1, 0, -1, 2, 1, 0]); // rows of Bᵀ: B = [[1,2],[0,1],[-1,0]]
    const c = simdBatchMatMul(a, bt, { batch: 1, M: 2, K: 3, N: 2, transposeA: false, transposeB: true });
    expect(Array.from(c)).toEqual([1 * 1 + 2 * 0 + 3 * -1, 1 * 2 + 2 * 1 + 0, 4 - 6, 8 + 5]);
  });

  it('finite-difference gradients for every transpose combination', () => {
    const rng = new Rng(2);
    for (const [ta, tb] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      const [M, K, N] = [3, 5, 6];
      const a = randn(rng, [2, ...(ta ? [K, M] : [M, K])]);
      const b = randn(rng, [2, ...(tb ? [N, K] : [K, N])]);
      const w = randn(rng, [2, M, N]); // a non-uniform upstream gradient
      checkGradients(
        (x, y) => tf.sum(tf.mul(batchMatMul(x, y, { transposeA: ta, transposeB: tb, kernel: 'simd' }), w)) as tf.Scalar,
        [a, b],
      );
      tf.dispose([a, b, w]);
    }
  });

  it('gradients equal tf.matMul gradients', () => {
    const rng = new Rng(3);
    const a = randn(rng, [2, 4, 7, 9]);
    const b = randn(rng, [2, 4, 11, 9]);
    const w = randn(rng, [2, 4, 7, 11]);
    const f = (kernel: 'simd' | 'tfjs') =>
      tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(batchMatMul(x, y, { transposeB: true, kernel }), w)))([
        a,
        b,
      ]);
    const [ga, gb] = f('simd');
    const [ea, eb] = f('tfjs');
    expectClose(ga, ea, { atol: 1e-5, name: 'dA' });
    expectClose(gb, eb, { atol: 1e-5, name: 'dB' });
    tf.dispose([a, b, w, ga, gb, ea, eb]);
  });

  it('leaks no tensors (forward and gradients)', async () => {
    const rng = new Rng(4);
    const a = randn(rng, [3, 5, 6]);
    const b = randn(rng, [3, 6, 7]);
    await expectNoLeaks(() => {
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(batchMatMul(x, y, { kernel: 'simd' })))([a, b]));
      batchMatMul(a, b, { kernel: 'simd' }).dispose();
    });
    tf.dispose([a, b]);
  });

  it('clear errors for bad input; broadcasting batches and int tensors fall back to tf.matMul', () => {
    const a = tf.zeros([2, 3, 4]);
    expect(() => batchMatMul(a, tf.zeros([2, 5, 6]), { kernel: 'simd' })).toThrow(/inner dimensions differ.*4.*5/);
    expect(() => batchMatMul(tf.zeros([3]), a)).toThrow(/rank >= 2/);
    expect(() => batchMatMul(a, a, { kernel: 'fast' as 'simd' })).toThrow(/unknown kernel 'fast'/);
    expect(() => setBatchMatMulKernel('x' as 'auto')).toThrow(/unknown kernel 'x'/);
    expect(batchMatMul(a, tf.ones([1, 4, 2]), { kernel: 'simd' }).shape).toEqual([2, 3, 2]);
    expect(
      Array.from(batchMatMul(tf.ones([1, 2, 2], 'int32'), tf.ones([1, 2, 2], 'int32'), { kernel: 'simd' }).dataSync()),
    ).toEqual([2, 2, 2, 2]);
  });

  it("'auto' keeps tfjs's kernels on the cpu backend; setBatchMatMulKernel changes the default", () => {
    expect(batchMatMulUsesSimd()).toBe(false);
    const prev = setBatchMatMulKernel('simd');
    try {
      expect(batchMatMulUsesSimd()).toBe(true);
    } finally {
      setBatchMatMulKernel(prev);
    }
    expect(batchMatMulUsesSimd()).toBe(false);
  });
});

describe('batchMatMul on the wasm backend', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['wasm'] });
  });
  afterAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });

  it("'auto' runs the SIMD kernel there, equal to tfjs-backend-wasm's matMul", () => {
    expect(tf.getBackend()).toBe('wasm');
    expect(batchMatMulUsesSimd()).toBe(true);
    compareWithTfjs(new Rng(5), 'auto');
  });

  it('leaks no tensors there (the product is written into a tensor the backend allocated)', async () => {
    const rng = new Rng(6);
    const a = randn(rng, [3, 5, 6]);
    const b = randn(rng, [3, 7, 6]);
    await expectNoLeaks(() => {
      tf.dispose(tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(batchMatMul(x, y, { transposeB: true })))([a, b]));
      batchMatMul(a, b, { transposeB: true }).dispose();
    });
    const before = tf.memory().numBytes;
    batchMatMul(a, b, { transposeB: true }).dispose();
    expect(tf.memory().numBytes).toBe(before);
    tf.dispose([a, b]);
  });
});
