/**
 * `Dropout` (inverted): in training, zero each element with probability p and scale the
 * rest by 1/(1−p); identity in eval(). Reference: Srivastava et al. (2014).
 *
 * The mask comes from our seeded {@link Rng}, so a seed gives the same masks on every
 * backend (tfjs's random ops would tie them to tfjs's generator). On tfjs-backend-wasm the draws
 * and the product run in one WebAssembly pass over the backend's heap (`internal/fused-ops.wat`),
 * with the same draws and values as the JS loop used elsewhere, and the backward pass draws the
 * mask again from the saved generator state instead of keeping a mask tensor (that loop and the
 * mask's copy into the heap took ≈ 12 % of a transformer training step).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from './module.js';
import { rngFrom, type Rng } from './rng.js';
import { ensureFusedKernels, fusedDropout } from './internal/fused-ops.js';

export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1]. */
  p: number;
  /**
   * Seed of the mask stream (each forward advances it; saved and restored as the generator `rng`
   * by `Module.rngStates()` / `loadRngStates()`). @default a fork of the global generator
   */
  seed?: number;
}

export class Dropout extends Module {
  readonly p: number;
  private readonly rng: Rng;

  constructor(opts: DropoutOptions) {
    super();
    const p = opts.p;
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: p = ${p} must be in [0, 1]`);
    this.p = p;
    // Registered, so Module.rngStates() saves the mask stream with a checkpoint.
    this.rng = this.registerRng('rng', rngFrom(opts.seed));
  }

  /** Same shape as `x`. In eval() or with p = 0 it returns `x` itself. */
  forward(x: tf.Tensor): tf.Tensor {
    if (!this.training || this.p === 0) return x;
    if (this.p === 1) return tf.zerosLike(x);
    const keep = 1 - this.p;
    ensureFusedKernels();
    const fused = fusedDropout(x, this.rng, keep);
    if (fused) return fused;
    const n = x.size;
    const scale = 1 / keep;
    const mask = new Float32Array(n);
    // 2^-32 resolution is plenty for a Bernoulli draw and twice as fast as uniform().
    const threshold = keep * 4294967296;
    for (let i = 0; i < n; i++) mask[i] = this.rng.nextUint32() < threshold ? scale : 0;
    return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
  }
}
