/**
 * Detecting NaN/Inf gradients, and refusing or skipping such steps.
 *
 * The check costs one reduction per tensor and one download of a small vector per step: the sum of a tensor
 * is finite exactly when all its elements are finite, except when finite values overflow float32 — so a
 * non-finite sum is confirmed element by element before a parameter is named.
 *
 * References: optax `apply_if_finite`; torch.cuda.amp.GradScaler (skips steps with inf/NaN gradients).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, NamedTensors, StateTree } from './types.js';
import { cloneTree } from './internal/tree.js';

/** Names of the tensors that contain NaN or ±Infinity, in map order (empty if all are finite). */
export function findNonFinite(tensors: NamedTensors): string[] {
  const names = [...tensors.keys()];
  if (names.length === 0) return [];
  const sums = tf.tidy(() => tf.stack(names.map((n) => tf.sum(tf.cast(tensors.get(n)!, 'float32')))));
  const s = sums.dataSync();
  sums.dispose();
  const bad: string[] = [];
  for (let i = 0; i < names.length; i++) {
    if (Number.isFinite(s[i])) continue;
    // Rare path: confirm on the values (the sum may have overflowed).
    const v = tensors.get(names[i])!.dataSync();
    for (let j = 0; j < v.length; j++) {
      if (!Number.isFinite(v[j])) {
        bad.push(names[i]);
        break;
      }
    }
  }
  return bad;
}

/** What to do with a step whose gradients contain NaN or ±Infinity. */
export type OnNonFinite = 'error' | 'skip';

/** The error thrown for non-finite gradients; `names` lists the parameters concerned. */
export class NonFiniteGradientError extends Error {
  constructor(
    readonly fn: string,
    readonly names: string[],
  ) {
    super(
      `${fn}: gradient of '${names[0]}' contains NaN or Infinity` +
        (names.length > 1 ? ` (also: ${names.slice(1).map((n) => `'${n}'`).join(', ')})` : '') +
        `; step refused (pass onNonFinite: 'skip' to skip such steps)`,
    );
    this.name = 'NonFiniteGradientError';
  }
}

/** Options of `applyIfFinite`. */
export interface ApplyIfFiniteOptions {
  /** `'error'` throws `NonFiniteGradientError`; `'skip'` returns zero updates and leaves the state unchanged. @default 'error' */
  onNonFinite?: OnNonFinite;
}

/** State of `applyIfFinite`. */
export interface ApplyIfFiniteState {
  [key: string]: StateTree;
  inner: StateTree;
  /** Number of steps skipped so far. */
  skipped: number;
}

/**
 * Runs `inner` only when all gradients are finite (optax `apply_if_finite`). On a non-finite step: throws
 * (default) or, with `'skip'`, returns zero updates, keeps the inner state (so schedules do not advance)
 * and counts the skip in `state.skipped`.
 */
export function applyIfFinite(
  inner: GradientTransformation,
  opts: ApplyIfFiniteOptions = {},
): GradientTransformation<ApplyIfFiniteState> {
  const mode = opts.onNonFinite ?? 'error';
  if (mode !== 'error' && mode !== 'skip') throw new Error(`applyIfFinite: onNonFinite = '${String(mode)}' must be 'error' or 'skip'`);
  return {
    init: (params) => ({ inner: inner.init(params) as StateTree, skipped: 0 }),
    update(grads, state, params) {
      const bad = findNonFinite(grads);
      if (bad.length > 0) {
        if (mode === 'error') throw new NonFiniteGradientError('applyIfFinite', bad);
        const updates: NamedTensors = new Map();
        for (const [name, g] of grads) updates.set(name, tf.zerosLike(g));
        return { updates, state: { inner: cloneTree(state.inner), skipped: state.skipped + 1 } };
      }
      const r = inner.update(grads, state.inner, params);
      return { updates: r.updates, state: { inner: r.state as StateTree, skipped: state.skipped } };
    },
  };
}
