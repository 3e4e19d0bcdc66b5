/**
 * Fused incremental decoding for {@link TransformerLM.generate}: the prompt in one pass, then one
 * new position per row and step, with as few tfjs calls as the products need.
 *
 * At batch 1 every tensor of a decoding step is tiny (a d-vector), so the tfjs path's cost is
 * its ~120 ops per token (dispatch, allocation, tidy bookkeeping), and its products ran through
 * the transposed-weight form (`x·Wᵀ`), which tfjs-backend-wasm computes with a naive loop at
 * ≈ 2 GFLOP/s. Here a step is:
 *
 * - per layer four plain products `x·Wᵀ` with the weights transposed ONCE (`[in, out]`), which
 *   tfjs-backend-wasm runs through XNNPACK's fully-connected operator (packed once per weight
 *   tensor and cached by it): the concatenated q/k/v projection, the output projection and the
 *   two feed-forward products; plus one for the output head — `4·L + 1` kernel calls per token;
 * - everything between the products in plain loops over `Float32Array`s of a few hundred
 *   values: layer norms, residual adds, biases, GELU/ReLU, RoPE, and attention over the
 *   key/value cache, which lives in preallocated arrays `[B, H, capacity, dh]` (appending a
 *   position writes dh values; no concat per token). The prompt goes through the same code
 *   with `B·T` rows per product (causal attention within it).
 *
 * Same math as the tfjs path (`TransformerEncoderLayer` in eval mode): results equal within
 * float32 rounding (sums are accumulated in float64 here); tests compare logits step by step
 * and greedy tokens. Dropout is not applied: used in eval mode only.
 *
 * Reference: the KV cache of Karpathy's nanoGPT / GPT-2 inference loops; XNNPACK's
 * `xnn_create_fully_connected_nc_f32` behind tfjs-backend-wasm's plain 2-D MatMul.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Activation } from './feed-forward.js';

/** A LayerNorm's parameters (affine ones may be absent). */
export interface NormSource {
  weight: tf.Tensor | null;
  bias: tf.Tensor | null;
  eps: number;
}

/** What the decoder reads of one `TransformerEncoderLayer` (PyTorch layouts: weights `[out, in]`). */
export interface LayerSource {
  numHeads: number;
  normFirst: boolean;
  activation: Activation;
  inProjWeight: tf.Tensor; // [3d, d]
  inProjBias: tf.Tensor | null; // [3d]
  outProjWeight: tf.Tensor; // [d, d]
  outProjBias: tf.Tensor | null;
  linear1Weight: tf.Tensor; // [FF, d]
  linear1Bias: tf.Tensor | null;
  linear2Weight: tf.Tensor; // [d, FF]
  linear2Bias: tf.Tensor | null;
  norm1: NormSource;
  norm2: NormSource;
}

/** What the decoder reads of a `TransformerLM`. */
export interface ModelSource {
  dModel: number;
  vocabSize: number;
  tokEmb: tf.Tensor; // [V, d]
  head: tf.Tensor; // [V, d]: tokEmb when tied
  layers: LayerSource[];
  finalNorm: NormSource | null;
  positional: 'learned' | 'sinusoidal' | 'rope';
  posWeight: tf.Tensor | null; // learned: [maxLen, d]
  maxLen: number;
  ropeBase: number;
}

/** The big weights, transposed to `[in, out]` once (plain products), kept across calls. */
export class FusedWeights {
  /** The source tensors' data ids: a changed weight (`assign` gives a new id) makes these stale. */
  private readonly keys: object[];
  readonly layers: Array<{ qkv: tf.Tensor2D; out: tf.Tensor2D; ff1: tf.Tensor2D; ff2: tf.Tensor2D }>;
  readonly head: tf.Tensor2D;

  constructor(src: ModelSource) {
    this.keys = FusedWeights.keysOf(src);
    const t = (w: tf.Tensor): tf.Tensor2D => tf.keep(tf.transpose(w as tf.Tensor2D));
    this.layers = src.layers.map((l) => ({
      qkv: t(l.inProjWeight),
      out: t(l.outProjWeight),
      ff1: t(l.linear1Weight),
      ff2: t(l.linear2Weight),
    }));
    this.head = t(src.head);
  }

