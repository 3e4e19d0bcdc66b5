import * as tf from '@tensorflow/tfjs-core';
import { paddingMask, setupBackend } from '@wordloom/core';
import { expectClose, expectNoLeaks } from '@wordloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { attention } from './attention.js';
import { BahdanauAttention } from './bahdanau-attention.js';
import { LuongAttention } from './luong-attention.js';
import { maskedSoftmax } from './masked-softmax.js';
import { AdditiveScore, ConcatScore, GeneralScore, dotScore } from './scores.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const rand = (shape: number[], seed: number) => tf.randomNormal(shape, 0, 1, 'float32', seed);

describe('attention()', () => {
  it('gives masked keys exactly zero weight and fully masked rows zeros, not NaN', () => {
    const q = rand([3, 2, 4], 1);
    const k = rand([3, 5, 4], 2);
    const v = rand([3, 5, 6], 3);
    const { context, weights } = attention(q, k, v, { lengths: [5, 2, 0] });
    const w = weights.arraySync() as number[][][];
    for (const row of w[1]) expect(row.slice(2)).toEqual([0, 0, 0]);
    for (const row of w[2]) expect(row).toEqual([0, 0, 0, 0, 0]);
    for (const row of w[0]) expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    const ctx = context.arraySync() as number[][][];
    expect(ctx[2].flat()).toEqual(new Array(12).fill(0));
    expect(ctx.flat(2).every(Number.isFinite)).toBe(true);
    // gradients through a fully masked row are finite too
    const g = tf.grad((qq: tf.Tensor) => tf.sum(attention(qq, k, v, { lengths: [5, 2, 0] }).context))(q);
    expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
    tf.dispose([q, k, v, context, weights, g]);
  });

  it('accepts a boolean [B, Tk] mask and a [B, Tq, Tk] mask equal to lengths', () => {
    const q = rand([2, 3, 4], 4);
    const k = rand([2, 4, 4], 5);
    const a = attention(q, k, k, { lengths: [4, 1] });
    const m2 = tf.tensor2d(
      [
        [1, 1, 1, 1],
        [1, 0, 0, 0],
      ],
      [2, 4],
      'bool',
    );
    const b = attention(q, k, k, { mask: m2 });
    const m3 = tf.tile(tf.expandDims(m2, 1), [1, 3, 1]);
    const c = attention(q, k, k, { mask: m3 });
    expectClose(b.weights, a.weights, { atol: 0, rtol: 0 });
    expectClose(c.context, a.context, { atol: 0, rtol: 0 });
    tf.dispose([q, k, m2, m3, a.context, a.weights, b.context, b.weights, c.context, c.weights]);
  });

  it('a [B, D] query equals a [B, 1, D] query squeezed', () => {
    const score = new GeneralScore({ queryDim: 3, keyDim: 5, seed: 3 });
    const q = rand([2, 3], 6);
    const k = rand([2, 4, 5], 7);
    const a = attention(q, k, k, { score, lengths: [4, 3] });
    const q3 = tf.expandDims(q, 1);
    const b = attention(q3, k, k, { score, lengths: [4, 3] });
    expect(a.context.shape).toEqual([2, 5]);
    expect(a.weights.shape).toEqual([2, 4]);
    expectClose(a.context, b.context.dataSync(), { atol: 0, rtol: 0 });
    tf.dispose([q, k, q3, a.context, a.weights, b.context, b.weights]);
    score.dispose();
  });

  it('preparedKeys cached across steps gives the same result', () => {
    for (const score of [
      new ConcatScore({ queryDim: 4, keyDim: 6, attnDim: 5, seed: 1 }),
      new AdditiveScore({ queryDim: 4, keyDim: 6, seed: 2 }),
    ]) {
      const q = rand([2, 4], 8);
      const k = rand([2, 5, 6], 9);
      const pk = score.prepareKeys(k as tf.Tensor3D);
      const a = attention(q, k, k, { score, preparedKeys: pk });
      const b = attention(q, k, k, { score });
      expectClose(a.context, b.context, { atol: 0, rtol: 0 });
      tf.dispose([q, k, pk, a.context, a.weights, b.context, b.weights]);
      score.dispose();
    }
  });

  it('does not leak tensors, forward or backward', async () => {
    const score = new AdditiveScore({ queryDim: 4, keyDim: 4, seed: 2 });
    const q = rand([2, 3, 4], 10);
    const k = rand([2, 5, 4], 11);
    await expectNoLeaks(() => {
      const r = attention(q, k, k, { score, lengths: [5, 3] });
      tf.dispose([r.context, r.weights]);
      const { value, grads } = tf.variableGrads(
        () => tf.sum(attention(q, k, k, { score, lengths: [5, 3] }).context) as tf.Scalar,
      );
      tf.dispose([value, ...Object.values(grads)]);
    });
    tf.dispose([q, k]);
    score.dispose();
  });

  it('rejects bad input with clear errors', () => {
    const q = rand([2, 3, 4], 12);
    const k5 = rand([2, 5, 5], 13);
    const k = rand([2, 5, 4], 14);
    expect(() => attention(q, k5, k5)).toThrow(/dot: query last dim is 4 .*expected 5/);
    expect(() => attention(q, k, k, { mask: tf.ones([2, 4]) })).toThrow(
      /mask shape \[2, 4\] must be \[B, Tk\] = \[2, 5\]/,
    );
    expect(() => attention(q, k, k, { lengths: [5, 6] })).toThrow(
      /lengths\[1\] = 6 must be an integer in \[0, T = 5\]/,
    );
    expect(() => attention(q, k, k, { lengths: [5] })).toThrow(/lengths has 1 entries but the batch size is 2/);
    const pad = paddingMask([5, 3], { maxLen: 5 }); // 1 = padding: the opposite of what `mask` takes
    expect(() => attention(q, k, k, { mask: pad })).toThrow(/mask expects 1\/true = real token/);
    pad.dispose();
    expect(() => attention(q, k, rand([2, 4, 4], 1))).toThrow(/keys have Tk = 5 but values have 4/);
    expect(() => attention(rand([3, 3, 4], 1), k, k)).toThrow(/batch sizes differ/);
    const g = new GeneralScore({ queryDim: 4, keyDim: 6 });
    expect(() => attention(q, k, k, { score: g })).toThrow(/GeneralScore: keys last dim is 4 .*expected 6/);
    expect(() => attention(q, k, k, { score: 'cosine' as never })).toThrow(/unknown score cosine/);
    g.dispose();
    tf.dispose([q, k5, k]);
  });
});

