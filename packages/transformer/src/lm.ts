/**
 * A decoder-only, GPT-style language model: token embedding (+ learned or sinusoidal
 * positions, or RoPE inside attention), a stack of causal pre-norm blocks with a final
 * LayerNorm, and an output projection tied to the token embedding by default.
 *
 * Incremental decoding keeps each layer's keys/values (`[B, H, t, dh]`) in the state, so a
 * step costs one position's work; its logits equal full recomputation (tested).
 *
 * Parameter names: `tok_emb.weight [V, d]`, `pos_emb.weight [maxLen, d]` (learned positions),
 * `transformer.layers.{i}.*` (PyTorch `TransformerEncoderLayer` names), `transformer.norm.*`,
 * and `lm_head.weight [V, d]` only when untied.
 *
 * References: Radford et al. 2018/2019 (GPT, GPT-2: pre-norm, tied embeddings, learned
 * positions); Karpathy's nanoGPT (`model.py`); Press & Wolf 2017 (weight tying); Su et al.
 * 2021 (RoPE).
 */
import * as tf from '@tensorflow/tfjs-core';
import { tidy, linear, Embedding, Module, init, type LayerNorm } from '@wordloom/core';
import { Dense } from '@wordloom/attention';
import type { Activation, KV } from './internal/feed-forward.js';
import { argmaxRows, FusedDecoder, FusedWeights, type ModelSource, type NormSource } from './internal/fused-decode.js';
import { disposeState, toIds, type TokenIds } from './internal/util.js';
import { LearnedPositionalEncoding, RotaryEmbedding, SinusoidalPositionalEncoding } from './positional.js';
import { TransformerEncoder } from './transformer.js';

/** Options of {@link TransformerLM}. */
export interface TransformerLMOptions {
  vocabSize: number;
  dModel: number;
  nhead: number;
  numLayers: number;
  /** @default 4 · dModel — GPT's ratio. */
  dimFeedforward?: number;
  /** @default 0.1 */
  dropout?: number;
  /** @default 'gelu' — GPT's. */
  activation?: Activation;
  /**
   * 'learned' (GPT-2), 'sinusoidal' (the Transformer paper), or 'rope' (rotary, applied to
   * queries and keys in every layer; no position limit).
   * @default 'learned'
   */
  positional?: 'learned' | 'sinusoidal' | 'rope';
  /** Longest sequence for learned positions. @default 1024 */
  maxLen?: number;
  /** Pre-norm blocks (plus a final LayerNorm). @default true — GPT-2's; trains without warmup. */
  normFirst?: boolean;
  /** Output projection = token embedding (`logits = h Eᵀ`). @default true — fewer parameters, better perplexity at small sizes. */
  tieWeights?: boolean;
  /** @default 1e-5 */
  layerNormEps?: number;
  /** @default 0 */
  seed?: number;
}

/**
 * Incremental-decoding state: a plain tree (so `@wordloom/seq2seq`'s `gatherStateRows` can
 * reorder beams): per-layer keys/values `[B, H, t, dh]` and the number of positions seen.
 */
export interface LMState {
  position: number;
  kv: KV[];
}

/** What {@link TransformerLM.forward} returns (new tensors owned by the caller). */
export interface LMResult {
  /** `[B, T, V]` */
  logits: tf.Tensor3D;
  /** Per-layer attention maps `[B, H, T, T]` when `needWeights`. */
  attentions: tf.Tensor4D[];
}

export class TransformerLM extends Module {
  readonly vocabSize: number;
  readonly dModel: number;
  readonly maxLen: number;
  readonly positional: 'learned' | 'sinusoidal' | 'rope';
  readonly tok_emb: Embedding;
  readonly pos_emb: LearnedPositionalEncoding | null = null;
  readonly transformer: TransformerEncoder;
  readonly lm_head: Dense | null = null;
  private readonly sinusoid: SinusoidalPositionalEncoding | null = null;
  private readonly rotary: RotaryEmbedding | null = null;
  private readonly embWeight: tf.Variable;
  /** Transposed weights of the fused decoding loop, kept between `generate` calls (freed by `dispose`). */
  private fused: FusedWeights | null = null;

