/**
 * An encoder–decoder Transformer for sequence-to-sequence tasks (translation, reversal, …):
 * source and target token embeddings scaled by √d plus sinusoidal positions, PyTorch's
 * `nn.Transformer` in the middle, and a linear `generator` to target-vocabulary logits —
 * the layout of PyTorch's "Language translation with nn.Transformer" tutorial.
 *
 * Parameter names: `src_tok_emb.weight`, `tgt_tok_emb.weight`, `transformer.encoder.*`,
 * `transformer.decoder.*` (nn.Transformer's), `generator.weight`, `generator.bias`.
 *
 * Decoding: `initState(src)` encodes once and projects every decoder layer's memory
 * keys/values; `step(state, tokens)` runs one target position with a self-attention KV cache.
 * This is the `StepFn` that `@wordloom/seq2seq`'s greedy / beam / sampling decoders drive.
 *
 * References: Vaswani et al. 2017; PyTorch tutorial `translation_transformer.py`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, Embedding, Module, init } from '@wordloom/core';
import { Dense } from '@wordloom/attention';
import type { Activation, KV } from './internal/feed-forward.js';
import { paddingFromLengths, paddingFromMask, toIds, type TokenIds } from './internal/util.js';
import { sinusoidalEncoding } from './positional.js';
import { Transformer } from './transformer.js';

/** Options of {@link Seq2SeqTransformer}. */
export interface Seq2SeqTransformerOptions {
  srcVocabSize: number;
  tgtVocabSize: number;
  dModel: number;
  nhead: number;
  /** @default 3 */
  numEncoderLayers?: number;
  /** @default 3 */
  numDecoderLayers?: number;
  /** @default 4 · dModel */
  dimFeedforward?: number;
  /** @default 0.1 */
  dropout?: number;
  /** @default 'relu' — the paper's. */
  activation?: Activation;
  /** @default false — post-norm, the paper's and nn.Transformer's. */
  normFirst?: boolean;
  /** @default 0 */
  seed?: number;
}

/** Source side of a batch: lengths (1 number per row) or a real-token mask `[B, S]` (1 = real). */
export interface SourceOptions {
  srcLengths?: ArrayLike<number> | tf.Tensor1D;
  srcMask?: tf.Tensor;
}

/**
 * Decoding state (a plain tree: `gatherStateRows` of `@wordloom/seq2seq` reorders it):
 * per-layer memory keys/values `[B, H, S, dh]`, the source padding `[B, S]` (1 = pad),
 * per-layer self-attention cache `[B, H, t, dh]`, and the number of target positions fed.
 */
export interface Seq2SeqState {
  memoryKV: KV[];
  memoryPadding: tf.Tensor2D | null;
  kv: KV[];
  position: number;
}

export class Seq2SeqTransformer extends Module {
  readonly dModel: number;
  readonly tgtVocabSize: number;
  readonly src_tok_emb: Embedding;
  readonly tgt_tok_emb: Embedding;
  readonly transformer: Transformer;
  readonly generator: Dense;

  constructor(opts: Seq2SeqTransformerOptions) {
    super();
    const seed = opts.seed ?? 0;
    const d = opts.dModel;
    this.dModel = d;
    this.tgtVocabSize = opts.tgtVocabSize;
    if (d % 2 !== 0) throw new Error(`Seq2SeqTransformer: dModel = ${d} must be even (sinusoidal positions)`);
    this.src_tok_emb = this.addModule(
      'src_tok_emb',
      new Embedding({ numEmbeddings: opts.srcVocabSize, embeddingDim: d, seed }),
    );
    this.tgt_tok_emb = this.addModule(
      'tgt_tok_emb',
      new Embedding({ numEmbeddings: opts.tgtVocabSize, embeddingDim: d, seed: seed + 1 }),
    );
    // fairseq's init N(0, d^-½): after the √d scaling the embeddings have unit scale, like the
    // sinusoidal positions; with N(0, 1) the positions would be drowned (5.6× smaller at d = 32)
    // and position-dependent tasks learn far more slowly.
    for (const [emb, n, s] of [
      [this.src_tok_emb, opts.srcVocabSize, seed + 5],
      [this.tgt_tok_emb, opts.tgtVocabSize, seed + 6],
    ] as const) {
      const w = init.normal([n, d], { mean: 0, std: 1 / Math.sqrt(d), seed: s });
      emb.weight.assign(w);
      w.dispose();
    }
    this.transformer = this.addModule(
      'transformer',
      new Transformer({
        dModel: d,
        nhead: opts.nhead,
        numEncoderLayers: opts.numEncoderLayers ?? 3,
        numDecoderLayers: opts.numDecoderLayers ?? 3,
        dimFeedforward: opts.dimFeedforward ?? 4 * d,
        dropout: opts.dropout ?? 0.1,
        activation: opts.activation ?? 'relu',
        normFirst: opts.normFirst ?? false,
        seed: seed + 2,
      }),
    );
    this.generator = this.addModule(
      'generator',
      new Dense({ inFeatures: d, outFeatures: opts.tgtVocabSize, seed: seed + 3 }),
    );
  }

  private embed(emb: Embedding, ids: tf.Tensor2D, offset: number): tf.Tensor {
    const T = ids.shape[1];
    return tf.add(tf.mul(emb.forward(ids), Math.sqrt(this.dModel)), sinusoidalEncoding(T, this.dModel, { offset }));
  }

