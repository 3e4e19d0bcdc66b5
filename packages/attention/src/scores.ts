/**
 * Attention score functions: how well a query matches each key.
 *
 * - dot:        score(q, k) = qᵀk                                   (Luong et al. 2015)
 * - scaledDot:  score(q, k) = qᵀk / √d                              (Vaswani et al. 2017)
 * - general:    score(q, k) = qᵀ W k,        W = `attn.weight` [Dq, Dk]      (Luong)
 * - concat:     score(q, k) = vᵀ tanh(W [q; k]), W = `attn.weight` [A, Dq+Dk], v = `v` [A] (Luong)
 * - additive:   score(q, k) = Vaᵀ tanh(Wa q + Ua k) + bVa                     (Bahdanau et al. 2015)
 *
 * Parameter names follow the PyTorch tutorials these layers are usually written from:
 * `Attn` of the chatbot tutorial (`attn`, `v`) and `BahdanauAttention` of the seq2seq
 * translation tutorial (`Wa`, `Ua`, `Va`), so their state dicts load by name.
 *
 * Every score splits into a key-side part computed once per source sequence
 * (`prepareKeys`) and a query-side part computed at every decoder step (`score`), so a
 * seq2seq decoder pays the key projection once, not at every step.
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, Module, init, linear } from '@wordloom/core';
import { Dense } from './internal/dense.js';

/** A score function. Shapes: query `[B, Tq, Dq]`, keys `[B, Tk, Dk]`, scores `[B, Tq, Tk]`. */
export interface AttentionScore {
  /** Name for messages ('dot', 'scaledDot', 'general', 'concat', 'additive'). */
  readonly kind: string;
  /**
   * The key-side part of the score, computed once per key sequence. The result is a new
   * tensor owned by the caller; pass it to {@link AttentionScore.score}.
   * @throws when the keys are not `[B, Tk, Dk]` with the expected `Dk`.
   */
  prepareKeys(keys: tf.Tensor3D): tf.Tensor;
  /**
   * Scores of each query against each (prepared) key: `[B, Tq, Tk]`.
   * @throws when the query is not `[B, Tq, Dq]` with the expected `Dq`, or batch sizes differ.
   */
  score(query: tf.Tensor3D, preparedKeys: tf.Tensor): tf.Tensor3D;
}

function check3(fn: string, name: string, x: tf.Tensor, dim?: number): void {
  if (x.rank !== 3) throw new Error(`${fn}: ${name} must be [B, T, D], got shape [${x.shape.join(', ')}]`);
  if (dim !== undefined && x.shape[2] !== dim) {
    throw new Error(`${fn}: ${name} last dim is ${x.shape[2]} (shape [${x.shape.join(', ')}]), expected ${dim}`);
  }
}

function checkBatch(fn: string, q: tf.Tensor, pk: tf.Tensor): void {
  if (q.shape[0] !== pk.shape[0])
    throw new Error(`${fn}: query batch ${q.shape[0]} differs from keys batch ${pk.shape[0]}`);
}

class DotScore implements AttentionScore {
  constructor(readonly kind: 'dot' | 'scaledDot') {}
  prepareKeys(keys: tf.Tensor3D): tf.Tensor {
    check3(this.kind, 'keys', keys);
    return tidy(() => {
      const kt = tf.transpose(keys, [0, 2, 1]); // [B, Dk, Tk]
      return this.kind === 'scaledDot' ? tf.mul(kt, 1 / Math.sqrt(keys.shape[2])) : kt;
    });
  }
  score(query: tf.Tensor3D, preparedKeys: tf.Tensor): tf.Tensor3D {
    check3(this.kind, 'query', query, preparedKeys.shape[1]);
    checkBatch(this.kind, query, preparedKeys);
    return tf.matMul(query, preparedKeys as tf.Tensor3D); // [B, Tq, Tk]
  }
}

/** `score(q, k) = qᵀk`. Needs `Dq = Dk`. No parameters. */
export const dotScore: AttentionScore = new DotScore('dot');
/** `score(q, k) = qᵀk / √Dk` (the Transformer's). Needs `Dq = Dk`. No parameters. */
export const scaledDotScore: AttentionScore = new DotScore('scaledDot');

