/**
 * The setup function of the train e2e page (the page's rank 0 and every Web Worker replica run it): a small
 * regression net (with dropout, seeded by rank) on 40 examples, batches of 5 (uneven 2 + 3 slices on 2 replicas).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Linear, Module, mseLoss } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { adam, Optimizer } from '@wordloom/optim';
import type { ReplicaSetupContext, ReplicaSetupResult } from '@wordloom/train';

export class Net extends Module {
  readonly l1: Linear;
  readonly drop: Dropout;
  readonly l2: Linear;
  constructor(p: number, rank: number) {
    super();
    this.l1 = this.addModule('l1', new Linear({ inFeatures: 3, outFeatures: 16, seed: 1 }));
    this.drop = this.addModule('drop', new Dropout({ p, seed: 2 + 1000 * rank }));
    this.l2 = this.addModule('l2', new Linear({ inFeatures: 16, outFeatures: 1, seed: 3 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.l2.forward(this.drop.forward(tf.tanh(this.l1.forward(x)))));
  }
}

type Batch = { x: tf.Tensor2D; y: tf.Tensor2D };

export function setup({ rank, options }: ReplicaSetupContext): ReplicaSetupResult<Net, Batch> {
  const o = options as { dropout: number };
  const rows = Array.from({ length: 40 }, (_, i) => {
    const x = [Math.sin(i), Math.cos(1.3 * i), ((i % 5) - 2) / 2];
    return { x, y: x[0] - 2 * x[1] + 0.5 * x[2] };
  });
  const model = new Net(o.dropout, rank);
  return {
    model,
    optimizer: new Optimizer(model, adam({ lr: 0.05 })),
    train: new DataLoader({
      dataset: fromArray(rows),
      batchSize: 5,
      shuffle: true,
      seed: 7,
      collate: (xs) => ({
        x: tf.tensor2d(
          xs.map((r) => r.x),
          [xs.length, 3],
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
