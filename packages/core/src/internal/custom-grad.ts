import * as tf from '@tensorflow/tfjs-core';
import { ensureFusedKernels } from './fused-ops.js';

export type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor[];

/**
 * `tf.customGrad` with a typed signature: `f(inputs, save)` returns the value and a
 * gradient function giving one gradient per input. (tfjs types the variadic inputs as
 * `Tensor | GradSaveFunc`, which strict TypeScript can't narrow.)
 *
 * On tfjs-backend-wasm the first call installs the fused kernels of `fused-ops.ts`, among them an
 * `Identity` that shares buffers: `save()` clones each saved tensor with it, which tfjs-backend-wasm's
 * own Identity does by copying (8 % of a transformer training step).
 */
export function customGrad(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: GradFunc },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const g = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = f(args.slice(0, -1) as tf.Tensor[], save);
    return { value, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => gradFunc(dy as tf.Tensor, saved) };
  }) as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: tf.Tensor[]) => {
    ensureFusedKernels();
    return g(...inputs);
  };
}
