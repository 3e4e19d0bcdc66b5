/**
 * Key masks for attention: from lengths or from boolean/0-1 tensors, checked against the
 * shapes they will mask. Convention of this package's `attention()` and the score modules:
 * 1/true = a real position that may be attended, 0/false = masked (padding), as
 * `@wordloom/core`'s `sequenceMask` and the collated batch's `mask` give it.
 * (`MultiHeadAttention` takes the same as `keyMask`, and PyTorch's opposite as `keyPaddingMask`.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkMaskConvention, sequenceMask, tidy } from '@wordloom/core';

/** Lengths of the key sequences of a batch: one per row. */
export type Lengths = number[] | Int32Array | tf.Tensor1D;

/**
 * Resolves `{ mask, lengths }` into one float32 "allowed" mask broadcastable to scores
 * `[B, Tq, Tk]`: `[B, 1, Tk]` from lengths or a `[B, Tk]` mask, `[B, Tq, Tk]` as given.
 * Returns null when neither is given.
 * @throws on a shape that doesn't match `[B, Tk]` / `[B, Tq, Tk]`, when both are given, or when
 * `mask` was made by `paddingMask` (1 = padding; this takes 1 = real key).
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
  if (lengths) {
    return tidy(() => tf.expandDims(sequenceMask(lengths, { maxLen: Tk, batchSize: B, caller: fn }), 1) as tf.Tensor3D);
  }
  if (!mask) return null;
  checkMaskConvention(fn, 'mask', mask, 'real', 'give sequenceMask(lengths) or the lengths option');
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
