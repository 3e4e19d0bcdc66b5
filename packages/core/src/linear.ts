/**
 * `Linear`: y = x Wᵀ + b with PyTorch's layout (weight `[out, in]`) and initialization.
 *
 * The backward pass is hand-written (`tf.customGrad`) so that every matmul is a plain
 * 2-D `[m,k]·[k,n]` product: on the wasm backend a matmul with a transpose flag or a batch
 * dimension runs at 1.6–2.4 GFLOP/s vs 25–30 for the plain form (see
 * `../shared/ECOSYSTEM.md`), and tfjs's own MatMul gradient uses the flagged forms.
 * The explicit transposes cost one memory pass each.
 */
import * as tf from '@tensorflow/tfjs-core';
import { init } from './init.js';
import { Module } from './module.js';
import { rngFrom } from './rng.js';
import { customGrad } from './internal/custom-grad.js';

export interface LinearOptions {
  inFeatures: number;
  outFeatures: number;
  /** Add a learnable bias. @default true (as PyTorch) */
  bias?: boolean;
  /** Seed of the initialization. @default a fork of the global generator */
  seed?: number;
}

/**
 * y = x·Wᵀ + b for a 2-D x `[N, in]`, weight `[out, in]`, bias `[out]` (or none), with a
 * backward made only of plain 2-D matmuls. Exported for layers that hold their own weights.
 */
export function linear(x: tf.Tensor2D, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  if (bias === undefined) {
    const f = customGrad(([xx, ww], save) => {
      const x2 = xx as tf.Tensor2D;
      const w2 = ww as tf.Tensor2D;
      save([x2, w2]);
      return {
        value: tf.matMul(x2, tf.transpose(w2)), // [N, out]
        gradFunc: (dy, saved) => {
          const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
          const d = dy as tf.Tensor2D;
          return [tf.matMul(d, sw), tf.matMul(tf.transpose(d), sx)]; // [N, in], [out, in]
        },
      };
    });
    return f(x, weight) as tf.Tensor2D;
  }
  const f = customGrad(([xx, ww, bb], save) => {
    const x2 = xx as tf.Tensor2D;
    const w2 = ww as tf.Tensor2D;
    save([x2, w2]);
    return {
      value: tf.add(tf.matMul(x2, tf.transpose(w2)), bb), // [N, out]
      gradFunc: (dy, saved) => {
        const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
        const d = dy as tf.Tensor2D;
        return [tf.matMul(d, sw), tf.matMul(tf.transpose(d), sx), tf.sum(d, 0)];
      },
    };
  });
  return f(x, weight, bias) as tf.Tensor2D;
}

export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  readonly weight: tf.Variable; // [out, in]
  readonly bias: tf.Variable | null; // [out]

  constructor(opts: LinearOptions) {
    super();
    const { inFeatures, outFeatures } = opts;
    for (const [k, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Linear: ${k} = ${v} must be a positive integer`);
    }
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = rngFrom(opts.seed);
    // PyTorch: kaiming_uniform_(a=√5) on the weight and U(±1/√in) on the bias, both = U(±1/√in).
    this.weight = this.addParameter(
      'weight',
      init.pytorchDefault([outFeatures, inFeatures], { seed: rng.nextUint32() }),
    );
    this.bias =
      (opts.bias ?? true)
        ? this.addParameter('bias', init.pytorchDefault([outFeatures], { fanIn: inFeatures, seed: rng.nextUint32() }))
        : null;
  }

  /** `[..., in] → [..., out]`. */
  forward(x: tf.Tensor): tf.Tensor {
    const last = x.shape[x.rank - 1];
    if (x.rank < 1 || last !== this.inFeatures) {
      throw new Error(`Linear.forward: x.shape = [${x.shape.join(', ')}] must end in inFeatures = ${this.inFeatures}`);
    }
    return tf.tidy(() => {
      const x2 = tf.reshape(x, [-1, this.inFeatures]) as tf.Tensor2D; // [N, in]
      const y = linear(x2, this.weight as tf.Tensor2D, (this.bias ?? undefined) as tf.Tensor1D | undefined);
      return x.rank === 2 ? y : tf.reshape(y, [...x.shape.slice(0, -1), this.outFeatures]);
    });
  }
}
