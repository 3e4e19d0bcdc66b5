/**
 * Multi-head attention with PyTorch `nn.MultiheadAttention` semantics (batch_first=True)
 * and parameter names: `in_proj_weight [3E, E]` + `in_proj_bias [3E]` when keys and values
 * have the embedding size, else `q_proj_weight [E, E]`, `k_proj_weight [E, kdim]`,
 * `v_proj_weight [E, vdim]` + `in_proj_bias`; then `out_proj.weight [E, E]`, `out_proj.bias`.
 *
 * Key masks in either convention, each under its own name: `keyMask [B, Tk]` 1/true = real key
 * (wordloom's convention: `sequenceMask(lengths)`, a collated batch's `mask`) or PyTorch's
 * `keyPaddingMask [B, Tk]` true = padding (ignored). A mask made by `@wordloom/core`
 * (`sequenceMask`, `paddingMask`) that is passed under the other name throws, naming the
 * convention expected. `attnMask` follows PyTorch: `[Tq, Tk]` or `[B·H, Tq, Tk]`, boolean
 * (true = not allowed) or float (added to the scores).
 * One difference, on purpose: a query row with every key masked gets zero weights and a zero
 * context (PyTorch returns NaN there).
 *
 * The forward pass is also available in pieces (`projectQuery/Key/Value`, `projectSelf`,
 * `attendHeads`) so a transformer can cache keys/values for incremental decoding and
 * rotate queries/keys (RoPE) between projection and scoring.
 *
 * References: Vaswani et al. 2017 §3.2; PyTorch `torch/nn/functional.py`
 * `multi_head_attention_forward` (1.13).
 */
import * as tf from '@tensorflow/tfjs-core';
import { batchMatMul, checkMaskConvention, Dropout, Module, init, linear, tidy } from '@wordloom/core';
import { maskedSoftmax } from './masked-softmax.js';

/** Options of {@link MultiHeadAttention}. */
export interface MultiHeadAttentionOptions {
  /** Model size E (query size and output size). Must be divisible by `numHeads`. */
  embedDim: number;
  /** Number of heads H; each head has size E / H. */
  numHeads: number;
  /**
   * Dropout probability on the attention weights (training mode only).
   * @default 0 — PyTorch's default.
   */
  dropout?: number;
  /** Biases on the input and output projections. @default true — PyTorch's default. */
  bias?: boolean;
  /** Key size. @default embedDim */
  kdim?: number;
  /** Value size. @default embedDim */
  vdim?: number;
  /** Seed of the initializers and of the dropout mask. @default 0 */
  seed?: number;
}

/** Options of {@link MultiHeadAttention.forward} and {@link MultiHeadAttention.attendHeads}. */
export interface MultiHeadAttentionCallOptions {
  /**
   * `[B, Tk]`, 1/true = a real key that may be attended, 0/false = padding: wordloom's
   * convention, as `sequenceMask(lengths)` (any dtype) and a collated batch's `mask` give it.
   * Give this or `keyPaddingMask`, not both.
   * @default undefined — no padding.
   * @throws when the mask was made by `paddingMask` (1 = padding): pass that as `keyPaddingMask`.
   */
  keyMask?: tf.Tensor;
  /**
   * `[B, Tk]`, true (or nonzero) = padding key, ignored — PyTorch's `key_padding_mask`, the
   * opposite of `keyMask`. For masks made with 1 = padding (`paddingMask(lengths)`, PyTorch code).
   * @default undefined — no padding.
   * @throws when the mask was made by `sequenceMask` or a collated batch (1 = real token): pass
   * that as `keyMask`.
   */
  keyPaddingMask?: tf.Tensor;
  /**
   * `[Tq, Tk]` or `[B·H, Tq, Tk]`. Boolean (or int32): true/nonzero = NOT allowed.
   * float32: added to the scores (−Infinity entries count as masked).
   * @default undefined
   */
  attnMask?: tf.Tensor;
  /**
   * Causal masking: query i (at absolute position `Tk − Tq + i`) sees keys j ≤ that position.
   * Works with cached keys (Tk > Tq). Combined with the other masks.
   * @default false
   */
  causal?: boolean;
  /** Return the attention weights. @default true — PyTorch's default. */
  needWeights?: boolean;
  /**
   * Average the weights over heads (`[B, Tq, Tk]`) or return them per head (`[B, H, Tq, Tk]`).
   * @default true — PyTorch's default.
   */
  averageAttnWeights?: boolean;
}

/** What {@link MultiHeadAttention.forward} returns (new tensors owned by the caller). */
export interface MultiHeadAttentionResult {
  /** `[B, Tq, E]` */
  output: tf.Tensor3D;
  /** `[B, Tq, Tk]` averaged, `[B, H, Tq, Tk]` per head, or null when `needWeights` is false. */
  weights: tf.Tensor | null;
}