describe('maskedSoftmax', () => {
  it('equals softmax without a mask and renormalizes over allowed positions', () => {
    const s = tf.tensor2d([
      [1, 2, 3],
      [0, 0, 0],
    ]);
    const w = maskedSoftmax(
      s,
      tf.tensor2d([
        [1, 0, 1],
        [0, 0, 0],
      ]),
    );
    const e = [Math.exp(1), Math.exp(3)];
    expectClose(w, [e[0] / (e[0] + e[1]), 0, e[1] / (e[0] + e[1]), 0, 0, 0], { atol: 1e-7 });
    tf.dispose([s, w]);
  });
});

describe('LuongAttention', () => {
  it('h̃ = tanh(W_c [c; h]) with the chosen score, names score.attn.weight and W_c.weight', () => {
    const luong = new LuongAttention({ hiddenSize: 4, encoderSize: 6, score: 'general', seed: 5 });
    expect([...luong.namedParameters().keys()]).toEqual(['score.attn.weight', 'W_c.weight']);
    const h = rand([2, 4], 15);
    const enc = rand([2, 5, 6], 16);
    const r = luong.forward(h, enc, { lengths: [5, 2] });
    const ref = attention(h, enc, enc, { score: luong.scoreFn, lengths: [5, 2] });
    const Wc = luong.namedParameters().get('W_c.weight') as tf.Variable;
    const manual = tf.tanh(tf.matMul(tf.concat([ref.context, h], 1), Wc, false, true));
    expect(r.output.shape).toEqual([2, 4]);
    expectClose(r.output, manual, { atol: 1e-6 });
    expectClose(r.weights, ref.weights, { atol: 0, rtol: 0 });
    tf.dispose([h, enc, r.output, r.context, r.weights, ref.context, ref.weights, manual]);
    luong.dispose();
    expect(() => new LuongAttention({ hiddenSize: 4, encoderSize: 6, score: 'dot' })).toThrow(
      /'dot' needs encoderSize = hiddenSize/,
    );
    const c = new LuongAttention({ hiddenSize: 4, score: 'concat', attnDim: 3 });
    expect([...c.namedParameters().keys()]).toEqual(['score.v', 'score.attn.weight', 'W_c.weight']);
    c.dispose();
    const d = new LuongAttention({ hiddenSize: 4, score: 'dot' });
    expect(d.scoreFn).toBe(dotScore);
    d.dispose();
  });
});

describe('BahdanauAttention', () => {
  it('has the PyTorch tutorial names and caches the key projection', () => {
    const b = new BahdanauAttention({ queryDim: 4, keyDim: 6, attnDim: 5, seed: 1 });
    expect([...b.namedParameters().keys()]).toEqual([
      'Wa.weight',
      'Wa.bias',
      'Ua.weight',
      'Ua.bias',
      'Va.weight',
      'Va.bias',
    ]);
    const s = rand([2, 4], 17);
    const enc = rand([2, 3, 6], 18);
    const pk = b.prepareKeys(enc);
    const r1 = b.forward(s, enc, { lengths: [3, 1], preparedKeys: pk });
    const r2 = b.forward(s, enc, { lengths: [3, 1] });
    expect(r1.context.shape).toEqual([2, 6]);
    expectClose(r1.context, r2.context, { atol: 0, rtol: 0 });
    expect((r1.weights.arraySync() as number[][])[1].slice(1)).toEqual([0, 0]);
    tf.dispose([s, enc, pk, r1.context, r1.weights, r2.context, r2.weights]);
    b.dispose();
  });
});
