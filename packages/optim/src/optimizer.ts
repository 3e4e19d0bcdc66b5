/**
 * `Optimizer`: a thin stateful wrapper over a gradient transformation for PyTorch habits —
 * `optimizer.step(grads)` updates the variables in place; no `zeroGrad` (tfjs returns fresh gradients).
 *
 * References: torch.optim.Optimizer; optax's "apply updates" loop.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, NamedTensors, StateTree } from './types.js';
import { disposeTree } from './internal/tree.js';
import { findNonFinite, NonFiniteGradientError, type OnNonFinite } from './non-finite.js';
import { readGlobalNorm } from './clip.js';
import { deserializeState, loadState, saveState, serializeState, type SerializedState } from './state-io.js';

/** Something with named parameters, such as a `@wordloom/core` `Module`. */
export interface HasNamedParameters {
  namedParameters(): Map<string, tf.Variable>;
  trainableParameters?(): Map<string, tf.Variable>;
}

/** Options of `Optimizer`. */
export interface OptimizerOptions {
  /**
   * What a step with NaN/±Infinity gradients does: `'error'` throws `NonFiniteGradientError` naming the
   * parameter and changes nothing; `'skip'` changes nothing, counts it in `skippedSteps` and returns `{ skipped: true }`.
   * @default 'error' (a silent NaN ruins a run; failing loudly is the safe default)
   */
  onNonFinite?: OnNonFinite;
}

/** What `step` reports. */
export interface StepInfo {
  /** True when the step was skipped for non-finite gradients. */
  skipped: boolean;
  /** Names of the parameters with non-finite gradients (empty unless skipped). */
  nonFinite: string[];
}

/** Gradients: a `Map` or a plain object (what `tf.variableGrads` returns), keyed by parameter name or tfjs variable name. */
export type Gradients = Map<string, tf.Tensor> | { [name: string]: tf.Tensor };

/**
 * Owns the state of a gradient transformation for a fixed set of named variables.
 *
 * @example
 * const opt = new Optimizer(model, adamw({ lr: 1e-3 }));
 * const { value, grads } = tf.variableGrads(() => loss(model), [...model.parameters()]);
 * opt.step(grads); // grads keyed by tfjs variable names are mapped to parameter names
 */
export class Optimizer {
  /** The parameters being optimized, by name (the trainable ones when given a Module). */
  readonly params: Map<string, tf.Variable>;
  /** Steps applied (not counting skipped ones). */
  stepCount = 0;
  /** Steps skipped for non-finite gradients. */
  skippedSteps = 0;
  private readonly byVariableName = new Map<string, string>();
  private readonly onNonFinite: OnNonFinite;
  private stateTree: StateTree;
  private disposed = false;

  constructor(
    params: Map<string, tf.Variable> | HasNamedParameters,
    readonly transformation: GradientTransformation,
    opts: OptimizerOptions = {},
  ) {
    if (params instanceof Map) this.params = new Map(params);
    else if (params && typeof params.namedParameters === 'function') {
      this.params = new Map(params.trainableParameters ? params.trainableParameters() : params.namedParameters());
    } else throw new Error('Optimizer: params must be a Map<string, tf.Variable> or have namedParameters()');
    for (const [name, v] of this.params) {
      if (!(v instanceof tf.Variable)) throw new Error(`Optimizer: params['${name}'] is not a tf.Variable`);
      this.byVariableName.set(v.name, name);
    }
    this.onNonFinite = opts.onNonFinite ?? 'error';
    if (this.onNonFinite !== 'error' && this.onNonFinite !== 'skip') {
      throw new Error(`Optimizer: onNonFinite = '${String(this.onNonFinite)}' must be 'error' or 'skip'`);
    }
    this.stateTree = transformation.init(this.params);
  }

  /** The current state of the transformation (owned by the optimizer: do not dispose). */
  get state(): StateTree {
    return this.stateTree;
  }

