/**
 * Bahdanau attention (Bahdanau, Cho & Bengio 2015): the previous decoder state s_{i−1}
 * scores every encoder annotation h_j with e_ij = Vaᵀ tanh(Wa s_{i−1} + Ua h_j); the context
 * c_i = Σ_j α_ij h_j feeds the next decoder step (concatenated with its input embedding).
 * Parameter names are those of PyTorch's seq2seq translation tutorial (`Wa`, `Ua`, `Va`),
 * so its `BahdanauAttention` state dict loads by name.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module } from '@wordloom/core';
import { attention } from './attention.js';
import type { SeqAttentionCallOptions } from './luong-attention.js';
import { AdditiveScore } from './scores.js';

/** Options of {@link BahdanauAttention}. */
export interface BahdanauAttentionOptions {
  /** Decoder state size (the query). */
  queryDim: number;
  /** Encoder annotation size (keys and values). @default queryDim */
  keyDim?: number;
  /** Hidden size A of the alignment model. @default queryDim — as the tutorial. */
  attnDim?: number;
  /** Seed of the initializers. @default 0 */
  seed?: number;
}

/** What {@link BahdanauAttention.forward} returns (new tensors owned by the caller). */
export interface BahdanauAttentionResult {
  /** `[B, Dk]` (or `[B, Tq, Dk]`) */
  context: tf.Tensor;
  /** `[B, Ts]` (or `[B, Tq, Ts]`) */
  weights: tf.Tensor;
}

export class BahdanauAttention extends Module {
  readonly score: AdditiveScore;
  constructor(opts: BahdanauAttentionOptions) {
    super();
    this.score = new AdditiveScore({
      queryDim: opts.queryDim,
      keyDim: opts.keyDim,
      attnDim: opts.attnDim,
      seed: opts.seed,
    });
    // register Wa/Ua/Va at top level, as the tutorial's module has them
    this.addModule('Wa', this.score.Wa);
    this.addModule('Ua', this.score.Ua);
    this.addModule('Va', this.score.Va);
  }

  /** `Ua h_j + b` for `encoderOutputs [B, Ts, Dk]` → `[B, Ts, A]`; cache it for a whole decode. */
  prepareKeys(encoderOutputs: tf.Tensor): tf.Tensor {
    return this.score.prepareKeys(encoderOutputs as tf.Tensor3D);
  }

  /**
   * @param query decoder state `[B, Dq]` (or `[B, Tq, Dq]`)
   * @param encoderOutputs `[B, Ts, Dk]`
   */
  forward(query: tf.Tensor, encoderOutputs: tf.Tensor, opts: SeqAttentionCallOptions = {}): BahdanauAttentionResult {
    return attention(query, encoderOutputs, encoderOutputs, {
      score: this.score,
      mask: opts.mask,
      lengths: opts.lengths,
      preparedKeys: opts.preparedKeys,
    });
  }
}
