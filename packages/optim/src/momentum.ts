/**
 * Momentum (`trace`): torch.optim.SGD's momentum buffer, with dampening and Nesterov.
 *
 * torch 1.13 `_single_tensor_sgd`: on the first step `buf = d_p` (no dampening), afterwards
 * `buf = momentum * buf + (1 - dampening) * d_p`; the step direction is `buf`, or `d_p + momentum * buf`
 * with Nesterov. (optax's `trace` starts from zeros instead, which differs when dampening ≠ 0.)
 *
 * References: torch/optim/sgd.py; Sutskever et al. 2013 (Nesterov momentum as torch implements it).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, StateTree } from './types.js';
import { carryOver, checkNumber, disposeAll } from './internal/named.js';

/** Options of `trace`. */
export interface TraceOptions {
  /** Momentum factor. Required (0 makes `trace` the identity). */
  momentum: number;
  /** Dampening of the new gradient, torch's `dampening`. @default 0 (torch's default) */
  dampening?: number;
  /** Nesterov momentum. @default false (torch's default). Requires `momentum > 0` and `dampening = 0`, as torch does. */
  nesterov?: boolean;
}

/** State of `trace`: the momentum buffer of each parameter that has had a gradient. */
export interface TraceState {
  [key: string]: StateTree;
  momentum: Map<string, tf.Tensor>;
}

/** Momentum as torch.optim.SGD computes it (see the module doc). */
export function trace(opts: TraceOptions): GradientTransformation<TraceState> {
  const momentum = opts?.momentum;
  const dampening = opts?.dampening ?? 0;
  const nesterov = opts?.nesterov ?? false;
  checkNumber('trace', 'momentum', momentum, (x) => x >= 0, '>= 0');
  checkNumber('trace', 'dampening', dampening, () => true, 'a finite number');
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new Error(
      `trace: nesterov requires momentum > 0 and dampening = 0 (got momentum = ${momentum}, dampening = ${dampening})`,
    );
  }
  return {
    init: () => ({ momentum: new Map() }),
    update(grads, state) {
      const buffers = carryOver(state.momentum, grads);
      const updates = new Map<string, tf.Tensor>();
      try {
        for (const [name, g] of grads) {
          const prev = state.momentum.get(name);
          const buf = tf.tidy(() =>
            prev === undefined
              ? tf.clone(g)
              : tf.add(tf.mul(prev, momentum), dampening === 0 ? g : tf.mul(g, 1 - dampening)),
          );
          buffers.set(name, buf);
          updates.set(
            name,
            tf.tidy(() => (nesterov ? tf.add(g, tf.mul(buf, momentum)) : tf.clone(buf))),
          );
        }
      } catch (e) {
        disposeAll(buffers, updates);
        throw e;
      }
      return { updates, state: { momentum: buffers } };
    },
  };
}
