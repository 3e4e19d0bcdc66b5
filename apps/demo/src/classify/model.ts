/**
 * The `classify nsmc` models: a BiLSTM classifier (Embedding → bidirectional LSTM over the real
 * tokens → masked pooling → Linear) or @wordloom/transformer's `TransformerClassifier`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Embedding, Linear, Module } from '@wordloom/core';
import { type PaddedBatch } from '@wordloom/data';
import { LSTM } from '@wordloom/rnn';
import { TransformerClassifier } from '@wordloom/transformer';
import { CliError, PROGRAM } from '../args.js';
import { COMMAND, type ClassifyConfig } from './config.js';

/** Embedding → bidirectional LSTM over the real tokens (lengths) → pooling → Linear. */
export class BiLstmClassifier extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM;
  readonly classifier: Linear;
  private readonly drop: Dropout;
  constructor(
    readonly opts: {
      vocabSize: number;
      embeddingDim: number;
      hiddenSize: number;
      numLayers: number;
      numClasses: number;
      dropout: number;
      pooling: 'max' | 'mean' | 'last';
      padId: number;
      seed: number;
      /** Initial embedding table `[vocabSize, embeddingDim]` (e.g. word2vec vectors); trained further. Its pad row is zeroed. */
      pretrained?: Float32Array;
    },
  ) {
    super();
    let weights: Float32Array | undefined;
    if (opts.pretrained) {
      weights = opts.pretrained.slice();
      weights.fill(0, opts.padId * opts.embeddingDim, (opts.padId + 1) * opts.embeddingDim);
    }
    this.embedding = this.addModule(
      'embedding',
      new Embedding({
        numEmbeddings: opts.vocabSize,
        embeddingDim: opts.embeddingDim,
        paddingIdx: opts.padId,
        seed: opts.seed,
        ...(weights ? { weights } : {}),
      }),
    );
    this.rnn = this.addModule(
      'rnn',
      new LSTM({
        inputSize: opts.embeddingDim,
        hiddenSize: opts.hiddenSize,
        numLayers: opts.numLayers,
        bidirectional: true,
        dropout: opts.dropout,
        seed: opts.seed + 1,
        forgetBias: 1,
      }),
    );
    this.classifier = this.addModule(
      'classifier',
      new Linear({ inFeatures: 2 * opts.hiddenSize, outFeatures: opts.numClasses, seed: opts.seed + 2 }),
    );
    this.drop = this.addModule('drop', new Dropout({ p: opts.dropout, seed: opts.seed + 3 }));
  }
  /** ids `[B, T]`, mask `[B, T]` (1 = real token), lengths → logits `[B, C]`. */
  forward(ids: tf.Tensor2D, mask: tf.Tensor2D, lengths: Int32Array): tf.Tensor2D {
    return tf.tidy(() => {
      const x = this.drop.forward(this.embedding.forward(ids)); // [B, T, E]
      const r = this.rnn.forward(x, { lengths });
      const H = this.opts.hiddenSize;
      let pooled: tf.Tensor; // [B, 2H]
      if (this.opts.pooling === 'last') {
        // Final states of the last layer: forward direction at each review's last token, backward at its first.
        const L = this.opts.numLayers;
        const h = r.state.h; // [L·2, B, H]
        const B = ids.shape[0];
        const fwd = tf.reshape(tf.slice(h, [2 * (L - 1), 0, 0], [1, B, H]), [B, H]);
        const bwd = tf.reshape(tf.slice(h, [2 * (L - 1) + 1, 0, 0], [1, B, H]), [B, H]);
        pooled = tf.concat([fwd, bwd], 1);
      } else if (this.opts.pooling === 'max') {
        const m = tf.expandDims(tf.cast(mask, 'float32'), 2); // [B, T, 1]
        pooled = tf.max(tf.add(r.outputs, tf.mul(tf.sub(m, 1), 1e9)), 1);
      } else {
        const m = tf.expandDims(tf.cast(mask, 'float32'), 2);
        pooled = tf.div(tf.sum(tf.mul(r.outputs, m), 1), tf.maximum(tf.sum(m, 1), 1));
      }
      return this.classifier.forward(this.drop.forward(pooled)) as tf.Tensor2D;
    });
  }
}

export type AnyClassifier = { kind: 'bilstm'; m: BiLstmClassifier } | { kind: 'transformer'; m: TransformerClassifier };

export function logitsOf(model: AnyClassifier, b: PaddedBatch, lengths: Int32Array): tf.Tensor2D {
  if (model.kind === 'bilstm') return model.m.forward(b.ids, b.mask, lengths);
  return model.m.forward(b.ids, { lengths }).logits;
}

/** The model `cfg` asks for, over a vocabulary of `vocabSize` (BiLSTM: optionally starting from a pretrained embedding table). */
export function buildClassifier(
  cfg: ClassifyConfig,
  o: { vocabSize: number; padId: number; pretrained?: Float32Array },
): AnyClassifier {
  const { vocabSize, padId, pretrained } = o;
  if (cfg.model === 'transformer' && cfg.embeddingDim % cfg.nhead !== 0)
    throw new CliError(
      `${PROGRAM} ${COMMAND}: --embedding ${cfg.embeddingDim} must be divisible by --heads ${cfg.nhead}`,
    );
  return cfg.model === 'bilstm'
    ? {
        kind: 'bilstm',
        m: new BiLstmClassifier({
          vocabSize,
          embeddingDim: cfg.embeddingDim,
          hiddenSize: cfg.hiddenSize,
          numLayers: cfg.numLayers,
          numClasses: 2,
          dropout: cfg.dropout,
          pooling: cfg.pooling,
          padId,
          seed: cfg.seed,
          ...(pretrained ? { pretrained } : {}),
        }),
      }
    : {
        kind: 'transformer',
        m: new TransformerClassifier({
          vocabSize,
          numClasses: 2,
          dModel: cfg.embeddingDim,
          nhead: cfg.nhead,
          numLayers: cfg.numLayers,
          dimFeedforward: 4 * cfg.embeddingDim,
          dropout: cfg.dropout,
          pooling: 'mean',
          positional: 'learned',
          maxLen: cfg.maxLen,
          normFirst: true,
          seed: cfg.seed,
        }),
      };
}

/** The model's options as written into model.safetensors' `config` metadata (what a loader needs to rebuild it). */
export function classifierConfig(cfg: ClassifyConfig, vocabSize: number, padId: number): Record<string, unknown> {
  return cfg.model === 'bilstm'
    ? {
        vocabSize,
        embeddingDim: cfg.embeddingDim,
        hiddenSize: cfg.hiddenSize,
        numLayers: cfg.numLayers,
        bidirectional: true,
        pooling: cfg.pooling,
        numClasses: 2,
        padId,
      }
    : {
        vocabSize,
        numClasses: 2,
        dModel: cfg.embeddingDim,
        nhead: cfg.nhead,
        numLayers: cfg.numLayers,
        dimFeedforward: 4 * cfg.embeddingDim,
        pooling: 'mean',
        positional: 'learned',
        maxLen: cfg.maxLen,
        normFirst: true,
      };
}
