/**
 * The `transformer.encoder.train` model, in one place: its config, FLOPs, ragged lengths and the
 * encoder + Adam + data of one training step. The bench (`../transformer.mjs`) and the profiling
 * script (`encoder-step.mjs`) both build it from here, so they time the same thing.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '@wordloom/core';
import { adam, Optimizer } from '@wordloom/optim';
import { TransformerEncoder } from '@wordloom/transformer';

/** The bench's config (quick: a small one for checks). */
export function encoderConfig(quick) {
  return quick ? { B: 4, T: 32, d: 64, H: 4, FF: 256, L: 2 } : { B: 32, T: 128, d: 256, H: 4, FF: 1024, L: 4 };
}

/** Matmul FLOPs of one training step (forward ×3: backward costs two matmuls per forward matmul). */
export function encoderFlops({ B, T, d, FF, L }) {
  const N = B * T;
  const proj = 2 * N * (d * 3 * d + d * d + 2 * d * FF); // in_proj, out_proj, linear1, linear2
  const attn = 2 * 2 * B * T * T * d; // QKᵀ and AV over all heads
  return 3 * L * (proj + attn);
}

/** Sequence lengths in [T/2, T], seeded. */
export function lengthsFor(B, T, seed) {
  const rng = new Rng(seed);
  return Array.from({ length: B }, () => T / 2 + rng.int(T / 2 + 1));
}

/**
 * The encoder in training mode (dropout 0.1, seed 0), its Adam optimizer, random inputs and targets
 * (the step's loss is the MSE between them), and the padding mask of `lengths` (1 = padding).
 */
export function encoderTraining(cfg, lengths) {
  const enc = new TransformerEncoder({
    dModel: cfg.d,
    nhead: cfg.H,
    dimFeedforward: cfg.FF,
    numLayers: cfg.L,
    dropout: 0.1,
    seed: 0,
  });
  enc.train();
  const opt = new Optimizer(enc, adam({ lr: 1e-4 }));
  const x = tf.randomNormal([cfg.B, cfg.T, cfg.d], 0, 1, 'float32', 1);
  const y = tf.randomNormal([cfg.B, cfg.T, cfg.d], 0, 1, 'float32', 2);
  const pad = tf.tidy(() =>
    tf.cast(tf.greaterEqual(tf.reshape(tf.range(0, cfg.T), [1, cfg.T]), tf.tensor2d(lengths, [cfg.B, 1])), 'float32'),
  );
  return { enc, opt, x, y, pad };
}
