import * as tf from '@tensorflow/tfjs-core';
import { causalMask, paddingMask, sequenceMask, setupBackend } from '@wordloom/core';
import { expectClose, expectNoLeaks } from '@wordloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { MultiHeadAttention } from './multi-head-attention.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('MultiHeadAttention', () => {
  it('rejects bad configuration and shapes with clear errors', () => {
    expect(() => new MultiHeadAttention({ embedDim: 10, numHeads: 3 })).toThrow(
      'MultiHeadAttention: embedDim = 10 is not divisible by numHeads = 3',
    );
    expect(() => new MultiHeadAttention({ embedDim: 8, numHeads: 2, dropout: 1 })).toThrow(
      /dropout = 1 must be in \[0, 1\)/,
    );
    const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, kdim: 6 });
    const q = tf.zeros([2, 3, 8]);
    const k = tf.zeros([2, 5, 6]);
    const v = tf.zeros([2, 5, 8]);
    expect(() => mha.forward(q, q, v)).toThrow('MultiHeadAttention: key last dim is 8, expected 6 (shape [2, 3, 8])');
    expect(() => mha.forward(q, k, tf.zeros([2, 4, 8]))).toThrow(
      'MultiHeadAttention: key has 5 positions but value has 4',
    );
    expect(() => mha.forward(q, k, v, { keyPaddingMask: tf.zeros([2, 3], 'bool') })).toThrow(
      'keyPaddingMask shape [2, 3] must be [B, Tk] = [2, 5]',
    );
    expect(() => mha.forward(q, k, v, { attnMask: tf.zeros([3, 3], 'bool') })).toThrow(
      'attnMask shape [3, 3] must be [Tq, Tk] = [3, 5] or [B·H, Tq, Tk] = [4, 3, 5]',
    );
    expect(() => mha.forward(tf.zeros([1, 3, 8]), k, v)).toThrow(/batch sizes differ/);
    tf.dispose([q, k, v]);
    mha.dispose();
  });

  it('separate q/k/v names when kdim/vdim differ', () => {
    const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 4, kdim: 6, vdim: 5, bias: false });
    expect([...mha.namedParameters().keys()]).toEqual([
      'q_proj_weight',
      'k_proj_weight',
      'v_proj_weight',
      'out_proj.weight',
    ]);
    mha.dispose();
  });

  it('causal flag equals an explicit boolean mask, also with cached keys', () => {
    const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, seed: 3 });
    const x = tf.randomNormal([2, 5, 8], 0, 1, 'float32', 4);
    const triu = tf.tensor2d(
      Array.from({ length: 25 }, (_, i) => (i % 5 > Math.floor(i / 5) ? 1 : 0)),
      [5, 5],
      'bool',
    );
    const a = mha.forward(x, x, x, { attnMask: triu });
    const b = mha.forward(x, x, x, { causal: true });
    expectClose(b.output, a.output, { atol: 1e-6 });
    // the last 2 queries against all 5 keys (as with a KV cache) = the last 2 rows of the full result
    const { q, k, v } = mha.projectSelf(x);
    const q2 = tf.slice(q, [0, 0, 3, 0], [-1, -1, 2, -1]) as tf.Tensor4D;
    const c = mha.attendHeads(q2, k, v, { causal: true });
    expectClose(c.output, tf.slice(a.output, [0, 3, 0], [-1, 2, -1]), { atol: 1e-6 });
    tf.dispose([x, triu, a.output, a.weights!, b.output, b.weights!, q, k, v, q2, c.output, c.weights!]);
    mha.dispose();
  });

  it('dropout on the weights: seeded in training, off in eval', () => {
    const make = () => new MultiHeadAttention({ embedDim: 8, numHeads: 2, dropout: 0.5, seed: 11 });
    const a = make();
    const b = make();
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 6);
    const ra = a.forward(x, x, x, { averageAttnWeights: false });
    const rb = b.forward(x, x, x, { averageAttnWeights: false });
    expectClose(ra.output, rb.output, { atol: 0, rtol: 0, name: 'same seed, same dropout' });
    const w = Array.from((ra.weights as tf.Tensor).dataSync());
    expect(w.filter((v) => v === 0).length).toBeGreaterThan(w.length / 4); // about half dropped
    a.eval();
    const e1 = a.forward(x, x, x);
    const e2 = a.forward(x, x, x);
    expectClose(e1.output, e2.output, { atol: 0, rtol: 0, name: 'eval is deterministic' });
    const rows = (e1.weights as tf.Tensor).arraySync() as number[][][];
    for (const row of rows.flat()) expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
    tf.dispose([x, ra.output, ra.weights!, rb.output, rb.weights!, e1.output, e1.weights!, e2.output, e2.weights!]);
    a.dispose();
    b.dispose();
  });

  it('does not leak in a forward/backward step', async () => {
    const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, seed: 1 });
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 5);
    const kpm = tf.tensor2d(
      [
        [0, 0, 0, 0],
        [0, 0, 1, 1],
      ],
      [2, 4],
      'bool',
    );
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(
        () => tf.sum(mha.forward(x, x, x, { keyPaddingMask: kpm, needWeights: false }).output) as tf.Scalar,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([x, kpm]);
    mha.dispose();
  });

  it('keyMask (1 = real) and keyPaddingMask (1 = padding) agree; a mask of the other convention throws', () => {
    const mha = new MultiHeadAttention({ embedDim: 8, numHeads: 2, seed: 2 });
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 6);
    const lengths = [4, 2];
    // Reference: row 1 attends only to its first 2 keys, so its weights on keys 2, 3 are 0.
    const pytorchStyle = tf.tensor2d([0, 0, 0, 0, 0, 0, 1, 1], [2, 4], 'bool');
    const ref = mha.forward(x, x, x, { keyPaddingMask: pytorchStyle });
    expectClose(tf.slice(ref.weights!, [1, 0, 2], [1, 4, 2]), new Array(8).fill(0));
    for (const dtype of ['float32', 'bool', 'int32'] as const) {
      const real = sequenceMask(lengths, 4, dtype);
      const pad = paddingMask(lengths, { maxLen: 4, dtype });
      for (const r of [
        mha.forward(x, x, x, { keyMask: real }),
        mha.forward(x, x, x, { keyPaddingMask: pad }),
        mha.forward(x, x, x, { keyMask: tf.cast(real, 'float32') }), // unmarked, 1 = real
      ]) {
        expectClose(r.output, ref.output, { name: `output (${dtype})` });
        expectClose(r.weights!, ref.weights!, { name: `weights (${dtype})` });
        tf.dispose([r.output, r.weights!]);
      }
      // The mistake: sequenceMask(lengths) as keyPaddingMask — loud, naming the convention.
      expect(() => mha.forward(x, x, x, { keyPaddingMask: real })).toThrow(
        "MultiHeadAttention: keyPaddingMask expects 1/true = padding, masked out (PyTorch's key_padding_mask",
      );
      expect(() => mha.forward(x, x, x, { keyPaddingMask: real })).toThrow('pass it as keyMask (1 = real key) instead');
      expect(() => mha.forward(x, x, x, { keyMask: pad })).toThrow(
        'MultiHeadAttention: keyMask expects 1/true = real token, may attend',
      );
      tf.dispose([real, pad]);
    }
    const both = sequenceMask(lengths, 4);
    expect(() => mha.forward(x, x, x, { keyMask: both, keyPaddingMask: pytorchStyle })).toThrow(
      'MultiHeadAttention: give keyMask (1 = real key) or keyPaddingMask (1 = padding), not both',
    );
    // causalMask (1 = may attend) is not an attnMask (true = not allowed).
    const causal = causalMask(4, 'bool');
    expect(() => mha.forward(x, x, x, { attnMask: causal })).toThrow(
      'MultiHeadAttention: attnMask expects 1/true = padding, masked out',
    );
    tf.dispose([x, pytorchStyle, ref.output, ref.weights!, both, causal]);
    mha.dispose();
  });
});
