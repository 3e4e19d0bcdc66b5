/**
 * A transformer encoder classifier: token embedding + positions, a `TransformerEncoder`
 * over the real tokens (padding masked), pooling, and a linear classifier.
 * Pooling 'first' takes the first token (BERT's [CLS]); 'mean' averages the real tokens.
 *
 * Parameter names: `tok_emb.weight`, `pos_emb.weight` (learned positions),
 * `encoder.layers.{i}.*`, `encoder.norm.*` (pre-norm only), `classifier.weight`, `classifier.bias`.
 *
 * References: Devlin et al. 2019 (BERT, [CLS] pooling); Vaswani et al. 2017.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, Embedding, Module, init } from '@wordloom/core';
import { Dense } from '@wordloom/attention';
import type { Activation } from './internal/feed-forward.js';
import { paddingFromLengths, paddingFromMask, toIds, type TokenIds } from './internal/util.js';
import { LearnedPositionalEncoding, SinusoidalPositionalEncoding } from './positional.js';
import { TransformerEncoder } from './transformer.js';

/** Options of {@link TransformerClassifier}. */
export interface TransformerClassifierOptions {
  vocabSize: number;
  numClasses: number;
  dModel: number;
  nhead: number;
  numLayers: number;
  /** @default 4 · dModel */
  dimFeedforward?: number;
  /** @default 0.1 */
  dropout?: number;
  /** @default 'gelu' — BERT's. */
  activation?: Activation;
  /** @default 'first' — BERT's [CLS] convention; put a cls token first. */
  pooling?: 'first' | 'mean';
  /** @default 'learned' (BERT) */
  positional?: 'learned' | 'sinusoidal';
  /** Longest sequence for learned positions. @default 512 */
  maxLen?: number;
  /** @default false (BERT is post-norm); true adds a final LayerNorm. */
  normFirst?: boolean;
  /** @default 0 */
  seed?: number;
}

export class TransformerClassifier extends Module {
  readonly tok_emb: Embedding;
  readonly pos_emb: LearnedPositionalEncoding | null = null;
  readonly encoder: TransformerEncoder;
  readonly classifier: Dense;
  readonly pooling: 'first' | 'mean';
  private readonly sinusoid: SinusoidalPositionalEncoding | null = null;

  constructor(opts: TransformerClassifierOptions) {
    super();
    const seed = opts.seed ?? 0;
    const d = opts.dModel;
    this.pooling = opts.pooling ?? 'first';
    if (this.pooling !== 'first' && this.pooling !== 'mean')
      throw new Error(`TransformerClassifier: pooling = ${String(this.pooling)} must be 'first' or 'mean'`);
    this.tok_emb = this.addModule('tok_emb', new Embedding({ numEmbeddings: opts.vocabSize, embeddingDim: d, seed }));
    // BERT's N(0, 0.02), the same scale as the learned positions (N(0, 1) would drown them)
    const w0 = init.normal([opts.vocabSize, d], { mean: 0, std: 0.02, seed: seed + 5 });
    this.tok_emb.weight.assign(w0);
    w0.dispose();
    if ((opts.positional ?? 'learned') === 'learned')
      this.pos_emb = this.addModule(
        'pos_emb',
        new LearnedPositionalEncoding({ maxLen: opts.maxLen ?? 512, dModel: d, seed: seed + 1 }),
      );
    else this.sinusoid = new SinusoidalPositionalEncoding({ dModel: d });
    const normFirst = opts.normFirst ?? false;
    this.encoder = this.addModule(
      'encoder',
      new TransformerEncoder({
        dModel: d,
        nhead: opts.nhead,
        numLayers: opts.numLayers,
        dimFeedforward: opts.dimFeedforward ?? 4 * d,
        dropout: opts.dropout ?? 0.1,
        activation: opts.activation ?? 'gelu',
        normFirst,
        finalNorm: normFirst,
        seed: seed + 2,
      }),
    );
    this.classifier = this.addModule(
      'classifier',
      new Dense({ inFeatures: d, outFeatures: opts.numClasses, seed: seed + 3 }),
    );
  }

  /**
   * @param ids `[B, T]` @param opts.lengths or opts.mask (`[B, T]`, 1 = real token)
   * @returns logits `[B, numClasses]` and, with `needWeights`, per-layer maps `[B, H, T, T]`.
   */
  forward(
    ids: TokenIds,
    opts: { lengths?: ArrayLike<number> | tf.Tensor1D; mask?: tf.Tensor; needWeights?: boolean } = {},
  ): { logits: tf.Tensor2D; attentions: tf.Tensor4D[] } {
    return tidy(() => {
      const x0 = toIds('TransformerClassifier.forward', ids);
      const [B, T] = x0.shape;
      if (opts.lengths && opts.mask) throw new Error('TransformerClassifier.forward: give lengths or mask, not both');
      const pad = opts.lengths
        ? paddingFromLengths('TransformerClassifier.forward', opts.lengths as ArrayLike<number>, B, T)
        : opts.mask
          ? paddingFromMask('TransformerClassifier.forward', opts.mask, B, T)
          : null;
      let x = this.tok_emb.forward(x0);
      x = this.pos_emb ? this.pos_emb.forward(x) : (this.sinusoid as SinusoidalPositionalEncoding).forward(x);
      const r = this.encoder.forward(x, { srcKeyPaddingMask: pad ?? undefined, needWeights: opts.needWeights });
      let pooled: tf.Tensor;
      if (this.pooling === 'first') {
        pooled = tf.reshape(tf.slice(r.output, [0, 0, 0], [B, 1, -1]), [B, -1]);
      } else {
        const real = pad ? tf.sub(1, pad) : tf.ones([B, T]); // [B, T]
        const sum = tf.sum(tf.mul(r.output, tf.expandDims(real, 2)), 1); // [B, d]
        pooled = tf.div(sum, tf.maximum(tf.sum(real, 1, true), 1));
      }
      return { logits: this.classifier.forward(pooled) as tf.Tensor2D, attentions: r.attentions };
    });
  }
}
