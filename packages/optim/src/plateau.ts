/**
 * Reduce-on-plateau: the one stateful learning-rate controller, torch `ReduceLROnPlateau` step for step.
 *
 * References: torch/optim/lr_scheduler.py (1.13), class ReduceLROnPlateau.
 * @module
 */
import type { Schedule } from './types.js';
import { checkNumber } from './internal/named.js';

/** Options of `ReduceLROnPlateau` (torch's names and defaults). */
export interface ReduceLROnPlateauOptions {
  /** Initial learning rate. Required. */
  lr: number;
  /** `'min'`: lower metric is better (a loss); `'max'`: higher is better (an accuracy). @default 'min' */
  mode?: 'min' | 'max';
  /** Multiply the rate by this on a plateau. @default 0.1 (torch's default) */
  factor?: number;
  /** Number of non-improving `step`s tolerated before reducing. @default 10 (torch's default) */
  patience?: number;
  /** Minimum change that counts as an improvement. @default 1e-4 (torch's default) */
  threshold?: number;
  /** `'rel'`: improvement relative to the best (`best·(1∓threshold)`); `'abs'`: `best ∓ threshold`. @default 'rel' */
  thresholdMode?: 'rel' | 'abs';
  /** Steps to wait after a reduction before counting bad steps again. @default 0 */
  cooldown?: number;
  /** Lower bound of the rate. @default 0 */
  minLr?: number;
  /** Reductions smaller than this are ignored. @default 1e-8 (torch's default) */
  eps?: number;
}

/** Serializable state of `ReduceLROnPlateau` (`best` may be ±Infinity). */
export interface ReduceLROnPlateauState {
  [key: string]: number;
  lr: number;
  best: number;
  numBadEpochs: number;
  cooldownCounter: number;
  lastEpoch: number;
}

/**
 * Lowers the learning rate when a metric stops improving. Call `step(metric)` once per evaluation
 * (after the optimizer steps, as with torch); `schedule` is a `Schedule` that reads the current rate, to pass
 * as `lr` to an optimizer constructor.
 */
export class ReduceLROnPlateau {
  private readonly mode: 'min' | 'max';
  private readonly factor: number;
  private readonly patience: number;
  private readonly threshold: number;
  private readonly thresholdMode: 'rel' | 'abs';
  private readonly cooldown: number;
  private readonly minLr: number;
  private readonly eps: number;
  private s: ReduceLROnPlateauState;

  /** A schedule returning the current rate whatever the step (reductions come from `step(metric)`). */
  readonly schedule: Schedule = () => this.s.lr;

  constructor(opts: ReduceLROnPlateauOptions) {
    const fn = 'ReduceLROnPlateau';
    this.mode = opts?.mode ?? 'min';
    this.factor = opts?.factor ?? 0.1;
    this.patience = opts?.patience ?? 10;
    this.threshold = opts?.threshold ?? 1e-4;
    this.thresholdMode = opts?.thresholdMode ?? 'rel';
    this.cooldown = opts?.cooldown ?? 0;
    this.minLr = opts?.minLr ?? 0;
    this.eps = opts?.eps ?? 1e-8;
    checkNumber(fn, 'lr', opts?.lr, (x) => x >= 0, '>= 0');
    if (this.mode !== 'min' && this.mode !== 'max')
      throw new Error(`${fn}: mode = '${String(this.mode)}' must be 'min' or 'max'`);
    if (this.thresholdMode !== 'rel' && this.thresholdMode !== 'abs') {
      throw new Error(`${fn}: thresholdMode = '${String(this.thresholdMode)}' must be 'rel' or 'abs'`);
    }
    checkNumber(fn, 'factor', this.factor, (x) => x >= 0 && x < 1, 'in [0, 1)');
    checkNumber(fn, 'patience', this.patience, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
    checkNumber(fn, 'threshold', this.threshold, (x) => x >= 0, '>= 0');
    checkNumber(fn, 'cooldown', this.cooldown, (x) => Number.isInteger(x) && x >= 0, 'an integer >= 0');
    checkNumber(fn, 'minLr', this.minLr, (x) => x >= 0, '>= 0');
    checkNumber(fn, 'eps', this.eps, (x) => x >= 0, '>= 0');
    this.s = {
      lr: opts.lr,
      best: this.mode === 'min' ? Infinity : -Infinity,
      numBadEpochs: 0,
      cooldownCounter: 0,
      lastEpoch: 0,
    };
  }

  /** The current learning rate. */
  get lr(): number {
    return this.s.lr;
  }

  private isBetter(a: number, best: number): boolean {
    if (this.mode === 'min')
      return this.thresholdMode === 'rel' ? a < best * (1 - this.threshold) : a < best - this.threshold;
    return this.thresholdMode === 'rel' ? a > best * (this.threshold + 1) : a > best + this.threshold;
  }

  /** Records a metric (a NaN counts as no improvement) and returns the learning rate for the next steps. */
  step(metric: number): number {
    const s = this.s;
    s.lastEpoch += 1;
    if (this.isBetter(metric, s.best)) {
      s.best = metric;
      s.numBadEpochs = 0;
    } else {
      s.numBadEpochs += 1;
    }
    if (s.cooldownCounter > 0) {
      s.cooldownCounter -= 1;
      s.numBadEpochs = 0;
    }
    if (s.numBadEpochs > this.patience) {
      const newLr = Math.max(s.lr * this.factor, this.minLr);
      if (s.lr - newLr > this.eps) s.lr = newLr;
      s.cooldownCounter = this.cooldown;
      s.numBadEpochs = 0;
    }
    return s.lr;
  }

  /** A copy of the state, for checkpoints. */
  stateDict(): ReduceLROnPlateauState {
    return { ...this.s };
  }

  /** Restores a state from `stateDict()`. @throws if a field is missing or not a number. */
  loadStateDict(state: ReduceLROnPlateauState): void {
    for (const k of ['lr', 'best', 'numBadEpochs', 'cooldownCounter', 'lastEpoch'] as const) {
      if (typeof state?.[k] !== 'number')
        throw new Error(`ReduceLROnPlateau.loadStateDict: state.${k} = ${String(state?.[k])} is not a number`);
    }
    this.s = {
      lr: state.lr,
      best: state.best,
      numBadEpochs: state.numBadEpochs,
      cooldownCounter: state.cooldownCounter,
      lastEpoch: state.lastEpoch,
    };
  }
}