  constructor(opts: TransformerLMOptions) {
    super();
    const seed = opts.seed ?? 0;
    const d = opts.dModel;
    this.vocabSize = opts.vocabSize;
    this.dModel = d;
    this.maxLen = opts.maxLen ?? 1024;
    this.positional = opts.positional ?? 'learned';
    this.tok_emb = this.addModule('tok_emb', new Embedding({ numEmbeddings: opts.vocabSize, embeddingDim: d, seed }));
    this.embWeight = this.tok_emb.weight;
    // GPT-2 initializes embeddings with N(0, 0.02): with tying, N(0, 1) would give huge initial logits.
    const w0 = init.normal([opts.vocabSize, d], { mean: 0, std: 0.02, seed: seed + 1 });
    this.embWeight.assign(w0);
    w0.dispose();
    if (this.positional === 'learned')
      this.pos_emb = this.addModule(
        'pos_emb',
        new LearnedPositionalEncoding({ maxLen: this.maxLen, dModel: d, seed: seed + 2 }),
      );
    else if (this.positional === 'sinusoidal') this.sinusoid = new SinusoidalPositionalEncoding({ dModel: d });
    else if (this.positional === 'rope') this.rotary = new RotaryEmbedding({ headDim: d / opts.nhead });
    else
      throw new Error(
        `TransformerLM: positional = ${String(this.positional)} must be 'learned', 'sinusoidal' or 'rope'`,
      );
    this.transformer = this.addModule(
      'transformer',
      new TransformerEncoder({
        dModel: d,
        nhead: opts.nhead,
        numLayers: opts.numLayers,
        dimFeedforward: opts.dimFeedforward ?? 4 * d,
        dropout: opts.dropout ?? 0.1,
        activation: opts.activation ?? 'gelu',
        normFirst: opts.normFirst ?? true,
        layerNormEps: opts.layerNormEps,
        finalNorm: true,
        seed: seed + 3,
      }),
    );
    if (opts.tieWeights === false)
      this.lm_head = this.addModule(
        'lm_head',
        new Dense({ inFeatures: d, outFeatures: opts.vocabSize, bias: false, seed: seed + 4 }),
      );
  }

  private embed(ids: tf.Tensor2D, offset: number): tf.Tensor {
    const T = ids.shape[1];
    if (this.positional === 'learned' && offset + T > this.maxLen) {
      throw new Error(`TransformerLM: positions up to ${offset + T} exceed maxLen = ${this.maxLen}`);
    }
    const x = this.tok_emb.forward(ids);
    if (this.pos_emb) return this.pos_emb.forward(x, { offset });
    if (this.sinusoid) return this.sinusoid.forward(x, { offset });
    return x;
  }

  private head(h: tf.Tensor): tf.Tensor {
    return this.lm_head ? this.lm_head.forward(h) : linear(h, this.embWeight);
  }

  /**
   * Full forward pass with a causal mask.
   * @param ids `[B, T]` int32 (tensor or equal-length arrays)
   * @param opts.needWeights also return every layer's per-head attention maps
   */
  forward(ids: TokenIds, opts: { needWeights?: boolean } = {}): LMResult {
    return tidy(() => {
      const x = this.embed(toIds('TransformerLM.forward', ids), 0);
      const r = this.transformer.forward(x, { causal: true, rotary: this.rotary, needWeights: opts.needWeights });
      return { logits: this.head(r.output) as tf.Tensor3D, attentions: r.attentions };
    });
  }

  /** An empty state for incremental decoding (no tensors yet). */
  initState(): LMState {
    return { position: 0, kv: [] };
  }

