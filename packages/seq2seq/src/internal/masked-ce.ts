/**
 * Mean token cross-entropy over the real (mask = 1) positions of a padded batch.
 * logits `[B, T, V]`, targets `[B, T]` int32, mask `[B, T]` float32.
 */
import * as tf from '@tensorflow/tfjs-core';

export function maskedCrossEntropy(
  logits: tf.Tensor3D,
  targets: tf.Tensor2D,
  mask: tf.Tensor,
  labelSmoothing = 0,
): tf.Scalar {
  return tf.tidy(() => {
    const [B, T, V] = logits.shape;
    const logp = tf.logSoftmax(tf.reshape(logits, [B * T, V])); // [B·T, V]
    let target = tf.oneHot(tf.reshape(tf.cast(targets, 'int32'), [B * T]), V); // [B·T, V]
    if (labelSmoothing > 0) target = tf.add(tf.mul(target, 1 - labelSmoothing), labelSmoothing / V);
    const nll = tf.neg(tf.sum(tf.mul(logp, target), 1)); // [B·T]
    const m = tf.reshape(tf.cast(mask, 'float32'), [B * T]);
    return tf.div(tf.sum(tf.mul(nll, m)), tf.maximum(tf.sum(m), 1)) as tf.Scalar;
  });
}
