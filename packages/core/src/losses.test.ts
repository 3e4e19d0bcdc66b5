import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  accuracy,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  mseLoss,
  paddingToAttentionMask,
  perplexity,
  sequenceCrossEntropy,
  setupBackend,
} from './index.js';
import { checkGradients, expectClose } from './testing.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('losses', () => {
  it('crossEntropy of uniform logits is log C; leading dims are kept by reduction none', () => {
    const logits = tf.zeros([2, 3, 5]);
    const t = tf.tensor2d(
      [
        [0, 1, 2],
        [3, 4, -100],
      ],
      [2, 3],
      'int32',
    );
    expectClose(crossEntropy(logits, t), [Math.log(5)]);
    const none = crossEntropy(logits, t, { reduction: 'none' });
    expect(none.shape).toEqual([2, 3]);
    expectClose(
      none,
      [1, 1, 1, 1, 1, 0].map((v) => v * Math.log(5)),
    );
    expectClose(crossEntropy(logits, t, { reduction: 'sum' }), [5 * Math.log(5)]);
    tf.dispose([logits, t, none]);
  });

  it('crossEntropy: all ignored gives NaN (as PyTorch); bad targets and shapes are errors', () => {
    const logits = tf.zeros([2, 3]);
    const ign = tf.tensor1d([-100, -100], 'int32');
    expect(Number.isNaN(crossEntropy(logits, ign).dataSync()[0])).toBe(true);
    const bad = tf.tensor1d([1, 3], 'int32');
    expect(() => crossEntropy(logits, bad)).toThrow(
      'crossEntropy: targets[1] = 3 is outside [0, 3) and is not ignoreIndex = -100',
    );
    const f = tf.tensor1d([1, 2]);
    expect(() => crossEntropy(logits, f)).toThrow(/targets.dtype = float32/);
    const wrong = tf.tensor1d([1, 2, 0], 'int32');
    expect(() => crossEntropy(logits, wrong)).toThrow(/logits.shape = \[2, 3\] must be targets.shape = \[3\] \+ \[C\]/);
    expect(() => crossEntropy(logits, ign, { labelSmoothing: 2 })).toThrow(/labelSmoothing = 2/);
    expect(() => crossEntropy(logits, ign, { reduction: 'avg' as 'mean' })).toThrow(/reduction = 'avg'/);
    tf.dispose([logits, ign, bad, f, wrong]);
  });

  it('sequenceCrossEntropy accepts any id under padding and checks real positions', () => {
    const logits = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 1);
    const t = tf.tensor2d(
      [
        [1, 2, 99],
        [0, -5, 3],
      ],
      [2, 3],
      'int32',
    );
    const mask = tf.tensor2d([
      [1, 1, 0],
      [1, 0, 1],
    ]);
    const none = sequenceCrossEntropy(logits, t, mask, { reduction: 'none' });
    expect(none.dataSync()[2]).toBe(0);
    expect(none.dataSync()[4]).toBe(0);
    const mean = sequenceCrossEntropy(logits, t, mask);
    expectClose(mean, [tf.sum(none).dataSync()[0] / 4]);
    const badMask = tf.tensor2d([
      [1, 1, 1],
      [1, 0, 1],
    ]);
    expect(() => sequenceCrossEntropy(logits, t, badMask)).toThrow(
      'sequenceCrossEntropy: targets[0][2] = 99 is outside [0, 4) at a real (unmasked) position',
    );
    expect(() => sequenceCrossEntropy(logits, t, tf.ones([2, 2]))).toThrow(/mask.shape = \[2, 2\]/);
    tf.dispose([logits, t, mask, none, mean, badMask]);
  });

  it('binaryCrossEntropyWithLogits and mseLoss check shapes; BCE is finite at extreme logits', () => {
    const x = tf.tensor1d([-100, 100]);
    const t = tf.tensor1d([1, 0]);
    expectClose(binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }), [100, 100]);
    checkGradients(
      (v) => binaryCrossEntropyWithLogits(v, tf.tensor1d([0.2, 0.9, 1]), { posWeight: 3 }) as tf.Scalar,
      [tf.tensor1d([-1, 0, 2])],
    );
    expect(() => binaryCrossEntropyWithLogits(x, tf.zeros([3]))).toThrow(
      /logits.shape = \[2\] != targets.shape = \[3\]/,
    );
    expect(() => mseLoss(x, tf.zeros([3]))).toThrow(/mseLoss: a.shape = \[2\] != b.shape = \[3\]/);
    expectClose(mseLoss(x, t, { reduction: 'none' }), [10201, 10000]);
    tf.dispose([x, t]);
  });

  it('perplexity and accuracy', () => {
    expect(perplexity(Math.log(7))).toBeCloseTo(7, 10);
    const s = tf.scalar(Math.log(3));
    expect(perplexity(s)).toBeCloseTo(3, 5);
    const logits = tf.tensor2d([
      [0, 1],
      [2, 0],
      [0, 3],
      [1, 0],
    ]);
    const t = tf.tensor1d([1, 1, 1, -100], 'int32');
    expect(accuracy(logits, t)).toBeCloseTo(2 / 3);
    const m = tf.tensor1d([1, 0, 1, 1]);
    expect(accuracy(logits, t, { mask: m })).toBe(1);
    tf.dispose([s, logits, t, m]);
  });
});

describe('paddingToAttentionMask', () => {
  it('broadcasts key padding over queries, optionally causal or additive', () => {
    const km = tf.tensor2d([
      [1, 1, 0],
      [1, 1, 1],
    ]);
    const m = paddingToAttentionMask(km);
    expect(m.shape).toEqual([2, 1, 3, 3]);
    expect(m.arraySync()[0][0]).toEqual([
      [1, 1, 0],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    const c = paddingToAttentionMask(km, { causal: true });
    expect(c.arraySync()[0][0]).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 0],
    ]);
    expect(c.arraySync()[1][0]).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
    const a = paddingToAttentionMask(km, { queryLength: 2, additive: -1e9 });
    expect(a.shape).toEqual([2, 1, 2, 3]);
    expect(Array.from(a.dataSync().slice(0, 3)).map((v) => v + 0)).toEqual([0, 0, -1e9]);
    expect(() => paddingToAttentionMask(km, { causal: true, queryLength: 2 })).toThrow(/causal needs queryLength = Tk/);
    expect(() => paddingToAttentionMask(tf.ones([3]))).toThrow(/keyMask must be \[B, Tk\]/);
    tf.dispose([km, m, c, a]);
  });
});
