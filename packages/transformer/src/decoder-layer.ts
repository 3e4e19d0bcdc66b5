/**
 * `TransformerDecoderLayer` with PyTorch semantics (`batch_first=True`) and parameter names:
 * `self_attn.*`, `multihead_attn.*` (cross-attention over the memory), `linear1`, `linear2`,
 * `norm1`, `norm2`, `norm3`.
 *
 * post-norm: x = norm1(x + SA(x)); x = norm2(x + CA(x, mem)); x = norm3(x + FF(x))
 * pre-norm:  x = x + SA(norm1(x)); x = x + CA(norm2(x), mem); x = x + FF(norm3(x))
 *
 * For incremental decoding the memory's keys/values are projected once
 * ({@link TransformerDecoderLayer.memoryKV}) and self-attention keys/values are cached.
 *
 * References: Vaswani et al. 2017; PyTorch 1.13 `torch/nn/modules/transformer.py`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkMaskConvention, Dropout, LayerNorm, Module, tidy } from '@wordloom/core';
import { PADDING_HINT } from './internal/util.js';
import { layerNorm } from './internal/fused-layer-norm.js';
import { MultiHeadAttention } from '@wordloom/attention';
import { Dense } from '@wordloom/attention';
import { activate, checkLayerOptions, selfAttend, type Activation, type KV } from './internal/feed-forward.js';
import type { TransformerEncoderLayerOptions } from './encoder-layer.js';
import type { RotaryEmbedding } from './positional.js';

/** Same options as the encoder layer. */
export type TransformerDecoderLayerOptions = TransformerEncoderLayerOptions;

/** Per-call options of {@link TransformerDecoderLayer.forward}. */
export interface DecoderLayerCallOptions {
  /** PyTorch `tgt_mask`: `[T, T]` (bool true = not allowed, or float additive) or `[B·H, T, T]`. */
  tgtMask?: tf.Tensor;
  /** PyTorch `memory_mask`: `[T, S]` or `[B·H, T, S]`. */
  memoryMask?: tf.Tensor;
  /** PyTorch `tgt_key_padding_mask`: `[B, T]`, true/1 = padding (a `sequenceMask` here throws). */
  tgtKeyPaddingMask?: tf.Tensor;
  /** PyTorch `memory_key_padding_mask`: `[B, S]`, true/1 = padding (a `sequenceMask` here throws). */
  memoryKeyPaddingMask?: tf.Tensor;
  /** Causal self-attention (counting cached keys). @default false — pass `tgtMask` or this. */
  causal?: boolean;
  /** Return per-head self- and cross-attention weights. @default false */
  needWeights?: boolean;
  /** Cached self-attention keys/values of earlier target positions. */
  cache?: KV | null;
  /** Memory keys/values from {@link TransformerDecoderLayer.memoryKV} (else projected from `memory`). */
  memoryKV?: KV | null;
  /** Rotary embedding for self-attention. @default null */
  rotary?: RotaryEmbedding | null;
  /** Absolute position of the first target row. @default 0 */
  offset?: number;
  /** Return the extended self-attention cache as `kv`. @default false */
  returnCache?: boolean;
}

/** What {@link TransformerDecoderLayer.forward} returns (new tensors owned by the caller). */
export interface DecoderLayerResult {
  /** `[B, T, dModel]` */
  output: tf.Tensor3D;
  /** Self-attention weights `[B, H, T, Tk]` when asked. */
  selfAttention: tf.Tensor4D | null;
  /** Cross-attention weights `[B, H, T, S]` when asked. */
  crossAttention: tf.Tensor4D | null;
  /** Self-attention keys/values including this call's positions, when `returnCache`. */
  kv: KV | null;
}

export class TransformerDecoderLayer extends Module {
  readonly self_attn: MultiHeadAttention;
  readonly multihead_attn: MultiHeadAttention;
  readonly linear1: Dense;
  readonly linear2: Dense;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly norm3: LayerNorm;
  readonly normFirst: boolean;
  readonly activation: Activation;
  readonly dModel: number;
  private readonly dropout: Dropout;
  private readonly dropout1: Dropout;
  private readonly dropout2: Dropout;
  private readonly dropout3: Dropout;

