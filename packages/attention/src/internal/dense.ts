/**
 * A PyTorch-named linear layer (`weight [out, in]`, `bias [out]`, PyTorch's default init)
 * whose forward uses {@link linear} (plain 2-D matmuls in both passes).
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Module, init, linear } from '@wordloom/core';

export class Dense extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  constructor(opts: { inFeatures: number; outFeatures: number; bias?: boolean; seed: number }) {
    super();
    const { inFeatures, outFeatures } = opts;
    this.weight = this.addParameter(
      'weight',
      init.pytorchDefault([outFeatures, inFeatures], { fanIn: inFeatures, seed: opts.seed }),
    );
    this.bias =
      opts.bias === false
        ? null
        : this.addParameter('bias', init.pytorchDefault([outFeatures], { fanIn: inFeatures, seed: opts.seed + 1 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return linear(x, this.weight, this.bias);
  }
}
