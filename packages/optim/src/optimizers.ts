/**
 * The familiar optimizers, built by chaining gradient transformations, with torch.optim's defaults and
 * numerics (where weight decay and eps enter), and parameter groups selected by name.
 *
 * References: torch/optim/{sgd,adam,adamw,adagrad,rmsprop}.py (1.13); optax `alias.py`.
 * @module
 */
import type { GradientTransformation, LearningRate } from './types.js';
import { chain, multiTransform } from './transformation.js';
import { scale, scaleByLearningRate } from './scale.js';
import { addDecayedWeights } from './weight-decay.js';
import { trace } from './momentum.js';
import { scaleByRms, scaleByRss } from './rms.js';
import { checkNumber } from './internal/named.js';
import { fusedAdam } from './internal/fused-adam.js';

/**
 * A parameter group: the parameters whose names `match` (a RegExp tested against the name, or a predicate) get
 * these options instead of the constructor's. The first matching group wins; unmatched parameters use the
 * constructor's options. Example: `{ match: /(\.bias|norm\.weight|embed)/, weightDecay: 0 }`.
 */
export type ParamGroup<O> = Partial<Omit<O, 'groups'>> & { match: RegExp | ((name: string) => boolean) };

interface WithGroups<O> {
  /** Per-group overrides by parameter name. @default [] (one group) */
  groups?: ParamGroup<O>[];
}

function withGroups<O extends WithGroups<O>>(
  fn: string,
  opts: O,
  build: (o: O) => GradientTransformation,
): GradientTransformation {
  const groups = opts.groups ?? [];
  if (!Array.isArray(groups)) throw new Error(`${fn}: groups must be an array of { match, ...options }`);
  const base = { ...opts, groups: undefined };
  if (groups.length === 0) return build(base);
  const txs = new Map<string, GradientTransformation>();
  const tests = groups.map((g, i) => {
    const m = g?.match;
    if (m instanceof RegExp) {
      // A global or sticky RegExp keeps lastIndex between tests; copy without those flags.
      const re = new RegExp(m.source, m.flags.replace(/[gy]/g, ''));
      return (name: string) => re.test(name);
    }
    if (typeof m === 'function') return m;
    throw new Error(`${fn}: groups[${i}].match must be a RegExp or a function of the parameter name`);
  });
  groups.forEach((g, i) => {
    const { match: _match, ...overrides } = g;
    txs.set(`group${i}`, build({ ...base, ...overrides } as O));
  });
  txs.set('default', build(base));
  return multiTransform(txs, (name) => {
    for (let i = 0; i < tests.length; i++) if (tests[i](name)) return `group${i}`;
    return 'default';
  });
}

function checkLr(fn: string, lr: LearningRate | undefined): LearningRate {
  if (lr === undefined) throw new Error(`${fn}: lr is required`);
  if (typeof lr !== 'function') checkNumber(fn, 'lr', lr, (x) => x >= 0, '>= 0');
  return lr;
}

/** Options of `sgd` (torch.optim.SGD). */
export interface SgdOptions extends WithGroups<SgdOptions> {
  /** Learning rate or schedule. Required (torch has no default either). */
  lr: LearningRate;
  /** Momentum factor. @default 0 (plain SGD, torch's default) */
  momentum?: number;
  /** Dampening of momentum. @default 0 (torch's default) */
  dampening?: number;
  /** Nesterov momentum (needs momentum > 0, dampening 0). @default false */
  nesterov?: boolean;
  /** L2 penalty added to the gradient before momentum, as torch. @default 0 */
  weightDecay?: number;
  /** Maximize the objective instead. @default false */
  maximize?: boolean;
}

/** SGD with optional momentum, dampening, Nesterov and (coupled) weight decay, as torch.optim.SGD. */
export function sgd(opts: SgdOptions): GradientTransformation {
  return withGroups('sgd', opts, (o) => {
    const lr = checkLr('sgd', o.lr);
    const momentum = o.momentum ?? 0;
    const wd = o.weightDecay ?? 0;
    checkNumber('sgd', 'momentum', momentum, (x) => x >= 0, '>= 0');
    checkNumber('sgd', 'weightDecay', wd, (x) => x >= 0, '>= 0');
    if (o.nesterov && (momentum <= 0 || (o.dampening ?? 0) !== 0)) {
      throw new Error(
        `sgd: nesterov requires momentum > 0 and dampening = 0 (got momentum = ${momentum}, dampening = ${o.dampening ?? 0})`,
      );
    }
    return chain(
      ...(o.maximize ? [scale(-1)] : []),
      ...(wd > 0 ? [addDecayedWeights({ weightDecay: wd })] : []),
      ...(momentum > 0 ? [trace({ momentum, dampening: o.dampening ?? 0, nesterov: o.nesterov ?? false })] : []),
      scaleByLearningRate(lr),
    );
  });
}

/** Options of `adam` and `adamw` (torch.optim.Adam / AdamW). */
export interface AdamOptions extends WithGroups<AdamOptions> {
  /** Learning rate or schedule. @default 1e-3 (torch's default) */
  lr?: LearningRate;
  /** Decay rates of the first and second moments. @default [0.9, 0.999] (torch's default) */
  betas?: [number, number];
  /** Added to the denominator after bias correction. @default 1e-8 (torch's default) */
  eps?: number;
  /**
   * Weight decay. Adam: L2 penalty added to the gradient (coupled). AdamW: decoupled, `p -= lr·wd·p`.
   * @default 0 for adam, 1e-2 for adamw (torch's defaults)
   */
  weightDecay?: number;
  /** AMSGrad variant. @default false */
  amsgrad?: boolean;
  /** Maximize the objective instead. @default false */
  maximize?: boolean;
}

