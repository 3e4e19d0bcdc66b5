/**
 * Scheduled sampling (Bengio et al. 2015, "Scheduled Sampling for Sequence Prediction with
 * Recurrent Neural Networks", §2.4): during training, at each decoder step the ground-truth
 * previous token is fed with probability ε_i (the teacher-forcing ratio) and the model's own
 * prediction otherwise; ε_i decays with the training step i:
 *
 * - linear:          ε_i = max(ε_min, k − c·i)
 * - exponential:     ε_i = k^i           (k < 1)
 * - inverse sigmoid: ε_i = k / (k + exp(i / k))   (k ≥ 1)
 *
 * A constant ratio (`constantRatio(1)`) is plain teacher forcing.
 */

/** A schedule: training step (0-based) → probability of feeding the ground truth. */
export type TeacherForcingSchedule = (step: number) => number;

/** A constant teacher-forcing ratio (1 = always the ground truth, 0 = always the model's output). */
export function constantRatio(ratio: number): TeacherForcingSchedule {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`constantRatio: ratio = ${ratio} must be in [0, 1]`);
  return () => ratio;
}

/** Options of {@link linearDecay}. */
export interface LinearDecayOptions {
  /** Ratio at step 0. @default 1 — start with pure teacher forcing. */
  k?: number;
  /** Decrease per step (c > 0). */
  c: number;
  /** Floor ε_min. @default 0 */
  min?: number;
}

/** ε_i = max(ε_min, k − c·i). */
export function linearDecay(opts: LinearDecayOptions): TeacherForcingSchedule {
  const k = opts.k ?? 1;
  const min = opts.min ?? 0;
  if (!(opts.c > 0)) throw new Error(`linearDecay: c = ${opts.c} must be > 0`);
  if (!(k >= 0 && k <= 1) || !(min >= 0 && min <= k))
    throw new Error(`linearDecay: need 0 ≤ min (${min}) ≤ k (${k}) ≤ 1`);
  return (i) => Math.max(min, k - opts.c * i);
}

/** Options of {@link exponentialDecay}. */
export interface ExponentialDecayOptions {
  /** Base, 0 < k < 1 (e.g. 0.999 over a few thousand steps). */
  k: number;
  /** Floor. @default 0 */
  min?: number;
}

/** ε_i = max(ε_min, k^i). */
export function exponentialDecay(opts: ExponentialDecayOptions): TeacherForcingSchedule {
  const min = opts.min ?? 0;
  if (!(opts.k > 0 && opts.k < 1)) throw new Error(`exponentialDecay: k = ${opts.k} must be in (0, 1)`);
  return (i) => Math.max(min, Math.pow(opts.k, i));
}

/** Options of {@link inverseSigmoidDecay}. */
export interface InverseSigmoidDecayOptions {
  /** Steepness k ≥ 1: the ratio crosses 1/2 near i = k·ln(k). */
  k: number;
  /** Floor. @default 0 */
  min?: number;
}

/** ε_i = max(ε_min, k / (k + exp(i / k))). */
export function inverseSigmoidDecay(opts: InverseSigmoidDecayOptions): TeacherForcingSchedule {
  const min = opts.min ?? 0;
  if (!(opts.k >= 1)) throw new Error(`inverseSigmoidDecay: k = ${opts.k} must be ≥ 1`);
  return (i) => Math.max(min, opts.k / (opts.k + Math.exp(i / opts.k)));
}
