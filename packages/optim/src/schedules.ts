/**
 * Learning-rate schedules: pure functions of the number of updates already made (`step`, 0 on the first
 * update), returning the learning rate itself (not a factor). Where torch.optim.lr_scheduler has an
 * equivalent, `schedule(k)` equals the learning rate torch uses for the (k+1)-th `optimizer.step()` when
 * `scheduler.step()` follows each `optimizer.step()`.
 *
 * References: torch/optim/lr_scheduler.py (1.13); optax schedules; Vaswani et al. 2017 §5.3 (inverse square
 * root); Loshchilov & Hutter 2017, SGDR (cosine); Goyal et al. 2017 (linear warmup).
 * @module
 */
import type { Schedule } from './types.js';
import { checkNumber } from './internal/named.js';

const isInt = (x: number): boolean => Number.isInteger(x);

/** The same learning rate at every step. */
export function constantSchedule(value: number): Schedule {
  checkNumber('constantSchedule', 'value', value, (x) => x >= 0, '>= 0');
  return () => value;
}

/** Options of `stepSchedule` (torch `StepLR`). */
export interface StepScheduleOptions {
  /** Initial learning rate. Required. */
  lr: number;
  /** Multiply by `gamma` every `stepSize` steps. Required. */
  stepSize: number;
  /** Decay factor. @default 0.1 (torch's default) */
  gamma?: number;
}

/** `lr · gamma^⌊step / stepSize⌋` — torch `StepLR`. */
export function stepSchedule(opts: StepScheduleOptions): Schedule {
  const gamma = opts?.gamma ?? 0.1;
  checkNumber('stepSchedule', 'lr', opts?.lr, (x) => x >= 0, '>= 0');
  checkNumber('stepSchedule', 'stepSize', opts?.stepSize, (x) => isInt(x) && x > 0, 'an integer > 0');
  checkNumber('stepSchedule', 'gamma', gamma, (x) => x >= 0, '>= 0');
  return (step) => opts.lr * gamma ** Math.floor(step / opts.stepSize);
}

/** Options of `multiStepSchedule` (torch `MultiStepLR`). */
export interface MultiStepScheduleOptions {
  /** Initial learning rate. Required. */
  lr: number;
  /** Steps at which the rate is multiplied by `gamma` (a milestone listed twice multiplies twice, as torch). Required. */
  milestones: number[];
  /** Decay factor. @default 0.1 (torch's default) */
  gamma?: number;
}

/** `lr · gamma^(number of milestones ≤ step)` — torch `MultiStepLR`. */
export function multiStepSchedule(opts: MultiStepScheduleOptions): Schedule {
  const gamma = opts?.gamma ?? 0.1;
  checkNumber('multiStepSchedule', 'lr', opts?.lr, (x) => x >= 0, '>= 0');
  checkNumber('multiStepSchedule', 'gamma', gamma, (x) => x >= 0, '>= 0');
  if (!Array.isArray(opts.milestones))
    throw new Error('multiStepSchedule: milestones must be an array of step numbers');
  opts.milestones.forEach((m, i) =>
    checkNumber('multiStepSchedule', `milestones[${i}]`, m, (x) => isInt(x) && x > 0, 'an integer > 0'),
  );
  const milestones = [...opts.milestones];
  return (step) => opts.lr * gamma ** milestones.filter((m) => m <= step).length;
}

/** Options of `exponentialSchedule` (torch `ExponentialLR`). */
export interface ExponentialScheduleOptions {
  /** Initial learning rate. Required. */
  lr: number;
  /** Factor per step. Required. */
  gamma: number;
}

/** `lr · gamma^step` — torch `ExponentialLR`. */
export function exponentialSchedule(opts: ExponentialScheduleOptions): Schedule {
  checkNumber('exponentialSchedule', 'lr', opts?.lr, (x) => x >= 0, '>= 0');
  checkNumber('exponentialSchedule', 'gamma', opts?.gamma, (x) => x >= 0, '>= 0');
  return (step) => opts.lr * opts.gamma ** step;
}

/** Options of `linearSchedule`. */
export interface LinearScheduleOptions {
  /** Learning rate at step 0. Required. */
  init: number;
  /** Learning rate from `steps` on. Required. */
  end: number;
  /** Length of the ramp in steps. Required. */
  steps: number;
}

/**
 * Linear ramp from `init` to `end` over `steps`, then `end` — a linear warmup when `init < end`.
 * torch `LinearLR(start_factor = init/end, end_factor = 1, total_iters = steps)` with base lr `end`.
 */
export function linearSchedule(opts: LinearScheduleOptions): Schedule {
  checkNumber('linearSchedule', 'init', opts?.init, (x) => x >= 0, '>= 0');
  checkNumber('linearSchedule', 'end', opts?.end, (x) => x >= 0, '>= 0');
  checkNumber('linearSchedule', 'steps', opts?.steps, (x) => isInt(x) && x >= 0, 'an integer >= 0');
  const { init, end, steps } = opts;
  return (step) => (step >= steps ? end : init + ((end - init) * step) / steps);
}

/** Options of `warmupCosineSchedule` and `warmupLinearSchedule`. */
export interface WarmupDecayOptions {
  /** Learning rate at the end of the warmup. Required. */
  peak: number;
  /** Steps of linear warmup from `init` to `peak`. Required (0 = no warmup). */
  warmupSteps: number;
  /** Total steps, warmup included; the rate reaches `end` at `totalSteps` and stays there. Required. */
  totalSteps: number;
  /** Learning rate at step 0. @default 0 (the usual warmup from zero) */
  init?: number;
  /** Final learning rate. @default 0 (decay to zero, as in most LM recipes) */
  end?: number;
}

