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

  it('crossEntropy (its nll op with a hand-written backward) equals logSoftmax + gather by tfjs ops, values and gradients', () => {
    const [M, C] = [37, 1001];
    const x = tf.randomNormal([M, C], 0, 3, 'float32', 9);
    const t = tf.tensor1d(
      Array.from({ length: M }, (_, i) => (i * 389) % C),
      'int32',
    );
    const idx = tf.add(tf.mul(tf.range(0, M, 1, 'int32'), tf.scalar(C, 'int32')), t);
    const opPath = (z: tf.Tensor): tf.Scalar =>
      tf.mean(tf.neg(tf.gather(tf.reshape(tf.logSoftmax(z), [-1]), idx))) as tf.Scalar;
    const ours = crossEntropy(x, t);
    const ref = opPath(x);
    expectClose(ours, ref, { rtol: 1e-5, name: 'loss' });
    const d = tf.grad((z: tf.Tensor) => crossEntropy(z, t))(x);
    const dRef = tf.grad((z: tf.Tensor) => opPath(z))(x);
    expectClose(d, dRef, { rtol: 1e-4, atol: 1e-8, name: 'dlogits' });
    // a gradient scaled per row (reduction none, weighted): dy reaches each row
    const w = tf.linspace(-1, 2, M);
    const dw = tf.grad((z: tf.Tensor) => tf.sum(tf.mul(crossEntropy(z, t, { reduction: 'none' }), w)))(x);
    const dwRef = tf.grad((z: tf.Tensor) =>
      tf.sum(tf.mul(tf.neg(tf.gather(tf.reshape(tf.logSoftmax(z), [-1]), idx)), w)),
    )(x);
    expectClose(dw, dwRef, { rtol: 1e-4, atol: 1e-8, name: 'dlogits (weighted rows)' });
    // NaN / Infinity in a row give a NaN loss (an optimizer's non-finite check must see it), other rows unharmed
    const bad = tf.tensor2d([
      [0, NaN, 1],
      [0, Infinity, 1],
      [0, 1, 2],
    ]);
    const per = crossEntropy(bad, tf.tensor1d([0, 0, 2], 'int32'), { reduction: 'none' }).dataSync();
    expect(Number.isNaN(per[0]) && Number.isNaN(per[1])).toBe(true);
    expect(per[2]).toBeCloseTo(Math.log(1 + Math.exp(-1) + Math.exp(-2)), 5);
    tf.dispose([x, t, idx, ours, ref, d, dRef, w, dw, dwRef, bad]);
  });

  it('crossEntropy: bad targets and shapes are errors', () => {
    const logits = tf.zeros([2, 3]);
    const ign = tf.tensor1d([-100, -100], 'int32');
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

  it('BCE with a mask: the mean is over counted elements, masked ones get no gradient', () => {
    const x = tf.tensor2d([
      [0.5, -1, 2],
      [3, -0.25, 0],
    ]);
    const t = tf.tensor2d([
      [1, 0, 1],
      [0, 1, 1],
    ]);
    const mask = tf.tensor2d([
      [1, 1, 0],
      [0, 1, 1],
    ]);
    const none = binaryCrossEntropyWithLogits(x, t, { reduction: 'none' }).dataSync();
    const m = mask.dataSync();
    let sum = 0;
    for (let i = 0; i < 6; i++) sum += none[i] * m[i];
    expectClose(binaryCrossEntropyWithLogits(x, t, { mask }), [sum / 4]);
    expectClose(binaryCrossEntropyWithLogits(x, t, { mask, reduction: 'sum' }), [sum]);
    expectClose(
      binaryCrossEntropyWithLogits(x, t, { mask, reduction: 'none' }),
      Array.from(none, (v, i) => v * m[i]),
    );
    checkGradients((v) => binaryCrossEntropyWithLogits(v, t, { mask, posWeight: 2 }), [x]);
    const g = tf
      .grad((v: tf.Tensor) => binaryCrossEntropyWithLogits(v, t, { mask }))(x)
      .dataSync();
    expect([g[2], g[3]]).toEqual([0, 0]);
    expect(() => binaryCrossEntropyWithLogits(x, t, { mask: tf.ones([3]) })).toThrow(
      'binaryCrossEntropyWithLogits: mask.shape = [3] must equal targets.shape = [2, 3]',
    );
    tf.dispose([x, t, mask]);
  });

  describe('a batch with nothing to count: loss 0 and zero gradients (PyTorch: NaN loss, zero gradients)', () => {
    const logits = () =>
      tf.tensor3d([
        [
          [1, -2, 0.5],
          [0, 3, -1],
        ],
      ]); // [1, 2, 3]
    const expectZero = (f: (x: tf.Tensor) => tf.Scalar) => {
      const x = logits();
      const { value, grads } = tf.variableGrads(() => f(tf.mul(v, 1)), [v]);
      expect(value.dataSync()[0]).toBe(0);
      expect(Array.from(grads[v.name].dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
      const g = tf.grad(f)(x).dataSync();
      expect(Array.from(g).every((e) => e === 0)).toBe(true);
      tf.dispose([x, value, grads[v.name]]);
    };
    let v: tf.Variable;
    beforeAll(() => {
      v = tf.variable(logits(), true, 'allIgnoredLogits');
    });
    it('crossEntropy: every target ignored (mean and sum), also with label smoothing', () => {
      const ign = tf.tensor2d([[-100, -100]], [1, 2], 'int32');
      const other = tf.tensor2d([[7, 7]], [1, 2], 'int32');
      expectZero((x) => crossEntropy(x, ign));
      expectZero((x) => crossEntropy(x, ign, { reduction: 'sum' }));
      expectZero((x) => crossEntropy(x, ign, { labelSmoothing: 0.1 }));
      expectZero((x) => crossEntropy(x, other, { ignoreIndex: 7 }));
      // Empty batch.
      expect(crossEntropy(tf.zeros([0, 3]), tf.zeros([0], 'int32')).dataSync()[0]).toBe(0);
      tf.dispose([ign, other]);
    });
    it('sequenceCrossEntropy: an all-zero mask', () => {
      const t = tf.tensor2d([[1, 2]], [1, 2], 'int32');
      const zero = tf.zeros([1, 2]);
      expectZero((x) => sequenceCrossEntropy(x, t, zero));
      expectZero((x) => sequenceCrossEntropy(x, t, zero, { reduction: 'sum', labelSmoothing: 0.2 }));
      tf.dispose([t, zero]);
    });
    it('binaryCrossEntropyWithLogits: an all-zero mask; an empty tensor', () => {
      const t = tf.onesLike(v);
      const zero = tf.zerosLike(v);
      expectZero((x) => binaryCrossEntropyWithLogits(x, t, { mask: zero }));
      expectZero((x) => binaryCrossEntropyWithLogits(x, t, { mask: zero, posWeight: 3, reduction: 'sum' }));
      expect(binaryCrossEntropyWithLogits(tf.zeros([0]), tf.zeros([0])).dataSync()[0]).toBe(0);
      tf.dispose([t, zero]);
    });
    it('a partly ignored batch is unchanged: the mean is over the counted positions', () => {
      const t = tf.tensor2d([[2, -100]], [1, 2], 'int32');
      const one = crossEntropy(tf.slice(logits(), [0, 0, 0], [1, 1, 3]), tf.tensor2d([[2]], [1, 1], 'int32'));
      expectClose(crossEntropy(logits(), t), one.dataSync());
      tf.dispose([t, one]);
    });
  });

  it('reductions type as tf.Scalar (no casts for tf.variableGrads); none keeps a tensor', () => {
    const w = tf.variable(tf.zeros([2, 3]), true, 'lossTypes');
    const t = tf.tensor1d([0, 2], 'int32');
    const m = tf.ones([2, 3]);
    const { value, grads } = tf.variableGrads(() => crossEntropy(w, t), [w]);
    const sums: tf.Scalar[] = [
      value,
      crossEntropy(w, t, { reduction: 'sum', labelSmoothing: 0.1 }),
      sequenceCrossEntropy(tf.expandDims(w, 0), tf.expandDims(t, 0), tf.ones([1, 2])),
      binaryCrossEntropyWithLogits(w, m, { reduction: 'mean' }),
      mseLoss(w, m),
    ];
    expect(sums.every((s) => s.rank === 0)).toBe(true);
    // @ts-expect-error reduction 'none' is not a scalar
    const none: tf.Scalar = crossEntropy(w, t, { reduction: 'none' });
    expect(none.rank).toBe(1);
    const opts: { reduction: 'mean' | 'none' } = { reduction: 'none' };
    const any: tf.Tensor = binaryCrossEntropyWithLogits(w, m, opts); // a general Reduction gives tf.Tensor
    expect(any.shape).toEqual([2, 3]);
    tf.dispose([w, t, m, grads.lossTypes, ...sums, none, any]);
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