  private static keysOf(src: ModelSource): object[] {
    return [
      src.head.dataId,
      ...src.layers.flatMap((l) => [
        l.inProjWeight.dataId,
        l.outProjWeight.dataId,
        l.linear1Weight.dataId,
        l.linear2Weight.dataId,
      ]),
    ];
  }

  /** Whether these were made from the current values of `src`'s weights. */
  matches(src: ModelSource): boolean {
    const k = FusedWeights.keysOf(src);
    return k.length === this.keys.length && k.every((id, i) => id === this.keys[i]);
  }

  dispose(): void {
    for (const l of this.layers) tf.dispose([l.qkv, l.out, l.ff1, l.ff2]);
    this.head.dispose();
  }
}

/** A LayerNorm's parameters as arrays. */
interface Norm {
  g: Float32Array | null;
  b: Float32Array | null;
  eps: number;
}

interface Layer {
  H: number;
  normFirst: boolean;
  gelu: boolean;
  bqkv: Float32Array | null;
  bo: Float32Array | null;
  b1: Float32Array | null;
  b2: Float32Array | null;
  n1: Norm;
  n2: Norm;
  ff: number;
  /** The key/value cache `[B, H, capacity, dh]`. */
  k: Float32Array;
  v: Float32Array;
}

const read = (t: tf.Tensor | null): Float32Array | null => (t ? Float32Array.from(t.dataSync() as Float32Array) : null);
const readNorm = (n: NormSource): Norm => ({ g: read(n.weight), b: read(n.bias), eps: n.eps });

/** `x·W` for `x` `[rows, K]` and a weight `[K, N]` held by tfjs: one plain MatMul. */
function product(x: Float32Array, rows: number, K: number, w: tf.Tensor2D): Float32Array {
  const a = tf.tensor2d(x, [rows, K], 'float32');
  const y = tf.matMul(a, w);
  // a copy on wasm (out of the heap); on cpu the tensor's own array, which dies with it
  const out = y.dataSync() as Float32Array;
  a.dispose();
  y.dispose();
  return out;
}

function addBias(y: Float32Array, rows: number, b: Float32Array | null): void {
  if (!b) return;
  const n = b.length;
  for (let r = 0; r < rows; r++) {
    const o = r * n;
    for (let j = 0; j < n; j++) y[o + j] += b[j];
  }
}

/** LayerNorm over rows of length d (biased variance, eps inside the root) into `out`. */
function layerNorm(x: Float32Array, rows: number, d: number, n: Norm, out: Float32Array): Float32Array {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    let mean = 0;
    for (let j = 0; j < d; j++) mean += x[o + j];
    mean /= d;
    let v = 0;
    for (let j = 0; j < d; j++) {
      const c = x[o + j] - mean;
      v += c * c;
    }
    const inv = 1 / Math.sqrt(v / d + n.eps);
    for (let j = 0; j < d; j++) {
      let y = (x[o + j] - mean) * inv;
      if (n.g) y = y * n.g[j] + (n.b ? n.b[j] : 0);
      out[o + j] = y;
    }
  }
  return out;
}

// erf by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), the constants tfjs's own Erf kernels use
const ERF_P = 0.3275911;
const ERF_A1 = 0.254829592;
const ERF_A2 = -0.284496736;
const ERF_A3 = 1.421413741;
const ERF_A4 = -1.453152027;
const ERF_A5 = 1.061405429;

/** erf(x), |error| ≤ 1.5e-7. */
export function erf(x: number): number {
  const s = x < 0 ? -1 : 1;
  const a = Math.abs(x);
  const t = 1 / (1 + ERF_P * a);
  return s * (1 - ((((ERF_A5 * t + ERF_A4) * t + ERF_A3) * t + ERF_A2) * t + ERF_A1) * t * Math.exp(-a * a));
}

function activate(y: Float32Array, gelu: boolean): void {
  if (gelu) {
    for (let i = 0; i < y.length; i++) {
      const x = y[i];
      y[i] = 0.5 * x * (1 + erf(x * Math.SQRT1_2));
    }
  } else {
    for (let i = 0; i < y.length; i++) if (y[i] < 0) y[i] = 0; // ReLU (NaN stays NaN)
  }
}

