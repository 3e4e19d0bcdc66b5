/** Shared helpers of the encoder and decoder layers. */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, gelu } from '@wordloom/core';
import type { MultiHeadAttention, MultiHeadAttentionCallOptions } from '@wordloom/attention';
import type { RotaryEmbedding } from '../positional.js';

export type Activation = 'relu' | 'gelu';

export function activate(x: tf.Tensor, activation: Activation): tf.Tensor {
  return activation === 'relu' ? tf.relu(x) : gelu(x);
}

export function checkLayerOptions(
  fn: string,
  dModel: number,
  nhead: number,
  dimFeedforward: number,
  dropout: number,
  activation: string,
): void {
  if (!Number.isInteger(dModel) || dModel < 1) throw new Error(`${fn}: dModel = ${dModel} must be a positive integer`);
  if (!Number.isInteger(nhead) || nhead < 1) throw new Error(`${fn}: nhead = ${nhead} must be a positive integer`);
  if (dModel % nhead !== 0) throw new Error(`${fn}: dModel = ${dModel} is not divisible by nhead = ${nhead}`);
  if (!Number.isInteger(dimFeedforward) || dimFeedforward < 1)
    throw new Error(`${fn}: dimFeedforward = ${dimFeedforward} must be a positive integer`);
  if (!(dropout >= 0 && dropout < 1)) throw new Error(`${fn}: dropout = ${dropout} must be in [0, 1)`);
  if (activation !== 'relu' && activation !== 'gelu')
    throw new Error(`${fn}: activation = ${activation} must be 'relu' or 'gelu'`);
}

/** Keys and values of one attention layer, per head: `[B, H, T, dh]`. */
export interface KV {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export interface SelfAttentionCall extends MultiHeadAttentionCallOptions {
  /** Keys/values of earlier positions (incremental decoding). */
  cache?: KV | null;
  rotary?: RotaryEmbedding | null;
  /** Absolute position of the first row of x (for RoPE). */
  offset?: number;
}

/**
 * Self-attention with optional KV cache and rotary embedding. Returns the attention output,
 * the (extended) keys/values and the weights.
 */
export function selfAttend(
  mha: MultiHeadAttention,
  x: tf.Tensor,
  opts: SelfAttentionCall,
): { out: tf.Tensor; kv: KV; weights: tf.Tensor | null } {
  return tidy(() => {
    let { q, k, v } = mha.projectSelf(x);
    if (opts.rotary) {
      q = opts.rotary.apply(q, opts.offset ?? 0) as tf.Tensor4D;
      k = opts.rotary.apply(k, opts.offset ?? 0) as tf.Tensor4D;
    }
    if (opts.cache) {
      k = tf.concat([opts.cache.k, k], 2);
      v = tf.concat([opts.cache.v, v], 2);
    }
    const { output, weights } = mha.attendHeads(q, k, v, opts);
    return { out: output, kv: { k, v }, weights };
  });
}