  constructor(opts: TransformerDecoderLayerOptions) {
    super();
    const ff = opts.dimFeedforward ?? 2048;
    const p = opts.dropout ?? 0.1;
    const act = opts.activation ?? 'relu';
    checkLayerOptions('TransformerDecoderLayer', opts.dModel, opts.nhead, ff, p, act);
    const seed = opts.seed ?? 0;
    const eps = opts.layerNormEps ?? 1e-5;
    this.dModel = opts.dModel;
    this.normFirst = opts.normFirst ?? false;
    this.activation = act;
    this.self_attn = this.addModule(
      'self_attn',
      new MultiHeadAttention({ embedDim: opts.dModel, numHeads: opts.nhead, dropout: p, seed }),
    );
    this.multihead_attn = this.addModule(
      'multihead_attn',
      new MultiHeadAttention({ embedDim: opts.dModel, numHeads: opts.nhead, dropout: p, seed: seed + 5 }),
    );
    this.linear1 = this.addModule('linear1', new Dense({ inFeatures: opts.dModel, outFeatures: ff, seed: seed + 10 }));
    this.dropout = this.addModule('dropout', new Dropout({ p, seed: seed + 12 }));
    this.linear2 = this.addModule('linear2', new Dense({ inFeatures: ff, outFeatures: opts.dModel, seed: seed + 13 }));
    this.norm1 = this.addModule('norm1', new LayerNorm({ normalizedShape: opts.dModel, eps }));
    this.norm2 = this.addModule('norm2', new LayerNorm({ normalizedShape: opts.dModel, eps }));
    this.norm3 = this.addModule('norm3', new LayerNorm({ normalizedShape: opts.dModel, eps }));
    this.dropout1 = this.addModule('dropout1', new Dropout({ p, seed: seed + 15 }));
    this.dropout2 = this.addModule('dropout2', new Dropout({ p, seed: seed + 16 }));
    this.dropout3 = this.addModule('dropout3', new Dropout({ p, seed: seed + 17 }));
  }

  /** Cross-attention keys/values of `memory [B, S, dModel]` (`[B, H, S, dh]` each); compute once per source. */
  memoryKV(memory: tf.Tensor): KV {
    return { k: this.multihead_attn.projectKey(memory), v: this.multihead_attn.projectValue(memory) };
  }

  private ff(x: tf.Tensor): tf.Tensor {
    return this.linear2.forward(this.dropout.forward(activate(this.linear1.forward(x), this.activation)));
  }

  /**
   * @param tgt `[B, T, dModel]`
   * @param memory `[B, S, dModel]` (may be null when `memoryKV` is given)
   */
  forward(tgt: tf.Tensor, memory: tf.Tensor | null, opts: DecoderLayerCallOptions = {}): DecoderLayerResult {
    if (tgt.rank !== 3 || tgt.shape[2] !== this.dModel) {
      throw new Error(`TransformerDecoderLayer: tgt must be [B, T, ${this.dModel}], got [${tgt.shape.join(', ')}]`);
    }
    if (!memory && !opts.memoryKV) throw new Error('TransformerDecoderLayer: give memory or memoryKV');
    for (const name of ['tgtKeyPaddingMask', 'memoryKeyPaddingMask'] as const) {
      const m = opts[name];
      if (m) checkMaskConvention('TransformerDecoderLayer', name, m, 'padding', PADDING_HINT);
    }
    if (memory && (memory.rank !== 3 || memory.shape[2] !== this.dModel || memory.shape[0] !== tgt.shape[0])) {
      throw new Error(
        `TransformerDecoderLayer: memory must be [B = ${tgt.shape[0]}, S, ${this.dModel}], got [${memory.shape.join(', ')}]`,
      );
    }
    const needWeights = opts.needWeights ?? false;
    return tidy(() => {
      const mkv = opts.memoryKV ?? this.memoryKV(memory as tf.Tensor);
      const sa = (x: tf.Tensor) =>
        selfAttend(this.self_attn, x, {
          keyPaddingMask: opts.tgtKeyPaddingMask,
          attnMask: opts.tgtMask,
          causal: opts.causal,
          needWeights,
          averageAttnWeights: false,
          cache: opts.cache,
          rotary: opts.rotary,
          offset: opts.offset,
        });
      const ca = (x: tf.Tensor) =>
        this.multihead_attn.attendHeads(this.multihead_attn.projectQuery(x), mkv.k, mkv.v, {
          keyPaddingMask: opts.memoryKeyPaddingMask,
          attnMask: opts.memoryMask,
          needWeights,
          averageAttnWeights: false,
        });
      let x = tgt;
      let s;
      let c;
      if (this.normFirst) {
        s = sa(layerNorm(this.norm1, x));
        x = tf.add(x, this.dropout1.forward(s.out));
        c = ca(layerNorm(this.norm2, x));
        x = tf.add(x, this.dropout2.forward(c.output));
        x = tf.add(x, this.dropout3.forward(this.ff(layerNorm(this.norm3, x))));
      } else {
        s = sa(x);
        x = layerNorm(this.norm1, tf.add(x, this.dropout1.forward(s.out)));
        c = ca(x);
        x = layerNorm(this.norm2, tf.add(x, this.dropout2.forward(c.output)));
        x = layerNorm(this.norm3, tf.add(x, this.dropout3.forward(this.ff(x))));
      }
      return {
        output: x as tf.Tensor3D,
        selfAttention: s.weights as tf.Tensor4D | null,
        crossAttention: c.weights as tf.Tensor4D | null,
        kv: opts.returnCache ? s.kv : null,
      };
    });
  }
}
