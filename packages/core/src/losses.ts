/**
 * Losses with PyTorch's semantics (torch.nn.functional.cross_entropy, binary_cross_entropy_
 * with_logits, mse_loss), batch-first with the class axis LAST (`[..., C]`; PyTorch puts it
 * at dim 1), plus masked sequence cross-entropy and perplexity/accuracy helpers.
 *
 * Reference for label smoothing: Szegedy et al. (2016); PyTorch's formula
 * loss = (1−ε)·(−log p_y) + ε·mean_c(−log p_c).
 *
 * One deliberate difference from PyTorch: a 'mean' over zero counted positions (every target
 * ignored, an all-zero mask, an empty batch) is 0 with zero gradients, where PyTorch returns NaN
 * (its gradients are zero too). A NaN loss would trip an optimizer's non-finite check and end a
 * long run on one unlucky batch; a 0 loss with zero gradients is a no-op step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './internal/custom-grad.js';

export type Reduction = 'mean' | 'sum' | 'none';

/** Options whose reduction reduces to one number: the loss is then a `tf.Scalar`. */
type Reducing<O> = O & { reduction?: 'mean' | 'sum' };
/** Options with `reduction: 'none'`: the loss keeps a shape. */
type Elementwise<O> = O & { reduction: 'none' };

/** sum / count, or 0 when count is 0 (no NaN, and a zero gradient through `sum`). */
function safeMean(sum: tf.Tensor, count: tf.Tensor): tf.Scalar {
  return tf.div(sum, tf.where(tf.equal(count, 0), tf.onesLike(count), count)) as tf.Scalar;
}

export interface CrossEntropyOptions {
  /** Targets equal to this contribute nothing and are left out of the mean. @default -100 (PyTorch's) */
  ignoreIndex?: number;
  /** ε in [0, 1]: mix the one-hot target with the uniform distribution. @default 0 */
  labelSmoothing?: number;
  /** 'mean' over non-ignored targets, 'sum', or 'none' (shape of targets, 0 where ignored). @default 'mean' */
  reduction?: Reduction;
}

function checkReduction(r: string, fn: string): void {
  if (r !== 'mean' && r !== 'sum' && r !== 'none')
    throw new Error(`${fn}: reduction = '${r}' (expected 'mean', 'sum' or 'none')`);
}

/**
 * `−log softmax(x)[t]` of each row of `x [M, C]` for valid class ids `t [M]`, as one op with a hand-written
 * backward: forward `lse = max + log Σ exp(x − max)`, `nll = lse − x[t]`; backward
 * `dx = dnll · exp(x − max) / Σ − scatter(dnll at t)`, from the `exp(x − max)` the forward kept. Three passes over
 * `[M, C]` each way, all backend ops (no read-back), against tfjs's `logSoftmax` + `gather`: two `Exp`s, broadcast
 * subtractions, and a dense `UnsortedSegmentSum` of M·C for the gather's gradient. Measured on a 10k vocabulary
 * (the `lm ptb` loss, [350, 10000], wasm, loaded machine, interleaved): forward + backward 58 ms vs 105 ms (min of
 * 12), 74 vs 146 (median). NaN and ±Infinity in a row give a NaN loss, as before.
 */
function nllRows(x: tf.Tensor2D, t: tf.Tensor1D): tf.Tensor1D {
  const [M, C] = x.shape;
  const f = customGrad(([logits], save) => {
    const at = tf.stack([tf.range(0, M, 1, 'int32'), t], 1); // [M, 2]: (row, target)
    const mx = tf.max(logits, 1, true); // [M, 1]
    const e = tf.exp(tf.sub(logits, mx)); // [M, C]
    const s = tf.sum(e, 1, true); // [M, 1]
    const value = tf.sub(tf.reshape(tf.add(tf.log(s), mx), [M]), tf.gatherND(logits, at)); // [M]
    save([e, s, at]);
    return {
      value,
      gradFunc: (dy, saved) => {
        const [es, ss, ats] = saved;
        const w = tf.reshape(tf.div(dy, tf.reshape(ss, [M])), [M, 1]); // dnll / Σ
        return [tf.sub(tf.mul(es, w), tf.scatterND(ats, dy, [M, C]))];
      },
    };
  });
  return f(x) as tf.Tensor1D;
}

