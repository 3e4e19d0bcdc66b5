/**
 * What every data-parallel replica of `lm shakespeare` builds (the demo's setup module,
 * replica-setup.ts, calls this in each worker thread; rank 0 calls it too): the model, AdamW with the
 * planned warmup-cosine schedule, the loader of BPTT chunks, and the loss of a chunk. The LSTM carries
 * its state from chunk to chunk in fit's carry (each replica the state of its own rows), from zeros at
 * each epoch's start; the carried state is a constant to the next chunk's gradient (truncated BPTT).
 */
import { Rng } from '@wordloom/core';
import { DataLoader, bpttBatches, lmChunkTensors, permutation, type LmChunk } from '@wordloom/data';
import { Optimizer, adam, adamw, chain, clipByGlobalNorm, warmupCosineSchedule } from '@wordloom/optim';
import type { GradientTransformation } from '@wordloom/optim';
import type { RecurrentState } from '@wordloom/rnn';
import { plannedSchedule, type PlannedSchedule, type ReplicaSetupResult } from '@wordloom/train';
import type { LmConfig } from './config.js';
import { buildModel, lmLoss, type AnyLM } from './model.js';

/** The setup options of `lm shakespeare` (structured-cloned to the replicas). */
export interface LmSetupOptions {
  command: 'lm';
  cfg: LmConfig;
  vocabSize: number;
  /** The training text's ids. */
  trainIds: Int32Array;
}

export type LmSetup = ReplicaSetupResult<AnyLM['m'], LmChunk, Int32Array> & { lm: AnyLM; schedule: PlannedSchedule };

export function lmSetup(o: LmSetupOptions): LmSetup {
  const { cfg, trainIds } = o;
  const model = buildModel(cfg, o.vocabSize);
  const T = cfg.blockSize;
  const B = cfg.batchSize;
  // Every epoch has the chunks of the shortest stream (offset T − 1): the loader's length is fixed.
  const L = bpttBatches(trainIds.subarray(T), { batchSize: B, seqLen: T }).length;
  // The cosine schedule is planned by fit: to --max-steps, the epochs, or the time budget (once, after
  // timing 20 steps; a resumed run keeps the plan in its checkpoint).
  const schedule = plannedSchedule((total) =>
    warmupCosineSchedule({
      peak: cfg.lr,
      warmupSteps: Math.min(cfg.warmup, total - 1),
      totalSteps: Math.max(total, 2),
      end: cfg.minLr,
    }),
  );
  const base: GradientTransformation =
    cfg.optimizer === 'adamw'
      ? adamw({ lr: schedule, betas: [0.9, 0.99], weightDecay: cfg.weightDecay })
      : adam({ lr: schedule, betas: [0.9, 0.99] });
  const optimizer = new Optimizer(model.m, chain(clipByGlobalNorm({ maxNorm: cfg.clip }), base));
  // The chunks of epoch e: the stream starts at a seeded offset in [0, T), so windows are not always
  // cut at the same places; the transformer takes them in @wordloom/data's seeded permutation for the
  // epoch, the LSTM in stream order (its state carries from one chunk to the next). Item k·L + i of
  // the dataset is batch i of epoch k.
  let cached: { epoch: number; chunks: ReturnType<typeof bpttBatches>; order: Int32Array } | undefined;
  const chunkAt = (epoch: number, i: number): LmChunk => {
    if (cached?.epoch !== epoch) {
      const erng = new Rng(cfg.seed * 1000 + epoch);
      const offset = erng.int(T);
      const chunks = bpttBatches(trainIds.subarray(offset), { batchSize: B, seqLen: T });
      const order =
        model.kind === 'transformer'
          ? permutation(chunks.length, cfg.seed, epoch)
          : Int32Array.from({ length: chunks.length }, (_, j) => j);
      cached = { epoch, chunks, order };
    }
    return cached.chunks.get(cached.order[i]);
  };
  const train = new DataLoader<LmChunk, LmChunk>({
    dataset: { length: Number.MAX_SAFE_INTEGER, get: (k: number) => chunkAt(Math.floor(k / L), k % L) },
    batchSampler: {
      length: L,
      batches: (epoch: number) => Array.from({ length: L }, (_, i) => Int32Array.of(epoch * L + i)),
    },
    collate: (xs) => xs[0],
  });
  return {
    lm: model,
    model: model.m,
    optimizer,
    train,
    schedule,
    // A replica's rows of a chunk (the flat row-major arrays cut at row boundaries).
    slice: (chunk, a, b) => {
      const t = chunk.shape[1];
      return {
        input: chunk.input.subarray(a * t, b * t),
        target: chunk.target.subarray(a * t, b * t),
        shape: [b - a, t],
      };
    },
    // Training chunks count their rows; evaluation segments (Int32Array) the characters they score.
    countSamples: (b) => (b instanceof Int32Array ? Math.floor((b.length - 1) / T) * T : b.shape[0]),
    loss: (_m, chunk, ctx) => {
      const { input, target } = lmChunkTensors(chunk);
      if (model.kind === 'transformer') return lmLoss(model.m.forward(input).logits, target);
      if (ctx.batchIndex === 0) {
        ctx.carry.delete('h');
        ctx.carry.delete('c');
      }
      const h = ctx.carry.get('h');
      const c = ctx.carry.get('c');
      const out = model.m.forward(input, h && c ? ({ h, c } as RecurrentState) : undefined);
      ctx.carry.set('h', out.state.h);
      ctx.carry.set('c', out.state.c!);
      return lmLoss(out.logits, target);
    },
  };
}
