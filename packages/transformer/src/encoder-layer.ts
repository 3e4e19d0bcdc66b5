/**
 * `TransformerEncoderLayer` with PyTorch semantics (`batch_first=True`) and parameter names:
 * `self_attn.{in_proj_weight,in_proj_bias,out_proj.weight,out_proj.bias}`,
 * `linear1.{weight,bias}`, `linear2.{weight,bias}`, `norm1.{weight,bias}`, `norm2.{weight,bias}`.
 *
 * post-norm (default, the paper's):  x = norm1(x + SA(x));      x = norm2(x + FF(x))
 * pre-norm (`normFirst`):           x = x + SA(norm1(x));      x = x + FF(norm2(x))
 * with FF(x) = linear2(dropout(act(linear1(x)))) and dropout after SA and FF.
 *
 * References: Vaswani et al. 2017; Xiong et al. 2020 (pre-LN); PyTorch 1.13
 * `torch/nn/modules/transformer.py`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { checkMaskConvention, Dropout, LayerNorm, Module, tidy } from '@wordloom/core';
import { PADDING_HINT } from './internal/util.js';
import { layerNorm } from './internal/fused-layer-norm.js';
import { MultiHeadAttention } from '@wordloom/attention';
import { Dense } from '@wordloom/attention';
import { activate, checkLayerOptions, selfAttend, type Activation, type KV } from './internal/feed-forward.js';
import type { RotaryEmbedding } from './positional.js';

/** Options of {@link TransformerEncoderLayer} (PyTorch's constructor arguments, camelCase). */
export interface TransformerEncoderLayerOptions {
  /** Model size. Must be divisible by `nhead`. */
  dModel: number;
  /** Number of attention heads. */
  nhead: number;
  /** Feed-forward hidden size. @default 2048 — PyTorch's default. */
  dimFeedforward?: number;
  /** Dropout after attention weights, inside FF, and on both residual branches. @default 0.1 — PyTorch's default. */
  dropout?: number;
  /** Feed-forward activation. @default 'relu' — PyTorch's default; 'gelu' is the exact (erf) GELU. */
  activation?: Activation;
  /** LayerNorm epsilon. @default 1e-5 — PyTorch's default. */
  layerNormEps?: number;
  /** Pre-norm (LayerNorm before each sub-layer). @default false — PyTorch's default (post-norm). */
  normFirst?: boolean;
  /** Seed of initializers and dropout masks. @default 0 */
  seed?: number;
}

/** Per-call options of {@link TransformerEncoderLayer.forward}. */
export interface EncoderLayerCallOptions {
  /** PyTorch `src_mask`: `[T, T]` or `[B·H, T, T]`, bool true = not allowed, or float additive. */
  srcMask?: tf.Tensor;
  /**
   * PyTorch `src_key_padding_mask`: `[B, T]`, true/1 = padding. A `sequenceMask` (1 = real)
   * here throws, naming the convention.
   */
  srcKeyPaddingMask?: tf.Tensor;
  /** Causal self-attention (query i sees keys ≤ i, counting cached keys). @default false */
  causal?: boolean;
  /** Return this layer's attention weights per head `[B, H, T, Tk]`. @default false */
  needWeights?: boolean;
  /** Keys/values of earlier positions for incremental decoding (`[B, H, Tpast, dh]`). */
  cache?: KV | null;
  /** Rotary embedding applied to queries and keys. @default null */
  rotary?: RotaryEmbedding | null;
  /** Absolute position of the first row (RoPE with a cache). @default 0 */
  offset?: number;
  /** Return the keys/values (cache plus this call's positions) as `kv`. @default false */
  returnCache?: boolean;
}

/** What {@link TransformerEncoderLayer.forward} returns (new tensors owned by the caller). */
export interface EncoderLayerResult {
  /** `[B, T, dModel]` */
  output: tf.Tensor3D;
  /** Per-head attention weights `[B, H, T, Tk]` when asked, else null. */
  attention: tf.Tensor4D | null;
  /** Keys/values including this call's positions (the next `cache`) when `returnCache`, else null. */
  kv: KV | null;
}

