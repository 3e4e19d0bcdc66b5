/**
 * `LayerNorm` over the last dimension (torch.nn.LayerNorm with an int normalized_shape):
 * y = (x − mean) / √(var + eps) · weight + bias, biased variance.
 * Reference: Ba, Kiros & Hinton (2016) "Layer Normalization".
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';

export interface LayerNormOptions {
  /** Size of the last dimension. */
  normalizedShape: number;
  /** Added to the variance. @default 1e-5 (PyTorch's) */
  eps?: number;
  /** Learnable `weight` (ones) and `bias` (zeros). @default true */
  elementwiseAffine?: boolean;
}

export class LayerNorm extends Module {
  readonly normalizedShape: number;
  readonly eps: number;
  readonly weight: tf.Variable | null;
  readonly bias: tf.Variable | null;

  constructor(opts: LayerNormOptions) {
    super();
    const d = opts.normalizedShape;
    if (!Number.isInteger(d) || d < 1) throw new Error(`LayerNorm: normalizedShape = ${d} must be a positive integer`);
    const eps = opts.eps ?? 1e-5;
    if (!(eps >= 0)) throw new Error(`LayerNorm: eps = ${eps} must be >= 0`);
    this.normalizedShape = d;
    this.eps = eps;
    const affine = opts.elementwiseAffine ?? true;
    this.weight = affine ? this.addParameter('weight', tf.ones([d])) : null;
    this.bias = affine ? this.addParameter('bias', tf.zeros([d])) : null;
  }

  /** `[..., D] → [..., D]`. */
  forward(x: tf.Tensor): tf.Tensor {
    if (x.rank < 1 || x.shape[x.rank - 1] !== this.normalizedShape) {
      throw new Error(
        `LayerNorm.forward: x.shape = [${x.shape.join(', ')}] must end in normalizedShape = ${this.normalizedShape}`,
      );
    }
    return tf.tidy(() => {
      const mean = tf.mean(x, -1, true);
      const xc = tf.sub(x, mean);
      const variance = tf.mean(tf.square(xc), -1, true);
      let y = tf.mul(xc, tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight) y = tf.add(tf.mul(y, this.weight), this.bias as tf.Variable);
      return y;
    });
  }
}
