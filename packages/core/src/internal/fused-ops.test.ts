import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Dropout, Rng, setupBackend } from '../index.js';
import { expectClose, expectNoLeaks } from '../testing.js';
import {
  fusedDropouts,
  fusedLayerNormBackward,
  fusedLayerNormForward,
  fusedSoftmaxBackward,
  fusedTransposes,
  installFusedKernels,
  planTranspose,
  setFusedKernels,
} from './fused-ops.js';
import { layerNormReference } from './testdata/layer-norm-reference.js';

function randomTensor(rng: Rng, shape: number[], dtype: 'float32' | 'int32'): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  if (dtype === 'int32')
    return tf.tensor(
      Int32Array.from({ length: n }, () => rng.int(1000) - 500),
      shape,
      'int32',
    );
  return tf.tensor(
    Float32Array.from({ length: n }, () => rng.normal()),
    shape,
  );
}

/** Index of the first element that differs (bitwise, NaN = NaN), or −1. */
function firstDifference(a: tf.Tensor, b: tf.Tensor): number {
  const u = a.dataSync();
  const v = b.dataSync();
  if (u.length !== v.length) return 0;
  for (let i = 0; i < u.length; i++) if (!Object.is(u[i], v[i])) return i;
  return -1;
}

/** `f` with tfjs-backend-wasm's own kernels and Dropout's JS mask (the fused kernels off). */
function unfused<T>(f: () => T): T {
  const prev = setFusedKernels(false);
  try {
    return f();
  } finally {
    setFusedKernels(prev);
  }
}

