import * as tf from '@tensorflow/tfjs-core';

/** `tf.tidy` typed for results that are trees of tensors in interfaces (which TensorContainer doesn't admit). */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
