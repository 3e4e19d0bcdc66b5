/**
 * `tf.unstack` without its gradient: the registered `Unpack` gradient fails when some outputs
 * are unused (it receives a single tensor, not a list). `tf.split` + reshape has a plain
 * `concat` gradient.
 */
import * as tf from '@tensorflow/tfjs-core';

export function unstack<R extends tf.Tensor>(x: tf.Tensor, axis = 0): R[] {
  const n = x.shape[axis];
  if (n === 1) return [tf.squeeze(x, [axis]) as R];
  const shape = x.shape.filter((_, i) => i !== axis);
  return tf.split(x, n, axis).map((p) => tf.reshape(p, shape) as R);
}
