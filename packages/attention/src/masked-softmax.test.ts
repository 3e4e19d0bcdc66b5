import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { checkGradients, expectClose, expectNoLeaks } from '@wordloom/core/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { maskedSoftmax, setFusedMaskedSoftmax, softmaxRowsBackward } from './masked-softmax.js';

afterEach(() => {
  setFusedMaskedSoftmax(true);
});

/** Value of maskedSoftmax and the gradient of Σ w·r with respect to the scores. */
function run(s: tf.Tensor, allowed: tf.Tensor, r: tf.Tensor, fused: boolean): Float32Array[] {
  setFusedMaskedSoftmax(fused);
  return tf.tidy(() => {
    const w = maskedSoftmax(s, allowed);
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.mul(maskedSoftmax(x, allowed), r)))(s);
    return [w, g].map((t) => t.dataSync().slice() as Float32Array);
  });
}

// cpu reads the tensors' own arrays; wasm reads and writes the backend's heap in place
describe.each(['cpu', 'wasm'] as const)(
  'maskedSoftmax, fused (one op with a hand-written backward), on %s',
  (backend) => {
    beforeAll(async () => {
      await setupBackend({ prefer: [backend] });
      expect(tf.getBackend()).toBe(backend);
    });

    const B = 2;
    const H = 3;
    const Tq = 4;
    const Tk = 5;
    const cases: Array<[string, () => tf.Tensor]> = [
      // key padding as MultiHeadAttention builds it: [B, 1, 1, Tk]; row 1 has only 2 real keys
      ['key padding, no row fully masked', () => tf.tensor4d([1, 1, 1, 1, 1, 1, 1, 0, 0, 0], [B, 1, 1, Tk])],
      // batch 1 has no real key at all: its rows come out zero
      ['key padding, fully masked rows', () => tf.tensor4d([1, 1, 1, 0, 0, 0, 0, 0, 0, 0], [B, 1, 1, Tk])],
      // causal with a cache of 1 (Tk = Tq + 1), as a bool mask
      [
        'causal (bool)',
        () =>
          tf.tensor4d(
            Array.from({ length: Tq * Tk }, (_, i) => Math.floor(i / Tk) + 1 >= i % Tk),
            [1, 1, Tq, Tk],
            'bool',
          ),
      ],
    ];
    for (const [name, mask] of cases) {
      it(`equals the unfused ops, value and gradient (${name})`, () => {
        const s = tf.randomNormal([B, H, Tq, Tk], 0, 2, 'float32', 3);
        const r = tf.randomNormal([B, H, Tq, Tk], 0, 1, 'float32', 4);
        const a = mask();
        const [w0, g0] = run(s, a, r, false);
        const [w1, g1] = run(s, a, r, true);
        expectClose(w1, w0, { atol: 1e-7, rtol: 1e-6, name: 'weights' });
        expectClose(g1, g0, { atol: 1e-6, rtol: 1e-5, name: 'gradient' });
        // masked positions: weight and gradient exactly 0
        const av = tf.tidy(() => tf.broadcastTo(tf.cast(a, 'float32'), [B, H, Tq, Tk]).dataSync());
        av.forEach((v, i) => {
          if (v === 0) {
            expect(Math.abs(w1[i])).toBe(0);
            expect(Math.abs(g1[i])).toBe(0);
          }
        });
        tf.dispose([s, r, a]);
      });
    }

    it("equals the unfused ops with rows of 8 keys (core's SIMD backward on wasm)", () => {
      const s = tf.randomNormal([2, 3, 5, 8], 0, 2, 'float32', 5);
      const r = tf.randomNormal([2, 3, 5, 8], 0, 1, 'float32', 6);
      const a = tf.tensor4d([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0], [2, 1, 1, 8]);
      const [w0, g0] = run(s, a, r, false);
      const [w1, g1] = run(s, a, r, true);
      expectClose(w1, w0, { atol: 1e-7, rtol: 1e-6, name: 'weights' });
      expectClose(g1, g0, { atol: 1e-6, rtol: 1e-5, name: 'gradient' });
      tf.dispose([s, r, a]);
    });

    it('passes a finite-difference gradient check and leaks nothing', async () => {
      const s = tf.randomNormal([2, 2, 3, 4], 0, 1, 'float32', 9);
      const r = tf.randomNormal([2, 2, 3, 4], 0, 1, 'float32', 10);
      const a = tf.tensor4d([1, 1, 0, 1, 1, 0, 0, 0], [2, 1, 1, 4]);
      checkGradients((x) => tf.sum(tf.mul(maskedSoftmax(x, a), r)) as tf.Scalar, [s], {
        eps: 1e-2,
        rtol: 2e-2,
        atol: 2e-3,
      });
      await expectNoLeaks(() => {
        tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(maskedSoftmax(x, a), r)))(s)).dispose();
      });
      tf.dispose([s, r, a]);
    });

    it('softmaxRowsBackward is y ⊙ (dy − Σ y ⊙ dy) per row', () => {
      const y = [0.2, 0.3, 0.5, 1, 0, 0];
      const dy = [1, 2, 3, -1, 4, 5];
      const dx = new Float32Array(6);
      softmaxRowsBackward(y, dy, 3, dx);
      const s0 = 0.2 + 0.6 + 1.5;
      expectClose(dx, [0.2 * (1 - s0), 0.3 * (2 - s0), 0.5 * (3 - s0), 0, 0, 0], { atol: 1e-7 });
    });
  },
);
