import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { findNonFinite } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('findNonFinite', () => {
  // 65536 and 70000 take the matmul path (divisible by 4096 / 1000 resp.); 65537 is prime (plain sum);
  // 10 is small (plain sum); rank 3 and int32 too.
  const sizes: [string, number[], 'float32' | 'int32'][] = [
    ['big2d', [256, 256], 'float32'],
    ['big1d', [70000], 'float32'],
    ['prime', [65537], 'float32'],
    ['small', [10], 'float32'],
    ['rank3', [16, 64, 64], 'float32'],
    ['ints', [5], 'int32'],
  ];

  it('finds nothing in finite tensors, including values whose float32 sum overflows', () => {
    const m = new Map(
      sizes.map(([n, s, d]) => [n, d === 'int32' ? tf.ones(s, 'int32') : tf.fill(s, n === 'big1d' ? 3e38 : -0.5)]),
    );
    expect(findNonFinite(m)).toEqual([]);
    m.forEach((t) => t.dispose());
  });

  for (const bad of [NaN, Infinity, -Infinity]) {
    it(`names every tensor holding ${bad}, wherever it sits`, () => {
      const before = tf.memory().numTensors;
      const m = new Map<string, tf.Tensor>();
      for (const [n, s, d] of sizes) {
        const size = s.reduce((a, b) => a * b, 1);
        if (d === 'int32') {
          m.set(n, tf.zeros(s, 'int32'));
          continue;
        }
        const v = new Float32Array(size).fill(1);
        v[n === 'small' ? 0 : size - 1] = bad; // the last element: the tail of the matmul view
        m.set(n, tf.tensor(v, s));
      }
      expect(findNonFinite(m)).toEqual(['big2d', 'big1d', 'prime', 'small', 'rank3']);
      m.forEach((t) => t.dispose());
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('handles +Inf and −Inf in one tensor (their sum is NaN) and an empty map', () => {
    const t = tf.tensor1d([Infinity, -Infinity, 1]);
    expect(findNonFinite(new Map([['x', t]]))).toEqual(['x']);
    expect(findNonFinite(new Map())).toEqual([]);
    t.dispose();
  });
});