function checkWarmup(fn: string, opts: WarmupDecayOptions): { init: number; end: number } {
  const init = opts?.init ?? 0;
  const end = opts?.end ?? 0;
  checkNumber(fn, 'peak', opts?.peak, (x) => x >= 0, '>= 0');
  checkNumber(fn, 'warmupSteps', opts?.warmupSteps, (x) => isInt(x) && x >= 0, 'an integer >= 0');
  checkNumber(
    fn,
    'totalSteps',
    opts?.totalSteps,
    (x) => isInt(x) && x > opts.warmupSteps,
    `an integer > warmupSteps (${opts?.warmupSteps})`,
  );
  checkNumber(fn, 'init', init, (x) => x >= 0, '>= 0');
  checkNumber(fn, 'end', end, (x) => x >= 0, '>= 0');
  return { init, end };
}

/**
 * Linear warmup from `init` to `peak` over `warmupSteps`, then half a cosine from `peak` to `end` at
 * `totalSteps`, then `end`. torch: `SequentialLR([LinearLR(init/peak, 1, warmupSteps),
 * CosineAnnealingLR(T_max = totalSteps − warmupSteps, eta_min = end)], milestones = [warmupSteps])`
 * (torch's cosine rises again after `T_max`; this stays at `end`). optax `warmup_cosine_decay_schedule`.
 */
export function warmupCosineSchedule(opts: WarmupDecayOptions): Schedule {
  const { init, end } = checkWarmup('warmupCosineSchedule', opts);
  const { peak, warmupSteps, totalSteps } = opts;
  const decaySteps = totalSteps - warmupSteps;
  return (step) => {
    if (step < warmupSteps) return init + ((peak - init) * step) / warmupSteps;
    const k = Math.min(step - warmupSteps, decaySteps);
    return end + ((peak - end) * (1 + Math.cos((Math.PI * k) / decaySteps))) / 2;
  };
}

/**
 * Linear warmup from `init` to `peak` over `warmupSteps`, then linear decay to `end` at `totalSteps`, then `end`
 * (BERT's schedule; HF `get_linear_schedule_with_warmup` when `init = end = 0`). torch: `SequentialLR([LinearLR(
 * init/peak, 1, warmupSteps), LinearLR(1, end/peak, totalSteps − warmupSteps)], milestones = [warmupSteps])`.
 */
export function warmupLinearSchedule(opts: WarmupDecayOptions): Schedule {
  const { init, end } = checkWarmup('warmupLinearSchedule', opts);
  const { peak, warmupSteps, totalSteps } = opts;
  const decaySteps = totalSteps - warmupSteps;
  return (step) => {
    if (step < warmupSteps) return init + ((peak - init) * step) / warmupSteps;
    const k = Math.min(step - warmupSteps, decaySteps);
    return peak + ((end - peak) * k) / decaySteps;
  };
}

/** Options of `inverseSqrtSchedule`: give `peak`, or `dModel` (and `factor`) as in the Transformer paper. */
export interface InverseSqrtScheduleOptions {
  /** Steps of linear warmup. Required, > 0. */
  warmupSteps: number;
  /** Learning rate reached at the end of the warmup. Give this or `dModel`. */
  peak?: number;
  /** Model width; the paper's rate is `dModel^−0.5 · min(s^−0.5, s · warmup^−1.5)`. Give this or `peak`. */
  dModel?: number;
  /** Multiplier of the paper's formula (the "factor" of the Annotated Transformer). @default 1 (the paper) */
  factor?: number;
}

/**
 * The Transformer paper's schedule (Vaswani et al. 2017, eq. 3): with `s = step + 1` (the paper counts from 1),
 * `factor · dModel^−0.5 · min(s^−0.5, s · warmupSteps^−1.5)`: linear warmup, then decay ∝ 1/√s.
 * With `peak`: `peak · min(√(warmupSteps / s), s / warmupSteps)`. torch: `LambdaLR` with this function.
 */
export function inverseSqrtSchedule(opts: InverseSqrtScheduleOptions): Schedule {
  const fn = 'inverseSqrtSchedule';
  checkNumber(fn, 'warmupSteps', opts?.warmupSteps, (x) => isInt(x) && x > 0, 'an integer > 0');
  const { warmupSteps } = opts;
  let scaleFactor: number;
  if (opts.peak !== undefined) {
    if (opts.dModel !== undefined)
      throw new Error(`${fn}: give peak or dModel, not both (peak = ${opts.peak}, dModel = ${opts.dModel})`);
    checkNumber(fn, 'peak', opts.peak, (x) => x >= 0, '>= 0');
    scaleFactor = opts.peak * Math.sqrt(warmupSteps);
  } else if (opts.dModel !== undefined) {
    const factor = opts.factor ?? 1;
    checkNumber(fn, 'dModel', opts.dModel, (x) => x > 0, '> 0');
    checkNumber(fn, 'factor', factor, (x) => x >= 0, '>= 0');
    scaleFactor = factor / Math.sqrt(opts.dModel);
  } else {
    throw new Error(`${fn}: give peak or dModel`);
  }
  return (step) => {
    const s = step + 1;
    return scaleFactor * Math.min(1 / Math.sqrt(s), s * warmupSteps ** -1.5);
  };
}
