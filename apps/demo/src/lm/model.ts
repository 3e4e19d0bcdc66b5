/** The `lm shakespeare` models: a character LSTM, or @wordloom/transformer's `TransformerLM`. */
import * as tf from '@tensorflow/tfjs-core';
import { Dropout, Embedding, Linear, Module, crossEntropy } from '@wordloom/core';
import { LSTM, type RecurrentState } from '@wordloom/rnn';
import { TransformerLM, type TransformerLMOptions } from '@wordloom/transformer';
import { CliError, PROGRAM } from '../args.js';
import { COMMAND, type LmConfig } from './config.js';

/** Embedding → LSTM stack → (dropout) → Linear: PyTorch's word_language_model, at the character level. */
export class CharLSTM extends Module {
  readonly encoder: Embedding;
  readonly rnn: LSTM;
  readonly decoder: Linear;
  private readonly drop: Dropout;
  constructor(
    readonly opts: {
      vocabSize: number;
      embeddingDim: number;
      hiddenSize: number;
      numLayers: number;
      dropout: number;
      seed: number;
    },
  ) {
    super();
    this.encoder = this.addModule(
      'encoder',
      new Embedding({ numEmbeddings: opts.vocabSize, embeddingDim: opts.embeddingDim, seed: opts.seed }),
    );
    this.rnn = this.addModule(
      'rnn',
      new LSTM({
        inputSize: opts.embeddingDim,
        hiddenSize: opts.hiddenSize,
        numLayers: opts.numLayers,
        dropout: opts.dropout,
        seed: opts.seed + 1,
        forgetBias: 1,
      }),
    );
    this.decoder = this.addModule(
      'decoder',
      new Linear({ inFeatures: opts.hiddenSize, outFeatures: opts.vocabSize, seed: opts.seed + 2 }),
    );
    this.drop = this.addModule('drop', new Dropout({ p: opts.dropout, seed: opts.seed + 3 }));
  }
  /** ids `[B, T]` → logits `[B, T, V]` and the state after the last step. */
  forward(ids: tf.Tensor2D, state?: RecurrentState): { logits: tf.Tensor3D; state: RecurrentState } {
    const [B, T] = ids.shape;
    const x = this.drop.forward(this.encoder.forward(ids)); // [B, T, E]
    const r = this.rnn.forward(x, state ? { initialState: state } : {});
    const h = this.drop.forward(r.outputs); // [B, T, H]
    const logits = tf.reshape(this.decoder.forward(tf.reshape(h, [B * T, this.opts.hiddenSize])), [
      B,
      T,
      this.opts.vocabSize,
    ]) as tf.Tensor3D;
    return { logits, state: r.state };
  }
  zeroState(B: number): RecurrentState {
    const shape: [number, number, number] = [this.opts.numLayers, B, this.opts.hiddenSize];
    return { h: tf.zeros(shape), c: tf.zeros(shape) };
  }
}

/** The TransformerLM options this config builds (also written as the weights' `config` metadata). */
export function transformerOptions(
  cfg: LmConfig,
  vocabSize: number,
): Required<
  Pick<
    TransformerLMOptions,
    | 'vocabSize'
    | 'dModel'
    | 'nhead'
    | 'numLayers'
    | 'dimFeedforward'
    | 'positional'
    | 'maxLen'
    | 'normFirst'
    | 'tieWeights'
  >
> {
  return {
    vocabSize,
    dModel: cfg.dModel,
    nhead: cfg.nhead,
    numLayers: cfg.numLayers,
    dimFeedforward: 4 * cfg.dModel,
    positional: cfg.positional,
    maxLen: cfg.blockSize,
    normFirst: true,
    tieWeights: true,
  };
}

export type AnyLM = { kind: 'transformer'; m: TransformerLM } | { kind: 'lstm'; m: CharLSTM };

export function buildModel(cfg: LmConfig, vocabSize: number): AnyLM {
  if (cfg.model === 'transformer') {
    if (cfg.dModel % cfg.nhead !== 0)
      throw new CliError(`${PROGRAM} ${COMMAND}: --d-model ${cfg.dModel} must be divisible by --heads ${cfg.nhead}`);
    return {
      kind: 'transformer',
      m: new TransformerLM({ ...transformerOptions(cfg, vocabSize), dropout: cfg.dropout, seed: cfg.seed }),
    };
  }
  return {
    kind: 'lstm',
    m: new CharLSTM({
      vocabSize,
      embeddingDim: cfg.dModel,
      hiddenSize: cfg.hiddenSize,
      numLayers: cfg.numLayers,
      dropout: cfg.dropout,
      seed: cfg.seed,
    }),
  };
}

/** Mean next-character cross-entropy of `logits [B, T, V]` against `target [B, T]`. */
export function lmLoss(logits: tf.Tensor3D, target: tf.Tensor2D): tf.Scalar {
  const V = logits.shape[2];
  return crossEntropy(tf.reshape(logits, [-1, V]), tf.reshape(target, [-1])) as tf.Scalar;
}