export class MultiHeadAttention extends Module {
  readonly embedDim: number;
  readonly numHeads: number;
  readonly headDim: number;
  readonly kdim: number;
  readonly vdim: number;
  /** True when q/k/v share one `in_proj_weight` (kdim = vdim = embedDim). */
  readonly packed: boolean;
  readonly inProjWeight: tf.Variable | null = null;
  readonly qProjWeight: tf.Variable | null = null;
  readonly kProjWeight: tf.Variable | null = null;
  readonly vProjWeight: tf.Variable | null = null;
  readonly inProjBias: tf.Variable | null = null;
  readonly outProjWeight: tf.Variable;
  readonly outProjBias: tf.Variable | null = null;
  readonly dropoutP: number;
  private readonly drop: Dropout | null;

  constructor(opts: MultiHeadAttentionOptions) {
    super();
    const { embedDim: E, numHeads: H } = opts;
    if (!Number.isInteger(E) || E < 1)
      throw new Error(`MultiHeadAttention: embedDim = ${E} must be a positive integer`);
    if (!Number.isInteger(H) || H < 1)
      throw new Error(`MultiHeadAttention: numHeads = ${H} must be a positive integer`);
    if (E % H !== 0) throw new Error(`MultiHeadAttention: embedDim = ${E} is not divisible by numHeads = ${H}`);
    const p = opts.dropout ?? 0;
    if (!(p >= 0 && p < 1)) throw new Error(`MultiHeadAttention: dropout = ${p} must be in [0, 1)`);
    this.embedDim = E;
    this.numHeads = H;
    this.headDim = E / H;
    this.kdim = opts.kdim ?? E;
    this.vdim = opts.vdim ?? E;
    this.packed = this.kdim === E && this.vdim === E;
    this.dropoutP = p;
    const seed = opts.seed ?? 0;
    const bias = opts.bias ?? true;
    if (this.packed) {
      this.inProjWeight = this.addParameter('in_proj_weight', init.xavierUniform([3 * E, E], { gain: 1, seed }));
    } else {
      this.qProjWeight = this.addParameter('q_proj_weight', init.xavierUniform([E, E], { gain: 1, seed }));
      this.kProjWeight = this.addParameter(
        'k_proj_weight',
        init.xavierUniform([E, this.kdim], { gain: 1, seed: seed + 1 }),
      );
      this.vProjWeight = this.addParameter(
        'v_proj_weight',
        init.xavierUniform([E, this.vdim], { gain: 1, seed: seed + 2 }),
      );
    }
    if (bias) this.inProjBias = this.addParameter('in_proj_bias', init.zeros([3 * E]));
    const outProj = this.addModule('out_proj', new OutProj(E, bias, seed + 3));
    this.outProjWeight = outProj.weight;
    this.outProjBias = outProj.bias;
    // A child (no parameters), so Module.rngStates() saves its mask stream as 'dropout.rng'.
    this.drop = p > 0 ? this.addModule('dropout', new Dropout({ p, seed: seed + 4 })) : null;
  }

  override train(mode = true): this {
    super.train(mode);
    this.drop?.train(mode);
    return this;
  }

  /** Weight rows `[i·E, (i+1)·E)` of the packed projection, or the separate one. */
  private projWeight(i: 0 | 1 | 2): tf.Tensor {
    if (this.inProjWeight) return tf.slice(this.inProjWeight, [i * this.embedDim, 0], [this.embedDim, this.embedDim]);
    return [this.qProjWeight, this.kProjWeight, this.vProjWeight][i] as tf.Variable;
  }

  private projBias(i: 0 | 1 | 2): tf.Tensor | null {
    return this.inProjBias ? tf.slice(this.inProjBias, [i * this.embedDim], [this.embedDim]) : null;
  }

  /** `[B, T, E]` → `[B, H, T, dh]` */
  splitHeads(x: tf.Tensor): tf.Tensor4D {
    const [B, T] = x.shape;
    return tidy(() => tf.transpose(tf.reshape(x, [B, T, this.numHeads, this.headDim]), [0, 2, 1, 3]) as tf.Tensor4D);
  }

  private check(name: string, x: tf.Tensor, dim: number): void {
    if (x.rank !== 3)
      throw new Error(`MultiHeadAttention: ${name} must be [B, T, D], got shape [${x.shape.join(', ')}]`);
    if (x.shape[2] !== dim)
      throw new Error(
        `MultiHeadAttention: ${name} last dim is ${x.shape[2]}, expected ${dim} (shape [${x.shape.join(', ')}])`,
      );
  }