/** Per-position loss [M] and validity [M] (float 0/1) for flat logits [M, C] and targets [M]. */
function perPositionCE(
  logits2: tf.Tensor2D,
  targets1: tf.Tensor1D,
  ignoreIndex: number,
  eps: number,
): { loss: tf.Tensor1D; valid: tf.Tensor1D } {
  const [M, C] = logits2.shape;
  const valid = tf.cast(tf.notEqual(targets1, tf.scalar(ignoreIndex, 'int32')), 'float32') as tf.Tensor1D;
  const safe = tf.where(tf.cast(valid, 'bool'), targets1, tf.zerosLike(targets1)); // ignored -> class 0
  if (eps === 0 && M > 0 && C > 0 && logits2.dtype === 'float32') {
    const nll = nllRows(logits2, safe as tf.Tensor1D);
    return { loss: tf.mul(nll, valid) as tf.Tensor1D, valid };
  }
  const logp = tf.logSoftmax(logits2); // [M, C]
  const flatIdx = tf.add(tf.mul(tf.range(0, M, 1, 'int32'), tf.scalar(C, 'int32')), safe); // [M]
  const nll = tf.neg(tf.gather(tf.reshape(logp, [-1]), flatIdx)) as tf.Tensor1D; // [M]
  let loss = nll;
  if (eps > 0) {
    const smooth = tf.neg(tf.mean(logp, -1)); // [M]
    loss = tf.add(tf.mul(nll, 1 - eps), tf.mul(smooth, eps)) as tf.Tensor1D;
  }
  return { loss: tf.mul(loss, valid) as tf.Tensor1D, valid };
}

function checkTargets(targets: tf.Tensor, C: number, ignoreIndex: number, fn: string): void {
  if (targets.dtype !== 'int32') throw new Error(`${fn}: targets.dtype = ${targets.dtype}, expected int32 class ids`);
  const t = targets.dataSync();
  for (let i = 0; i < t.length; i++) {
    if (t[i] !== ignoreIndex && (t[i] < 0 || t[i] >= C)) {
      throw new Error(`${fn}: targets[${i}] = ${t[i]} is outside [0, ${C}) and is not ignoreIndex = ${ignoreIndex}`);
    }
  }
}

/**
 * Cross-entropy from logits `[..., C]` and int32 class ids `[...]`. Returns a `tf.Scalar` for
 * 'mean' and 'sum' (so `tf.variableGrads(() => crossEntropy(...))` needs no cast), the targets'
 * shape for 'none'.
 * With reduction 'mean' and every target ignored, the loss is 0 and every gradient 0 (PyTorch:
 * NaN loss, zero gradients), so one such batch is a no-op step instead of a NaN.
 * @throws on a target outside [0, C) that is not ignoreIndex, or mismatched shapes
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, opts?: Reducing<CrossEntropyOptions>): tf.Scalar;
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, opts: Elementwise<CrossEntropyOptions>): tf.Tensor;
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, opts?: CrossEntropyOptions): tf.Tensor;
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, opts: CrossEntropyOptions = {}): tf.Tensor {
  const fn = 'crossEntropy';
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const eps = opts.labelSmoothing ?? 0;
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, fn);
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${fn}: labelSmoothing = ${eps} must be in [0, 1]`);
  if (logits.rank < 1 || !tf.util.arraysEqual(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(
      `${fn}: logits.shape = [${logits.shape.join(', ')}] must be targets.shape = [${targets.shape.join(', ')}] + [C]`,
    );
  }
  const C = logits.shape[logits.rank - 1];
  checkTargets(targets, C, ignoreIndex, fn);
  return tf.tidy(() => {
    const { loss, valid } = perPositionCE(
      tf.reshape(logits, [-1, C]) as tf.Tensor2D,
      tf.reshape(targets, [-1]) as tf.Tensor1D,
      ignoreIndex,
      eps,
    );
    if (reduction === 'none') return tf.reshape(loss, targets.shape);
    if (reduction === 'sum') return tf.sum(loss);
    return safeMean(tf.sum(loss), tf.sum(valid));
  });
}

export interface SequenceCrossEntropyOptions {
  /** @default 0 */
  labelSmoothing?: number;
  /**
   * 'mean' over real tokens (mask = 1; 0 with zero gradients when the mask is all zero), 'sum'
   * over real tokens, 'none' → `[B, T]` with 0 at padding.
   * @default 'mean' (per-token loss; exp of it is the perplexity)
   */
  reduction?: Reduction;
}

/**
 * Masked cross-entropy for sequences: logits `[B, T, V]`, int32 targets `[B, T]`, mask
 * `[B, T]` (1 = real token; padded targets may hold any id, even out of range). A `tf.Scalar`
 * for 'mean' and 'sum'. An all-zero mask with 'mean' gives 0 and zero gradients (PyTorch's
 * masked mean would give NaN).
 */
