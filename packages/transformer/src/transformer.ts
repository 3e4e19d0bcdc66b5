/**
 * Stacks and the full encoder–decoder with PyTorch semantics and names:
 * `TransformerEncoder` (`layers.{i}.*`, optional final `norm.*`), `TransformerDecoder`
 * (same), and `Transformer` (`encoder.*`, `decoder.*`, both with a final norm, as
 * `nn.Transformer` builds them). Embeddings and the output projection are not part of
 * these (as in PyTorch); see the models for complete networks.
 *
 * References: PyTorch 1.13 `nn.TransformerEncoder`, `nn.TransformerDecoder`, `nn.Transformer`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, LayerNorm, Module } from '@wordloom/core';
import { TransformerDecoderLayer, type DecoderLayerCallOptions } from './decoder-layer.js';
import {
  TransformerEncoderLayer,
  type EncoderLayerCallOptions,
  type TransformerEncoderLayerOptions,
} from './encoder-layer.js';
import type { KV } from './internal/feed-forward.js';
import { layerNorm } from './internal/fused-layer-norm.js';

/** Options of the stacks: a layer's options plus depth and the final norm. */
export interface TransformerStackOptions extends TransformerEncoderLayerOptions {
  /** Number of layers. */
  numLayers: number;
  /**
   * A LayerNorm after the last layer (`norm.*`). Needed with pre-norm layers, whose output is
   * otherwise un-normalized.
   * @default false — `nn.TransformerEncoder`'s default (`norm=None`).
   */
  finalNorm?: boolean;
}

/** Per-call options of {@link TransformerEncoder.forward}. */
export interface EncoderCallOptions extends Omit<EncoderLayerCallOptions, 'cache' | 'returnCache'> {
  /** Per-layer caches (incremental decoding with a causal encoder stack, e.g. a GPT). */
  cache?: KV[] | null;
  /** Return the per-layer keys/values. @default false */
  returnCache?: boolean;
}

/** What the stacks return (new tensors owned by the caller). */
export interface EncoderResult {
  /** `[B, T, dModel]` */
  output: tf.Tensor3D;
  /** Per-layer attention weights `[B, H, T, Tk]` when `needWeights`, else empty. */
  attentions: tf.Tensor4D[];
  /** Per-layer keys/values when `returnCache`, else null. */
  cache: KV[] | null;
}

function checkDepth(fn: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new Error(`${fn}: numLayers = ${n} must be a positive integer`);
}

export class TransformerEncoder extends Module {
  readonly layers: TransformerEncoderLayer[] = [];
  readonly norm: LayerNorm | null = null;
  constructor(opts: TransformerStackOptions) {
    super();
    checkDepth('TransformerEncoder', opts.numLayers);
    const layers = this.addModule('layers', new ModuleList());
    for (let i = 0; i < opts.numLayers; i++) {
      this.layers.push(layers.add(new TransformerEncoderLayer({ ...opts, seed: (opts.seed ?? 0) + 100 * i })));
    }
    if (opts.finalNorm)
      this.norm = this.addModule(
        'norm',
        new LayerNorm({ normalizedShape: opts.dModel, eps: opts.layerNormEps ?? 1e-5 }),
      );
  }

  /** @param src `[B, T, dModel]` */
  forward(src: tf.Tensor, opts: EncoderCallOptions = {}): EncoderResult {
    if (opts.cache && opts.cache.length !== this.layers.length) {
      throw new Error(`TransformerEncoder: cache has ${opts.cache.length} entries for ${this.layers.length} layers`);
    }
    return tidy(() => {
      let x = src;
      const attentions: tf.Tensor4D[] = [];
      const cache: KV[] = [];
      this.layers.forEach((layer, i) => {
        const r = layer.forward(x, { ...opts, cache: opts.cache ? opts.cache[i] : null });
        x = r.output;
        if (r.attention) attentions.push(r.attention);
        if (r.kv) cache.push(r.kv);
      });
      if (this.norm) x = layerNorm(this.norm, x);
      return { output: x as tf.Tensor3D, attentions, cache: opts.returnCache ? cache : null };
    });
  }
}

/** Per-call options of {@link TransformerDecoder.forward}. */
export interface DecoderCallOptions extends Omit<DecoderLayerCallOptions, 'cache' | 'memoryKV' | 'returnCache'> {
  cache?: KV[] | null;
  memoryKV?: KV[] | null;
  returnCache?: boolean;
}

/** What {@link TransformerDecoder.forward} returns. */
export interface DecoderResult {
  output: tf.Tensor3D;
  /** Per-layer self-attention weights `[B, H, T, Tk]` when `needWeights`. */
  selfAttentions: tf.Tensor4D[];
  /** Per-layer cross-attention weights `[B, H, T, S]` when `needWeights`. */
  crossAttentions: tf.Tensor4D[];
  cache: KV[] | null;
}

