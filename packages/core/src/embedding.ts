/**
 * `Embedding`: a lookup table `[numEmbeddings, embeddingDim]` (torch.nn.Embedding).
 *
 * The gradient is hand-written: dW = unsortedSegmentSum(dy, ids), with the rows of
 * `paddingIdx` dropped so that row never changes in training (PyTorch's semantics), and
 * without tfjs's gather-gradient detour through transposes. On wasm this needs the
 * UnsortedSegmentSum kernel that `setupBackend()` registers.
 */
import * as tf from '@tensorflow/tfjs-core';
import { init } from './init.js';
import { Module } from './module.js';
import { customGrad } from './internal/custom-grad.js';

export interface EmbeddingOptions {
  numEmbeddings: number;
  embeddingDim: number;
  /**
   * Id whose row starts at zero (unless `weights` are given) and never receives a gradient.
   * Negative values count from the end, as in PyTorch. @default none
   */
  paddingIdx?: number;
  /** Seed of the N(0, 1) initialization (PyTorch's). @default a fork of the global generator */
  seed?: number;
  /**
   * Pretrained vectors `[numEmbeddings, embeddingDim]` (row-major if a Float32Array). Copied;
   * the caller keeps ownership. @default none (random N(0, 1))
   */
  weights?: tf.Tensor2D | Float32Array;
  /** Make the table non-trainable (as `nn.Embedding.from_pretrained(freeze=True)`). @default false */
  freeze?: boolean;
}

/**
 * Row lookup `weight[ids]` → `[...ids.shape, dim]` whose gradient w.r.t. `weight` is a
 * segment sum, skipping `paddingIdx` rows (pass -1 for none). Exported for layers that hold
 * their own tables (e.g. tied weights).
 */
export function embeddingLookup(weight: tf.Tensor2D, ids: tf.Tensor, paddingIdx = -1): tf.Tensor {
  if (ids.dtype !== 'int32') throw new Error(`embeddingLookup: ids.dtype = ${ids.dtype}, expected int32`);
  const [num, dim] = weight.shape;
  return tf.tidy(() => {
    const flat = tf.reshape(ids, [-1]) as tf.Tensor1D; // [N]
    const f = customGrad(([w], save) => {
      // `flat` dies with this tidy; the tape keeps a saved copy for the backward pass.
      save([flat]);
      return {
        value: tf.gather(w, flat), // [N, dim]
        gradFunc: (dy, saved) => {
          const [ids1] = saved as [tf.Tensor1D];
          let d = dy as tf.Tensor2D;
          if (paddingIdx >= 0) {
            const keep = tf.cast(tf.notEqual(ids1, tf.scalar(paddingIdx, 'int32')), 'float32'); // [N]
            d = tf.mul(d, tf.reshape(keep, [-1, 1]));
          }
          return [tf.unsortedSegmentSum(d, ids1, num)]; // [num, dim]
        },
      };
    });
    const rows = f(weight) as tf.Tensor;
    return tf.reshape(rows, [...ids.shape, dim]);
  });
}

export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** Normalized (non-negative) padding id, or null. */
  readonly paddingIdx: number | null;
  readonly weight: tf.Variable; // [num, dim]

  constructor(opts: EmbeddingOptions) {
    super();
    const { numEmbeddings, embeddingDim } = opts;
    for (const [k, v] of [
      ['numEmbeddings', numEmbeddings],
      ['embeddingDim', embeddingDim],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`Embedding: ${k} = ${v} must be a positive integer`);
    }
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    let pad: number | null = null;
    if (opts.paddingIdx !== undefined && opts.paddingIdx !== null) {
      const p = opts.paddingIdx;
      if (!Number.isInteger(p) || p >= numEmbeddings || p < -numEmbeddings) {
        throw new Error(`Embedding: paddingIdx = ${p} must be an integer in [-${numEmbeddings}, ${numEmbeddings})`);
      }
      pad = p < 0 ? numEmbeddings + p : p;
    }
    this.paddingIdx = pad;
    let w: tf.Tensor;
    if (opts.weights !== undefined) {
      const given = opts.weights;
      if (given instanceof Float32Array) {
        if (given.length !== numEmbeddings * embeddingDim) {
          throw new Error(
            `Embedding: weights.length = ${given.length}, expected numEmbeddings * embeddingDim = ${numEmbeddings * embeddingDim}`,
          );
        }
        w = tf.tensor2d(given, [numEmbeddings, embeddingDim], 'float32');
      } else {
        if (given.rank !== 2 || given.shape[0] !== numEmbeddings || given.shape[1] !== embeddingDim) {
          throw new Error(
            `Embedding: weights.shape = [${given.shape.join(', ')}], expected [${numEmbeddings}, ${embeddingDim}]`,
          );
        }
        w = tf.clone(given);
      }
    } else {
      w = init.normal([numEmbeddings, embeddingDim], { seed: opts.seed });
      if (pad !== null) {
        const zeroed = tf.tidy(() => {
          const mask = tf.reshape(
            tf.cast(tf.notEqual(tf.range(0, numEmbeddings, 1, 'int32'), tf.scalar(pad, 'int32')), 'float32'),
            [-1, 1],
          );
          return tf.mul(w, mask);
        });
        w.dispose();
        w = zeroed;
      }
    }
    this.weight = this.addParameter('weight', w, { trainable: !(opts.freeze ?? false) });
  }

  /** int32 ids `[...]` → `[..., embeddingDim]`. */
  forward(ids: tf.Tensor): tf.Tensor {
    if (ids.dtype !== 'int32') throw new Error(`Embedding.forward: ids.dtype = ${ids.dtype}, expected int32`);
    return embeddingLookup(this.weight as tf.Tensor2D, ids, this.paddingIdx ?? -1);
  }
}