describe('planTranspose', () => {
  it('reduces permutations to one swap of adjacent axis groups', () => {
    expect(planTranspose([4096, 256], [1, 0])).toEqual({ A: 1, R: 4096, C: 256, I: 1 });
    expect(planTranspose([32, 128, 4, 64], [0, 2, 1, 3])).toEqual({ A: 32, R: 128, C: 4, I: 64 });
    expect(planTranspose([2, 3, 5], [0, 2, 1])).toEqual({ A: 2, R: 3, C: 5, I: 1 });
    expect(planTranspose([2, 3, 5], [1, 0, 2])).toEqual({ A: 1, R: 2, C: 3, I: 5 });
    // merged neighbours and dropped size-1 axes
    expect(planTranspose([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ A: 1, R: 6, C: 20, I: 1 });
    expect(planTranspose([1, 7, 1, 9], [3, 2, 1, 0])).toEqual({ A: 1, R: 7, C: 9, I: 1 });
    // not one swap, or no move at all
    expect(planTranspose([2, 3, 5], [2, 0, 1])).toEqual({ A: 1, R: 6, C: 5, I: 1 });
    expect(planTranspose([2, 3, 5], [1, 2, 0])).toEqual({ A: 1, R: 2, C: 15, I: 1 });
    expect(planTranspose([2, 3, 5], [2, 1, 0])).toBeNull();
    expect(planTranspose([2, 3, 5, 7], [0, 3, 2, 1])).toBeNull();
    expect(planTranspose([2, 3], [0, 1])).toBeNull();
    expect(planTranspose([2, 3], [0])).toBeNull();
  });
});

describe('fused wasm kernels', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
    expect(installFusedKernels()).toBe(true);
  });
  afterAll(() => {
    setFusedKernels(true);
  });

  it("Transpose equals tfjs-backend-wasm's own kernel bit for bit (2-D, batched, head split/merge, odd sizes, int32)", async () => {
    const rng = new Rng(3);
    const cases: Array<[number[], number[]]> = [
      [
        [512, 256],
        [1, 0],
      ],
      [
        [1, 1],
        [1, 0],
      ],
      [
        [5, 3],
        [1, 0],
      ],
      [
        [17, 33],
        [1, 0],
      ],
      [
        [3, 9, 6],
        [0, 2, 1],
      ],
      [
        [4, 18, 3, 8],
        [0, 2, 1, 3],
      ],
      [
        [2, 3, 7, 5],
        [0, 2, 1, 3],
      ],
      [
        [6, 1, 13],
        [2, 1, 0],
      ],
      [
        [3, 4, 5],
        [1, 2, 0],
      ],
      [
        [3, 4, 5],
        [2, 1, 0],
      ], // not a single swap: tfjs's kernel
    ];
    for (let i = 0; i < 12; i++) {
      const shape = [1 + rng.int(9), 1 + rng.int(40), 1 + rng.int(40)];
      cases.push(
        [shape, [0, 2, 1]],
        [
          [shape[1], shape[2]],
          [1, 0],
        ],
        [
          [...shape, 1 + rng.int(5)],
          [0, 2, 1, 3],
        ],
      );
    }
    await expectNoLeaks(() => {
      for (const [shape, perm] of cases) {
        for (const dtype of ['float32', 'int32'] as const) {
          tf.tidy(() => {
            const x = randomTensor(rng, shape, dtype);
            const before = fusedTransposes.count;
            const got = tf.transpose(x, perm);
            const ran = fusedTransposes.count - before;
            const want = unfused(() => tf.transpose(x, perm));
            expect(got.shape, `${shape} ${perm}`).toEqual(want.shape);
            expect(got.dtype).toBe(dtype);
            expect(firstDifference(got, want), `${dtype} [${shape}] perm [${perm}]`).toBe(-1);
            expect(ran, `[${shape}] perm [${perm}] took the fused kernel`).toBe(planTranspose(shape, perm) ? 1 : 0);
          });
        }
      }
    });
  });

  it('Transpose keeps its gradient (the transpose back)', () => {
    const x = randomTensor(new Rng(4), [3, 5, 7], 'float32');
    const w = randomTensor(new Rng(5), [3, 7, 5], 'float32');
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(tf.transpose(v, [0, 2, 1]), w)))(x);
    expect(Array.from(g.dataSync())).toEqual(Array.from(tf.transpose(w, [0, 2, 1]).dataSync()));
    tf.dispose([x, w, g]);
  });

  it('Identity (tf.clone, saved tensors) and a same-dtype Cast share the buffer and free it with the last reference', () => {
    const be = tf.backend() as unknown as { numDataIds(): number };
    const ids = be.numDataIds();
    const tensors = tf.memory().numTensors;
    const x = tf.tensor1d([1, 2, 3]);
    const c = tf.clone(x);
    expect(c.dataId).toBe(x.dataId);
    expect(be.numDataIds()).toBe(ids + 1);
    x.dispose();
    expect(Array.from(c.dataSync())).toEqual([1, 2, 3]);
    c.dispose();
    expect(be.numDataIds()).toBe(ids);
    expect(tf.memory().numTensors).toBe(tensors);
    // a cast to the same dtype shares too; to another dtype converts
    const y0 = tf.tensor1d([1.5, -2.5]);
    const same = tf.cast(y0, 'float32');
    const other = tf.cast(y0, 'int32');
    expect(same.dataId).toBe(y0.dataId);
    expect(other.dataId).not.toBe(y0.dataId);
    expect(Array.from(other.dataSync())).toEqual([1, -2]);
    y0.dispose();
    expect(Array.from(same.dataSync())).toEqual([1.5, -2.5]);
    tf.dispose([same, other]);
    expect(be.numDataIds()).toBe(ids);
    // off: tfjs's copy again
    unfused(() => {
      const y = tf.tensor1d([4, 5]);
      const d = tf.clone(y);
      expect(d.dataId).not.toBe(y.dataId);
      const e = tf.cast(y, 'float32');
      expect(e.dataId).not.toBe(y.dataId);
      tf.dispose([y, d, e]);
    });
  });

  it("Dropout's fused pass gives the JS mask's values, gradients and generator state, bit for bit", async () => {
    const x = randomTensor(new Rng(6), [7, 33, 5], 'float32'); // odd size
    const w = randomTensor(new Rng(7), [7, 33, 5], 'float32');
    const lossOf = (d: Dropout) => (v: tf.Tensor) => tf.sum(tf.mul(d.forward(v), w));
    for (const p of [0.1, 0.5, 0.9]) {
      const a = new Dropout({ p, seed: 11 });
      const b = new Dropout({ p, seed: 11 });
      const before = fusedDropouts.count;
      const ya = a.forward(x);
      expect(fusedDropouts.count).toBe(before + 1);
      const yb = unfused(() => b.forward(x));
      expect(firstDifference(ya, yb)).toBe(-1);
      expect(a.rngStates()).toEqual(b.rngStates());
      const ga = tf.grad(lossOf(a))(x);
      const gb = unfused(() => tf.grad(lossOf(b))(x));
      expect(firstDifference(ga, gb)).toBe(-1);
      expect(a.rngStates()).toEqual(b.rngStates());
      tf.dispose([ya, yb, ga, gb]);
    }
    // NaN and −0 as x · mask gives them
    const special = tf.tensor1d([NaN, -1, Infinity, -0, 2, NaN, -3, 4]);
    const ys = new Dropout({ p: 0.5, seed: 2 }).forward(special);
    const yj = unfused(() => new Dropout({ p: 0.5, seed: 2 }).forward(special));
    expect(firstDifference(ys, yj)).toBe(-1);
    tf.dispose([x, w, special, ys, yj]);
    // a training step through it leaks nothing
    const d = new Dropout({ p: 0.3, seed: 1 });
    const v = tf.variable(tf.ones([64]));
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(d.forward(v))) as tf.Scalar, [v]);
      tf.dispose([value, ...Object.values(grads)]);
    });
    v.dispose();
  });
});