export function sequenceCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  mask: tf.Tensor,
  opts?: Reducing<SequenceCrossEntropyOptions>,
): tf.Scalar;
export function sequenceCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  mask: tf.Tensor,
  opts: Elementwise<SequenceCrossEntropyOptions>,
): tf.Tensor;
export function sequenceCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  mask: tf.Tensor,
  opts?: SequenceCrossEntropyOptions,
): tf.Tensor;
export function sequenceCrossEntropy(
  logits: tf.Tensor,
  targets: tf.Tensor,
  mask: tf.Tensor,
  opts: SequenceCrossEntropyOptions = {},
): tf.Tensor {
  const fn = 'sequenceCrossEntropy';
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, fn);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new Error(`${fn}: labelSmoothing = ${eps} must be in [0, 1]`);
  if (logits.rank !== 3 || targets.rank !== 2 || !tf.util.arraysEqual(logits.shape.slice(0, 2), targets.shape)) {
    throw new Error(
      `${fn}: logits.shape = [${logits.shape.join(', ')}] must be [B, T, V] with targets.shape = [${targets.shape.join(', ')}] = [B, T]`,
    );
  }
  if (!tf.util.arraysEqual(mask.shape, targets.shape)) {
    throw new Error(
      `${fn}: mask.shape = [${mask.shape.join(', ')}] must equal targets.shape = [${targets.shape.join(', ')}]`,
    );
  }
  const V = logits.shape[2] as number;
  const T = targets.shape[1] as number;
  if (targets.dtype !== 'int32') throw new Error(`${fn}: targets.dtype = ${targets.dtype}, expected int32 class ids`);
  const t = targets.dataSync();
  const m = mask.dataSync();
  for (let i = 0; i < t.length; i++) {
    if (m[i] !== 0 && (t[i] < 0 || t[i] >= V)) {
      throw new Error(
        `${fn}: targets[${Math.floor(i / T)}][${i % T}] = ${t[i]} is outside [0, ${V}) at a real (unmasked) position`,
      );
    }
  }
  return tf.tidy(() => {
    const maskF = tf.reshape(tf.cast(mask, 'float32'), [-1]) as tf.Tensor1D;
    // Padded positions get class 0 (then weight 0), so any id may sit under padding.
    const safeT = tf.mul(tf.reshape(targets, [-1]), tf.cast(tf.notEqual(maskF, 0), 'int32')) as tf.Tensor1D;
    const { loss } = perPositionCE(tf.reshape(logits, [-1, V]) as tf.Tensor2D, safeT, -1, eps);
    const masked = tf.mul(loss, maskF);
    if (reduction === 'none') return tf.reshape(masked, targets.shape);
    if (reduction === 'sum') return tf.sum(masked);
    return safeMean(tf.sum(masked), tf.sum(maskF));
  });
}

export interface BCEOptions {
  /**
   * 'mean' over the counted elements (all, or those where `mask` is 1), 'sum', or 'none'
   * (elementwise, 0 where masked). @default 'mean'
   */
  reduction?: Reduction;
  /**
   * Elements to count (1) or leave out (0), the shape of `targets` (e.g. padded positions of a
   * sequence tagger). With 'mean', the mean is over the counted elements; none counted gives 0
   * and zero gradients. @default every element counts
   */
  mask?: tf.Tensor;
  /** Weight of positive examples (broadcast over the last axis), as PyTorch's pos_weight. @default none (1) */
  posWeight?: tf.Tensor | number;
}

/**
 * Binary cross-entropy on logits, computed stably (PyTorch's formula):
 * (1 − t)·x + (1 + (w − 1)·t)·softplus(−x). A `tf.Scalar` for 'mean' and 'sum'. A 'mean' over
 * no counted element (all masked, or an empty tensor) is 0 with zero gradients (PyTorch: NaN).
 */
