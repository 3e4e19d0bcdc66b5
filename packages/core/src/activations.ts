/**
 * Activations with PyTorch's definitions, along any axis.
 * References: Hendrycks & Gimpel (2016) "Gaussian Error Linear Units" (exact erf form and
 * the tanh approximation, as torch.nn.functional.gelu(approximate='tanh')).
 */
import * as tf from '@tensorflow/tfjs-core';

export const relu = (x: tf.Tensor): tf.Tensor => tf.relu(x);
export const tanh = (x: tf.Tensor): tf.Tensor => tf.tanh(x);
export const sigmoid = (x: tf.Tensor): tf.Tensor => tf.sigmoid(x);

export interface GeluOptions {
  /** 'none' = x·Φ(x) with erf; 'tanh' = GPT-2's approximation. @default 'none' (PyTorch's default) */
  approximate?: 'none' | 'tanh';
}

export function gelu(x: tf.Tensor, opts: GeluOptions = {}): tf.Tensor {
  const approximate = opts.approximate ?? 'none';
  return tf.tidy(() => {
    if (approximate === 'none') {
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    }
    if (approximate === 'tanh') {
      const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
      return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
    }
    throw new Error(`gelu: approximate = '${String(approximate)}' (expected 'none' or 'tanh')`);
  });
}

function normAxis(x: tf.Tensor, axis: number, fn: string): number {
  if (!Number.isInteger(axis) || axis >= x.rank || axis < -x.rank) {
    throw new Error(`${fn}: axis = ${axis} is out of range for a tensor of rank ${x.rank}`);
  }
  return axis < 0 ? x.rank + axis : axis;
}

/** log(softmax(x)) along `axis`, computed stably as x − logsumexp(x). @param axis @default -1 */
export function logSoftmax(x: tf.Tensor, axis = -1): tf.Tensor {
  const a = normAxis(x, axis, 'logSoftmax');
  if (a === x.rank - 1) return tf.logSoftmax(x);
  return tf.tidy(() => tf.sub(x, tf.logSumExp(x, a, true)));
}

/** softmax along `axis`. @param axis @default -1 */
export function softmax(x: tf.Tensor, axis = -1): tf.Tensor {
  const a = normAxis(x, axis, 'softmax');
  if (a === x.rank - 1) return tf.softmax(x);
  return tf.tidy(() => tf.exp(logSoftmax(x, a)));
}
