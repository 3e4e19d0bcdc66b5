/**
 * Softmax over the last axis that gives masked positions exactly zero weight and a fully
 * masked row all zeros (never NaN, unlike `softmax(scores + -inf)` in PyTorch).
 *
 * How: masked scores are replaced by adding −1e30 (so `exp` underflows to exactly 0 whenever
 * the row has at least one real position), the fused softmax kernel runs, and the result is
 * multiplied by the 0/1 mask, which zeroes the rows that had no real position (those came
 * out uniform). Gradients through masked positions are exactly zero.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy } from '@wordloom/core';

/** Large negative number added to masked scores; finite so that `x - max` never becomes NaN. */
export const MASK_NEG = -1e30;

/**
 * Softmax over the last axis of `scores` with an optional `allowed` mask (1/true = may
 * attend, 0/false = masked), broadcastable to `scores`.
 * @returns weights of `scores`' shape; masked positions 0; rows with no allowed position all 0.
 */
export function maskedSoftmax(scores: tf.Tensor, allowed?: tf.Tensor | null): tf.Tensor {
  if (!allowed) return tf.softmax(scores);
  return tidy(() => {
    const a = allowed.dtype === 'float32' ? allowed : tf.cast(allowed, 'float32');
    const bias = tf.mul(tf.sub(1, a), MASK_NEG); // 0 where allowed, −1e30 where masked
    const w = tf.softmax(tf.add(scores, bias));
    return tf.mul(w, a);
  });
}