  /**
   * Feeds `ids [B, T]` (a prompt, or one token per row) after the positions in `state`.
   * Returns the logits of the last fed position `[B, V]` and a new state; `state` is left
   * intact (dispose it yourself, or let `@wordloom/seq2seq`'s decoders do it).
   */
  advance(state: LMState, ids: TokenIds): { logits: tf.Tensor2D; state: LMState } {
    return tidy(() => {
      const idt = toIds('TransformerLM.advance', ids);
      const [B, T] = idt.shape;
      if (state.kv.length && state.kv[0].k.shape[0] !== B) {
        throw new Error(`TransformerLM.advance: state has batch ${state.kv[0].k.shape[0]}, ids have ${B}`);
      }
      const x = this.embed(idt, state.position);
      const r = this.transformer.forward(x, {
        causal: true,
        rotary: this.rotary,
        offset: state.position,
        cache: state.kv.length ? state.kv : null,
        returnCache: true,
      });
      const last = tf.reshape(tf.slice(r.output, [0, T - 1, 0], [B, 1, this.dModel]), [B, this.dModel]);
      return { logits: this.head(last) as tf.Tensor2D, state: { position: state.position + T, kv: r.cache as KV[] } };
    });
  }

  /**
   * One decoding step for `@wordloom/seq2seq`'s `greedyDecode` / `beamSearch` / `sampleDecode`:
   * `tokens [B]` → `{ logits [B, V], state }`. The old state is not disposed here.
   */
  step(state: LMState, tokens: Int32Array | number[]): { logits: tf.Tensor2D; state: LMState } {
    return this.advance(
      state,
      Array.from(tokens, (t) => [t]),
    );
  }

