/**
 * Core types of @wordloom/optim: gradient transformations with explicit state,
 * after optax's `GradientTransformation` (init/update pairs composed with `chain`).
 *
 * References: optax (https://github.com/google-deepmind/optax), base.py.
 * @module
 */
import type * as tf from '@tensorflow/tfjs-core';

/** Tensors keyed by parameter name (dotted PyTorch-style names such as `encoder.layers.0.weight`). */
export type NamedTensors = Map<string, tf.Tensor>;

/**
 * A node of an optimizer state: tensors, JSON scalars, and containers of them.
 * Per-parameter state is always a `Map` keyed by parameter name, never an array in call order.
 */
export type StateTree =
  tf.Tensor | number | string | boolean | null | StateTree[] | Map<string, StateTree> | { [key: string]: StateTree };

/** What `update` returns: the updates to add to the parameters and the next state. */
export interface UpdateResult<S> {
  /** Updates keyed by parameter name; add them to the parameters (`applyUpdates`). Fresh tensors owned by the caller. */
  updates: NamedTensors;
  /** The next state. Fresh tensors owned by the caller; the previous state is left untouched. */
  state: S;
}

/**
 * A gradient transformation (optax): `init` builds the state for a set of parameters, `update` maps
 * gradients (or the previous transformation's updates) to updates and a new state.
 *
 * Memory contract (tfjs has no garbage collector for tensors):
 * - `update` never disposes or mutates its inputs (`grads`, `state`, `params`);
 * - every tensor in the returned `updates` and `state` is a new handle (possibly a `tf.clone`, which shares
 *   the buffer), so the caller may dispose the old state and the inputs independently;
 * - use `disposeState(oldState)` after each update, as `Optimizer` does.
 */
export interface GradientTransformation<S extends StateTree = StateTree> {
  /** Builds the initial state for parameters of these names and shapes. */
  init(params: NamedTensors): S;
  /**
   * @param grads - gradients (or incoming updates) keyed by parameter name; names absent here are left alone
   * @param state - the state from `init` or the previous `update`
   * @param params - current parameter values, needed by transformations such as `addDecayedWeights`
   */
  update(grads: NamedTensors, state: S, params?: NamedTensors): UpdateResult<S>;
}

/** A learning-rate schedule: a pure function of the number of updates already applied (0 on the first step). */
export type Schedule = (step: number) => number;

/** A learning rate: a constant or a schedule. */
export type LearningRate = number | Schedule;
