/**
 * Deterministic convergence checks (optax's parabola and Rosenbrock tests): every optimizer reaches the
 * minimum from a fixed start with fixed hyper-parameters, gradients from tfjs autograd.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import {
  adagrad,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  Optimizer,
  rmsprop,
  sgd,
  warmupCosineSchedule,
  type GradientTransformation,
} from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

function run(
  tx: GradientTransformation,
  start: number[],
  loss: (x: tf.Tensor) => tf.Scalar,
  steps: number,
): { x: number[]; loss: number } {
  const init = tf.tensor1d(start);
  const x = tf.variable(init);
  init.dispose();
  const opt = new Optimizer(new Map([['x', x]]), tx);
  let last = NaN;
  for (let i = 0; i < steps; i++) last = opt.minimize(() => loss(x));
  const out = Array.from(x.dataSync());
  opt.dispose();
  x.dispose();
  return { x: out, loss: last };
}

const target = [1, -2, 3];
const parabola = (x: tf.Tensor) => tf.sum(tf.square(tf.sub(x, tf.tensor1d(target)))) as tf.Scalar;
// Rosenbrock (a = 1, b = 100): minimum 0 at (1, 1), start at the classic (−1.2, 1).
const rosenbrock = (v: tf.Tensor) => {
  const [x, y] = tf.unstack(v);
  return tf.add(tf.square(tf.sub(1, x)), tf.mul(100, tf.square(tf.sub(y, tf.square(x))))) as tf.Scalar;
};

describe('parabola: every optimizer reaches the minimum', () => {
  const cases: [string, GradientTransformation, number][] = [
    ['sgd', sgd({ lr: 0.1 }), 200],
    ['sgd momentum', sgd({ lr: 0.05, momentum: 0.9 }), 300],
    ['sgd nesterov', sgd({ lr: 0.05, momentum: 0.9, nesterov: true }), 300],
    ['adam', adam({ lr: 0.1 }), 500],
    ['adam amsgrad', adam({ lr: 0.1, amsgrad: true }), 500],
    ['adamw (no decay)', adamw({ lr: 0.1, weightDecay: 0 }), 500],
    ['adagrad', adagrad({ lr: 1 }), 500],
    ['rmsprop', rmsprop({ lr: 0.01 }), 500],
    ['rmsprop centered momentum', rmsprop({ lr: 0.01, centered: true, momentum: 0.5 }), 500],
  ];
  for (const [name, tx, steps] of cases) {
    it(name, () => {
      const { x } = run(tx, [0, 0, 0], parabola, steps);
      x.forEach((v, i) => expect(Math.abs(v - target[i]), `${name}: x[${i}] = ${v}`).toBeLessThan(2e-2));
    });
  }
});

describe('Rosenbrock: reaches (1, 1)', () => {
  it('adam', () => {
    const { x, loss } = run(adam({ lr: 0.02 }), [-1.2, 1], rosenbrock, 3000);
    expect(loss).toBeLessThan(1e-4);
    expect(Math.abs(x[0] - 1)).toBeLessThan(2e-2);
    expect(Math.abs(x[1] - 1)).toBeLessThan(4e-2);
  });
  it('sgd with momentum, clipping and warmup + cosine', () => {
    const tx = chain(
      clipByGlobalNorm({ maxNorm: 10 }),
      sgd({ lr: warmupCosineSchedule({ peak: 1e-3, warmupSteps: 100, totalSteps: 5000, end: 1e-4 }), momentum: 0.9 }),
    );
    const { x, loss } = run(tx, [-1.2, 1], rosenbrock, 5000);
    expect(loss).toBeLessThan(1e-3);
    expect(Math.abs(x[0] - 1)).toBeLessThan(5e-2);
  });
});
