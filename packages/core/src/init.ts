/**
 * Parameter initializers, seeded, with PyTorch's formulas (torch.nn.init).
 *
 * References: Glorot & Bengio (2010) "Understanding the difficulty of training deep
 * feedforward neural networks"; He et al. (2015) "Delving Deep into Rectifiers";
 * Saxe et al. (2014) "Exact solutions to the nonlinear dynamics of learning in deep
 * linear neural networks" (orthogonal); torch/nn/init.py for fans and gains.
 *
 * Values are drawn in JS from {@link Rng} (not tfjs's random ops) so that a seed gives the
 * same tensor on every backend. Omitting `seed` draws from the global generator
 * ({@link manualSeed}), so two layers built one after the other differ but a program is
 * still reproducible.
 */
import * as tf from '@tensorflow/tfjs-core';
import { rngFrom, type Rng } from './rng.js';

/** Nonlinearities whose recommended gain PyTorch's `calculate_gain` knows. */
export type Nonlinearity =
  'linear' | 'identity' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu' | 'conv1d' | 'conv2d' | 'conv3d';

/** PyTorch's `calculate_gain(nonlinearity, param)`. */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'identity':
    case 'sigmoid':
    case 'conv1d':
    case 'conv2d':
    case 'conv3d':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unknown nonlinearity '${String(nonlinearity)}'`);
  }
}

/**
 * PyTorch's `_calculate_fan_in_and_fan_out`: for a weight `[out, in, ...kernel]`,
 * fanIn = in·∏kernel and fanOut = out·∏kernel.
 */
export function computeFans(shape: readonly number[], fn = 'computeFans'): { fanIn: number; fanOut: number } {
  if (shape.length < 2) {
    throw new Error(`${fn}: fan in and fan out need a shape of rank >= 2, got [${shape.join(', ')}]`);
  }
  let receptive = 1;
  for (let i = 2; i < shape.length; i++) receptive *= shape[i];
  return { fanIn: shape[1] * receptive, fanOut: shape[0] * receptive };
}

function checkShape(shape: readonly number[], fn: string): number {
  if (!Array.isArray(shape)) throw new Error(`${fn}: shape must be an array of integers, got ${String(shape)}`);
  let size = 1;
  shape.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${fn}: shape[${i}] = ${d} is not a non-negative integer`);
    size *= d;
  });
  return size;
}

function fill(shape: readonly number[], fn: string, draw: (rng: Rng) => number, seed: number | undefined): tf.Tensor {
  const size = checkShape(shape, fn);
  const rng = rngFrom(seed);
  const v = new Float32Array(size);
  for (let i = 0; i < size; i++) v[i] = draw(rng);
  return tf.tensor(v, [...shape], 'float32');
}

export interface SeedOption {
  /** Seed of this draw. @default a fork of the global generator (see {@link manualSeed}) */
  seed?: number;
}
export interface NormalOptions extends SeedOption {
  /** @default 0 */
  mean?: number;
  /** @default 1 (as torch.nn.init.normal_) */
  std?: number;
}
export interface UniformOptions extends SeedOption {
  /** @default 0 (as torch.nn.init.uniform_) */
  low?: number;
  /** @default 1 */
  high?: number;
}
export interface XavierOptions extends SeedOption {
  /** Scale, e.g. `calculateGain('tanh')`. @default 1 (PyTorch's default) */
  gain?: number;
}
export interface KaimingOptions extends SeedOption {
  /** Negative slope of the rectifier after this layer (for 'leaky_relu'). @default 0 (PyTorch's default) */
  a?: number;
  /** 'fanIn' keeps the forward pass's variance, 'fanOut' the backward pass's. @default 'fanIn' */
  mode?: 'fanIn' | 'fanOut';
  /** @default 'leaky_relu' (PyTorch's default; with a = 0 it equals 'relu') */
  nonlinearity?: Nonlinearity;
}
export interface OrthogonalOptions extends SeedOption {
  /** @default 1 */
  gain?: number;
}
export interface PytorchDefaultOptions extends SeedOption {
  /** Fan-in of the layer. @default computed from the shape (rank >= 2); required for a 1-D bias */
  fanIn?: number;
}

function kaimingStd(shape: readonly number[], opts: KaimingOptions, fn: string): number {
  const { fanIn, fanOut } = computeFans(shape, fn);
  const mode = opts.mode ?? 'fanIn';
  if (mode !== 'fanIn' && mode !== 'fanOut')
    throw new Error(`${fn}: mode = '${String(mode)}' (expected 'fanIn' or 'fanOut')`);
  const fan = mode === 'fanIn' ? fanIn : fanOut;
  const gain = calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0);
  return gain / Math.sqrt(fan);
}