export class TransformerEncoderLayer extends Module {
  readonly self_attn: MultiHeadAttention;
  readonly linear1: Dense;
  readonly linear2: Dense;
  readonly norm1: LayerNorm;
  readonly norm2: LayerNorm;
  readonly normFirst: boolean;
  readonly activation: Activation;
  readonly dModel: number;
  private readonly dropout: Dropout;
  private readonly dropout1: Dropout;
  private readonly dropout2: Dropout;

  constructor(opts: TransformerEncoderLayerOptions) {
    super();
    const ff = opts.dimFeedforward ?? 2048;
    const p = opts.dropout ?? 0.1;
    const act = opts.activation ?? 'relu';
    checkLayerOptions('TransformerEncoderLayer', opts.dModel, opts.nhead, ff, p, act);
    const seed = opts.seed ?? 0;
    const eps = opts.layerNormEps ?? 1e-5;
    this.dModel = opts.dModel;
    this.normFirst = opts.normFirst ?? false;
    this.activation = act;
    this.self_attn = this.addModule(
      'self_attn',
      new MultiHeadAttention({ embedDim: opts.dModel, numHeads: opts.nhead, dropout: p, seed }),
    );
    this.linear1 = this.addModule('linear1', new Dense({ inFeatures: opts.dModel, outFeatures: ff, seed: seed + 10 }));
    this.dropout = this.addModule('dropout', new Dropout({ p, seed: seed + 12 }));
    this.linear2 = this.addModule('linear2', new Dense({ inFeatures: ff, outFeatures: opts.dModel, seed: seed + 13 }));
    this.norm1 = this.addModule('norm1', new LayerNorm({ normalizedShape: opts.dModel, eps }));
    this.norm2 = this.addModule('norm2', new LayerNorm({ normalizedShape: opts.dModel, eps }));
    this.dropout1 = this.addModule('dropout1', new Dropout({ p, seed: seed + 15 }));
    this.dropout2 = this.addModule('dropout2', new Dropout({ p, seed: seed + 16 }));
  }

  private ff(x: tf.Tensor): tf.Tensor {
    return this.linear2.forward(this.dropout.forward(activate(this.linear1.forward(x), this.activation)));
  }

  /**
   * @param src `[B, T, dModel]`
   * @throws when src is not `[B, T, dModel]` or a mask has the wrong shape.
   */
  forward(src: tf.Tensor, opts: EncoderLayerCallOptions = {}): EncoderLayerResult {
    if (src.rank !== 3 || src.shape[2] !== this.dModel) {
      throw new Error(`TransformerEncoderLayer: src must be [B, T, ${this.dModel}], got [${src.shape.join(', ')}]`);
    }
    if (opts.srcKeyPaddingMask)
      checkMaskConvention(
        'TransformerEncoderLayer',
        'srcKeyPaddingMask',
        opts.srcKeyPaddingMask,
        'padding',
        PADDING_HINT,
      );
    return tidy(() => {
      const sa = (x: tf.Tensor) =>
        selfAttend(this.self_attn, x, {
          keyPaddingMask: opts.srcKeyPaddingMask,
          attnMask: opts.srcMask,
          causal: opts.causal,
          needWeights: opts.needWeights ?? false,
          averageAttnWeights: false,
          cache: opts.cache,
          rotary: opts.rotary,
          offset: opts.offset,
        });
      let x = src;
      let r;
      if (this.normFirst) {
        r = sa(layerNorm(this.norm1, x));
        x = tf.add(x, this.dropout1.forward(r.out));
        x = tf.add(x, this.dropout2.forward(this.ff(layerNorm(this.norm2, x))));
      } else {
        r = sa(x);
        x = layerNorm(this.norm1, tf.add(x, this.dropout1.forward(r.out)));
        x = layerNorm(this.norm2, tf.add(x, this.dropout2.forward(this.ff(x))));
      }
      return {
        output: x as tf.Tensor3D,
        attention: r.weights as tf.Tensor4D | null,
        kv: opts.returnCache ? r.kv : null,
      };
    });
  }
}
