import * as tf from '@tensorflow/tfjs-core';
import { tidy } from './tidy.js';

/** Token ids as an int32 tensor `[B, T]`: a tensor, or equal-length `Int32Array`s / arrays. */
export type TokenIds = tf.Tensor | Int32Array[] | number[][];

export function toIds(fn: string, ids: TokenIds): tf.Tensor2D {
  if (ids instanceof tf.Tensor) {
    if (ids.rank !== 2) throw new Error(`${fn}: ids must be [B, T], got shape [${ids.shape.join(', ')}]`);
    return (ids.dtype === 'int32' ? ids.clone() : tf.cast(ids, 'int32')) as tf.Tensor2D;
  }
  const B = ids.length;
  if (B === 0) throw new Error(`${fn}: ids is empty`);
  const T = ids[0].length;
  const data = new Int32Array(B * T);
  ids.forEach((row, b) => {
    if (row.length !== T) throw new Error(`${fn}: ids[${b}] has length ${row.length}, expected ${T} (pad the batch)`);
    data.set(row, b * T);
  });
  return tf.tensor2d(data, [B, T], 'int32');
}

/** Float `[B, T]` padding mask, 1 = padding (PyTorch's key_padding_mask convention). */
export function paddingFromLengths(
  fn: string,
  lengths: ArrayLike<number> | tf.Tensor,
  B: number,
  T: number,
): tf.Tensor2D {
  const arr = lengths instanceof tf.Tensor ? Array.from(lengths.dataSync()) : Array.from(lengths);
  if (arr.length !== B) throw new Error(`${fn}: lengths has ${arr.length} entries, batch has ${B}`);
  const data = new Float32Array(B * T);
  arr.forEach((L, b) => {
    if (!Number.isInteger(L) || L < 0 || L > T)
      throw new Error(`${fn}: lengths[${b}] = ${L} must be an integer in [0, T = ${T}]`);
    data.fill(1, b * T + L, (b + 1) * T);
  });
  return tf.tensor2d(data, [B, T]);
}

/** Float `[B, T]` padding mask (1 = padding) from a "real" mask (1 = real token). */
export function paddingFromMask(fn: string, mask: tf.Tensor, B: number, T: number): tf.Tensor2D {
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)
    throw new Error(`${fn}: mask shape [${mask.shape.join(', ')}] must be [B, T] = [${B}, ${T}]`);
  return tidy(() => tf.cast(tf.equal(mask, 0), 'float32') as tf.Tensor2D);
}

/**
 * Disposes every tensor in a decoding state (any tree of objects, arrays and tensors), e.g.
 * one returned by `TransformerLM.step` or `Seq2SeqTransformer.step`.
 */
export function disposeState(state: unknown): void {
  if (state instanceof tf.Tensor) {
    if (!state.isDisposed) state.dispose();
  } else if (Array.isArray(state)) {
    for (const s of state) disposeState(s);
  } else if (state !== null && typeof state === 'object') {
    for (const v of Object.values(state)) disposeState(v);
  }
}
