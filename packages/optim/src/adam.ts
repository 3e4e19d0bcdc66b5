/**
 * Adam's preconditioner (`scaleByAdam`), with AMSGrad, as torch.optim.Adam computes it.
 *
 * torch 1.13 `_single_tensor_adam`, per parameter with its own step count `t`:
 *   m = β1·m + (1−β1)·g;  v = β2·v + (1−β2)·g²;  (AMSGrad: v̂max = max(v̂max, v), used for v below)
 *   denom = sqrt(v) / sqrt(1−β2^t) + eps;   direction = m / denom / (1−β1^t)
 * so `eps` is added after the bias correction of the second moment, as torch does (optax adds it the same way).
 *
 * References: Kingma & Ba 2015 (https://arxiv.org/abs/1412.6980); Reddi et al. 2018 (AMSGrad);
 * torch/optim/adam.py; optax `scale_by_adam`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, StateTree } from './types.js';
import { carryOver, checkNumber, disposeAll } from './internal/named.js';

/** Options of `scaleByAdam`. */
export interface ScaleByAdamOptions {
  /** Decay of the first moment. @default 0.9 (torch/paper) */
  b1?: number;
  /** Decay of the second moment. @default 0.999 (torch/paper) */
  b2?: number;
  /** Added to the denominator after the bias-corrected square root. @default 1e-8 (torch/paper) */
  eps?: number;
  /** Use the running maximum of the second moment (AMSGrad). @default false (torch's default) */
  amsgrad?: boolean;
}

/** State of `scaleByAdam`, keyed by parameter name. */
export interface ScaleByAdamState {
  [key: string]: StateTree;
  /** Steps taken per parameter (torch's per-parameter `state['step']`). */
  count: Map<string, number>;
  /** First moment (torch `exp_avg`). */
  mu: Map<string, tf.Tensor>;
  /** Second moment (torch `exp_avg_sq`). */
  nu: Map<string, tf.Tensor>;
  /** AMSGrad's running maximum of `nu` (torch `max_exp_avg_sq`); empty unless `amsgrad`. */
  nuMax: Map<string, tf.Tensor>;
}

/** Adam's direction `m̂ / (sqrt(v̂) + eps)` (see the module doc); combine with `scaleByLearningRate`. */
export function scaleByAdam(opts: ScaleByAdamOptions = {}): GradientTransformation<ScaleByAdamState> {
  const b1 = opts.b1 ?? 0.9;
  const b2 = opts.b2 ?? 0.999;
  const eps = opts.eps ?? 1e-8;
  const amsgrad = opts.amsgrad ?? false;
  checkNumber('scaleByAdam', 'b1', b1, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber('scaleByAdam', 'b2', b2, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber('scaleByAdam', 'eps', eps, (x) => x >= 0, '>= 0');
  return {
    init(params) {
      const state: ScaleByAdamState = { count: new Map(), mu: new Map(), nu: new Map(), nuMax: new Map() };
      for (const [name, p] of params) {
        state.count.set(name, 0);
        state.mu.set(name, tf.zerosLike(p));
        state.nu.set(name, tf.zerosLike(p));
        if (amsgrad) state.nuMax.set(name, tf.zerosLike(p));
      }
      return state;
    },
    update(grads, state) {
      const count = carryOver(state.count, grads);
      const mu = carryOver(state.mu, grads);
      const nu = carryOver(state.nu, grads);
      const nuMax = carryOver(state.nuMax, grads);
      const updates = new Map<string, tf.Tensor>();
      try {
        for (const [name, g] of grads) {
          const t = (state.count.get(name) ?? 0) + 1;
          count.set(name, t);
          const bc1 = 1 - b1 ** t;
          const bc2Sqrt = Math.sqrt(1 - b2 ** t);
          const m0 = state.mu.get(name);
          const v0 = state.nu.get(name);
          const m = tf.tidy(() => (m0 === undefined ? tf.mul(g, 1 - b1) : tf.add(tf.mul(m0, b1), tf.mul(g, 1 - b1))));
          mu.set(name, m);
          const v = tf.tidy(() => {
            const g2 = tf.mul(tf.square(g), 1 - b2);
            return v0 === undefined ? g2 : tf.add(tf.mul(v0, b2), g2);
          });
          nu.set(name, v);
          let vUsed = v;
          if (amsgrad) {
            const vm0 = state.nuMax.get(name);
            const vm = vm0 === undefined ? tf.clone(v) : tf.maximum(vm0, v);
            nuMax.set(name, vm);
            vUsed = vm;
          }
          updates.set(
            name,
            tf.tidy(() => tf.mul(tf.div(m, tf.add(tf.div(tf.sqrt(vUsed), bc2Sqrt), eps)), 1 / bc1)),
          );
        }
      } catch (e) {
        disposeAll(mu, nu, nuMax, updates);
        throw e;
      }
      return { updates, state: { count, mu, nu, nuMax } };
    },
  };
}
