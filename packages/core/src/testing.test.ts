import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupBackend } from './index.js';
import { checkGradients, expectClose, expectNoLeaks } from './testing.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('@wordloom/core/testing', () => {
  it('expectClose passes within tolerance and reports mismatches', () => {
    expectClose([1, 2, NaN], [1 + 1e-7, 2, NaN]);
    expect(() => expectClose([1, 2.1], [1, 2], { name: 'logits' })).toThrow(
      /expectClose: logits: 1 of 2 elements differ.*\[1\] 2.1 vs 2/,
    );
    expect(() => expectClose([1], [1, 2])).toThrow(/has 1 elements, expected 2/);
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([3, 2]);
    expect(() => expectClose(a, b)).toThrow(/shape \[2, 3\] != expected \[3, 2\]/);
    expectClose(a, [0, 0, 0, 0, 0, 0]);
    expect(() => expectClose([NaN], [1])).toThrow(/differ/);
    tf.dispose([a, b]);
  });

  it('checkGradients accepts a right gradient and rejects a wrong one', () => {
    const x = tf.tensor1d([0.3, -0.7, 1.2]);
    checkGradients((v) => tf.sum(tf.mul(tf.sin(v), v)), [x]);
    const wrong = tf.customGrad(((v: tf.Tensor) => ({
      value: tf.sum(tf.square(v)),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.mul(dy as tf.Tensor, tf.mul(v, 3)),
    })) as unknown as Parameters<typeof tf.customGrad>[0]);
    expect(() => checkGradients((v) => wrong(v) as tf.Scalar, [x])).toThrow(
      /checkGradients: 3 gradient elements differ.*xs\[0\]\[0\]: analytic 0.9/,
    );
    x.dispose();
  });

  it('expectNoLeaks returns the result and catches a leak', async () => {
    expect(await expectNoLeaks(() => tf.tidy(() => tf.sum(tf.ones([3])).dataSync()[0]))).toBe(3);
    let leaked: tf.Tensor | undefined;
    await expect(
      expectNoLeaks(() => {
        leaked = tf.ones([2]);
      }),
    ).rejects.toThrow(/1 tensor\(s\) leaked/);
    leaked?.dispose();
  });
});