describe('fused LayerNorm and softmax-backward kernels (wasm)', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['wasm'] });
  });

  it('LayerNorm forward and backward match a float64 computation (affine or not), and leak nothing', async () => {
    const rng = new Rng(8);
    for (const [rows, d] of [
      [1, 4],
      [7, 16],
      [33, 256],
    ]) {
      for (const affine of [true, false]) {
        await expectNoLeaks(() =>
          tf.tidy(() => {
            const x = tf.add(randomTensor(rng, [rows, d], 'float32'), 3); // an offset mean: two-pass statistics
            const r = randomTensor(rng, [rows, d], 'float32');
            const g = affine ? randomTensor(rng, [d], 'float32') : null;
            const b = affine ? randomTensor(rng, [d], 'float32') : null;
            const want = layerNormReference(
              x.dataSync() as Float32Array,
              (g?.dataSync() as Float32Array) ?? null,
              (b?.dataSync() as Float32Array) ?? null,
              r.dataSync() as Float32Array,
              d,
            );
            const y = fusedLayerNormForward(x, g, b, 1e-5);
            expect(y).not.toBeNull();
            expectClose(y!, want.y, { atol: 2e-6, rtol: 1e-5, name: `y ${rows}x${d} affine=${affine}` });
            const back = fusedLayerNormBackward(r, x, g, 1e-5)!;
            expectClose(back.dx, want.dx, { atol: 1e-5, rtol: 1e-4, name: `dx ${rows}x${d}` });
            if (affine) {
              expectClose(back.dweight!, want.dg, { atol: 1e-5, rtol: 1e-5, name: 'dweight' });
              expectClose(back.dbias!, want.db, { atol: 1e-5, rtol: 1e-5, name: 'dbias' });
            } else {
              expect(back.dweight).toBeNull();
            }
            tf.dispose([back.dx, back.dweight ?? [], back.dbias ?? []].flat());
          }),
        );
      }
    }
    // rows whose length is not a multiple of 4: not this kernel
    const x6 = tf.ones([2, 6]);
    expect(fusedLayerNormForward(x6, null, null, 1e-5)).toBeNull();
    x6.dispose();
  });

  it('softmax backward is y ⊙ (dy − Σ y ⊙ dy) per row', () => {
    const rng = new Rng(9);
    tf.tidy(() => {
      const y = tf.softmax(randomTensor(rng, [3, 5, 12], 'float32'));
      const dy = randomTensor(rng, [3, 5, 12], 'float32');
      const yv = y.dataSync();
      const dv = dy.dataSync();
      const want = new Float64Array(yv.length);
      for (let o = 0; o < yv.length; o += 12) {
        let s = 0;
        for (let j = 0; j < 12; j++) s += yv[o + j] * dv[o + j];
        for (let j = 0; j < 12; j++) want[o + j] = yv[o + j] * (dv[o + j] - s);
      }
      expectClose(fusedSoftmaxBackward(y, dy)!, want, { atol: 1e-6, rtol: 1e-5 });
      expect(fusedSoftmaxBackward(tf.ones([2, 3]), tf.ones([2, 3]))).toBeNull();
    });
  });
});