export function binaryCrossEntropyWithLogits(
  logits: tf.Tensor,
  targets: tf.Tensor,
  opts?: Reducing<BCEOptions>,
): tf.Scalar;
export function binaryCrossEntropyWithLogits(
  logits: tf.Tensor,
  targets: tf.Tensor,
  opts: Elementwise<BCEOptions>,
): tf.Tensor;
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, opts?: BCEOptions): tf.Tensor;
export function binaryCrossEntropyWithLogits(logits: tf.Tensor, targets: tf.Tensor, opts: BCEOptions = {}): tf.Tensor {
  const fn = 'binaryCrossEntropyWithLogits';
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, fn);
  if (!tf.util.arraysEqual(logits.shape, targets.shape)) {
    throw new Error(
      `${fn}: logits.shape = [${logits.shape.join(', ')}] != targets.shape = [${targets.shape.join(', ')}]`,
    );
  }
  const { mask } = opts;
  if (mask !== undefined && !(mask instanceof tf.Tensor && tf.util.arraysEqual(mask.shape, targets.shape))) {
    throw new Error(
      `${fn}: mask.shape = [${mask instanceof tf.Tensor ? mask.shape.join(', ') : String(mask)}] must equal targets.shape = [${targets.shape.join(', ')}]`,
    );
  }
  return tf.tidy(() => {
    const x = logits;
    const t = tf.cast(targets, 'float32');
    // log(1 + e^-x) as softplus(-x): stable, and its gradient −σ(−x) is right at x = 0 too
    // (the max/abs formulation picks a wrong subgradient there).
    const softplusNeg = tf.softplus(tf.neg(x));
    let loss: tf.Tensor;
    if (opts.posWeight === undefined) {
      loss = tf.add(tf.mul(tf.sub(1, t), x), softplusNeg);
    } else {
      const w = typeof opts.posWeight === 'number' ? tf.scalar(opts.posWeight) : opts.posWeight;
      const coef = tf.add(1, tf.mul(tf.sub(w, 1), t));
      loss = tf.add(tf.mul(tf.sub(1, t), x), tf.mul(coef, softplusNeg));
    }
    if (mask === undefined) {
      if (reduction === 'none') return loss;
      if (reduction === 'sum') return tf.sum(loss);
      return loss.size === 0 ? tf.scalar(0) : tf.mean(loss);
    }
    const m = tf.cast(mask, 'float32');
    const masked = tf.mul(loss, m);
    if (reduction === 'none') return masked;
    if (reduction === 'sum') return tf.sum(masked);
    return safeMean(tf.sum(masked), tf.sum(m));
  });
}

/** Mean squared error (or sum / elementwise; a `tf.Scalar` unless 'none'). @param opts.reduction @default 'mean' */
export function mseLoss(a: tf.Tensor, b: tf.Tensor, opts?: { reduction?: 'mean' | 'sum' }): tf.Scalar;
export function mseLoss(a: tf.Tensor, b: tf.Tensor, opts: { reduction: 'none' }): tf.Tensor;
export function mseLoss(a: tf.Tensor, b: tf.Tensor, opts?: { reduction?: Reduction }): tf.Tensor;
export function mseLoss(a: tf.Tensor, b: tf.Tensor, opts: { reduction?: Reduction } = {}): tf.Tensor {
  const reduction = opts.reduction ?? 'mean';
  checkReduction(reduction, 'mseLoss');
  if (!tf.util.arraysEqual(a.shape, b.shape)) {
    throw new Error(`mseLoss: a.shape = [${a.shape.join(', ')}] != b.shape = [${b.shape.join(', ')}]`);
  }
  return tf.tidy(() => {
    const d = tf.squaredDifference(a, b);
    if (reduction === 'none') return d;
    return reduction === 'sum' ? tf.sum(d) : tf.mean(d);
  });
}

/** exp(mean cross-entropy in nats). Accepts a number or a scalar tensor (read synchronously). */
export function perplexity(meanLoss: number | tf.Tensor): number {
  const v = typeof meanLoss === 'number' ? meanLoss : meanLoss.dataSync()[0];
  return Math.exp(v);
}

export interface AccuracyOptions {
  /** Positions whose target equals this are left out. @default -100 */
  ignoreIndex?: number;
  /** Optional `[...]` mask (1 = count this position). @default all positions */
  mask?: tf.Tensor;
}

/**
 * Fraction of positions where argmax(logits) equals the target, over counted positions
 * (NaN if none). logits `[..., C]`, targets int32 `[...]`.
 */
export function accuracy(logits: tf.Tensor, targets: tf.Tensor, opts: AccuracyOptions = {}): number {
  if (!tf.util.arraysEqual(logits.shape.slice(0, -1), targets.shape)) {
    throw new Error(
      `accuracy: logits.shape = [${logits.shape.join(', ')}] must be targets.shape = [${targets.shape.join(', ')}] + [C]`,
    );
  }
  const ignoreIndex = opts.ignoreIndex ?? -100;
  const pred = tf.tidy(() => tf.argMax(logits, -1));
  const p = pred.dataSync();
  pred.dispose();
  const t = targets.dataSync();
  const m = opts.mask?.dataSync();
  if (m && m.length !== t.length) throw new Error(`accuracy: mask has ${m.length} elements, targets ${t.length}`);
  let n = 0;
  let correct = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === ignoreIndex || (m && m[i] === 0)) continue;
    n++;
    if (p[i] === t[i]) correct++;
  }
  return correct / n;
}