export class TransformerDecoder extends Module {
  readonly layers: TransformerDecoderLayer[] = [];
  readonly norm: LayerNorm | null = null;
  constructor(opts: TransformerStackOptions) {
    super();
    checkDepth('TransformerDecoder', opts.numLayers);
    const layers = this.addModule('layers', new ModuleList());
    for (let i = 0; i < opts.numLayers; i++) {
      this.layers.push(layers.add(new TransformerDecoderLayer({ ...opts, seed: (opts.seed ?? 0) + 100 * i + 50 })));
    }
    if (opts.finalNorm)
      this.norm = this.addModule(
        'norm',
        new LayerNorm({ normalizedShape: opts.dModel, eps: opts.layerNormEps ?? 1e-5 }),
      );
  }

  /** Per-layer memory keys/values (compute once per source for incremental decoding). */
  memoryKV(memory: tf.Tensor): KV[] {
    return this.layers.map((l) => l.memoryKV(memory));
  }

  /** @param tgt `[B, T, dModel]` @param memory `[B, S, dModel]` (or null with `memoryKV`) */
  forward(tgt: tf.Tensor, memory: tf.Tensor | null, opts: DecoderCallOptions = {}): DecoderResult {
    return tidy(() => {
      let x = tgt;
      const selfAttentions: tf.Tensor4D[] = [];
      const crossAttentions: tf.Tensor4D[] = [];
      const cache: KV[] = [];
      this.layers.forEach((layer, i) => {
        const r = layer.forward(x, memory, {
          ...opts,
          cache: opts.cache ? opts.cache[i] : null,
          memoryKV: opts.memoryKV ? opts.memoryKV[i] : null,
        });
        x = r.output;
        if (r.selfAttention) selfAttentions.push(r.selfAttention);
        if (r.crossAttention) crossAttentions.push(r.crossAttention);
        if (r.kv) cache.push(r.kv);
      });
      if (this.norm) x = layerNorm(this.norm, x);
      return { output: x as tf.Tensor3D, selfAttentions, crossAttentions, cache: opts.returnCache ? cache : null };
    });
  }
}

/** Options of {@link Transformer} (`nn.Transformer`'s arguments, camelCase). */
export interface TransformerOptions extends TransformerEncoderLayerOptions {
  /** @default 6 — PyTorch's default. */
  numEncoderLayers?: number;
  /** @default 6 — PyTorch's default. */
  numDecoderLayers?: number;
}

/** Per-call options of {@link Transformer.forward} (PyTorch's argument names). */
export interface TransformerCallOptions {
  srcMask?: tf.Tensor;
  tgtMask?: tf.Tensor;
  memoryMask?: tf.Tensor;
  srcKeyPaddingMask?: tf.Tensor;
  tgtKeyPaddingMask?: tf.Tensor;
  memoryKeyPaddingMask?: tf.Tensor;
  /** Causal target self-attention (instead of / besides `tgtMask`). @default false */
  tgtCausal?: boolean;
  /** Also return attention maps of every layer and head. @default false */
  needWeights?: boolean;
}

/** `nn.Transformer`: encoder (with final norm) + decoder (with final norm). Names `encoder.*`, `decoder.*`. */
export class Transformer extends Module {
  readonly encoder: TransformerEncoder;
  readonly decoder: TransformerDecoder;
  constructor(opts: TransformerOptions) {
    super();
    const base = { ...opts, finalNorm: true };
    this.encoder = this.addModule(
      'encoder',
      new TransformerEncoder({ ...base, numLayers: opts.numEncoderLayers ?? 6 }),
    );
    this.decoder = this.addModule(
      'decoder',
      new TransformerDecoder({ ...base, numLayers: opts.numDecoderLayers ?? 6, seed: (opts.seed ?? 0) + 10000 }),
    );
  }

  /**
   * @param src `[B, S, dModel]` @param tgt `[B, T, dModel]`
   * @returns output `[B, T, dModel]` and, with `needWeights`, every layer's per-head maps.
   */
  forward(
    src: tf.Tensor,
    tgt: tf.Tensor,
    opts: TransformerCallOptions = {},
  ): {
    output: tf.Tensor3D;
    encoderAttentions: tf.Tensor4D[];
    selfAttentions: tf.Tensor4D[];
    crossAttentions: tf.Tensor4D[];
  } {
    if (src.shape[0] !== tgt.shape[0])
      throw new Error(`Transformer: src batch ${src.shape[0]} differs from tgt batch ${tgt.shape[0]}`);
    return tidy(() => {
      const enc = this.encoder.forward(src, {
        srcMask: opts.srcMask,
        srcKeyPaddingMask: opts.srcKeyPaddingMask,
        needWeights: opts.needWeights,
      });
      const dec = this.decoder.forward(tgt, enc.output, {
        tgtMask: opts.tgtMask,
        memoryMask: opts.memoryMask,
        tgtKeyPaddingMask: opts.tgtKeyPaddingMask,
        memoryKeyPaddingMask: opts.memoryKeyPaddingMask,
        causal: opts.tgtCausal,
        needWeights: opts.needWeights,
      });
      return {
        output: dec.output,
        encoderAttentions: enc.attentions,
        selfAttentions: dec.selfAttentions,
        crossAttentions: dec.crossAttentions,
      };
    });
  }
}

/** A parameter-less container whose children are named `0`, `1`, … (PyTorch's ModuleList). */
class ModuleList extends Module {
  private n = 0;
  add<M extends Module>(m: M): M {
    return this.addModule(String(this.n++), m);
  }
}