/** Options of {@link GeneralScore}. */
export interface GeneralScoreOptions {
  /** Query size `Dq` (the decoder state). */
  queryDim: number;
  /**
   * Key size `Dk` (the encoder output).
   * @default queryDim — the usual same-size encoder and decoder.
   */
  keyDim?: number;
  /**
   * Add a bias to `W k` (the PyTorch chatbot tutorial's `nn.Linear` has one; Luong's paper doesn't).
   * @default false — the paper's form.
   */
  bias?: boolean;
  /** Seed of the initializer (PyTorch's default `nn.Linear` init). @default 0 */
  seed?: number;
}

/** Luong's general score `qᵀ W k`; parameters `attn.weight [Dq, Dk]` (+ `attn.bias [Dq]`). */
export class GeneralScore extends Module implements AttentionScore {
  readonly kind = 'general';
  readonly attn: Dense;
  readonly queryDim: number;
  readonly keyDim: number;
  constructor(opts: GeneralScoreOptions) {
    super();
    this.queryDim = opts.queryDim;
    this.keyDim = opts.keyDim ?? opts.queryDim;
    this.attn = this.addModule(
      'attn',
      new Dense({
        inFeatures: this.keyDim,
        outFeatures: this.queryDim,
        bias: opts.bias ?? false,
        seed: opts.seed ?? 0,
      }),
    );
  }
  prepareKeys(keys: tf.Tensor3D): tf.Tensor {
    check3('GeneralScore', 'keys', keys, this.keyDim);
    return tidy(() => tf.transpose(this.attn.forward(keys), [0, 2, 1])); // [B, Dq, Tk]
  }
  score(query: tf.Tensor3D, preparedKeys: tf.Tensor): tf.Tensor3D {
    check3('GeneralScore', 'query', query, this.queryDim);
    checkBatch('GeneralScore', query, preparedKeys);
    return tf.matMul(query, preparedKeys as tf.Tensor3D);
  }
}

/** Options of {@link ConcatScore} and {@link AdditiveScore}. */
export interface AdditiveScoreOptions {
  /** Query size `Dq`. */
  queryDim: number;
  /** Key size `Dk`. @default queryDim */
  keyDim?: number;
  /** Size `A` of the hidden layer inside the score. @default queryDim — as in both papers' setups. */
  attnDim?: number;
  /** Seed of the initializers. @default 0 */
  seed?: number;
}

/** `vᵀ tanh(pq [B,Tq,1,A] + pk [B,1,Tk,A])` → `[B, Tq, Tk]`, with `v` as `[A, 1]`, plain matmuls. */
function tanhScore(pq: tf.Tensor, pk: tf.Tensor, v: tf.Tensor, vBias: tf.Tensor | null): tf.Tensor3D {
  return tidy(() => {
    const [B, Tq, A] = pq.shape as [number, number, number];
    const Tk = pk.shape[1] as number;
    const h = tf.tanh(tf.add(tf.reshape(pq, [B, Tq, 1, A]), tf.reshape(pk, [B, 1, Tk, A]))); // [B, Tq, Tk, A]
    const s = linear(tf.reshape(h, [B * Tq * Tk, A]), v, vBias); // [B·Tq·Tk, 1]
    return tf.reshape(s, [B, Tq, Tk]) as tf.Tensor3D;
  });
}

/**
 * Luong's concat score `vᵀ tanh(W [q; k])`; parameters `attn.weight [A, Dq+Dk]` (no bias, as
 * in the paper) and `v [A]`. Computed as `W_q q + W_k k` with the two column blocks of W,
 * so the key half is prepared once.
 */
