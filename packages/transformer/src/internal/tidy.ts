import * as tf from '@tensorflow/tfjs-core';

/**
 * `tf.tidy` typed for any result: tensors found anywhere in the returned tree (objects,
 * arrays; nulls and numbers allowed) are kept, every other tensor made inside is disposed.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
