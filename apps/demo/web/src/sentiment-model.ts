/**
 * The BiLSTM sentiment model `wordloom classify nsmc` trains (apps/demo/src/classify/model.ts),
 * rebuilt from @wordloom/core and @wordloom/rnn for the browser: Embedding → bidirectional LSTM
 * → masked max / mean pooling or the final states → Linear. Same parameter names
 * (`embedding.weight`, `rnn.weight_ih_l0`, …, `classifier.weight`), so the CLI's
 * model.safetensors loads strictly. Dropout is left out: the page only runs it in eval mode.
 *
 * Besides P(positive) it explains a prediction per token, two ways:
 * - gradient × input (Shrikumar et al. 2016; Denil et al. 2014): Σₑ xₜₑ · ∂(z₊ − z₋)/∂xₜₑ over
 *   the token's embedding x, where z₊ − z₋ is the log-odds of "positive";
 * - with max pooling, the exact split of that log-odds: each pooled feature d came from one token
 *   t (the arg max over time), so z₊ − z₋ = Σₜ Σ_{d won by t} (W₊d − W₋d)·hₜd + (b₊ − b₋).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module } from '@wordloom/core';
import { LSTM } from '@wordloom/rnn';

export interface SentimentConfig {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  numLayers: number;
  pooling: 'max' | 'mean' | 'last';
  numClasses: number;
  padId: number;
}

/** The config and labels the CLI stores in model.safetensors' metadata, checked. */
export function sentimentConfigFrom(
  metadata: Map<string, string>,
  file = 'model.safetensors',
): {
  config: SentimentConfig;
  labels: string[];
} {
  const model = metadata.get('model');
  if (model !== 'bilstm')
    throw new Error(
      `${file}: metadata "model" is ${JSON.stringify(model)}; this page runs the BiLSTM ("bilstm") that \`wordloom classify nsmc\` trains by default`,
    );
  const raw = metadata.get('config');
  if (raw === undefined) throw new Error(`${file} has no "config" in its metadata`);
  const c = JSON.parse(raw) as Record<string, unknown>;
  const int = (k: string, min: number): number => {
    const v = c[k];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
      throw new Error(`${file}: config.${k} = ${JSON.stringify(v)} must be an integer ≥ ${min}`);
    return v;
  };
  if (c.bidirectional !== true) throw new Error(`${file}: config.bidirectional must be true`);
  const pooling = c.pooling;
  if (pooling !== 'max' && pooling !== 'mean' && pooling !== 'last')
    throw new Error(`${file}: config.pooling = ${JSON.stringify(pooling)} must be 'max', 'mean' or 'last'`);
  const labels = JSON.parse(metadata.get('labels') ?? '["negative","positive"]') as unknown;
  if (!Array.isArray(labels) || !labels.includes('positive') || !labels.includes('negative'))
    throw new Error(`${file}: metadata "labels" = ${JSON.stringify(labels)} must name "negative" and "positive"`);
  const config: SentimentConfig = {
    vocabSize: int('vocabSize', 1),
    embeddingDim: int('embeddingDim', 1),
    hiddenSize: int('hiddenSize', 1),
    numLayers: int('numLayers', 1),
    pooling,
    numClasses: int('numClasses', 2),
    padId: int('padId', 0),
  };
  if (config.numClasses !== 2 || labels.length !== 2)
    throw new Error(
      `${file}: config.numClasses = ${config.numClasses} with labels ${JSON.stringify(labels)}; a sentiment model has the two classes "negative" and "positive"`,
    );
  return { config, labels: labels as string[] };
}

export interface Explanation {
  /** P(positive) = softmax(logits)[positive]. */
  probPositive: number;
  /** Log-odds z₊ − z₋ (the quantity both attributions split). */
  logOdds: number;
  /** Gradient × input per token (sums to roughly the log-odds minus a baseline). */
  gradientXInput: Float32Array;
  /** With max pooling, the exact share of the log-odds per token (else undefined). */
  maxPoolShare?: Float32Array;
  /** (b₊ − b₋): the part of the log-odds no token owns under max pooling. */
  bias: number;
}

export class SentimentBiLstm extends Module {
  readonly embedding: Embedding;
  readonly rnn: LSTM;
  readonly classifier: Linear;
  constructor(readonly config: SentimentConfig) {
    super();
    const c = config;
    this.embedding = this.addModule(
      'embedding',
      new Embedding({ numEmbeddings: c.vocabSize, embeddingDim: c.embeddingDim, paddingIdx: c.padId, seed: 0 }),
    );
    this.rnn = this.addModule(
      'rnn',
      new LSTM({
        inputSize: c.embeddingDim,
        hiddenSize: c.hiddenSize,
        numLayers: c.numLayers,
        bidirectional: true,
        seed: 1,
      }),
    );
    this.classifier = this.addModule(
      'classifier',
      new Linear({ inFeatures: 2 * c.hiddenSize, outFeatures: c.numClasses, seed: 2 }),
    );
    this.eval();
  }