/** Orthogonal matrix by QR of a Gaussian matrix (torch.nn.init.orthogonal_), in float64. */
function orthogonal(shape: readonly number[], opts: OrthogonalOptions = {}): tf.Tensor {
  const fn = 'init.orthogonal';
  const size = checkShape(shape, fn);
  if (shape.length < 2) throw new Error(`${fn}: shape must have rank >= 2, got [${shape.join(', ')}]`);
  const rows = shape[0];
  const cols = size / Math.max(rows, 1);
  const gain = opts.gain ?? 1;
  const rng = rngFrom(opts.seed);
  const out = new Float32Array(size);
  if (size === 0) return tf.tensor(out, [...shape], 'float32');
  // Work on the tall orientation m x n (m >= n): columns get orthonormalized.
  const transposed = rows < cols;
  const m = transposed ? cols : rows;
  const n = transposed ? rows : cols;
  const a = new Float64Array(m * n); // row-major flat[rows, cols] (transposed if needed)
  const g = new Float64Array(size);
  for (let i = 0; i < size; i++) g[i] = rng.normal();
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      if (transposed) a[c * n + r] = g[r * cols + c];
      else a[r * n + c] = g[r * cols + c];
    }
  }
  // Modified Gram–Schmidt, run twice ("twice is enough"), keeping R's diagonal sign as
  // PyTorch does (q *= sign(diag(r))) so the result is uniformly (Haar) distributed.
  const colNorm = (j: number): number => {
    let s = 0;
    for (let i = 0; i < m; i++) s += a[i * n + j] * a[i * n + j];
    return Math.sqrt(s);
  };
  for (let j = 0; j < n; j++) {
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        let dot = 0;
        for (let i = 0; i < m; i++) dot += a[i * n + k] * a[i * n + j];
        for (let i = 0; i < m; i++) a[i * n + j] -= dot * a[i * n + k];
      }
    }
    const norm = colNorm(j);
    // The diagonal of R is this norm (positive), so the sign correction is already applied.
    for (let i = 0; i < m; i++) a[i * n + j] /= norm || 1;
  }
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      out[r * cols + c] = gain * (transposed ? a[c * n + r] : a[r * n + c]);
    }
  }
  return tf.tensor(out, [...shape], 'float32');
}

/**
 * Initializers. Each returns a new float32 `tf.Tensor` of `shape`; the caller owns it.
 * Shapes of weights follow PyTorch (`[out, in, ...]`) for the fan computations.
 */
export const init = {
  zeros(shape: number[]): tf.Tensor {
    checkShape(shape, 'init.zeros');
    return tf.zeros(shape, 'float32');
  },
  ones(shape: number[]): tf.Tensor {
    checkShape(shape, 'init.ones');
    return tf.ones(shape, 'float32');
  },
  constant(shape: number[], value: number): tf.Tensor {
    checkShape(shape, 'init.constant');
    return tf.fill(shape, value, 'float32');
  },
  normal(shape: number[], opts: NormalOptions = {}): tf.Tensor {
    const mean = opts.mean ?? 0;
    const std = opts.std ?? 1;
    if (!(std >= 0)) throw new Error(`init.normal: std = ${std} must be >= 0`);
    return fill(shape, 'init.normal', (r) => mean + std * r.normal(), opts.seed);
  },
  uniform(shape: number[], opts: UniformOptions = {}): tf.Tensor {
    const low = opts.low ?? 0;
    const high = opts.high ?? 1;
    if (!(high >= low)) throw new Error(`init.uniform: high = ${high} is below low = ${low}`);
    return fill(shape, 'init.uniform', (r) => low + (high - low) * r.uniform(), opts.seed);
  },
  /** U(-b, b), b = gain·√(6 / (fanIn + fanOut)). */
  xavierUniform(shape: number[], opts: XavierOptions = {}): tf.Tensor {
    const { fanIn, fanOut } = computeFans(shape, 'init.xavierUniform');
    const b = (opts.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
    return fill(shape, 'init.xavierUniform', (r) => b * (2 * r.uniform() - 1), opts.seed);
  },
  /** N(0, σ²), σ = gain·√(2 / (fanIn + fanOut)). */
  xavierNormal(shape: number[], opts: XavierOptions = {}): tf.Tensor {
    const { fanIn, fanOut } = computeFans(shape, 'init.xavierNormal');
    const s = (opts.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
    return fill(shape, 'init.xavierNormal', (r) => s * r.normal(), opts.seed);
  },
  /** U(-b, b), b = √3·gain/√fan. */
  kaimingUniform(shape: number[], opts: KaimingOptions = {}): tf.Tensor {
    const b = Math.sqrt(3) * kaimingStd(shape, opts, 'init.kaimingUniform');
    return fill(shape, 'init.kaimingUniform', (r) => b * (2 * r.uniform() - 1), opts.seed);
  },
  /** N(0, σ²), σ = gain/√fan. */
  kaimingNormal(shape: number[], opts: KaimingOptions = {}): tf.Tensor {
    const s = kaimingStd(shape, opts, 'init.kaimingNormal');
    return fill(shape, 'init.kaimingNormal', (r) => s * r.normal(), opts.seed);
  },
  /** Rows (or columns, whichever are fewer) orthonormal, times `gain`; rank >= 2 (trailing dims flattened). */
  orthogonal,
  /**
   * PyTorch's default for Linear/RNN weights and biases: U(-1/√fanIn, 1/√fanIn)
   * (what `kaiming_uniform_(a=√5)` reduces to).
   */
  pytorchDefault(shape: number[], opts: PytorchDefaultOptions = {}): tf.Tensor {
    const fanIn = opts.fanIn ?? computeFans(shape, 'init.pytorchDefault').fanIn;
    if (!(fanIn > 0)) throw new Error(`init.pytorchDefault: fanIn = ${fanIn} must be > 0`);
    const b = 1 / Math.sqrt(fanIn);
    return fill(shape, 'init.pytorchDefault', (r) => b * (2 * r.uniform() - 1), opts.seed);
  },
};
