/**
 * Gradient clipping: by global norm (torch.nn.utils.clip_grad_norm_) and by value (clip_grad_value_).
 *
 * References: torch/nn/utils/clip_grad.py (torch 1.13); optax `clip_by_global_norm`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, NamedTensors, StateTree } from './types.js';
import { checkNumber, mapNamed } from './internal/named.js';
import { isTensor } from './internal/tree.js';

/**
 * The L2 norm of all tensors together, `sqrt(Σ Σ x²)`, as a scalar tensor (no download).
 * Empty input gives 0.
 */
export function globalNorm(tensors: NamedTensors | tf.Tensor[]): tf.Scalar {
  const list = Array.isArray(tensors) ? tensors : [...tensors.values()];
  return tf.tidy(() => {
    if (list.length === 0) return tf.scalar(0);
    const sq = list.map((t) => tf.sum(tf.square(t)));
    return tf.sqrt(sq.length === 1 ? sq[0] : tf.addN(sq)) as tf.Scalar;
  });
}

/** Options of `clipByGlobalNorm`. */
export interface ClipByGlobalNormOptions {
  /** Largest allowed global L2 norm of the gradients (torch `max_norm`). Required. */
  maxNorm: number;
}

/** State of `clipByGlobalNorm`: the global norm of the last gradients, before clipping (for logging). */
export interface ClipByGlobalNormState {
  [key: string]: StateTree;
  globalNorm: tf.Scalar;
}

/**
 * Scales all gradients by `min(1, maxNorm / (norm + 1e-6))`, where `norm` is their global L2 norm — exactly
 * torch's `clip_grad_norm_` (including its 1e-6 and the unconditional multiply, which avoids a device sync).
 * The pre-clip norm is kept in the state as `globalNorm` (read it with `readGlobalNorm(state)`).
 */
export function clipByGlobalNorm(opts: ClipByGlobalNormOptions): GradientTransformation<ClipByGlobalNormState> {
  const maxNorm = opts?.maxNorm;
  checkNumber('clipByGlobalNorm', 'maxNorm', maxNorm, (x) => x > 0, '> 0');
  return {
    init: () => ({ globalNorm: tf.scalar(0) }),
    update(grads) {
      const norm = globalNorm(grads);
      const coef = tf.tidy(() => tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1));
      try {
        return { updates: mapNamed(grads, (g) => tf.mul(g, coef)), state: { globalNorm: norm } };
      } finally {
        coef.dispose();
      }
    },
  };
}

/**
 * Reads the pre-clip global norm from the first `clipByGlobalNorm` state found in an optimizer state
 * (depth first), downloading one number; `undefined` if the state has none.
 */
export function readGlobalNorm(state: StateTree): number | undefined {
  let found: tf.Tensor | undefined;
  const visit = (s: StateTree): void => {
    if (found !== undefined || s === null || typeof s !== 'object' || isTensor(s)) return;
    if (Array.isArray(s)) return s.forEach(visit);
    if (s instanceof Map) return [...s.values()].forEach(visit);
    const g = (s as { globalNorm?: StateTree }).globalNorm;
    if (isTensor(g) && g.rank === 0) {
      found = g;
      return;
    }
    Object.values(s).forEach(visit);
  };
  visit(state);
  return found === undefined ? undefined : found.dataSync()[0];
}

/** Options of `clipByValue`. */
export interface ClipByValueOptions {
  /** Lower bound. Required. torch's `clip_grad_value_(v)` is `{ min: -v, max: v }`. */
  min: number;
  /** Upper bound. Required. */
  max: number;
}

/** Clips every gradient element to `[min, max]`. State: `null`. */
export function clipByValue(opts: ClipByValueOptions): GradientTransformation<null> {
  checkNumber('clipByValue', 'min', opts?.min, () => true, 'a finite number');
  checkNumber('clipByValue', 'max', opts?.max, (x) => x >= opts.min, `>= min (${opts?.min})`);
  return {
    init: () => null,
    update: (grads) => ({ updates: mapNamed(grads, (g) => tf.clipByValue(g, opts.min, opts.max)), state: null }),
  };
}
