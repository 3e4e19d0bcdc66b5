/**
 * Gradients tfjs-core does not ship: GatherNd (a scatter), and zeros for kernels whose
 * outputs are not differentiable (comparisons, logical ops). Without them, any backward pass through
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

/** gatherND's gradient: scatter dy back to the gathered positions (duplicates add up). */
const gatherNdGradConfig: tf.GradConfig = {
  kernelName: tf.GatherNd,
  inputsToSave: ['params', 'indices'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
    const [params, indices] = saved;
    return {
      params: () => tf.scatterND(indices, dy as tf.Tensor, params.shape),
      indices: () => tf.zerosLike(indices),
    };
  },
};

export const extraGradConfigs: tf.GradConfig[] = [
  gatherNdGradConfig,
  ...[tf.Equal, tf.NotEqual, tf.Greater, tf.Less, tf.LessEqual, tf.LogicalAnd, tf.LogicalOr, tf.LogicalXor].map((k) =>
    zeroGrad(k, ['a', 'b']),
  ),
  ...[tf.LogicalNot, tf.All, tf.Any].map((k) => zeroGrad(k, ['x'])),
];