/**
 * The decoding loop's state: the key/value caches and the position. Made by
 * `TransformerLM` (which checks the arguments); one per `generate` call.
 */
export class FusedDecoder {
  readonly batch: number;
  readonly capacity: number;
  private pos = 0;
  private readonly d: number;
  private readonly layers: Layer[];
  private readonly finalNorm: Norm | null;
  private readonly src: ModelSource;
  private readonly w: FusedWeights;
  /** Learned position rows from `firstPos` on, read once. */
  private posRows: Float32Array | null = null;
  private firstPos = 0;

  /**
   * @param batch rows decoded together
   * @param capacity positions the caches hold (prompt + fed tokens)
   */
  constructor(src: ModelSource, weights: FusedWeights, batch: number, capacity: number) {
    this.src = src;
    this.w = weights;
    this.batch = batch;
    this.capacity = capacity;
    this.d = src.dModel;
    this.layers = src.layers.map((l) => {
      const dh = this.d / l.numHeads;
      return {
        H: l.numHeads,
        normFirst: l.normFirst,
        gelu: l.activation === 'gelu',
        bqkv: read(l.inProjBias),
        bo: read(l.outProjBias),
        b1: read(l.linear1Bias),
        b2: read(l.linear2Bias),
        n1: readNorm(l.norm1),
        n2: readNorm(l.norm2),
        ff: l.linear1Weight.shape[0],
        k: new Float32Array(batch * l.numHeads * capacity * dh),
        v: new Float32Array(batch * l.numHeads * capacity * dh),
      };
    });
    this.finalNorm = src.finalNorm ? readNorm(src.finalNorm) : null;
  }

  /** Positions fed so far. */
  get position(): number {
    return this.pos;
  }

  /** Input rows `[B·T, d]` of `T` new positions per row: token embeddings plus positions. */
  private embed(ids: Int32Array, T: number): Float32Array {
    const { d, batch: B } = this;
    const idx = tf.tensor1d(ids, 'int32');
    const rows = tf.gather(this.src.tokEmb, idx);
    const x = Float32Array.from(rows.dataSync() as Float32Array);
    tf.dispose([idx, rows]);
    const p0 = this.pos;
    if (this.src.positional === 'learned') {
      if (p0 + T > this.src.maxLen)
        throw new Error(`TransformerLM: positions up to ${p0 + T} exceed maxLen = ${this.src.maxLen}`);
      if (!this.posRows || p0 < this.firstPos || p0 + T > this.firstPos + this.posRows.length / d) {
        // the rows of every position this decoder can still feed, in one read
        const n = Math.min(this.capacity, this.src.maxLen) - p0;
        const s = tf.slice(this.src.posWeight as tf.Tensor2D, [p0, 0], [n, d]);
        this.posRows = Float32Array.from(s.dataSync() as Float32Array);
        this.firstPos = p0;
        s.dispose();
      }
      for (let b = 0; b < B; b++)
        for (let t = 0; t < T; t++) {
          const o = (p0 + t - this.firstPos) * d;
          const xo = (b * T + t) * d;
          for (let j = 0; j < d; j++) x[xo + j] += this.posRows[o + j];
        }
    } else if (this.src.positional === 'sinusoidal') {
      // as sinusoidalEncoding(): float32 sin/cos of pos / 10000^(2i/d), then added
      const pe = new Float32Array(d);
      for (let t = 0; t < T; t++) {
        const p = p0 + t;
        for (let i = 0; i < d / 2; i++) {
          const angle = p / Math.pow(10000, (2 * i) / d);
          pe[2 * i] = Math.sin(angle);
          pe[2 * i + 1] = Math.cos(angle);
        }
        for (let b = 0; b < B; b++) {
          const xo = (b * T + t) * d;
          for (let j = 0; j < d; j++) x[xo + j] += pe[j];
        }
      }
    }
    return x;
  }