  private srcPadding(src: tf.Tensor2D, opts: SourceOptions): tf.Tensor2D | null {
    const [B, S] = src.shape;
    if (opts.srcLengths && opts.srcMask) throw new Error('Seq2SeqTransformer: give srcLengths or srcMask, not both');
    if (opts.srcLengths) return paddingFromLengths('Seq2SeqTransformer', opts.srcLengths as ArrayLike<number>, B, S);
    if (opts.srcMask) return paddingFromMask('Seq2SeqTransformer', opts.srcMask, B, S);
    return null;
  }

  /**
   * Encodes a source batch: memory `[B, S, d]` and the padding mask `[B, S]` (1 = pad) or null.
   */
  encode(src: TokenIds, opts: SourceOptions = {}): { memory: tf.Tensor3D; memoryPadding: tf.Tensor2D | null } {
    return tidy(() => {
      const ids = toIds('Seq2SeqTransformer.encode', src);
      const memoryPadding = this.srcPadding(ids, opts);
      const memory = this.transformer.encoder.forward(this.embed(this.src_tok_emb, ids, 0), {
        srcKeyPaddingMask: memoryPadding ?? undefined,
      }).output;
      return { memory, memoryPadding };
    });
  }

  /**
   * Teacher-forced forward pass.
   * @param src `[B, S]` source ids @param tgtIn `[B, T]` decoder input ids (bos + target[:-1])
   * @param opts.tgtLengths target lengths (padding beyond them is masked as keys)
   * @param opts.needWeights also return per-layer, per-head attention maps
   * @returns logits `[B, T, V]`
   */
  forward(
    src: TokenIds,
    tgtIn: TokenIds,
    opts: SourceOptions & { tgtLengths?: ArrayLike<number> | tf.Tensor1D; needWeights?: boolean } = {},
  ): {
    logits: tf.Tensor3D;
    encoderAttentions: tf.Tensor4D[];
    selfAttentions: tf.Tensor4D[];
    crossAttentions: tf.Tensor4D[];
  } {
    return tidy(() => {
      const s = toIds('Seq2SeqTransformer.forward', src);
      const t = toIds('Seq2SeqTransformer.forward', tgtIn);
      if (s.shape[0] !== t.shape[0])
        throw new Error(`Seq2SeqTransformer.forward: src batch ${s.shape[0]} differs from tgt batch ${t.shape[0]}`);
      const srcPad = this.srcPadding(s, opts) ?? undefined;
      const tgtPad = opts.tgtLengths
        ? paddingFromLengths('Seq2SeqTransformer.forward', opts.tgtLengths as ArrayLike<number>, t.shape[0], t.shape[1])
        : undefined;
      const r = this.transformer.forward(this.embed(this.src_tok_emb, s, 0), this.embed(this.tgt_tok_emb, t, 0), {
        srcKeyPaddingMask: srcPad,
        memoryKeyPaddingMask: srcPad,
        tgtKeyPaddingMask: tgtPad,
        tgtCausal: true,
        needWeights: opts.needWeights,
      });
      return {
        logits: this.generator.forward(r.output) as tf.Tensor3D,
        encoderAttentions: r.encoderAttentions,
        selfAttentions: r.selfAttentions,
        crossAttentions: r.crossAttentions,
      };
    });
  }

  /** Encodes the source and prepares every decoder layer's memory keys/values. */
  initState(src: TokenIds, opts: SourceOptions = {}): Seq2SeqState {
    return tidy(() => {
      const { memory, memoryPadding } = this.encode(src, opts);
      return { memoryKV: this.transformer.decoder.memoryKV(memory), memoryPadding, kv: [], position: 0 };
    });
  }

  /**
   * Feeds `tokens [B]` (bos at the first step, then the previous outputs) and returns the
   * next-token logits `[B, V]`, the new state, and the last decoder layer's cross-attention
   * averaged over heads `[B, S]` (for alignment plots). `state` is not disposed here.
   */
  step(
    state: Seq2SeqState,
    tokens: Int32Array | number[],
  ): { logits: tf.Tensor2D; state: Seq2SeqState; attention: tf.Tensor2D } {
    return tidy(() => {
      const B = tokens.length;
      if (state.memoryKV[0].k.shape[0] !== B)
        throw new Error(`Seq2SeqTransformer.step: state has batch ${state.memoryKV[0].k.shape[0]}, got ${B} tokens`);
      const ids = tf.tensor2d(Int32Array.from(tokens), [B, 1], 'int32');
      const r = this.transformer.decoder.forward(this.embed(this.tgt_tok_emb, ids, state.position), null, {
        memoryKV: state.memoryKV,
        memoryKeyPaddingMask: state.memoryPadding ?? undefined,
        cache: state.kv.length ? state.kv : null,
        causal: true,
        returnCache: true,
        needWeights: true,
      });
      const logits = tf.reshape(this.generator.forward(r.output), [B, this.tgtVocabSize]) as tf.Tensor2D;
      const lastCross = r.crossAttentions[r.crossAttentions.length - 1]; // [B, H, 1, S]
      const attention = tf.reshape(tf.mean(lastCross, 1), [B, -1]) as tf.Tensor2D;
      return {
        logits,
        attention,
        state: {
          memoryKV: state.memoryKV,
          memoryPadding: state.memoryPadding,
          kv: r.cache as KV[],
          position: state.position + 1,
        },
      };
    });
  }
}