  private resolve(grads: Gradients): NamedTensors {
    const entries = grads instanceof Map ? [...grads] : Object.entries(grads);
    const out: NamedTensors = new Map();
    for (const [key, g] of entries) {
      const name = this.params.has(key) ? key : this.byVariableName.get(key);
      if (name === undefined)
        throw new Error(`Optimizer.step: gradient '${key}' matches no parameter name or variable name`);
      if (g == null) continue; // a variable that did not influence the loss: no update, as torch's grad None
      const p = this.params.get(name)!;
      if (!tf.util.arraysEqual(g.shape, p.shape)) {
        throw new Error(
          `Optimizer.step: gradient '${key}' has shape [${g.shape}], parameter '${name}' has [${p.shape}]`,
        );
      }
      if (out.has(name)) throw new Error(`Optimizer.step: two gradients for parameter '${name}'`);
      out.set(name, g);
    }
    return out;
  }

  /**
   * Applies one update from `grads` to the variables, in place. The gradients are not disposed (the caller
   * made them). Parameters without a gradient are left alone.
   * @throws NonFiniteGradientError (unless `onNonFinite: 'skip'`), or for unknown names and wrong shapes.
   */
  step(grads: Gradients): StepInfo {
    if (this.disposed) throw new Error('Optimizer.step: the optimizer was disposed');
    const named = this.resolve(grads);
    const bad = findNonFinite(named);
    if (bad.length > 0) {
      if (this.onNonFinite === 'error') throw new NonFiniteGradientError('Optimizer.step', bad);
      this.skippedSteps++;
      return { skipped: true, nonFinite: bad };
    }
    const { updates, state } = this.transformation.update(named, this.stateTree, this.params);
    disposeTree(this.stateTree);
    this.stateTree = state;
    try {
      for (const [name, u] of updates) {
        const v = this.params.get(name)!;
        const next = tf.tidy(() => tf.add(v, u));
        v.assign(next);
        next.dispose();
      }
    } finally {
      for (const u of updates.values()) u.dispose();
    }
    this.stepCount++;
    return { skipped: false, nonFinite: [] };
  }

  /**
   * Computes the loss and its gradients with respect to the parameters (`tf.variableGrads`), steps, disposes
   * the gradients and the loss, and returns the loss value (one download).
   */
  minimize(loss: () => tf.Scalar): number {
    const { value, grads } = tf.variableGrads(loss, [...this.params.values()]);
    try {
      this.step(grads);
      return value.dataSync()[0];
    } finally {
      value.dispose();
      for (const g of Object.values(grads)) g.dispose();
    }
  }

  /** The pre-clip global gradient norm of the last step, if the transformation clips by global norm. */
  lastGradNorm(): number | undefined {
    return readGlobalNorm(this.stateTree);
  }

  /** The state as tensors (the optimizer's own; do not dispose) and JSON, plus the step counters. */
  stateDict(): SerializedState {
    const { tensors, json } = serializeState({
      state: this.stateTree,
      stepCount: this.stepCount,
      skippedSteps: this.skippedSteps,
    });
    return { tensors, json };
  }

  /** Replaces the state with one from `stateDict()` (copied; the caller keeps its tensors). */
  loadStateDict(dict: SerializedState): void {
    this.adopt(deserializeState(dict.tensors, dict.json), 'Optimizer.loadStateDict');
  }

  /** The state as one safetensors file (`extra` adds string metadata, e.g. a scheduler's state as JSON). */
  save(extra: Record<string, string> = {}): Uint8Array {
    return saveState({ state: this.stateTree, stepCount: this.stepCount, skippedSteps: this.skippedSteps }, extra);
  }

  /** Restores a state written by `save()`; returns the file's metadata (including `extra`). */
  load(bytes: Uint8Array): Map<string, string> {
    const { state, metadata } = loadState(bytes);
    this.adopt(state, 'Optimizer.load');
    return metadata;
  }