  /**
   * Greedy continuation of equal-length prompts.
   * @param opts.maxNewTokens tokens to generate per row (a non-negative integer).
   * @param opts.useCache false recomputes the whole prefix at every step (slow; for comparison).
   *   @default true
   * @param opts.fused in eval mode, decode through the fused loop (`internal/fused-decode.ts`: per
   *   layer four plain products and a few array loops per token, keys/values in preallocated
   *   caches; same tokens and logits within float32 rounding); false runs one {@link step} of
   *   tfjs ops per token. In training mode (dropout) always the tfjs ops. @default true
   * @returns the generated tokens per row (without the prompt).
   * @throws when maxNewTokens is not a non-negative integer, or learned positions would pass maxLen.
   */
  generate(prompt: TokenIds, opts: { maxNewTokens: number; useCache?: boolean; fused?: boolean }): Int32Array[] {
    const n = opts.maxNewTokens;
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`TransformerLM.generate: maxNewTokens = ${String(n)} must be a non-negative integer`);
    const ids0 = tidy(() => toIds('TransformerLM.generate', prompt));
    const [B, T0] = ids0.shape;
    const rows = ids0.arraySync() as number[][];
    ids0.dispose();
    const out = Array.from({ length: B }, () => new Int32Array(n));
    const argmax = (logits: tf.Tensor2D): number[] => {
      const a = tf.argMax(logits, 1);
      const v = Array.from(a.dataSync());
      a.dispose();
      logits.dispose();
      return v;
    };
    if (opts.useCache === false) {
      for (let i = 0; i < n; i++) {
        const logits = tidy(() => {
          const { logits: all } = this.forward(rows);
          const T = T0 + i;
          return tf.reshape(tf.slice(all, [0, T - 1, 0], [B, 1, this.vocabSize]), [B, this.vocabSize]) as tf.Tensor2D;
        });
        argmax(logits).forEach((t, b) => {
          out[b][i] = t;
          rows[b].push(t);
        });
      }
      return out;
    }
    if ((opts.fused ?? true) && !this.training && n > 0) {
      const { decoder, logits } = this.startFused(rows, T0 + n - 1);
      let next = argmaxRows(logits, B, this.vocabSize);
      for (let i = 0; i < n; i++) {
        next.forEach((t, b) => (out[b][i] = t));
        if (i + 1 < n) next = argmaxRows(decoder.step(next), B, this.vocabSize);
      }
      return out;
    }
    let state = this.initState();
    let r = this.advance(state, rows);
    for (let i = 0; i < n; i++) {
      disposeState(state);
      state = r.state;
      const next = argmax(r.logits);
      next.forEach((t, b) => (out[b][i] = t));
      if (i + 1 < n) r = this.step(state, next);
    }
    disposeState(state);
    return out;
  }

  /**
   * The fused decoding loop, started with a prompt (fed through it in one pass: products of
   * `B·T` rows). Returns the decoder, whose caches hold `capacity` positions, and the logits of
   * each row's last prompt position `[B, V]` (row-major). Eval mode only (no dropout).
   * @internal used by {@link generate} and its tests
   * @throws in training mode, on a prompt id outside [0, vocabSize), or when learned positions up
   *   to `capacity` would pass maxLen.
   */
  startFused(prompt: TokenIds, capacity: number): { decoder: FusedDecoder; logits: Float32Array } {
    if (this.training) throw new Error('TransformerLM.startFused: eval mode only (call eval())');
    const ids = tidy(() => toIds('TransformerLM.generate', prompt));
    const [B, T0] = ids.shape;
    const flat = ids.dataSync() as Int32Array;
    ids.dispose();
    flat.forEach((id, i) => {
      if (!(id >= 0 && id < this.vocabSize))
        throw new Error(
          `TransformerLM.generate: prompt id ${id} at [${Math.floor(i / T0)}, ${i % T0}] is out of range [0, ${this.vocabSize})`,
        );
    });
    const cap = Math.max(capacity, T0);
    if (this.positional === 'learned' && cap > this.maxLen)
      throw new Error(`TransformerLM: positions up to ${cap} exceed maxLen = ${this.maxLen}`);
    const src = this.fusedSource();
    if (this.fused && !this.fused.matches(src)) {
      this.fused.dispose();
      this.fused = null;
    }
    this.fused ??= new FusedWeights(src);
    const decoder = new FusedDecoder(src, this.fused, B, cap);
    return { decoder, logits: decoder.feed(flat, T0) };
  }

  /** What the fused decoder reads of this model (the current parameter tensors). */
  private fusedSource(): ModelSource {
    const norm = (n: LayerNorm): NormSource => ({ weight: n.weight, bias: n.bias, eps: n.eps });
    return {
      dModel: this.dModel,
      vocabSize: this.vocabSize,
      tokEmb: this.embWeight,
      head: this.lm_head ? this.lm_head.weight : this.embWeight,
      layers: this.transformer.layers.map((l) => {
        const a = l.self_attn;
        if (!a.inProjWeight) throw new Error('TransformerLM: fused decoding needs the packed in_proj_weight');
        return {
          numHeads: a.numHeads,
          normFirst: l.normFirst,
          activation: l.activation,
          inProjWeight: a.inProjWeight,
          inProjBias: a.inProjBias,
          outProjWeight: a.outProjWeight,
          outProjBias: a.outProjBias,
          linear1Weight: l.linear1.weight,
          linear1Bias: l.linear1.bias,
          linear2Weight: l.linear2.weight,
          linear2Bias: l.linear2.bias,
          norm1: norm(l.norm1),
          norm2: norm(l.norm2),
        };
      }),
      finalNorm: this.transformer.norm ? norm(this.transformer.norm) : null,
      positional: this.positional,
      posWeight: this.pos_emb ? this.pos_emb.weight : null,
      maxLen: this.maxLen,
      ropeBase: this.rotary ? this.rotary.base : 10000,
    };
  }

  /** Frees the parameters and the fused decoder's transposed weights. */
  override dispose(): void {
    this.fused?.dispose();
    this.fused = null;
    super.dispose();
  }
}
