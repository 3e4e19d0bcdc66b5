/**
 * RMSprop's and Adagrad's preconditioners, as torch.optim.RMSprop and torch.optim.Adagrad compute them.
 *
 * `scaleByRms` (torch 1.13 `_single_tensor_rmsprop`): s = α·s + (1−α)·g²; centered: a = α·a + (1−α)·g and
 * s − a² replaces s; direction = g / (sqrt(·) + eps) — eps outside the square root, as torch.
 * `scaleByRss` (Adagrad, torch `_single_tensor_adagrad`): Σ += g²; direction = g / (sqrt(Σ) + eps).
 *
 * References: Hinton, Lecture 6e (RMSprop); Graves 2013 (centered); Duchi et al. 2011 (Adagrad);
 * torch/optim/rmsprop.py, adagrad.py; optax `scale_by_rms`, `scale_by_stddev`, `scale_by_rss`.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradientTransformation, StateTree } from './types.js';
import { carryOver, checkNumber, disposeAll } from './internal/named.js';

/** Options of `scaleByRms`. */
export interface ScaleByRmsOptions {
  /** Smoothing constant of the squared-gradient average (torch `alpha`). @default 0.99 (torch's default) */
  alpha?: number;
  /** Added to the root mean square. @default 1e-8 (torch's default) */
  eps?: number;
  /** Divide by the estimated standard deviation instead of the RMS (Graves' centered RMSprop). @default false */
  centered?: boolean;
}

/** State of `scaleByRms`, keyed by parameter name. */
export interface ScaleByRmsState {
  [key: string]: StateTree;
  /** Running average of g² (torch `square_avg`). */
  nu: Map<string, tf.Tensor>;
  /** Running average of g (torch `grad_avg`); empty unless `centered`. */
  mu: Map<string, tf.Tensor>;
}

/** RMSprop's direction `g / (sqrt(E[g²] (− E[g]²)) + eps)`; combine with `trace` for momentum and `scaleByLearningRate`. */
export function scaleByRms(opts: ScaleByRmsOptions = {}): GradientTransformation<ScaleByRmsState> {
  const alpha = opts.alpha ?? 0.99;
  const eps = opts.eps ?? 1e-8;
  const centered = opts.centered ?? false;
  checkNumber('scaleByRms', 'alpha', alpha, (x) => x >= 0 && x <= 1, 'in [0, 1]');
  checkNumber('scaleByRms', 'eps', eps, (x) => x >= 0, '>= 0');
  return {
    init(params) {
      const state: ScaleByRmsState = { nu: new Map(), mu: new Map() };
      for (const [name, p] of params) {
        state.nu.set(name, tf.zerosLike(p));
        if (centered) state.mu.set(name, tf.zerosLike(p));
      }
      return state;
    },
    update(grads, state) {
      const nu = carryOver(state.nu, grads);
      const mu = carryOver(state.mu, grads);
      const updates = new Map<string, tf.Tensor>();
      try {
        for (const [name, g] of grads) {
          const s0 = state.nu.get(name);
          const s = tf.tidy(() => {
            const g2 = tf.mul(tf.square(g), 1 - alpha);
            return s0 === undefined ? g2 : tf.add(tf.mul(s0, alpha), g2);
          });
          nu.set(name, s);
          let a: tf.Tensor | undefined;
          if (centered) {
            const a0 = state.mu.get(name);
            a = tf.tidy(() =>
              a0 === undefined ? tf.mul(g, 1 - alpha) : tf.add(tf.mul(a0, alpha), tf.mul(g, 1 - alpha)),
            );
            mu.set(name, a);
          }
          updates.set(
            name,
            tf.tidy(() => {
              const variance = a === undefined ? s : tf.sub(s, tf.square(a));
              return tf.div(g, tf.add(tf.sqrt(variance), eps));
            }),
          );
        }
      } catch (e) {
        disposeAll(nu, mu, updates);
        throw e;
      }
      return { updates, state: { nu, mu } };
    },
  };
}

/** Options of `scaleByRss`. */
export interface ScaleByRssOptions {
  /** Starting value of the accumulated sum of squares (torch `initial_accumulator_value`). @default 0 (torch's default) */
  initialAccumulatorValue?: number;
  /** Added to the root of the sum. @default 1e-10 (torch's Adagrad default) */
  eps?: number;
}

/** State of `scaleByRss`: the accumulated sum of squared gradients (torch `sum`), keyed by parameter name. */
export interface ScaleByRssState {
  [key: string]: StateTree;
  sumOfSquares: Map<string, tf.Tensor>;
}

/** Adagrad's direction `g / (sqrt(Σ g²) + eps)`. */
export function scaleByRss(opts: ScaleByRssOptions = {}): GradientTransformation<ScaleByRssState> {
  const init0 = opts.initialAccumulatorValue ?? 0;
  const eps = opts.eps ?? 1e-10;
  checkNumber('scaleByRss', 'initialAccumulatorValue', init0, (x) => x >= 0, '>= 0');
  checkNumber('scaleByRss', 'eps', eps, (x) => x >= 0, '>= 0');
  return {
    init(params) {
      const sumOfSquares = new Map<string, tf.Tensor>();
      for (const [name, p] of params) sumOfSquares.set(name, tf.fill(p.shape, init0, 'float32'));
      return { sumOfSquares };
    },
    update(grads, state) {
      const sums = carryOver(state.sumOfSquares, grads);
      const updates = new Map<string, tf.Tensor>();
      try {
        for (const [name, g] of grads) {
          const s0 = state.sumOfSquares.get(name);
          const s = tf.tidy(() => (s0 === undefined ? tf.add(tf.square(g), init0) : tf.add(s0, tf.square(g))));
          sums.set(name, s);
          updates.set(
            name,
            tf.tidy(() => tf.div(g, tf.add(tf.sqrt(s), eps))),
          );
        }
      } catch (e) {
        disposeAll(sums, updates);
        throw e;
      }
      return { updates, state: { sumOfSquares: sums } };
    },
  };
}
