/**
 * What every data-parallel replica of `lm ptb` builds (replica-setup.ts calls this in each worker;
 * rank 0 too): the tied 2-layer LSTM with variational dropout, Adam with the planned warmup-cosine
 * schedule and global-norm clipping, the loader of BPTT chunks in stream order (batchSize parallel
 * streams of the training text), and the loss of a chunk with every layer's state carried in fit's
 * carry (each replica the state of its own rows; from zeros at each epoch's start; TBPTT).
 */
import * as tf from '@tensorflow/tfjs-core';
import { DataLoader, bpttBatches, lmChunkTensors, type LmChunk } from '@wordloom/data';
import { Optimizer, adam, chain, clipByGlobalNorm, warmupCosineSchedule } from '@wordloom/optim';
import type { RecurrentState } from '@wordloom/rnn';
import { plannedSchedule, type PlannedSchedule, type ReplicaSetupResult } from '@wordloom/train';
import { lmLoss } from './model.js';
import { PtbLSTM } from './ptb-model.js';

/** Everything that defines an `lm ptb` run (a `--resume` must ask for the same). */
export interface PtbConfig {
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  batchSize: number;
  bptt: number;
  lr: number;
  minLr: number;
  warmup: number;
  clip: number;
  epochs: number;
  maxSteps: number;
  seed: number;
  /** Use only the first N training words (0 = all; for quick runs and tests). */
  limitWords: number;
}

export interface PtbSetupOptions {
  command: 'ptb';
  cfg: PtbConfig;
  vocabSize: number;
  trainIds: Int32Array;
}

export type PtbSetup = ReplicaSetupResult<PtbLSTM, LmChunk, Int32Array> & { schedule: PlannedSchedule };

export function ptbSetup(o: PtbSetupOptions): PtbSetup {
  const { cfg } = o;
  const model = new PtbLSTM({
    vocabSize: o.vocabSize,
    hiddenSize: cfg.hiddenSize,
    numLayers: cfg.numLayers,
    dropout: cfg.dropout,
    seed: cfg.seed,
  });
  const schedule = plannedSchedule((total) =>
    warmupCosineSchedule({
      peak: cfg.lr,
      warmupSteps: Math.min(cfg.warmup, total - 1),
      totalSteps: Math.max(total, 2),
      end: cfg.minLr,
    }),
  );
  const optimizer = new Optimizer(model, chain(clipByGlobalNorm({ maxNorm: cfg.clip }), adam({ lr: schedule })));
  const chunks = bpttBatches(o.trainIds, { batchSize: cfg.batchSize, seqLen: cfg.bptt });
  const train = new DataLoader<LmChunk, LmChunk>({
    dataset: { length: chunks.length, get: (i: number) => chunks.get(i) },
    collate: (xs) => xs[0],
  });
  const L = cfg.numLayers;
  return {
    model,
    optimizer,
    train,
    schedule,
    slice: (chunk, a, b) => {
      const t = chunk.shape[1];
      return {
        input: chunk.input.subarray(a * t, b * t),
        target: chunk.target.subarray(a * t, b * t),
        shape: [b - a, t],
      };
    },
    countSamples: (b) => (b instanceof Int32Array ? b.length - 1 : b.shape[0]),
    loss: (m, chunk, ctx) => {
      if (ctx.batchIndex === 0) for (const n of ctx.carry.names()) ctx.carry.delete(n);
      const state: RecurrentState[] = [];
      for (let l = 0; l < L; l++) {
        const h = ctx.carry.get(`h${l}`);
        const c = ctx.carry.get(`c${l}`);
        if (h && c) state.push({ h: h as tf.Tensor3D, c: c as tf.Tensor3D });
      }
      const { input, target } = lmChunkTensors(chunk);
      const out = m.forward(input, state.length === L ? state : undefined);
      out.state.forEach((s, l) => {
        ctx.carry.set(`h${l}`, s.h);
        ctx.carry.set(`c${l}`, s.c!);
      });
      return lmLoss(out.logits, target as tf.Tensor2D);
    },
  };
}