export class ConcatScore extends Module implements AttentionScore {
  readonly kind = 'concat';
  readonly attnWeight: tf.Variable;
  readonly v: tf.Variable;
  readonly queryDim: number;
  readonly keyDim: number;
  readonly attnDim: number;
  constructor(opts: AdditiveScoreOptions) {
    super();
    this.queryDim = opts.queryDim;
    this.keyDim = opts.keyDim ?? opts.queryDim;
    this.attnDim = opts.attnDim ?? opts.queryDim;
    const seed = opts.seed ?? 0;
    const inF = this.queryDim + this.keyDim;
    // a child module named `attn` holding only `weight`, so the name is `attn.weight`
    const attn = this.addModule('attn', new Dense({ inFeatures: inF, outFeatures: this.attnDim, bias: false, seed }));
    this.attnWeight = attn.weight;
    this.v = this.addParameter('v', init.pytorchDefault([this.attnDim], { fanIn: this.attnDim, seed: seed + 7 }));
  }
  prepareKeys(keys: tf.Tensor3D): tf.Tensor {
    check3('ConcatScore', 'keys', keys, this.keyDim);
    return tidy(() => linear(keys, tf.slice(this.attnWeight, [0, this.queryDim], [this.attnDim, this.keyDim])));
  }
  score(query: tf.Tensor3D, preparedKeys: tf.Tensor): tf.Tensor3D {
    check3('ConcatScore', 'query', query, this.queryDim);
    checkBatch('ConcatScore', query, preparedKeys);
    return tidy(() => {
      const pq = linear(query, tf.slice(this.attnWeight, [0, 0], [this.attnDim, this.queryDim]));
      return tanhScore(pq, preparedKeys, tf.reshape(this.v, [1, this.attnDim]), null);
    });
  }
}

/**
 * Bahdanau's additive score `Va(tanh(Wa q + Ua k))`; parameters named as in PyTorch's
 * seq2seq translation tutorial: `Wa.weight [A, Dq]`, `Wa.bias`, `Ua.weight [A, Dk]`,
 * `Ua.bias`, `Va.weight [1, A]`, `Va.bias [1]`.
 */
export class AdditiveScore extends Module implements AttentionScore {
  readonly kind = 'additive';
  readonly Wa: Dense;
  readonly Ua: Dense;
  readonly Va: Dense;
  readonly queryDim: number;
  readonly keyDim: number;
  readonly attnDim: number;
  constructor(opts: AdditiveScoreOptions) {
    super();
    this.queryDim = opts.queryDim;
    this.keyDim = opts.keyDim ?? opts.queryDim;
    this.attnDim = opts.attnDim ?? opts.queryDim;
    const seed = opts.seed ?? 0;
    this.Wa = this.addModule('Wa', new Dense({ inFeatures: this.queryDim, outFeatures: this.attnDim, seed }));
    this.Ua = this.addModule('Ua', new Dense({ inFeatures: this.keyDim, outFeatures: this.attnDim, seed: seed + 2 }));
    this.Va = this.addModule('Va', new Dense({ inFeatures: this.attnDim, outFeatures: 1, seed: seed + 4 }));
  }
  prepareKeys(keys: tf.Tensor3D): tf.Tensor {
    check3('AdditiveScore', 'keys', keys, this.keyDim);
    return this.Ua.forward(keys); // [B, Tk, A]
  }
  score(query: tf.Tensor3D, preparedKeys: tf.Tensor): tf.Tensor3D {
    check3('AdditiveScore', 'query', query, this.queryDim);
    checkBatch('AdditiveScore', query, preparedKeys);
    return tidy(() => tanhScore(this.Wa.forward(query), preparedKeys, this.Va.weight, this.Va.bias));
  }
}

/** A score given by name (parameter-free ones) or as an object. */
export type ScoreSpec = 'dot' | 'scaledDot' | AttentionScore;

/** Resolves a {@link ScoreSpec} to an {@link AttentionScore}. */
export function resolveScore(score: ScoreSpec | undefined): AttentionScore {
  if (score === undefined || score === 'dot') return dotScore;
  if (score === 'scaledDot') return scaledDotScore;
  if (typeof score === 'object' && typeof score.score === 'function' && typeof score.prepareKeys === 'function')
    return score;
  throw new Error(
    `attention: unknown score ${String(score)}; use 'dot', 'scaledDot' or an AttentionScore (GeneralScore, ConcatScore, AdditiveScore)`,
  );
}
