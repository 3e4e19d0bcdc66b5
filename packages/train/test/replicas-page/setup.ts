/**
 * The setup function of the test page (the page's rank 0 and every Web Worker replica run it): a linear
 * regression on 24 examples, batches of 6.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Linear, mseLoss } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { adam, Optimizer } from '@wordloom/optim';
import type { ReplicaSetupResult } from '../../src/index.js';

type Batch = { x: tf.Tensor2D; y: tf.Tensor2D };

export function setup(): ReplicaSetupResult<Linear, Batch> {
  const rows = Array.from({ length: 24 }, (_, i) => {
    const x = [Math.sin(i), Math.cos(1.3 * i)];
    return { x, y: x[0] - 2 * x[1] + 0.5 };
  });
  const model = new Linear({ inFeatures: 2, outFeatures: 1, seed: 1 });
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 0.05 })),
    train: new DataLoader({
      dataset: fromArray(rows),
      batchSize: 6,
      collate: (xs) => ({
        x: tf.tensor2d(
          xs.map((r) => r.x),
          [xs.length, 2],
        ),
        y: tf.tensor2d(
          xs.map((r) => [r.y]),
          [xs.length, 1],
        ),
      }),
    }),
    loss: (m, b) => mseLoss(m.forward(b.x), b.y) as tf.Scalar,
  };
}