  /** Query projection, per head: `[B, Tq, E]` → `[B, H, Tq, dh]`. */
  projectQuery(query: tf.Tensor): tf.Tensor4D {
    this.check('query', query, this.embedDim);
    return tidy(() => this.splitHeads(linear(query, this.projWeight(0), this.projBias(0))));
  }
  /** Key projection, per head: `[B, Tk, kdim]` → `[B, H, Tk, dh]`. */
  projectKey(key: tf.Tensor): tf.Tensor4D {
    this.check('key', key, this.kdim);
    return tidy(() => this.splitHeads(linear(key, this.projWeight(1), this.projBias(1))));
  }
  /** Value projection, per head: `[B, Tk, vdim]` → `[B, H, Tk, dh]`. */
  projectValue(value: tf.Tensor): tf.Tensor4D {
    this.check('value', value, this.vdim);
    return tidy(() => this.splitHeads(linear(value, this.projWeight(2), this.projBias(2))));
  }

  /**
   * Self-attention projections: `[B, T, E]` → q, k, v each `[B, H, T, dh]`.
   */
  projectSelf(x: tf.Tensor): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
    this.check('query', x, this.embedDim);
    // Three [N, E]·[E, E] matmuls with row blocks of the (small) weight rather than one
    // [N, 3E] product split afterwards: splitting the activation needs a 5-D transpose or
    // column slices, both slow on wasm (measured: the 5-D transpose of [32,128,3,4,64] cost
    // 3× the matmul itself), while slicing the weight is cheap.
    const [B, T] = x.shape as [number, number, number];
    if (!this.inProjWeight || B * T > this.embedDim) {
      return { q: this.projectQuery(x), k: this.projectKey(x), v: this.projectValue(x) };
    }
    // Few rows (incremental decoding): one fused matmul, then split the small activation —
    // slicing the weight would copy all of it three times per call.
    return tidy(() => {
      const [q, k, v] = tf.split(linear(x, this.inProjWeight as tf.Tensor, this.inProjBias), 3, 2);
      return { q: this.splitHeads(q), k: this.splitHeads(k), v: this.splitHeads(v) };
    });
  }

  /**
   * Scaled dot-product attention of per-head q/k/v, masks, dropout and the output projection.
   * @param q `[B, H, Tq, dh]` @param k `[B, H, Tk, dh]` @param v `[B, H, Tk, dh]`
   */
  attendHeads(
    q: tf.Tensor4D,
    k: tf.Tensor4D,
    v: tf.Tensor4D,
    opts: MultiHeadAttentionCallOptions = {},
  ): MultiHeadAttentionResult {
    const [B, , Tq] = q.shape;
    const Tk = k.shape[2];
    if (k.shape[0] !== B || v.shape[0] !== B)
      throw new Error(`MultiHeadAttention: batch sizes differ: query ${B}, key ${k.shape[0]}, value ${v.shape[0]}`);
    if (v.shape[2] !== Tk) throw new Error(`MultiHeadAttention: key has ${Tk} positions but value has ${v.shape[2]}`);
    const needWeights = opts.needWeights ?? true;
    const average = opts.averageAttnWeights ?? true;
    return tidy(() => {
      const { allowed, additive } = this.buildMasks(B, Tq, Tk, opts);
      // batchMatMul: on the wasm backend our SIMD kernel (tfjs's batched, transposed matmul is
      // slow there); tf.matMul elsewhere.
      let scores = batchMatMul(tf.mul(q, 1 / Math.sqrt(this.headDim)), k, { transposeB: true }); // [B, H, Tq, Tk]
      if (additive) scores = tf.add(scores, additive);
      const weights = maskedSoftmax(scores, allowed); // [B, H, Tq, Tk]
      const dropped = this.training && this.drop ? this.drop.forward(weights) : weights;
      const ctx = batchMatMul(dropped, v); // [B, H, Tq, dh]
      const merged = tf.reshape(tf.transpose(ctx, [0, 2, 1, 3]), [B, Tq, this.embedDim]);
      const output = linear(merged, this.outProjWeight, this.outProjBias) as tf.Tensor3D;
      const w = needWeights ? (average ? tf.mean(dropped, 1) : dropped) : null;
      return { output, weights: w };
    });
  }

  private buildMasks(
    B: number,
    Tq: number,
    Tk: number,
    opts: MultiHeadAttentionCallOptions,
  ): { allowed: tf.Tensor | null; additive: tf.Tensor | null } {
    const H = this.numHeads;
    let allowed: tf.Tensor | null = null;
    let additive: tf.Tensor | null = null;
    const and = (m: tf.Tensor): void => {
      allowed = allowed ? tf.mul(allowed, m) : m;
    };
    const fn = 'MultiHeadAttention';
    if (opts.keyMask && opts.keyPaddingMask)
      throw new Error(`${fn}: give keyMask (1 = real key) or keyPaddingMask (1 = padding), not both`);
    for (const name of ['keyMask', 'keyPaddingMask'] as const) {
      const m = opts[name];
      if (!m) continue;
      if (m.rank !== 2 || m.shape[0] !== B || m.shape[1] !== Tk) {
        throw new Error(`${fn}: ${name} shape [${m.shape.join(', ')}] must be [B, Tk] = [${B}, ${Tk}]`);
      }
      if (name === 'keyMask') {
        checkMaskConvention(fn, name, m, 'real', 'pass it as keyPaddingMask');
        and(tf.reshape(tf.cast(tf.notEqual(m, 0), 'float32'), [B, 1, 1, Tk]));
      } else {
        checkMaskConvention(fn, name, m, 'padding', 'pass it as keyMask (1 = real key) instead');
        and(tf.reshape(tf.cast(tf.equal(m, 0), 'float32'), [B, 1, 1, Tk]));
      }
    }
    const am = opts.attnMask;
    if (am) {
      checkMaskConvention(fn, 'attnMask', am, 'padding', 'use the causal option, or pass the complement');
      const ok2 = am.rank === 2 && am.shape[0] === Tq && am.shape[1] === Tk;
      const ok3 = am.rank === 3 && am.shape[0] === B * H && am.shape[1] === Tq && am.shape[2] === Tk;
      if (!ok2 && !ok3) {
        throw new Error(
          `MultiHeadAttention: attnMask shape [${am.shape.join(', ')}] must be [Tq, Tk] = [${Tq}, ${Tk}] or [B·H, Tq, Tk] = [${B * H}, ${Tq}, ${Tk}]`,
        );
      }
      const shape4 = ok2 ? [1, 1, Tq, Tk] : [B, H, Tq, Tk];
      if (am.dtype === 'float32') {
        const finite = tf.greater(am, -Infinity);
        and(tf.reshape(tf.cast(finite, 'float32'), shape4));
        additive = tf.reshape(tf.where(finite, am, tf.zerosLike(am)), shape4);
      } else {
        and(tf.reshape(tf.cast(tf.equal(am, 0), 'float32'), shape4));
      }
    }
    if (opts.causal) {
      const off = Tk - Tq;
      if (off < 0) throw new Error(`MultiHeadAttention: causal needs Tk ≥ Tq, got Tq = ${Tq}, Tk = ${Tk}`);
      const data = new Float32Array(Tq * Tk);
      for (let i = 0; i < Tq; i++) data.fill(1, i * Tk, i * Tk + i + off + 1);
      and(tf.tensor4d(data, [1, 1, Tq, Tk]));
    }
    return { allowed, additive };
  }

  /**
   * PyTorch's `forward(query, key, value, key_padding_mask, need_weights, attn_mask, average_attn_weights)`.
   * @param query `[B, Tq, E]` @param key `[B, Tk, kdim]` @param value `[B, Tk, vdim]`
   * @throws on shape mismatches (naming the tensor and the expected shape).
   */
  forward(
    query: tf.Tensor,
    key: tf.Tensor,
    value: tf.Tensor,
    opts: MultiHeadAttentionCallOptions = {},
  ): MultiHeadAttentionResult {
    this.check('query', query, this.embedDim);
    this.check('key', key, this.kdim);
    this.check('value', value, this.vdim);
    if (key.shape[1] !== value.shape[1])
      throw new Error(`MultiHeadAttention: key has ${key.shape[1]} positions but value has ${value.shape[1]}`);
    if (query.shape[0] !== key.shape[0] || key.shape[0] !== value.shape[0]) {
      throw new Error(
        `MultiHeadAttention: batch sizes differ: query ${query.shape[0]}, key ${key.shape[0]}, value ${value.shape[0]}`,
      );
    }
    return tidy(() => {
      if (query === key && key === value && this.inProjWeight) {
        const { q, k, v } = this.projectSelf(query);
        return this.attendHeads(q, k, v, opts);
      }
      return this.attendHeads(this.projectQuery(query), this.projectKey(key), this.projectValue(value), opts);
    });
  }
}

/** `out_proj` child: PyTorch's `NonDynamicallyQuantizableLinear` (default Linear init, bias 0). */
class OutProj extends Module {
  readonly weight: tf.Variable;
  readonly bias: tf.Variable | null;
  constructor(E: number, bias: boolean, seed: number) {
    super();
    this.weight = this.addParameter('weight', init.pytorchDefault([E, E], { fanIn: E, seed }));
    this.bias = bias ? this.addParameter('bias', init.zeros([E])) : null;
  }
}
