/** Runs the README's "Use" example (kept in sync by hand: same code, cpu backend, asserts instead of logs). */
import { expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { Linear, setupBackend } from '@wordloom/core';
import { adamw, chain, clipByGlobalNorm, Optimizer, warmupCosineSchedule } from './index.js';

it('README example runs', async () => {
  await setupBackend({ prefer: ['cpu'] });
  const before = tf.memory().numTensors;

  // Fit y = 3·x₀ − 2·x₁ + 1 with a Linear layer (parameters `weight` [1, 2] and `bias` [1]).
  const model = new Linear({ inFeatures: 2, outFeatures: 1, seed: 0 });
  const x = tf.tensor2d([
    [0, 1],
    [1, 0],
    [1, 1],
    [2, 1],
    [-1, 2],
  ]);
  const y = tf.tensor2d([[-1], [4], [2], [5], [-6]]);

  const optimizer = new Optimizer(
    model,
    chain(
      clipByGlobalNorm({ maxNorm: 5 }),
      adamw({
        lr: warmupCosineSchedule({ peak: 0.1, warmupSteps: 20, totalSteps: 500 }),
        weightDecay: 1e-4,
        groups: [{ match: /(^|\.)bias$/, weightDecay: 0 }], // no decay on biases
      }),
    ),
  );

  let loss = NaN;
  let firstNorm: number | undefined;
  for (let step = 0; step < 500; step++) {
    loss = optimizer.minimize(() => tf.losses.meanSquaredError(y, model.forward(x)) as tf.Scalar);
    if (step === 0) firstNorm = optimizer.lastGradNorm(); // the pre-clip gradient norm
  }
  expect(firstNorm).toBeGreaterThan(0);
  expect(loss).toBeLessThan(1e-3);
  const [w0, w1] = model.weight.dataSync();
  expect(w0).toBeCloseTo(3, 1);
  expect(w1).toBeCloseTo(-2, 1);

  // Checkpoint: one safetensors file with the moments, step counts and schedule position.
  const bytes = optimizer.save();
  const resumed = new Optimizer(model, optimizer.transformation);
  resumed.load(bytes);
  expect(resumed.stepCount).toBe(500);

  resumed.dispose();
  optimizer.dispose();
  model.dispose();
  tf.dispose([x, y]);
  expect(tf.memory().numTensors).toBe(before);
});
