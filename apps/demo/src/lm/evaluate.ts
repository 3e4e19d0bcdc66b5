/** Validation loss of an `lm shakespeare` model. */
import * as tf from '@tensorflow/tfjs-core';
import { bpttBatches, lmChunkTensors } from '@wordloom/data';
import { type RecurrentState } from '@wordloom/rnn';
import { TransformerLM } from '@wordloom/transformer';
import { tidy } from '@wordloom/core';
import { lmLoss, type AnyLM } from './model.js';

/**
 * Mean loss (nats/char) over every position of `ids` (the validation text): the transformer reads
 * it in non-overlapping windows of `blockSize` characters (each character predicted from the
 * characters before it in its window, as nanoGPT's evaluation does); the LSTM reads it as one
 * stream cut into `rows` rows, its state carried from chunk to chunk.
 */
export function evaluateLoss(model: AnyLM, ids: Int32Array, opts: { blockSize: number; rows: number }): number {
  model.m.eval();
  let total = 0;
  let count = 0;
  try {
    if (model.kind === 'transformer') {
      const T = opts.blockSize;
      const nWin = Math.floor((ids.length - 1) / T);
      const per = Math.max(1, opts.rows);
      for (let w = 0; w < nWin; w += per) {
        const k = Math.min(per, nWin - w);
        const input = new Int32Array(k * T);
        const target = new Int32Array(k * T);
        for (let r = 0; r < k; r++) {
          const s = (w + r) * T;
          input.set(ids.subarray(s, s + T), r * T);
          target.set(ids.subarray(s + 1, s + 1 + T), r * T);
        }
        const loss = tf.tidy(() => {
          const x = tf.tensor2d(input, [k, T], 'int32');
          const y = tf.tensor2d(target, [k, T], 'int32');
          return lmLoss(model.m.forward(x).logits, y);
        });
        total += loss.dataSync()[0] * k * T;
        count += k * T;
        loss.dispose();
      }
    } else {
      const chunks = bpttBatches(ids, {
        batchSize: Math.max(1, Math.min(opts.rows, Math.floor(ids.length / 2))),
        seqLen: opts.blockSize,
      });
      let state: RecurrentState | undefined;
      for (let i = 0; i < chunks.length; i++) {
        const c = chunks.get(i);
        const { input, target } = lmChunkTensors(c);
        const r = tidy(() => {
          const o = model.m.forward(input, state);
          return { loss: lmLoss(o.logits, target), state: o.state };
        });
        tf.dispose([input, target]);
        if (state) tf.dispose([state.h, state.c]);
        state = r.state;
        const n = c.shape[0] * c.shape[1];
        total += r.loss.dataSync()[0] * n;
        count += n;
        r.loss.dispose();
      }
      if (state) tf.dispose([state.h, state.c]);
    }
  } finally {
    model.m.train();
  }
  return total / Math.max(1, count);
}

/**
 * Transformer only: mean loss (nats/char) over the validation text read in windows of `blockSize`
 * that overlap — each window starts `stride` characters after the previous one and scores only its
 * last `stride` characters (the first window scores all of its own), so every character after the
 * first window is predicted from at least `blockSize − stride` characters before it. This is the
 * sliding-window evaluation of Hugging Face's "Perplexity of fixed-length models"; with
 * `stride = blockSize` it is the non-overlapping evaluation of {@link evaluateLoss}.
 */
export function evaluateLossSliding(
  model: TransformerLM,
  ids: Int32Array,
  opts: { blockSize: number; stride: number; rows: number },
): number {
  const T = opts.blockSize;
  const S = opts.stride;
  if (!Number.isInteger(S) || S < 1 || S > T)
    throw new RangeError(`evaluateLossSliding: stride ${S} must be an integer in [1, ${T}]`);
  if (ids.length < T + 1)
    throw new RangeError(`evaluateLossSliding: ${ids.length} characters, fewer than one window of ${T} + 1`);
  // Window starts 0, S, 2S, … while a full window (and its targets) fits.
  const starts: number[] = [];
  for (let s = 0; s + T + 1 <= ids.length; s += S) starts.push(s);
  model.eval();
  let total = 0;
  let count = 0;
  try {
    for (let w = 0; w < starts.length; w += opts.rows) {
      const k = Math.min(opts.rows, starts.length - w);
      const input = new Int32Array(k * T);
      const target = new Int32Array(k * T);
      const mask = new Float32Array(k * T);
      for (let r = 0; r < k; r++) {
        const s = starts[w + r];
        input.set(ids.subarray(s, s + T), r * T);
        target.set(ids.subarray(s + 1, s + 1 + T), r * T);
        mask.fill(1, r * T + (w + r === 0 ? 0 : T - S), (r + 1) * T);
      }
      const sum = tf.tidy(() => {
        const logits = model.forward(tf.tensor2d(input, [k, T], 'int32')).logits; // [k, T, V]
        const V = logits.shape[2];
        const logp = tf.logSoftmax(tf.reshape(logits, [k * T, V]));
        const picked = tf.sum(tf.mul(logp, tf.oneHot(tf.tensor1d(target, 'int32'), V)), 1); // [k·T]
        return tf.neg(tf.sum(tf.mul(picked, tf.tensor1d(mask))));
      });
      total += sum.dataSync()[0];
      sum.dispose();
      for (let i = 0; i < mask.length; i++) count += mask[i];
    }
  } finally {
    model.train();
  }
  return total / Math.max(1, count);
}

/**
 * `ids` cut into segments of `rows` non-overlapping windows of `blockSize` (each segment holds one
 * more character, the last window's target): {@link evaluateLoss} of each segment, weighted by the
 * `floor((length − 1) / blockSize) · blockSize` characters it scores, is `evaluateLoss` of `ids` —
 * in pieces, so that an evaluation can stop between them.
 */
export function windowSegments(ids: Int32Array, blockSize: number, rows: number): Int32Array[] {
  const span = rows * blockSize;
  const out: Int32Array[] = [];
  for (let s = 0; s + blockSize + 1 <= ids.length; s += span)
    out.push(ids.subarray(s, Math.min(ids.length, s + span + 1)));
  return out;
}
