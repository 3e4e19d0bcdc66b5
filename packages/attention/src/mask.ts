/**
 * Key masks for attention: from lengths or from boolean/0-1 tensors, checked against the
 * shapes they will mask. Convention of this package's `attention()` and the score modules:
 * 1/true = a real position that may be attended, 0/false = masked (padding), as
 * `@wordloom/core`'s `sequenceMask` and the collated batch's `mask` give it.
 * (`MultiHeadAttention` follows PyTorch instead: there `keyPaddingMask` true = ignore.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy } from './internal/tidy.js';

/** Lengths of the key sequences of a batch: one per row. */
export type Lengths = number[] | Int32Array | tf.Tensor1D;

function lengthsArray(fn: string, lengths: Lengths): Int32Array {
  const arr = lengths instanceof tf.Tensor ? Int32Array.from(lengths.dataSync()) : Int32Array.from(lengths);
  return arr;
}

/**
 * `[B, T]` float32 mask with 1 at positions `t < lengths[b]`.
 * @throws when a length is negative, not an integer, or exceeds `T`, or when `B` mismatches.
 */
export function maskFromLengths(
  lengths: Lengths,
  T: number,
  opts: { batchSize?: number; fn?: string } = {},
): tf.Tensor2D {
  const fn = opts.fn ?? 'maskFromLengths';
  const arr = lengthsArray(fn, lengths);
  if (opts.batchSize !== undefined && arr.length !== opts.batchSize) {
    throw new Error(`${fn}: lengths has ${arr.length} entries but the batch size is ${opts.batchSize}`);
  }
  const data = new Float32Array(arr.length * T);
  for (let b = 0; b < arr.length; b++) {
    const L = arr[b];
    if (!Number.isInteger(L) || L < 0 || L > T)
      throw new Error(`${fn}: lengths[${b}] = ${L} must be an integer in [0, T = ${T}]`);
    data.fill(1, b * T, b * T + L);
  }
  return tf.tensor2d(data, [arr.length, T]);
}

/**
 * Resolves `{ mask, lengths }` into one float32 "allowed" mask broadcastable to scores
 * `[B, Tq, Tk]`: `[B, 1, Tk]` from lengths or a `[B, Tk]` mask, `[B, Tq, Tk]` as given.
 * Returns null when neither is given.
 * @throws on a shape that doesn't match `[B, Tk]` / `[B, Tq, Tk]`, or when both are given.
 */
export function resolveKeyMask(
  fn: string,
  B: number,
  Tq: number,
  Tk: number,
  mask: tf.Tensor | null | undefined,
  lengths: Lengths | null | undefined,
): tf.Tensor3D | null {
  if (mask && lengths) throw new Error(`${fn}: give either mask or lengths, not both`);
  if (lengths) return tidy(() => tf.expandDims(maskFromLengths(lengths, Tk, { batchSize: B, fn }), 1) as tf.Tensor3D);
  if (!mask) return null;
  const s = mask.shape;
  const ok2 = mask.rank === 2 && s[0] === B && s[1] === Tk;
  const ok3 = mask.rank === 3 && s[0] === B && (s[1] === Tq || s[1] === 1) && s[2] === Tk;
  if (!ok2 && !ok3) {
    throw new Error(
      `${fn}: mask shape [${s.join(', ')}] must be [B, Tk] = [${B}, ${Tk}] or [B, Tq, Tk] = [${B}, ${Tq}, ${Tk}]`,
    );
  }
  return tidy(() => {
    const f = mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32');
    return (ok2 ? tf.expandDims(f, 1) : f.clone()) as tf.Tensor3D;
  });
}
