/**
 * Luong's attentional layer (Luong, Pham & Manning 2015, §3): given the decoder's top hidden
 * state h_t and the encoder outputs, compute the context c_t with a score function
 * (dot / general / concat) and the attentional hidden state
 *
 *     h̃_t = tanh(W_c [c_t; h_t])
 *
 * which feeds the softmax and, with input feeding, the next step's input. Parameter names:
 * `score.*` (e.g. `score.attn.weight` for 'general'), `W_c.weight [H, Dk + H]` (+ `W_c.bias`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, Module } from '@wordloom/core';
import { attention } from './attention.js';
import { Dense } from './internal/dense.js';
import type { Lengths } from './mask.js';
import { ConcatScore, GeneralScore, dotScore, type AttentionScore } from './scores.js';

/** Options of {@link LuongAttention}. */
export interface LuongAttentionOptions {
  /** Decoder hidden size H (the query). */
  hiddenSize: number;
  /** Encoder output size Dk. @default hiddenSize — 'dot' requires Dk = H. */
  encoderSize?: number;
  /** Score: 'dot', 'general' or 'concat'. @default 'general' — Luong's best global model. */
  score?: 'dot' | 'general' | 'concat';
  /** Hidden size of the 'concat' score. @default hiddenSize */
  attnDim?: number;
  /** Bias in W_c. @default false — the paper's equation (5) has none. */
  bias?: boolean;
  /** Seed of the initializers. @default 0 */
  seed?: number;
}

/** Per-call options of {@link LuongAttention.forward}. */
export interface SeqAttentionCallOptions {
  /** `[B, Ts]` (or `[B, Tq, Ts]`), 1 = real source position. */
  mask?: tf.Tensor;
  /** Source lengths (alternative to `mask`). */
  lengths?: Lengths;
  /** `prepareKeys(encoderOutputs)` cached from an earlier step; the caller owns it. */
  preparedKeys?: tf.Tensor;
}

/** What {@link LuongAttention.forward} returns (new tensors owned by the caller). */
export interface LuongAttentionResult {
  /** h̃ = tanh(W_c [c; h]): `[B, H]` (or `[B, Tq, H]`). */
  output: tf.Tensor;
  /** c: `[B, Dk]` (or `[B, Tq, Dk]`). */
  context: tf.Tensor;
  /** `[B, Ts]` (or `[B, Tq, Ts]`). */
  weights: tf.Tensor;
}

export class LuongAttention extends Module {
  readonly hiddenSize: number;
  readonly encoderSize: number;
  readonly scoreFn: AttentionScore;
  readonly W_c: Dense;

  constructor(opts: LuongAttentionOptions) {
    super();
    const H = opts.hiddenSize;
    const Dk = opts.encoderSize ?? H;
    const kind = opts.score ?? 'general';
    const seed = opts.seed ?? 0;
    this.hiddenSize = H;
    this.encoderSize = Dk;
    if (kind === 'dot') {
      if (Dk !== H) throw new Error(`LuongAttention: score 'dot' needs encoderSize = hiddenSize, got ${Dk} and ${H}`);
      this.scoreFn = dotScore;
    } else if (kind === 'general') {
      this.scoreFn = this.addModule('score', new GeneralScore({ queryDim: H, keyDim: Dk, seed }));
    } else if (kind === 'concat') {
      this.scoreFn = this.addModule(
        'score',
        new ConcatScore({ queryDim: H, keyDim: Dk, attnDim: opts.attnDim ?? H, seed }),
      );
    } else {
      throw new Error(`LuongAttention: score = ${String(kind)} must be 'dot', 'general' or 'concat'`);
    }
    this.W_c = this.addModule(
      'W_c',
      new Dense({ inFeatures: Dk + H, outFeatures: H, bias: opts.bias ?? false, seed: seed + 11 }),
    );
  }

  /** The key-side part of the score for `encoderOutputs [B, Ts, Dk]`; cache it for a whole decode. */
  prepareKeys(encoderOutputs: tf.Tensor): tf.Tensor {
    return this.scoreFn.prepareKeys(encoderOutputs as tf.Tensor3D);
  }

  /**
   * @param hidden decoder top state `[B, H]` (one step) or `[B, Tq, H]` (teacher forcing, all steps)
   * @param encoderOutputs `[B, Ts, Dk]` (keys and values)
   */
  forward(hidden: tf.Tensor, encoderOutputs: tf.Tensor, opts: SeqAttentionCallOptions = {}): LuongAttentionResult {
    return tidy(() => {
      const { context, weights } = attention(hidden, encoderOutputs, encoderOutputs, {
        score: this.scoreFn,
        mask: opts.mask,
        lengths: opts.lengths,
        preparedKeys: opts.preparedKeys,
      });
      const output = tf.tanh(this.W_c.forward(tf.concat([context, hidden], -1)));
      return { output, context, weights };
    });
  }
}