  private adopt(tree: StateTree, fn: string): void {
    const doc = tree as { state?: StateTree; stepCount?: unknown; skippedSteps?: unknown } | null;
    try {
      if (doc === null || typeof doc !== 'object' || !('state' in doc) || typeof doc.stepCount !== 'number') {
        throw new Error(`${fn}: not an Optimizer state (expected { state, stepCount, skippedSteps })`);
      }
      const fresh = this.transformation.init(this.params) as StateTree;
      try {
        checkStructure(fresh, doc.state!, 'state', fn, this.params);
      } finally {
        disposeTree(fresh);
      }
    } catch (e) {
      disposeTree(tree);
      throw e;
    }
    disposeTree(this.stateTree);
    this.stateTree = doc.state!;
    this.stepCount = doc.stepCount as number;
    this.skippedSteps = typeof doc.skippedSteps === 'number' ? doc.skippedSteps : 0;
  }

  /** Frees the state. The variables belong to the caller and are not disposed. */
  dispose(): void {
    if (this.disposed) return;
    disposeTree(this.stateTree);
    this.stateTree = null;
    this.disposed = true;
  }
}

/**
 * Checks that a loaded state has the shape of a fresh one: same containers and keys; per-parameter maps may
 * have fewer names (state made lazily) but no unknown parameter, and tensors keyed by a parameter name have
 * that parameter's shape.
 */
function checkStructure(
  fresh: StateTree,
  loaded: StateTree,
  path: string,
  fn: string,
  params: Map<string, tf.Variable>,
): void {
  const kind = (s: StateTree): string =>
    s === null
      ? 'null'
      : s instanceof tf.Tensor
        ? 'tensor'
        : Array.isArray(s)
          ? 'array'
          : s instanceof Map
            ? 'map'
            : typeof s;
  const a = kind(fresh);
  const b = kind(loaded);
  if (a !== b)
    throw new Error(
      `${fn}: ${path} is a ${b}, this optimizer expects a ${a} (was the state saved by a different optimizer?)`,
    );
  if (Array.isArray(fresh)) {
    const l = loaded as StateTree[];
    if (l.length !== fresh.length)
      throw new Error(`${fn}: ${path} has ${l.length} entries, this optimizer expects ${fresh.length}`);
    fresh.forEach((x, i) => checkStructure(x, l[i], `${path}[${i}]`, fn, params));
  } else if (fresh instanceof Map) {
    for (const [k, v] of loaded as Map<string, StateTree>) {
      const f = fresh.get(k);
      if (f !== undefined) checkStructure(f, v, `${path}['${k}']`, fn, params);
      else if (params.has(k)) {
        if (v instanceof tf.Tensor && !tf.util.arraysEqual(v.shape, params.get(k)!.shape)) {
          throw new Error(
            `${fn}: ${path}['${k}'] has shape [${v.shape}], parameter '${k}' has [${params.get(k)!.shape}]`,
          );
        }
      } else {
        throw new Error(`${fn}: ${path} has an entry for '${k}', which is not a parameter of this optimizer`);
      }
    }
  } else if (fresh instanceof tf.Tensor) {
    const l = loaded as tf.Tensor;
    if (!tf.util.arraysEqual(l.shape, fresh.shape)) {
      throw new Error(`${fn}: ${path} has shape [${l.shape}], this optimizer expects [${fresh.shape}]`);
    }
  } else if (a === 'object') {
    const fk = Object.keys(fresh as object).sort();
    const lk = Object.keys(loaded as object).sort();
    if (fk.join() !== lk.join())
      throw new Error(`${fn}: ${path} has keys {${lk.join(', ')}}, this optimizer expects {${fk.join(', ')}}`);
    for (const k of fk) {
      checkStructure(
        (fresh as Record<string, StateTree>)[k],
        (loaded as Record<string, StateTree>)[k],
        `${path}.${k}`,
        fn,
        params,
      );
    }
  }
}