/**
 * Adam with coupled L2 weight decay, as torch.optim.Adam. The same arithmetic as
 * `chain([addDecayedWeights], scaleByAdam, scaleByLearningRate)`, fused into fewer tensor passes.
 */
export function adam(opts: AdamOptions = {}): GradientTransformation {
  return withGroups('adam', opts, (o) => adamLike('adam', o, false, 0));
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW. The same arithmetic as
 * `chain(scaleByAdam, addDecayedWeights, scaleByLearningRate)`, fused into fewer tensor passes.
 */
export function adamw(opts: AdamOptions = {}): GradientTransformation {
  return withGroups('adamw', opts, (o) => adamLike('adamw', o, true, 1e-2));
}

function adamLike(fn: string, o: AdamOptions, decoupled: boolean, defaultDecay: number): GradientTransformation {
  const lr = checkLr(fn, o.lr ?? 1e-3);
  const weightDecay = o.weightDecay ?? defaultDecay;
  const [b1, b2] = o.betas ?? [0.9, 0.999];
  const eps = o.eps ?? 1e-8;
  checkNumber(fn, 'weightDecay', weightDecay, (x) => x >= 0, '>= 0');
  checkNumber(fn, 'betas[0]', b1, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber(fn, 'betas[1]', b2, (x) => x >= 0 && x < 1, 'in [0, 1)');
  checkNumber(fn, 'eps', eps, (x) => x >= 0, '>= 0');
  return fusedAdam({
    lr,
    b1,
    b2,
    eps,
    amsgrad: o.amsgrad ?? false,
    weightDecay,
    decoupled,
    maximize: o.maximize ?? false,
  });
}

/** Options of `adagrad` (torch.optim.Adagrad). */
export interface AdagradOptions extends WithGroups<AdagradOptions> {
  /** Learning rate or schedule. @default 1e-2 (torch's default) */
  lr?: LearningRate;
  /** The rate at step k is `lr / (1 + k·lrDecay)`. @default 0 */
  lrDecay?: number;
  /** L2 penalty added to the gradient. @default 0 */
  weightDecay?: number;
  /** Starting value of the sum of squares. @default 0 */
  initialAccumulatorValue?: number;
  /** Added to the root of the sum. @default 1e-10 (torch's default) */
  eps?: number;
  /** Maximize the objective instead. @default false */
  maximize?: boolean;
}

/** Adagrad, as torch.optim.Adagrad. */
export function adagrad(opts: AdagradOptions = {}): GradientTransformation {
  return withGroups('adagrad', opts, (o) => {
    const lr = checkLr('adagrad', o.lr ?? 1e-2);
    const lrDecay = o.lrDecay ?? 0;
    const wd = o.weightDecay ?? 0;
    checkNumber('adagrad', 'lrDecay', lrDecay, (x) => x >= 0, '>= 0');
    checkNumber('adagrad', 'weightDecay', wd, (x) => x >= 0, '>= 0');
    const rate: LearningRate = lrDecay === 0 ? lr : (k) => (typeof lr === 'number' ? lr : lr(k)) / (1 + k * lrDecay);
    return chain(
      ...(o.maximize ? [scale(-1)] : []),
      ...(wd > 0 ? [addDecayedWeights({ weightDecay: wd })] : []),
      scaleByRss({ initialAccumulatorValue: o.initialAccumulatorValue ?? 0, eps: o.eps ?? 1e-10 }),
      scaleByLearningRate(rate),
    );
  });
}

/** Options of `rmsprop` (torch.optim.RMSprop). */
export interface RmspropOptions extends WithGroups<RmspropOptions> {
  /** Learning rate or schedule. @default 1e-2 (torch's default) */
  lr?: LearningRate;
  /** Smoothing constant. @default 0.99 (torch's default) */
  alpha?: number;
  /** Added to the root mean square. @default 1e-8 (torch's default) */
  eps?: number;
  /** L2 penalty added to the gradient. @default 0 */
  weightDecay?: number;
  /** Momentum on the preconditioned gradient (before lr, as torch). @default 0 */
  momentum?: number;
  /** Normalize by the estimated variance (centered RMSprop). @default false */
  centered?: boolean;
  /** Maximize the objective instead. @default false */
  maximize?: boolean;
}

/** RMSprop with optional centering and momentum, as torch.optim.RMSprop. */
export function rmsprop(opts: RmspropOptions = {}): GradientTransformation {
  return withGroups('rmsprop', opts, (o) => {
    const lr = checkLr('rmsprop', o.lr ?? 1e-2);
    const wd = o.weightDecay ?? 0;
    const momentum = o.momentum ?? 0;
    checkNumber('rmsprop', 'weightDecay', wd, (x) => x >= 0, '>= 0');
    checkNumber('rmsprop', 'momentum', momentum, (x) => x >= 0, '>= 0');
    return chain(
      ...(o.maximize ? [scale(-1)] : []),
      ...(wd > 0 ? [addDecayedWeights({ weightDecay: wd })] : []),
      scaleByRms({ alpha: o.alpha ?? 0.99, eps: o.eps ?? 1e-8, centered: o.centered ?? false }),
      ...(momentum > 0 ? [trace({ momentum })] : []),
      scaleByLearningRate(lr),
    );
  });
}
