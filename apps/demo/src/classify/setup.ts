/**
 * What every data-parallel replica of `classify nsmc` builds (the demo's setup module,
 * replica-setup.ts, calls this in each worker thread; rank 0 calls it too) from the encoded training
 * reviews rank 0 sends: the classifier, AdamW with the planned warmup-cosine schedule, the
 * length-bucketed loader, and the cross-entropy of a batch of reviews (a replica's slice of it).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '@wordloom/core';
import { BucketBatchSampler, DataLoader, fromArray, padCollate } from '@wordloom/data';
import { Optimizer, adamw, chain, clipByGlobalNorm, warmupCosineSchedule } from '@wordloom/optim';
import { plannedSchedule, type PlannedSchedule, type ReplicaSetupResult } from '@wordloom/train';
import type { ClassifyConfig } from './config.js';
import type { Example } from './evaluate.js';
import { buildClassifier, logitsOf, type AnyClassifier } from './model.js';

/** The setup options of `classify nsmc` (structured-cloned to the replicas). */
export interface ClassifySetupOptions {
  command: 'classify';
  cfg: ClassifyConfig;
  vocabSize: number;
  padId: number;
  pretrained?: Float32Array;
  /** The encoded training reviews (the dev split already taken out). */
  train: Example[];
}

export type ClassifySetup = ReplicaSetupResult<AnyClassifier['m'], Example[]> & {
  classifier: AnyClassifier;
  schedule: PlannedSchedule;
  sampler: BucketBatchSampler;
};

export function classifySetup(o: ClassifySetupOptions): ClassifySetup {
  const { cfg, train, padId } = o;
  const model = buildClassifier(cfg, {
    vocabSize: o.vocabSize,
    padId,
    ...(o.pretrained ? { pretrained: o.pretrained } : {}),
  });
  const sampler = new BucketBatchSampler({
    lengths: train.map((e) => e.ids.length),
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    bucketSizeMultiplier: 50,
  });
  // The cosine schedule is planned by fit: to --max-steps, the epochs, or the time budget (once, after
  // timing 20 steps; a resumed run keeps the plan in its checkpoint).
  const schedule = plannedSchedule((total) =>
    warmupCosineSchedule({
      peak: cfg.lr,
      warmupSteps: Math.min(cfg.warmup, total - 1),
      totalSteps: Math.max(total, 2),
      end: cfg.lr / 50,
    }),
  );
  const optimizer = new Optimizer(
    model.m,
    chain(clipByGlobalNorm({ maxNorm: cfg.clip }), adamw({ lr: schedule, weightDecay: cfg.weightDecay })),
  );
  const collate = padCollate({ padId });
  return {
    classifier: model,
    model: model.m,
    optimizer,
    schedule,
    sampler,
    train: new DataLoader({ dataset: fromArray(train), batchSampler: sampler }),
    // A batch is a list of reviews: fit cuts a replica's slice of the list (its rows), padded here.
    loss: (_m, batch) => {
      const pb = collate(batch);
      const lengths = pb.lengths.dataSync() as Int32Array;
      return crossEntropy(logitsOf(model, pb, lengths), pb.labels as tf.Tensor1D) as tf.Scalar;
    },
  };
}
