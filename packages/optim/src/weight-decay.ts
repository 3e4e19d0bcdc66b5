/**
 * Weight decay as a gradient transformation: `updates = grads + weightDecay * params`.
 *
 * Before a preconditioner (`sgd`, `adam`, `adagrad`, `rmsprop`) this is torch's coupled L2 penalty
 * (`grad = grad.add(param, alpha=weight_decay)`); after it and before the learning rate it is AdamW's
 * decoupled decay (Loshchilov & Hutter, https://arxiv.org/abs/1711.05101).
 *
 * References: optax `add_decayed_weights`; torch/optim/adamw.py (1.13).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation } from './types.js';
import { checkNumber, mapNamed, requireParam } from './internal/named.js';

/** Options of `addDecayedWeights`. */
export interface AddDecayedWeightsOptions {
  /** Coefficient of the decay. @default 0 (no decay), torch's default for every optimizer but AdamW */
  weightDecay?: number;
  /**
   * Which parameters decay, by name. @default every parameter. For per-group settings prefer the
   * `groups` option of the optimizer constructors.
   */
  mask?: (name: string) => boolean;
}

/**
 * Adds `weightDecay * params[name]` to each update. Needs `params` in `update`.
 * @throws in `update` if `params` lacks a parameter that has a gradient.
 */
export function addDecayedWeights(opts: AddDecayedWeightsOptions = {}): GradientTransformation<null> {
  const wd = opts.weightDecay ?? 0;
  checkNumber('addDecayedWeights', 'weightDecay', wd, (x) => x >= 0, '>= 0');
  const mask = opts.mask;
  return {
    init: () => null,
    update(grads, _state, params) {
      const updates = mapNamed(grads, (g, name) => {
        if (wd === 0 || (mask !== undefined && !mask(name))) return tf.clone(g);
        return tf.add(g, tf.mul(requireParam(params, name, 'addDecayedWeights'), wd));
      });
      return { updates, state: null };
    },
  };
}
