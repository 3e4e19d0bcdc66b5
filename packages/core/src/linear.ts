/**
 * `Linear`: y = x Wᵀ + b with PyTorch's layout (weight `[out, in]`) and initialization.
 *
 * `linear`: the function behind it, for any rank, also used by the other packages' layers.
 *
 * The backward pass is hand-written (`tf.customGrad`) so that every matmul is a plain
 * 2-D `[m,k]·[k,n]` product: on the wasm backend a matmul with a transpose flag or a batch
 * dimension runs at 1.6–2.4 GFLOP/s vs 25–30 for the plain form (measured: 4096×256×1024
 * took 88 ms plain, 1481 ms with `transposeB`), and tfjs's own MatMul gradient uses the
 * flagged forms. The explicit transposes cost one memory pass each.
 *
 * References: PyTorch `torch.nn.functional.linear`, `torch.nn.Linear`; tfjs-core `customGrad`.
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

function checkShapes(x: tf.Tensor, weight: tf.Tensor, bias: tf.Tensor | null | undefined): void {
  if (!(x instanceof tf.Tensor) || x.rank < 1) throw new Error(`linear: x must be a tensor [..., in] of rank >= 1`);
  if (!(weight instanceof tf.Tensor) || weight.rank !== 2)
    throw new Error(`linear: weight must be [out, in], got shape [${weight?.shape?.join(', ')}]`);
  const inF = weight.shape[1];
  if (x.shape[x.rank - 1] !== inF) {
    throw new Error(
      `linear: input last dim ${x.shape[x.rank - 1]} (shape [${x.shape.join(', ')}]) does not match weight in-features ${inF}`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== weight.shape[0])) {
    throw new Error(
      `linear: bias shape [${bias.shape.join(', ')}] does not match weight out-features ${weight.shape[0]}`,
    );
  }
}

/**
 * Rows up to which the forward multiplies with the transpose flag instead of transposing the
 * weight: the flagged product costs ≈ N·in·out / 1.5 GFLOP/s, the explicit transpose ≈ 10 ns
 * per weight element, so for N ≤ 8 (incremental decoding, one RNN step of a small batch) the
 * flag wins. The backward is plain either way.
 */
const FLAGGED_MAX_ROWS = 8;

function forwardProduct(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (x.shape[0] <= FLAGGED_MAX_ROWS) return tf.matMul(x, w, false, true);
  const wt = tf.transpose(w); // [in, out]
  const y = tf.matMul(x, wt) as tf.Tensor2D;
  wt.dispose();
  return y;
}

/**
 * db = Σ_rows dy as a plain matmul `1ᵀ dy`: wasm reduces only over the last axis, so
 * `sum(dy, 0)` transposes dy first (measured: ≈ 10× slower than the matmul for [4096, 1024]).
 */
function biasGrad(dy: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.reshape(tf.matMul(tf.ones([1, dy.shape[0]]), dy), [dy.shape[1]]) as tf.Tensor1D);
}

/** dW = dyᵀ x  [out, in], transposing whichever operand is smaller. */
function weightGrad(dy: tf.Tensor2D, x: tf.Tensor2D): tf.Tensor2D {
  const [, out] = dy.shape;
  const [, inF] = x.shape;
  return tf.tidy(() => {
    if (out <= inF) return tf.matMul(tf.transpose(dy), x); // [out, N]·[N, in]
    return tf.transpose(tf.matMul(tf.transpose(x), dy)) as tf.Tensor2D; // ([in, N]·[N, out])ᵀ
  });
}

const linearNoBias = customGrad(([x, w], save) => {
  const y = forwardProduct(x as tf.Tensor2D, w as tf.Tensor2D);
  save([x, w]);
  return {
    value: y,
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, ws), weightGrad(dy as tf.Tensor2D, xs)]; // [N, out]·[out, in]: plain
    },
  };
});

const linearBias = customGrad(([x, w, b], save) => {
  const xw = forwardProduct(x as tf.Tensor2D, w as tf.Tensor2D);
  const y = tf.add(xw, b);
  xw.dispose();
  save([x, w]);
  return {
    value: y,
    gradFunc: (dy, saved) => {
      const [xs, ws] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return [tf.matMul(d, ws), weightGrad(d, xs), biasGrad(d)];
    },
  };
});

/**
 * `y = x·Wᵀ + b` over the last axis of `x` (any rank ≥ 1), weight `[out, in]` as PyTorch stores
 * it, bias `[out]` or none: `[..., in] → [..., out]` (PyTorch's `torch.nn.functional.linear`).
 * Gradients flow to `x`, `weight` and `bias` (Variables or not) through a hand-written backward
 * made only of plain 2-D matmuls (the leading axes are flattened to rows first). For layers that
 * hold their own weights; {@link Linear} is the module.
 * @throws when `weight` is not 2-D, `x`'s last dim differs from `weight.shape[1]`, or `bias` is not `[out]`.
 */
export function linear<R extends tf.Rank = tf.Rank>(
  x: tf.Tensor<R>,
  weight: tf.Tensor,
  bias?: tf.Tensor | null,
): tf.Tensor<R> {
  checkShapes(x, weight, bias);
  return tf.tidy(() => {
    const inF = weight.shape[1] as number;
    const out = weight.shape[0] as number;
    const x2 = x.rank === 2 ? x : tf.reshape(x, [-1, inF]);
    const y = bias ? linearBias(x2, weight, bias) : linearNoBias(x2, weight);
    if (x.rank === 2) return y as tf.Tensor<R>;
    const shape: number[] = [...x.shape.slice(0, -1), out];
    return tf.reshape<tf.Rank>(y, shape) as tf.Tensor<R>;
  });
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
    return linear(x, this.weight, this.bias);
  }
}
