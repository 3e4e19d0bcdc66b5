/**
 * Masks: from sequence lengths (1 = real token), causal (1 = may attend), and padding →
 * attention masks. Batch-first everywhere: `[B, T]`.
 */
import * as tf from '@tensorflow/tfjs-core';

export type MaskDtype = 'float32' | 'bool' | 'int32';

function lengthsArray(lengths: tf.Tensor | Int32Array | number[], fn: string): ArrayLike<number> {
  if (lengths instanceof tf.Tensor) {
    if (lengths.rank !== 1) throw new Error(`${fn}: lengths must be 1-D, got shape [${lengths.shape.join(', ')}]`);
    return lengths.dataSync();
  }
  return lengths;
}

/**
 * `[B, T]` mask with 1 where `t < lengths[b]` (PyTorch users know it as the inverse of a
 * key-padding mask).
 * @param maxLen T. @default max(lengths)
 * @param dtype @default 'float32' (multiplies straight into losses and outputs)
 * @throws if a length is negative, not an integer, or exceeds `maxLen`
 */
export function sequenceMask(
  lengths: tf.Tensor1D | Int32Array | number[],
  maxLen?: number,
  dtype: MaskDtype = 'float32',
): tf.Tensor2D {
  const fn = 'sequenceMask';
  const lens = lengthsArray(lengths, fn);
  let max = 0;
  for (let b = 0; b < lens.length; b++) {
    const l = lens[b];
    if (!Number.isInteger(l) || l < 0) throw new Error(`${fn}: lengths[${b}] = ${l} is not a non-negative integer`);
    if (l > max) max = l;
  }
  const T = maxLen ?? max;
  if (!Number.isInteger(T) || T < 0) throw new Error(`${fn}: maxLen = ${T} is not a non-negative integer`);
  const B = lens.length;
  const v = dtype === 'float32' ? new Float32Array(B * T) : new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    if (lens[b] > T) throw new Error(`${fn}: lengths[${b}] = ${lens[b]} exceeds maxLen = ${T}`);
    v.fill(1, b * T, b * T + lens[b]);
  }
  if (dtype === 'bool') return tf.tidy(() => tf.cast(tf.tensor2d(v, [B, T], 'int32'), 'bool')) as tf.Tensor2D;
  return tf.tensor2d(v, [B, T], dtype);
}

/** `[T, T]` mask with 1 where key j may be seen from query i, i.e. j <= i. @param dtype @default 'float32' */
export function causalMask(T: number, dtype: MaskDtype = 'float32'): tf.Tensor2D {
  if (!Number.isInteger(T) || T < 0) throw new Error(`causalMask: T = ${T} is not a non-negative integer`);
  const v = dtype === 'float32' ? new Float32Array(T * T) : new Int32Array(T * T);
  for (let i = 0; i < T; i++) v.fill(1, i * T, i * T + i + 1);
  if (dtype === 'bool') return tf.tidy(() => tf.cast(tf.tensor2d(v, [T, T], 'int32'), 'bool')) as tf.Tensor2D;
  return tf.tensor2d(v, [T, T], dtype);
}

export interface AttentionMaskOptions {
  /** Also forbid attending to later positions (decoder self-attention; needs Tq = Tk). @default false */
  causal?: boolean;
  /** Tq, the number of queries. @default Tk (self-attention) */
  queryLength?: number;
  /**
   * Return an additive mask (0 where allowed, this value where not) to add to attention
   * scores before the softmax, instead of a 1/0 mask. @default none (1/0 float32 mask)
   */
  additive?: number;
}

/**
 * Padding mask `[B, Tk]` (1 = real key) → attention mask `[B, 1, Tq, Tk]` that broadcasts
 * over heads: 1 where query i may attend to key j (or 0 / `additive` when additive).
 */
export function paddingToAttentionMask(keyMask: tf.Tensor, opts: AttentionMaskOptions = {}): tf.Tensor4D {
  const fn = 'paddingToAttentionMask';
  if (keyMask.rank !== 2) throw new Error(`${fn}: keyMask must be [B, Tk], got shape [${keyMask.shape.join(', ')}]`);
  const [B, Tk] = keyMask.shape;
  const Tq = opts.queryLength ?? Tk;
  if (!Number.isInteger(Tq) || Tq < 0) throw new Error(`${fn}: queryLength = ${Tq} is not a non-negative integer`);
  if (opts.causal && Tq !== Tk)
    throw new Error(`${fn}: causal needs queryLength = Tk, got queryLength = ${Tq}, Tk = ${Tk}`);
  return tf.tidy(() => {
    let m = tf.reshape(tf.cast(tf.notEqual(keyMask, 0), 'float32'), [B, 1, 1, Tk]);
    m = tf.mul(m, tf.ones([B, 1, Tq, Tk]));
    if (opts.causal) m = tf.mul(m, tf.reshape(causalMask(Tk), [1, 1, Tk, Tk]));
    if (opts.additive !== undefined) m = tf.mul(tf.sub(1, m), opts.additive);
    return m as tf.Tensor4D;
  });
}
