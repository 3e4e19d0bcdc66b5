import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { calculateGain, computeFans, init, setupBackend } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

function stats(t: tf.Tensor): { mean: number; variance: number; min: number; max: number } {
  const v = t.dataSync();
  let s = 0,
    s2 = 0,
    min = Infinity,
    max = -Infinity;
  for (const x of v) {
    s += x;
    s2 += x * x;
    min = Math.min(min, x);
    max = Math.max(max, x);
  }
  const mean = s / v.length;
  return { mean, variance: s2 / v.length - mean * mean, min, max };
}

describe('init', () => {
  it('fans and gains follow PyTorch', () => {
    expect(computeFans([3, 5])).toEqual({ fanIn: 5, fanOut: 3 });
    expect(computeFans([4, 2, 3, 3])).toEqual({ fanIn: 18, fanOut: 36 });
    expect(() => computeFans([3])).toThrow(/rank >= 2/);
    expect(calculateGain('tanh')).toBeCloseTo(5 / 3);
    expect(calculateGain('relu')).toBeCloseTo(Math.SQRT2);
    expect(calculateGain('leaky_relu', Math.sqrt(5))).toBeCloseTo(Math.sqrt(1 / 3));
    expect(calculateGain('selu')).toBe(0.75);
  });

  it('same seed, same tensor; no seed draws differ', () => {
    const a = init.normal([10], { seed: 1 });
    const b = init.normal([10], { seed: 1 });
    const c = init.normal([10]);
    const d = init.normal([10]);
    expect(Array.from(a.dataSync())).toEqual(Array.from(b.dataSync()));
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(d.dataSync()));
    tf.dispose([a, b, c, d]);
  });

  it('variances match the formulas', () => {
    const shape = [400, 300];
    const { fanIn, fanOut } = computeFans(shape);
    const cases: Array<[tf.Tensor, number, number | null]> = [
      [init.normal(shape, { mean: 2, std: 0.5, seed: 1 }), 0.25, null],
      [init.uniform(shape, { low: -1, high: 3, seed: 2 }), 16 / 12, 3],
      [
        init.xavierUniform(shape, { gain: 2, seed: 3 }),
        (4 * 2) / (fanIn + fanOut),
        2 * Math.sqrt(6 / (fanIn + fanOut)),
      ],
      [init.xavierNormal(shape, { seed: 4 }), 2 / (fanIn + fanOut), null],
      [init.kaimingUniform(shape, { seed: 5 }), 2 / fanIn, Math.sqrt(6 / fanIn)],
      [init.kaimingNormal(shape, { mode: 'fanOut', nonlinearity: 'relu', seed: 6 }), 2 / fanOut, null],
      [init.pytorchDefault(shape, { seed: 7 }), 1 / (3 * fanIn), 1 / Math.sqrt(fanIn)],
    ];
    for (const [t, variance, bound] of cases) {
      const s = stats(t);
      expect(s.variance / variance).toBeGreaterThan(0.97);
      expect(s.variance / variance).toBeLessThan(1.03);
      if (bound !== null) expect(Math.max(s.max, -s.min)).toBeLessThanOrEqual(bound);
      t.dispose();
    }
    const n = init.normal(shape, { mean: 2, std: 0.5, seed: 1 });
    expect(stats(n).mean).toBeCloseTo(2, 2);
    n.dispose();
  });

  it('orthogonal gives WᵀW = gain²·I (tall) and WWᵀ = gain²·I (wide)', () => {
    for (const shape of [
      [6, 4],
      [4, 6],
      [5, 5],
      [3, 2, 2],
    ]) {
      const w = init.orthogonal(shape, { gain: 1.5, seed: 3 });
      const m = tf.reshape(w, [shape[0], -1]);
      const [r, c] = m.shape;
      const g = r >= c ? tf.matMul(m, m, true, false) : tf.matMul(m, m, false, true);
      const n = Math.min(r, c);
      const eye = tf.mul(tf.eye(n), 2.25);
      expect(tf.max(tf.abs(tf.sub(g, eye))).dataSync()[0]).toBeLessThan(1e-5);
      tf.dispose([w, m, g, eye]);
    }
    expect(() => init.orthogonal([4])).toThrow(/rank >= 2/);
  });

  it('zeros, ones, constant; errors name the argument', () => {
    const z = init.zeros([2, 2]);
    const o = init.ones([3]);
    const k = init.constant([2], 7);
    expect(Array.from(z.dataSync())).toEqual([0, 0, 0, 0]);
    expect(Array.from(o.dataSync())).toEqual([1, 1, 1]);
    expect(Array.from(k.dataSync())).toEqual([7, 7]);
    tf.dispose([z, o, k]);
    expect(() => init.normal([2, -1])).toThrow(/init.normal: shape\[1\] = -1/);
    expect(() => init.uniform([2], { low: 1, high: 0 })).toThrow(/high = 0 is below low = 1/);
    expect(() => init.pytorchDefault([3])).toThrow(/rank >= 2/);
  });
});
