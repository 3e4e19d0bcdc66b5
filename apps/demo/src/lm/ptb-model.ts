/**
 * The `lm ptb` model (Deep Learning from Scratch 2 ch. 6's improved RNNLM; Zaremba et al. 2014 with
 * Press & Wolf 2017's weight tying and Gal & Ghahramani 2016's variational dropout): word embedding →
 * 2 LSTM layers → logits through the embedding matrix transposed (tied: embedding size = hidden size),
 * with dropout masks that are the same at every time step of a sequence (one mask per row and feature)
 * on the embedding output, between the layers and before the output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Module, Rng, batchMatMul } from '@wordloom/core';
import { LSTM, type RecurrentState } from '@wordloom/rnn';

/** Dropout with one mask per sequence (`[B, 1, D]`, broadcast over time), from a registered generator. */
export class VariationalDropout extends Module {
  private readonly rng: Rng;
  constructor(
    readonly p: number,
    seed: number,
  ) {
    super();
    if (!(p >= 0 && p < 1)) throw new Error(`VariationalDropout: p = ${p} must be in [0, 1)`);
    this.rng = this.registerRng('mask', new Rng(seed));
  }
  /** `x [B, T, D]` → `x` with whole feature tracks of each row dropped (scaled by 1 / (1 − p)); identity in eval. */
  forward(x: tf.Tensor3D): tf.Tensor3D {
    if (!this.training || this.p === 0) return x;
    const [B, , D] = x.shape;
    const seed = this.rng.nextUint32();
    return tf.tidy(() => {
      const keep = tf.cast(tf.greaterEqual(tf.randomUniform([B, 1, D], 0, 1, 'float32', seed), this.p), 'float32');
      return tf.mul(x, tf.mul(keep, 1 / (1 - this.p))) as tf.Tensor3D;
    });
  }
}

export interface PtbModelOptions {
  vocabSize: number;
  /** Embedding size = hidden size (tied weights). */
  hiddenSize: number;
  numLayers: number;
  dropout: number;
  seed: number;
}

/** The state of every layer: `h`, `c` of shape `[1, B, H]` per layer. */
export type PtbState = RecurrentState[];

export class PtbLSTM extends Module {
  readonly embedding: Embedding;
  readonly layers: LSTM[];
  readonly drops: VariationalDropout[];
  readonly bias: tf.Variable;
  constructor(readonly opts: PtbModelOptions) {
    super();
    const { vocabSize: V, hiddenSize: H, numLayers: L, seed } = opts;
    // Zaremba et al. initialise uniformly in ±0.1 (small) / ±0.05 (medium); the embedding's N(0, 1) would be too large tied.
    this.embedding = this.addModule('embedding', new Embedding({ numEmbeddings: V, embeddingDim: H, seed }));
    tf.tidy(() => this.embedding.weight.assign(tf.randomUniform([V, H], -0.1, 0.1, 'float32', seed)));
    this.layers = Array.from({ length: L }, (_, l) =>
      this.addModule(
        `lstm${l}`,
        new LSTM({ inputSize: H, hiddenSize: H, numLayers: 1, seed: seed + 10 + l, forgetBias: 1 }),
      ),
    );
    this.drops = Array.from({ length: L + 1 }, (_, l) =>
      this.addModule(`drop${l}`, new VariationalDropout(opts.dropout, seed + 100 + l)),
    );
    this.bias = this.addParameter('bias', tf.zeros([V]));
  }
  /** ids `[B, T]` → logits `[B, T, V]` and every layer's state after the last step. */
  forward(ids: tf.Tensor2D, state?: PtbState): { logits: tf.Tensor3D; state: PtbState } {
    const [B, T] = ids.shape;
    const { hiddenSize: H, vocabSize: V } = this.opts;
    const out: PtbState = [];
    let x = this.drops[0].forward(this.embedding.forward(ids) as tf.Tensor3D);
    this.layers.forEach((layer, l) => {
      const r = layer.forward(x, state?.[l] ? { initialState: state[l] } : {});
      out.push(r.state);
      x = this.drops[l + 1].forward(r.outputs as tf.Tensor3D);
    });
    const logits = tf.reshape(this.project(tf.reshape(x, [B * T, H]) as tf.Tensor2D), [B, T, V]) as tf.Tensor3D;
    return { logits, state: out };
  }
  /**
   * The tied output layer: `x [N, H]` → logits `[N, V]` = x · Eᵀ + b, E the embedding matrix `[V, H]`.
   * Through core's `batchMatMul`, whose SIMD kernel runs the transposed product and both of its gradients
   * (dx = dy · E, dE = dyᵀ · x): tfjs-backend-wasm runs a `matMul` with a transpose flag at 1.5–2 GFLOP/s, and
   * these three products are most of a step's arithmetic (the README's `lm ptb` profile).
   */
  project(x: tf.Tensor2D): tf.Tensor2D {
    return tf.add(batchMatMul(x, this.embedding.weight, { transposeB: true }), this.bias) as tf.Tensor2D;
  }
}
