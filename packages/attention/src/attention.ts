/**
 * Attention as a soft dictionary lookup: compare a query with every key (a score
 * function), normalize with a masked softmax, and return the weighted sum of the values.
 *
 * References: Bahdanau, Cho & Bengio 2015; Luong, Pham & Manning 2015; Vaswani et al. 2017.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy } from '@wordloom/core';
import { maskedSoftmax } from './masked-softmax.js';
import { resolveKeyMask, type Lengths } from './mask.js';
import { resolveScore, type ScoreSpec } from './scores.js';

/** Options of {@link attention}. */
export interface AttentionOptions {
  /**
   * The score function: `'dot'`, `'scaledDot'`, or a score object (`GeneralScore`,
   * `ConcatScore`, `AdditiveScore`, or your own {@link AttentionScore}).
   * @default 'dot' — parameter-free, Luong's simplest.
   */
  score?: ScoreSpec;
  /**
   * Which keys may be attended: `[B, Tk]` or `[B, Tq, Tk]`, 1/true = real position,
   * 0/false = masked (the collated batch's `mask`). Masked keys get exactly zero weight; a
   * query whose keys are all masked gets all-zero weights and a zero context (not NaN).
   * @default undefined — every key is attended.
   */
  mask?: tf.Tensor;
  /** Key lengths, one per row (`t < lengths[b]` is real). Alternative to `mask`. */
  lengths?: Lengths;
  /**
   * `score.prepareKeys(keys)` computed earlier (cache it across decoder steps: the key side
   * of `general`, `concat` and `additive` is a projection you pay once per source).
   * The caller keeps ownership.
   * @default undefined — prepared here.
   */
  preparedKeys?: tf.Tensor;
}

/** What {@link attention} returns (both new tensors owned by the caller). */
export interface AttentionResult {
  /** Weighted sum of the values: `[B, Tq, Dv]`, or `[B, Dv]` for a `[B, Dq]` query. */
  context: tf.Tensor;
  /** Attention weights: `[B, Tq, Tk]`, or `[B, Tk]` for a `[B, Dq]` query. Rows sum to 1 (0 if fully masked). */
  weights: tf.Tensor;
}

/**
 * Batched attention of `query` over `keys`/`values`.
 * @param query `[B, Tq, Dq]` or `[B, Dq]` (one decoder step)
 * @param keys `[B, Tk, Dk]`
 * @param values `[B, Tk, Dv]`
 * @throws when ranks/batch/lengths disagree, the query size doesn't fit the score, or the mask shape is wrong.
 */
export function attention(
  query: tf.Tensor,
  keys: tf.Tensor,
  values: tf.Tensor,
  opts: AttentionOptions = {},
): AttentionResult {
  const fn = 'attention';
  if (query.rank !== 2 && query.rank !== 3)
    throw new Error(`${fn}: query must be [B, Tq, D] or [B, D], got shape [${query.shape.join(', ')}]`);
  if (keys.rank !== 3) throw new Error(`${fn}: keys must be [B, Tk, Dk], got shape [${keys.shape.join(', ')}]`);
  if (values.rank !== 3) throw new Error(`${fn}: values must be [B, Tk, Dv], got shape [${values.shape.join(', ')}]`);
  const [B, Tk] = keys.shape as [number, number, number];
  if (query.shape[0] !== B || values.shape[0] !== B) {
    throw new Error(`${fn}: batch sizes differ: query ${query.shape[0]}, keys ${B}, values ${values.shape[0]}`);
  }
  if (values.shape[1] !== Tk) throw new Error(`${fn}: keys have Tk = ${Tk} but values have ${values.shape[1]}`);
  const score = resolveScore(opts.score);
  const squeeze = query.rank === 2;
  const Tq = squeeze ? 1 : (query.shape[1] as number);
  return tidy(() => {
    const q = (squeeze ? tf.expandDims(query, 1) : query) as tf.Tensor3D;
    const pk = opts.preparedKeys ?? score.prepareKeys(keys as tf.Tensor3D);
    const scores = score.score(q, pk); // [B, Tq, Tk]
    if (scores.shape[2] !== Tk)
      throw new Error(`${fn}: preparedKeys cover ${scores.shape[2]} keys but keys have Tk = ${Tk}`);
    const allowed = resolveKeyMask(fn, B, Tq, Tk, opts.mask, opts.lengths); // [B, 1|Tq, Tk] or null
    const weights = maskedSoftmax(scores, allowed); // [B, Tq, Tk]
    const context = tf.matMul(weights as tf.Tensor3D, values as tf.Tensor3D); // [B, Tq, Dv]
    if (squeeze) return { context: tf.squeeze(context, [1]), weights: tf.squeeze(weights, [1]) };
    return { context, weights };
  });
}