  /** One review's embeddings `[1, T, E]` → LSTM outputs `[1, T, 2H]`, pooled `[1, 2H]`, logits `[1, C]`. */
  fromEmbeddings(x: tf.Tensor3D): { outputs: tf.Tensor3D; pooled: tf.Tensor2D; logits: tf.Tensor2D } {
    const T = x.shape[1];
    const H = this.config.hiddenSize;
    const r = this.rnn.forward(x, { lengths: [T] });
    let pooled: tf.Tensor2D;
    if (this.config.pooling === 'max') pooled = tf.max(r.outputs, 1);
    else if (this.config.pooling === 'mean') pooled = tf.mean(r.outputs, 1);
    else {
      const L = this.config.numLayers;
      const last = tf.slice(r.state.h, [2 * (L - 1), 0, 0], [2, 1, H]); // [2, 1, H]: forward, backward
      pooled = tf.reshape(tf.transpose(last, [1, 0, 2]), [1, 2 * H]);
    }
    return { outputs: r.outputs, pooled, logits: this.classifier.forward(pooled) as tf.Tensor2D };
  }

  /**
   * P(positive) and per-token attributions for one review's token ids.
   * @param positive index of the "positive" class in the logits
   * @throws if `ids` is empty or holds an id outside the vocabulary
   */
  explain(ids: Int32Array, positive: number): Explanation {
    const fn = 'SentimentBiLstm.explain';
    if (ids.length === 0) throw new Error(`${fn}: ids is empty (encode at least one token, e.g. <unk>)`);
    const bad = ids.find((i) => !(i >= 0 && i < this.config.vocabSize));
    if (bad !== undefined) throw new Error(`${fn}: id ${bad} is outside the vocabulary [0, ${this.config.vocabSize})`);
    const negative = positive === 0 ? 1 : 0;
    const T = ids.length;
    const out = tf.tidy(() => {
      const x = this.embedding.forward(tf.tensor2d(ids, [1, T], 'int32')) as tf.Tensor3D;
      const logOdds = (e: tf.Tensor): tf.Scalar => {
        const z = this.fromEmbeddings(e as tf.Tensor3D).logits;
        return tf.sub(tf.squeeze(tf.slice(z, [0, positive], [1, 1])), tf.squeeze(tf.slice(z, [0, negative], [1, 1])));
      };
      const grad = tf.grad(logOdds)(x);
      const gxi = tf.reshape(tf.sum(tf.mul(grad, x), 2), [T]);
      const { outputs, logits } = this.fromEmbeddings(x);
      const probs = tf.reshape(tf.softmax(logits), [-1]);
      const zdiff = logOdds(x);
      let share: tf.Tensor | undefined;
      if (this.config.pooling === 'max') {
        // Which token each pooled feature came from, and what that feature adds to the log-odds.
        const w = this.classifier.weight as tf.Tensor2D; // [C, 2H]
        const dw = tf.sub(tf.gather(w, positive), tf.gather(w, negative)); // [2H]
        const h = tf.reshape(outputs, [T, -1]); // [T, 2H]
        const from = tf.expandDims(tf.argMax(h, 0), 1); // [2H, 1]: the token each feature came from
        const winner = tf.cast(tf.equal(from, tf.expandDims(tf.range(0, T, 1, 'int32'), 0)), 'float32'); // [2H, T]
        share = tf.sum(tf.mul(tf.transpose(winner), tf.mul(h, dw)), 1); // [T]
      }
      const b = this.classifier.bias;
      const bias = b ? tf.sub(tf.gather(b, positive), tf.gather(b, negative)) : tf.scalar(0);
      return { gxi, probs, zdiff, share, bias };
    });
    const probs = out.probs.dataSync();
    const result: Explanation = {
      probPositive: probs[positive],
      logOdds: out.zdiff.dataSync()[0],
      gradientXInput: out.gxi.dataSync() as Float32Array,
      bias: out.bias.dataSync()[0],
      ...(out.share ? { maxPoolShare: out.share.dataSync() as Float32Array } : {}),
    };
    tf.dispose([out.gxi, out.probs, out.zdiff, out.bias, ...(out.share ? [out.share] : [])]);
    return result;
  }
}