  /** RoPE tables of position p (as RotaryEmbedding.tables): float32 cos and sin, `dh` each. */
  private rope(p: number, dh: number): { cos: Float32Array; sin: Float32Array } {
    const half = dh / 2;
    const cos = new Float32Array(dh);
    const sin = new Float32Array(dh);
    for (let i = 0; i < half; i++) {
      const a = p * Math.pow(this.src.ropeBase, (-2 * i) / dh);
      cos[i] = cos[i + half] = Math.cos(a);
      sin[i] = sin[i + half] = Math.sin(a);
    }
    return { cos, sin };
  }

  /**
   * Causal self-attention of `T` new positions per row over the cache: appends their keys and
   * values (after RoPE), then per row, head and new position p softmax(q·kᵀ/√dh)·v over
   * positions 0…p. `qkv` `[B·T, 3d]` → `[B·T, d]`.
   */
  private attend(l: Layer, qkv: Float32Array, T: number): Float32Array {
    const { d, batch: B, capacity: cap } = this;
    const H = l.H;
    const dh = d / H;
    const p0 = this.pos;
    const scale = Math.fround(1 / Math.sqrt(dh));
    const ropes = this.src.positional === 'rope' ? Array.from({ length: T }, (_, t) => this.rope(p0 + t, dh)) : null;
    const half = dh / 2;
    const kc = l.k;
    const vc = l.v;
    // queries of the new positions, per (row, head, position), rotated and scaled
    const q = new Float32Array(B * H * T * dh);
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        const row = (b * T + t) * 3 * d;
        const rope = ropes ? ropes[t] : null;
        for (let h = 0; h < H; h++) {
          const qo = row + h * dh;
          const ko = row + d + h * dh;
          const vo = row + 2 * d + h * dh;
          const at = ((b * H + h) * cap + p0 + t) * dh;
          const qa = ((b * H + h) * T + t) * dh;
          if (rope) {
            for (let i = 0; i < dh; i++) {
              const rq = i < half ? -qkv[qo + i + half] : qkv[qo + i - half];
              const rk = i < half ? -qkv[ko + i + half] : qkv[ko + i - half];
              q[qa + i] = Math.fround(qkv[qo + i] * rope.cos[i]) + Math.fround(rq * rope.sin[i]);
              kc[at + i] = Math.fround(qkv[ko + i] * rope.cos[i]) + Math.fround(rk * rope.sin[i]);
            }
          } else {
            for (let i = 0; i < dh; i++) {
              q[qa + i] = qkv[qo + i];
              kc[at + i] = qkv[ko + i];
            }
          }
          for (let i = 0; i < dh; i++) {
            q[qa + i] = q[qa + i] * scale; // float32, as tf.mul(q, 1/√dh)
            vc[at + i] = qkv[vo + i];
          }
        }
      }
    const s = new Float64Array(p0 + T);
    const ctx = new Float32Array(B * T * d);
    for (let b = 0; b < B; b++)
      for (let h = 0; h < H; h++) {
        const base = (b * H + h) * cap * dh;
        for (let t = 0; t < T; t++) {
          const qa = ((b * H + h) * T + t) * dh;
          const n = p0 + t + 1; // causal: positions 0…p0+t
          let max = -Infinity;
          for (let u = 0; u < n; u++) {
            const o = base + u * dh;
            // four partial sums: fewer dependent adds per position
            let d0 = 0;
            let d1 = 0;
            let d2 = 0;
            let d3 = 0;
            let i = 0;
            for (; i + 4 <= dh; i += 4) {
              d0 += q[qa + i] * kc[o + i];
              d1 += q[qa + i + 1] * kc[o + i + 1];
              d2 += q[qa + i + 2] * kc[o + i + 2];
              d3 += q[qa + i + 3] * kc[o + i + 3];
            }
            for (; i < dh; i++) d0 += q[qa + i] * kc[o + i];
            const dot = d0 + d1 + (d2 + d3);
            s[u] = dot;
            if (dot > max) max = dot;
          }
          let sum = 0;
          for (let u = 0; u < n; u++) {
            const e = Math.exp(s[u] - max);
            s[u] = e;
            sum += e;
          }
          for (let u = 0; u < n; u++) s[u] /= sum;
          const co = (b * T + t) * d + h * dh;
          // Σ_u w_u v_u, four output values at a time held in locals across the positions
          let i = 0;
          for (; i + 4 <= dh; i += 4) {
            let a0 = 0;
            let a1 = 0;
            let a2 = 0;
            let a3 = 0;
            for (let u = 0, o = base + i; u < n; u++, o += dh) {
              const w = s[u];
              a0 += w * vc[o];
              a1 += w * vc[o + 1];
              a2 += w * vc[o + 2];
              a3 += w * vc[o + 3];
            }
            ctx[co + i] = a0;
            ctx[co + i + 1] = a1;
            ctx[co + i + 2] = a2;
            ctx[co + i + 3] = a3;
          }
          for (; i < dh; i++) {
            let a = 0;
            for (let u = 0, o = base + i; u < n; u++, o += dh) a += s[u] * vc[o];
            ctx[co + i] = a;
          }
        }
      }
    return ctx;
  }

  /** The feed-forward block of `rows` rows. */
  private ff(l: Layer, i: number, x: Float32Array, rows: number): Float32Array {
    const w = this.w.layers[i];
    const a = product(x, rows, this.d, w.ff1);
    addBias(a, rows, l.b1);
    activate(a, l.gelu);
    const y = product(a, rows, l.ff, w.ff2);
    addBias(y, rows, l.b2);
    return y;
  }

  /**
   * Feeds `T` tokens per row (`ids` row-major `[B, T]`: a prompt, or one token per row) at the
   * next positions; returns the logits of each row's last fed position `[B, V]` (row-major).
   * @throws when the caches cannot hold them, or `ids` is not `B·T` long.
   */
  feed(ids: ArrayLike<number>, T: number): Float32Array {
    const { d, batch: B } = this;
    if (!Number.isInteger(T) || T < 1 || ids.length !== B * T)
      throw new Error(`FusedDecoder.feed: ${ids.length} ids for batch ${B} × ${T} positions`);
    if (this.pos + T > this.capacity)
      throw new Error(`FusedDecoder.feed: positions up to ${this.pos + T} exceed the caches' ${this.capacity}`);
    const rows = B * T;
    const x = this.embed(Int32Array.from(ids), T);
    const h = new Float32Array(rows * d);
    this.layers.forEach((l, i) => {
      const w = this.w.layers[i];
      const qkv = product(l.normFirst ? layerNorm(x, rows, d, l.n1, h) : x, rows, d, w.qkv);
      addBias(qkv, rows, l.bqkv);
      const o = product(this.attend(l, qkv, T), rows, d, w.out);
      addBias(o, rows, l.bo);
      if (l.normFirst) {
        for (let j = 0; j < x.length; j++) x[j] += o[j];
        const f = this.ff(l, i, layerNorm(x, rows, d, l.n2, h), rows);
        for (let j = 0; j < x.length; j++) x[j] += f[j];
      } else {
        for (let j = 0; j < x.length; j++) x[j] += o[j];
        layerNorm(x, rows, d, l.n1, x);
        const f = this.ff(l, i, x, rows);
        for (let j = 0; j < x.length; j++) x[j] += f[j];
        layerNorm(x, rows, d, l.n2, x);
      }
    });
    this.pos += T;
    // each row's last position
    const last = new Float32Array(B * d);
    for (let b = 0; b < B; b++) last.set(x.subarray((b * T + T - 1) * d, (b * T + T) * d), b * d);
    const y = this.finalNorm ? layerNorm(last, B, d, this.finalNorm, last) : last;
    return product(y, B, d, this.w.head);
  }

  /** One token per row at the next position; the logits `[B, V]` (row-major). */
  step(tokens: ArrayLike<number>): Float32Array {
    return this.feed(tokens, 1);
  }
}

/** Index of the largest value of each row of `[rows, n]` (the first one on ties, as tf.argMax). */
export function argmaxRows(x: ArrayLike<number>, rows: number, n: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < rows; r++) {
    let best = 0;
    let v = x[r * n];
    for (let j = 1; j < n; j++) {
      if (x[r * n + j] > v) {
        v = x[r * n + j];
        best = j;
      }
    }
    out.push(best);
  }
  return out;
}
