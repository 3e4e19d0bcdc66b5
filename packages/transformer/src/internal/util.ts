import * as tf from '@tensorflow/tfjs-core';
import { checkMaskConvention, disposeTensors, markMask, paddingMask, tidy } from '@wordloom/core';

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

/** What the layers' `*KeyPaddingMask` errors suggest. */
export const PADDING_HINT = 'build it with paddingMask(lengths), or give the model lengths or a 1 = real mask';

/** Float `[B, T]` padding mask, 1 = padding (PyTorch's key_padding_mask convention), marked as such. */
export function paddingFromLengths(
  fn: string,
  lengths: ArrayLike<number> | tf.Tensor1D,
  B: number,
  T: number,
): tf.Tensor2D {
  return paddingMask(lengths, { maxLen: T, batchSize: B, caller: fn });
}

/** Float `[B, T]` padding mask (1 = padding) from a "real" mask (1 = real token). */
export function paddingFromMask(fn: string, mask: tf.Tensor, B: number, T: number): tf.Tensor2D {
  if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== T)
    throw new Error(`${fn}: mask shape [${mask.shape.join(', ')}] must be [B, T] = [${B}, ${T}]`);
  checkMaskConvention(fn, 'mask', mask, 'real', 'give 1 = real token masks here (sequenceMask(lengths))');
  return markMask(
    tidy(() => tf.cast(tf.equal(mask, 0), 'float32') as tf.Tensor2D),
    'padding',
  );
}

/**
 * Disposes every tensor in a decoding state (any tree of objects, arrays and tensors), e.g.
 * one returned by `TransformerLM.step` or `Seq2SeqTransformer.step`.
 */
export function disposeState(state: unknown): void {
  disposeTensors(state);
}
