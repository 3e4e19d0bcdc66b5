/**
 * Positional information for transformers:
 * - sinusoidal encodings (Vaswani et al. 2017 §3.5): PE(pos, 2i) = sin(pos / 10000^(2i/d)),
 *   PE(pos, 2i+1) = cos(pos / 10000^(2i/d)) — added to the embeddings, no parameters;
 * - learned absolute position embeddings (GPT-2's `wpe`): a `[maxLen, d]` table, `weight`;
 * - rotary embeddings, RoPE (Su et al. 2021, "RoFormer"), in the GPT-NeoX "rotate half" layout:
 *   queries and keys of each head are rotated by position-dependent angles
 *   θ_i = base^(−2i/dh) so their dot product depends only on the relative offset.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, Module, init } from '@wordloom/core';

/**
 * The sinusoidal table `[T, dModel]` for positions `offset … offset+T−1` (computed in float64, stored float32).
 * @throws when dModel is not a positive even integer.
 */
export function sinusoidalEncoding(
  T: number,
  dModel: number,
  opts: { offset?: number; base?: number } = {},
): tf.Tensor2D {
  if (!Number.isInteger(dModel) || dModel < 2 || dModel % 2 !== 0)
    throw new Error(`sinusoidalEncoding: dModel = ${dModel} must be a positive even integer`);
  const offset = opts.offset ?? 0;
  const base = opts.base ?? 10000;
  const data = new Float32Array(T * dModel);
  for (let t = 0; t < T; t++) {
    const pos = t + offset;
    for (let i = 0; i < dModel / 2; i++) {
      const angle = pos / Math.pow(base, (2 * i) / dModel);
      data[t * dModel + 2 * i] = Math.sin(angle);
      data[t * dModel + 2 * i + 1] = Math.cos(angle);
    }
  }
  return tf.tensor2d(data, [T, dModel]);
}

/** Adds the sinusoidal encoding to `x [B, T, d]` (positions from `offset`). No parameters. */
export class SinusoidalPositionalEncoding extends Module {
  readonly dModel: number;
  constructor(opts: { dModel: number }) {
    super();
    if (opts.dModel % 2 !== 0) throw new Error(`SinusoidalPositionalEncoding: dModel = ${opts.dModel} must be even`);
    this.dModel = opts.dModel;
  }
  forward(x: tf.Tensor, opts: { offset?: number } = {}): tf.Tensor {
    const T = x.shape[1] as number;
    return tidy(() => tf.add(x, sinusoidalEncoding(T, this.dModel, { offset: opts.offset })));
  }
}

/** Learned absolute positions: parameter `weight [maxLen, dModel]` (normal, std 0.02 as GPT-2). */
export class LearnedPositionalEncoding extends Module {
  readonly weight: tf.Variable;
  readonly maxLen: number;
  constructor(opts: { maxLen: number; dModel: number; seed?: number }) {
    super();
    this.maxLen = opts.maxLen;
    this.weight = this.addParameter(
      'weight',
      init.normal([opts.maxLen, opts.dModel], { mean: 0, std: 0.02, seed: opts.seed ?? 0 }),
    );
  }
  /** `x [B, T, d]` + rows `offset … offset+T−1`. @throws when offset + T exceeds maxLen. */
  forward(x: tf.Tensor, opts: { offset?: number } = {}): tf.Tensor {
    const T = x.shape[1] as number;
    const offset = opts.offset ?? 0;
    if (offset + T > this.maxLen)
      throw new Error(`LearnedPositionalEncoding: positions up to ${offset + T} exceed maxLen = ${this.maxLen}`);
    return tidy(() => tf.add(x, tf.slice(this.weight, [offset, 0], [T, -1])));
  }
}

/**
 * Rotary position embedding applied to per-head queries/keys `[B, H, T, dh]` (dh even).
 * No parameters; cos/sin tables are built per call for the positions needed.
 */
export class RotaryEmbedding {
  readonly headDim: number;
  readonly base: number;
  /** @param opts.base frequency base. @default 10000 — RoFormer's. */
  constructor(opts: { headDim: number; base?: number }) {
    if (opts.headDim % 2 !== 0) throw new Error(`RotaryEmbedding: headDim = ${opts.headDim} must be even`);
    this.headDim = opts.headDim;
    this.base = opts.base ?? 10000;
  }

  /** cos and sin tables `[T, dh]` (each frequency repeated for both halves). */
  tables(T: number, offset: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    const dh = this.headDim;
    const half = dh / 2;
    const c = new Float32Array(T * dh);
    const s = new Float32Array(T * dh);
    for (let t = 0; t < T; t++) {
      for (let i = 0; i < half; i++) {
        const a = (t + offset) * Math.pow(this.base, (-2 * i) / dh);
        c[t * dh + i] = c[t * dh + i + half] = Math.cos(a);
        s[t * dh + i] = s[t * dh + i + half] = Math.sin(a);
      }
    }
    return { cos: tf.tensor2d(c, [T, dh]), sin: tf.tensor2d(s, [T, dh]) };
  }

  /** Rotates `x [B, H, T, dh]` as positions `offset … offset+T−1`: x·cos + rotate_half(x)·sin. */
  apply(x: tf.Tensor, offset = 0): tf.Tensor {
    if (x.rank !== 4 || x.shape[3] !== this.headDim)
      throw new Error(`RotaryEmbedding.apply: x must be [B, H, T, ${this.headDim}], got [${x.shape.join(', ')}]`);
    const T = x.shape[2] as number;
    const half = this.headDim / 2;
    return tidy(() => {
      const { cos, sin } = this.tables(T, offset);
      const [x1, x2] = tf.split(x, [half, half], 3);
      const rot = tf.concat([tf.neg(x2), x1], 3);
      return tf.add(tf.mul(x, cos), tf.mul(rot, sin));
    });
  }
}
