/**
 * Composition of gradient transformations: `chain`, `identity`, `multiTransform`, and `applyUpdates`.
 *
 * References: optax `chain`, `multi_transform`, `apply_updates`
 * (https://github.com/google-deepmind/optax/blob/main/optax/_src/combine.py).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, NamedTensors, StateTree } from './types.js';
import { cloneNamed, disposeNamed } from './internal/named.js';
import { disposeTree } from './internal/tree.js';

/** The transformation that passes gradients through unchanged (as new handles). State: `null`. */
export function identity(): GradientTransformation<null> {
  return {
    init: () => null,
    update: (grads) => ({ updates: cloneNamed(grads), state: null }),
  };
}

/**
 * Composes transformations left to right: the updates of one are the gradients of the next.
 * The state is the array of the inner states, in the same order.
 *
 * @example chain(clipByGlobalNorm({ maxNorm: 1 }), scaleByAdam(), scaleByLearningRate(1e-3))
 */
export function chain(...transformations: GradientTransformation[]): GradientTransformation<StateTree[]> {
  return {
    init: (params) => transformations.map((t) => t.init(params) as StateTree),
    update(grads, state, params) {
      if (!Array.isArray(state) || state.length !== transformations.length) {
        throw new Error(
          `chain: state has ${Array.isArray(state) ? state.length : typeof state} entries, expected an array of ${transformations.length}`,
        );
      }
      let updates = grads;
      const next: StateTree[] = [];
      try {
        for (let i = 0; i < transformations.length; i++) {
          const r = transformations[i].update(updates, state[i], params);
          if (updates !== grads) disposeNamed(updates);
          updates = r.updates;
          next.push(r.state as StateTree);
        }
      } catch (e) {
        if (updates !== grads) disposeNamed(updates);
        for (const s of next) disposeTree(s);
        throw e;
      }
      return { updates: updates === grads ? cloneNamed(grads) : updates, state: next };
    },
  };
}

/**
 * Applies a different transformation to each group of parameters (optax `multi_transform`). `label(name)`
 * names the group of a parameter; every group is updated on every step, with only its own parameters
 * (possibly none), so per-group schedules advance together as in torch's parameter groups.
 * The state is a `Map` from label to the group's state.
 *
 * @throws if `label(name)` returns a label with no transformation.
 */
export function multiTransform(
  transformations: Map<string, GradientTransformation>,
  label: (name: string) => string,
): GradientTransformation<Map<string, StateTree>> {
  const split = (m: NamedTensors | undefined): Map<string, NamedTensors> => {
    const parts = new Map<string, NamedTensors>();
    for (const key of transformations.keys()) parts.set(key, new Map());
    if (m === undefined) return parts;
    for (const [name, t] of m) {
      const l = label(name);
      const part = parts.get(l);
      if (part === undefined) {
        throw new Error(
          `multiTransform: label('${name}') = '${l}' has no transformation (labels: ${[...transformations.keys()].join(', ')})`,
        );
      }
      part.set(name, t);
    }
    return parts;
  };
  return {
    init(params) {
      const parts = split(params);
      const state = new Map<string, StateTree>();
      for (const [key, t] of transformations) state.set(key, t.init(parts.get(key)!) as StateTree);
      return state;
    },
    update(grads, state, params) {
      const gParts = split(grads);
      const pParts = params === undefined ? undefined : split(params);
      const byName: NamedTensors = new Map();
      const next = new Map<string, StateTree>();
      try {
        for (const [key, t] of transformations) {
          if (!state.has(key)) throw new Error(`multiTransform: state has no entry for label '${key}'`);
          const r = t.update(gParts.get(key)!, state.get(key)!, pParts?.get(key));
          for (const [name, u] of r.updates) byName.set(name, u);
          next.set(key, r.state as StateTree);
        }
      } catch (e) {
        disposeNamed(byName);
        disposeTree(next);
        throw e;
      }
      // Updates in the order of the gradients, whatever the groups.
      const updates: NamedTensors = new Map();
      for (const name of grads.keys()) if (byName.has(name)) updates.set(name, byName.get(name)!);
      return { updates, state: next };
    },
  };
}

/**
 * Adds updates to parameters: returns new tensors `params[name] + updates[name]` for every name in `updates`
 * (optax `apply_updates`). Does not dispose anything. For `tf.Variable`s, `Optimizer` assigns in place instead.
 *
 * @throws if an update has no parameter of that name or a different shape.
 */
export function applyUpdates(params: NamedTensors, updates: NamedTensors): NamedTensors {
  const out: NamedTensors = new Map();
  for (const [name, p] of params) {
    const u = updates.get(name);
    if (u !== undefined) {
      if (!tf.util.arraysEqual(u.shape, p.shape)) {
        for (const t of out.values()) t.dispose();
        throw new Error(`applyUpdates: updates['${name}'] has shape [${u.shape}], params has [${p.shape}]`);
      }
      out.set(name, tf.add(p, u));
    } else {
      out.set(name, tf.clone(p));
    }
  }
  for (const name of updates.keys()) {
    if (!params.has(name)) {
      for (const t of out.values()) t.dispose();
      throw new Error(`applyUpdates: updates['${name}'] has no parameter of that name`);
    }
  }
  return out;
}
