/**
 * What the "Train here" page trains, in the page (rank 0) and in each Web Worker replica: which
 * quadrant of the plane a point lies in, a 2 → 64 → 4 MLP with dropout (seeded by rank), AdamW with a
 * warmup-cosine schedule `fit` plans, 480 training points in batches of 32, 120 held out.
 */
import * as tf from '@tensorflow/tfjs-core';
import { accuracy, crossEntropy, Dropout, Linear, Module } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { adamw, Optimizer, warmupCosineSchedule } from '@wordloom/optim';
import { plannedSchedule, type ReplicaSetupContext, type ReplicaSetupResult } from '@wordloom/train';

export class QuadrantNet extends Module {
  readonly hidden: Linear;
  readonly drop: Dropout;
  readonly out: Linear;
  constructor(rank: number) {
    super();
    this.hidden = this.addModule('hidden', new Linear({ inFeatures: 2, outFeatures: 64, seed: 1 }));
    this.drop = this.addModule('drop', new Dropout({ p: 0.1, seed: 2 + 1000 * rank }));
    this.out = this.addModule('out', new Linear({ inFeatures: 64, outFeatures: 4, seed: 3 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.out.forward(this.drop.forward(tf.relu(this.hidden.forward(x)))));
  }
}

export type Point = { xy: number[]; label: number };
export type Batch = { xy: tf.Tensor2D; label: tf.Tensor1D };

export const POINTS: Point[] = Array.from({ length: 600 }, (_, i) => {
  const xy = [Math.cos(i * 2.4) * (0.05 + (i % 7) / 7), Math.sin(i * 1.7) * (0.05 + (i % 5) / 5)];
  return { xy, label: (xy[0] > 0 ? 1 : 0) + (xy[1] > 0 ? 2 : 0) };
});

export const collate = (xs: Point[]): Batch => ({
  xy: tf.tensor2d(
    xs.map((p) => p.xy),
    [xs.length, 2],
  ),
  label: tf.tensor1d(
    xs.map((p) => p.label),
    'int32',
  ),
});

export function setup({ rank }: ReplicaSetupContext): ReplicaSetupResult<QuadrantNet, Batch> {
  const model = new QuadrantNet(rank);
  const lr = plannedSchedule((total) =>
    warmupCosineSchedule({ peak: 0.02, warmupSteps: Math.min(10, total - 1), totalSteps: Math.max(total, 2) }),
  );
  return {
    model,
    optimizer: new Optimizer(model, adamw({ lr })),
    train: new DataLoader({ dataset: fromArray(POINTS.slice(0, 480)), batchSize: 32, shuffle: true, seed: 5, collate }),
    loss: (m, b) => crossEntropy(m.forward(b.xy), b.label) as tf.Scalar,
    schedule: lr,
    evaluate: {
      loader: new DataLoader({ dataset: fromArray(POINTS.slice(480)), batchSize: 60, collate }),
      metrics: (m, b) => ({ accuracy: accuracy(m.forward(b.xy), b.label) }),
      every: 60,
    },
  };
}
