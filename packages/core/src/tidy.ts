/**
 * `tidy`: `tf.tidy` typed for any result.
 *
 * Why: `tf.tidy`'s result type is `TensorContainer`, which interfaces and classes with tensor
 * fields are not (TypeScript wants an index signature), so every package cast around it.
 * The run-time behaviour is tfjs's own: tensors found anywhere in the returned value's plain
 * objects and arrays are kept, every other tensor made inside `fn` is disposed (tfjs does
 * not look inside Maps: return objects or arrays).
 *
 * Reference: tfjs-core `tf.tidy`.
 */
import * as tf from '@tensorflow/tfjs-core';

/**
 * Runs `fn`, keeps the tensors in its result (a tensor, or plain objects/arrays holding
 * tensors, numbers, strings, nulls) and disposes every other tensor `fn` made.
 * Synchronous only, as `tf.tidy`: a `fn` returning a Promise throws.
 */
export function tidy<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
