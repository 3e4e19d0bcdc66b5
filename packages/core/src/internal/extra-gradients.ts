/**
 * Zero gradients for kernels whose outputs are not differentiable (comparisons, logical ops)
 * and for which tfjs-core ships no gradient. Without them, any backward pass through
 * `tf.where(tf.greater(x, 0), a, b)` with `x` on the tape fails with "gradient function
 * not found for Greater", although PyTorch (and tfjs's own GreaterEqual) treat it as 0.
 */
import * as tf from '@tensorflow/tfjs-core';

function zeroGrad(kernelName: string, inputs: string[]): tf.GradConfig {
  return {
    kernelName,
    inputsToSave: inputs,
    gradFunc: (_dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const out: Record<string, () => tf.Tensor> = {};
      inputs.forEach((name, i) => {
        out[name] = () => tf.zerosLike(saved[i]);
      });
      return out;
    },
  };
}

export const extraGradConfigs: tf.GradConfig[] = [
  ...[tf.Equal, tf.NotEqual, tf.Greater, tf.Less, tf.LessEqual, tf.LogicalAnd, tf.LogicalOr, tf.LogicalXor].map((k) => zeroGrad(k, ['a', 'b'])),
  ...[tf.LogicalNot, tf.All, tf.Any].map((k) => zeroGrad(k, ['x'])),
];
