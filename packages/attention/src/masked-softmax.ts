/**
 * Softmax over the last axis that gives masked positions exactly zero weight and a fully
 * masked row all zeros (never NaN, unlike `softmax(scores + -inf)` in PyTorch).
 *
 * How: masked scores are replaced by adding −1e30 (so `exp` underflows to exactly 0 whenever
 * the row has at least one real position), the fused softmax kernel runs, and the result is
 * multiplied by the 0/1 mask, which zeroes the rows that had no real position (those came
 * out uniform). Gradients through masked positions are exactly zero.
 *
 * On the backends whose data can be read synchronously (wasm, cpu) the masked softmax is one op
 * with a hand-written backward — `dscores = y ⊙ (dy − Σ y ⊙ dy)` per row, one loop — instead of
 * the gradients of the mask multiply and of softmax (four more ops over the whole
 * `[B, H, Tq, Tk]` tensor, two of them broadcasts); and the multiply by the mask is skipped when a
 * small mask shows that no row is fully masked. Same values and gradients within float32
 * rounding ({@link setFusedMaskedSoftmax} switches it off).
 */
import * as tf from '@tensorflow/tfjs-core';
import { emptyFloat32Tensor, fusedSoftmaxBackward, readFloat32View, tidy, wasmFloat32View } from '@wordloom/core';

/** Large negative number added to masked scores; finite so that `x - max` never becomes NaN. */
export const MASK_NEG = -1e30;

let fusedOn = true;

/** Turns the fused masked softmax (one op, hand-written backward) on or off; returns the previous setting. @default true */
export function setFusedMaskedSoftmax(on: boolean): boolean {
  const prev = fusedOn;
  fusedOn = on;
  return prev;
}

function fusedHere(): boolean {
  if (!fusedOn) return false;
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

/** Masks up to this many values are checked for fully masked rows (one synchronous read). */
const CHECK_MAX = 1 << 16;

/** Whether some row (last axis) of the 0/1 mask `a` has no allowed position; true when `a` is too large to check. */
function someRowFullyMasked(a: tf.Tensor): boolean {
  if (a.size > CHECK_MAX || a.rank === 0) return true;
  const v = a.dataSync();
  const n = a.shape[a.rank - 1];
  for (let r = 0; r < v.length; r += n) {
    let any = false;
    for (let j = 0; j < n && !any; j++) any = v[r + j] !== 0;
    if (!any) return true;
  }
  return false;
}

/** `dx = y ⊙ (dy − Σ_row y ⊙ dy)` for rows of length n (softmax's backward, given its output y). */
export function softmaxRowsBackward(y: ArrayLike<number>, dy: ArrayLike<number>, n: number, dx: Float32Array): void {
  for (let o = 0; o < dx.length; o += n) {
    let s = 0;
    for (let j = 0; j < n; j++) s += y[o + j] * dy[o + j];
    for (let j = 0; j < n; j++) dx[o + j] = y[o + j] * (dy[o + j] - s);
  }
}

/**
 * Softmax over the last axis of `scores` with an optional `allowed` mask (1/true = may
 * attend, 0/false = masked), broadcastable to `scores`.
 * @returns weights of `scores`' shape; masked positions 0; rows with no allowed position all 0.
 */
export function maskedSoftmax(scores: tf.Tensor, allowed?: tf.Tensor | null): tf.Tensor {
  if (!allowed) return tf.softmax(scores);
  return tidy(() => {
    const a = allowed.dtype === 'float32' ? allowed : tf.cast(allowed, 'float32');
    const bias = tf.mul(tf.sub(1, a), MASK_NEG); // 0 where allowed, −1e30 where masked
    if (!fusedHere() || scores.dtype !== 'float32' || scores.rank < 1) {
      const w = tf.softmax(tf.add(scores, bias));
      return tf.mul(w, a);
    }
    const zeroRows = someRowFullyMasked(a);
    const n = scores.shape[scores.rank - 1];
    const op = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
      const y = tidy(() => {
        const w = tf.softmax(tf.add(s, bias));
        return zeroRows ? tf.mul(w, a) : w;
      });
      save([y]);
      return {
        value: y,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          // On wasm dx is allocated in the backend's heap and y, dy and dx are read and written
          // in place (views taken after that allocation): no copies out of the heap and back
          // (three of [B, H, Tq, Tk] per call); elsewhere arrays.
          const g = (dy as tf.Tensor).dtype === 'float32' ? (dy as tf.Tensor) : tf.cast(dy as tf.Tensor, 'float32');
          const simd = fusedSoftmaxBackward(saved[0], g); // wasm, rows of a multiple of 4: core's SIMD kernel
          if (simd) return [simd];
          const out = emptyFloat32Tensor(saved[0].shape);
          const yv = readFloat32View(saved[0]);
          const dyv = readFloat32View(g);
          const dxv = out ? wasmFloat32View(out) : null;
          if (out && dxv) {
            softmaxRowsBackward(yv, dyv, n, dxv);
            return [out];
          }
          out?.dispose();
          const dx = new Float32Array(yv.length);
          softmaxRowsBackward(yv, dyv, n, dx);
          return [tf.tensor(dx, saved[0].shape, 'float32')];
        },
      };
    }) as Parameters<typeof tf.customGrad>[0]);
    return op(scores);
  });
}
