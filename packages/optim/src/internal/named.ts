/**
 * Helpers for name-keyed tensor maps.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NamedTensors } from '../types.js';

/** Maps each tensor of `m` through `fn` inside its own `tf.tidy`, so only the result survives. */
export function mapNamed(m: NamedTensors, fn: (x: tf.Tensor, name: string) => tf.Tensor): NamedTensors {
  const out: NamedTensors = new Map();
  try {
    for (const [name, x] of m)
      out.set(
        name,
        tf.tidy(() => fn(x, name)),
      );
  } catch (e) {
    disposeNamed(out);
    throw e;
  }
  return out;
}

/** Disposes every tensor of a named map. */
export function disposeNamed(m: NamedTensors): void {
  for (const t of m.values()) t.dispose();
}

/** Returns `params.get(name)`, or throws naming the transformation and the parameter. */
export function requireParam(params: NamedTensors | undefined, name: string, fn: string): tf.Tensor {
  if (params === undefined) {
    throw new Error(`${fn}: params are required (pass the current parameter values to update(grads, state, params))`);
  }
  const p = params.get(name);
  if (p === undefined) throw new Error(`${fn}: params has no entry for gradient '${name}'`);
  return p;
}

/** Throws unless `x` is a finite number satisfying `ok`. */
export function checkNumber(fn: string, arg: string, x: unknown, ok: (x: number) => boolean, want: string): void {
  if (typeof x !== 'number' || !Number.isFinite(x) || !ok(x)) {
    throw new Error(`${fn}: ${arg} = ${String(x)} must be ${want}`);
  }
}

/** Copies a map of per-name states, cloning tensors (new handles, shared buffers). */
export function cloneNamed(m: NamedTensors): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [k, v] of m) out.set(k, tf.clone(v));
  return out;
}

/**
 * Starts the next per-name state map: clones the entries whose names have no gradient this step
 * (torch leaves the state of a parameter without a gradient untouched).
 */
export function carryOver<T extends tf.Tensor | number>(prev: Map<string, T>, grads: NamedTensors): Map<string, T> {
  const out = new Map<string, T>();
  for (const [name, v] of prev) {
    if (!grads.has(name)) out.set(name, (typeof v === 'number' ? v : tf.clone(v)) as T);
  }
  return out;
}

/** Disposes the tensors of several maps (used on error paths). */
export function disposeAll(...maps: Array<Map<string, tf.Tensor | number> | undefined>): void {
  for (const m of maps) {
    if (m === undefined) continue;
    for (const v of m.values()) if (typeof v !== 'number') v.dispose();
  }
}
