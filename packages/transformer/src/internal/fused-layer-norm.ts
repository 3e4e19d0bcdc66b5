/**
 * LayerNorm over the last axis as one op with a hand-written backward, for the transformer
 * layers: the forward is one loop over the rows (mean, variance, normalize, scale and shift), the
 * backward another (the input gradient, and the weight and bias gradients summed over the rows).
 * `LayerNorm.forward` is ~9 tfjs ops, and their gradients ~20 more, among them broadcasts over the
 * rows and sums over the batch axes, which tfjs-backend-wasm runs by transposing first.
 *
 * Same math as `@wordloom/core`'s `LayerNorm` (biased variance, eps inside the root); results equal
 * within float32 rounding. On wasm with rows of a multiple of 4 values, core's SIMD kernels
 * (`fusedLayerNormForward` / `fusedLayerNormBackward`: float32 two-pass statistics, weight and bias
 * gradients summed in float64); otherwise JS loops with sums in float64. Runs on the backends whose data can be
 * read synchronously at no cost (wasm, cpu); on the others, and when switched off
 * ({@link setFusedLayerNorm}), the module's own ops.
 *
 * Reference: Ba, Kiros & Hinton (2016), "Layer Normalization"; the backward as in PyTorch's
 * `layer_norm_backward` (aten/src/ATen/native/cpu/layer_norm_kernel.cpp).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  emptyFloat32Tensor,
  fusedLayerNormBackward,
  fusedLayerNormForward,
  readFloat32View,
  wasmFloat32View,
  type LayerNorm,
} from '@wordloom/core';

let enabled = true;

/** Turns the fused LayerNorm on or off (tests, benchmarks); returns the previous setting. @default true */
export function setFusedLayerNorm(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  return prev;
}

/** Whether {@link layerNorm} runs the fused op here now. */
export function fusedLayerNormActive(): boolean {
  if (!enabled) return false;
  const b = tf.getBackend();
  return b === 'wasm' || b === 'cpu';
}

/**
 * `y = (x − mean) / √(var + eps) · g + b` per row of `d` values; also writes each row's mean and
 * 1/√(var + eps) (for the backward).
 */
export function layerNormRows(
  x: ArrayLike<number>,
  rows: number,
  d: number,
  g: ArrayLike<number> | null,
  b: ArrayLike<number> | null,
  eps: number,
  y: Float32Array,
  mean: Float64Array,
  rstd: Float64Array,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    // one pass for Σx and Σx² (float64: no cancellation to fear for float32 inputs)
    let sum = 0;
    let sq = 0;
    for (let j = 0; j < d; j++) {
      const v = x[o + j];
      sum += v;
      sq += v * v;
    }
    const m = sum / d;
    const s = 1 / Math.sqrt(Math.max(sq / d - m * m, 0) + eps);
    mean[r] = m;
    rstd[r] = s;
    if (g && b) for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - m) * s * g[j] + b[j];
    else if (g) for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - m) * s * g[j];
    else for (let j = 0; j < d; j++) y[o + j] = (x[o + j] - m) * s;
  }
}

/**
 * The backward of {@link layerNormRows}: with x̂ = (x − mean)·rstd and ĝ = dy·g,
 * `dx = rstd · (ĝ − mean(ĝ) − x̂ · mean(ĝ·x̂))` per row; `dg += Σ_rows dy·x̂`, `db += Σ_rows dy`
 * (when given).
 */
export function layerNormRowsBackward(
  dy: ArrayLike<number>,
  x: ArrayLike<number>,
  rows: number,
  d: number,
  g: ArrayLike<number> | null,
  mean: Float64Array,
  rstd: Float64Array,
  dx: Float32Array,
  dg: Float64Array | null,
  db: Float64Array | null,
): void {
  for (let r = 0; r < rows; r++) {
    const o = r * d;
    const m = mean[r];
    const s = rstd[r];
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * s;
      const gy = g ? dy[o + j] * g[j] : dy[o + j];
      s1 += gy;
      s2 += gy * xh;
      if (dg) dg[j] += dy[o + j] * xh;
      if (db) db[j] += dy[o + j];
    }
    s1 /= d;
    s2 /= d;
    for (let j = 0; j < d; j++) {
      const xh = (x[o + j] - m) * s;
      const gy = g ? dy[o + j] * g[j] : dy[o + j];
      dx[o + j] = s * (gy - s1 - xh * s2);
    }
  }
}

/**
 * `norm.forward(x)` as one fused op where {@link fusedLayerNormActive}, else `norm.forward(x)`.
 * Gradients flow to `x`, `norm.weight` and `norm.bias`.
 */
export function layerNorm(norm: LayerNorm, x: tf.Tensor): tf.Tensor {
  const d = norm.normalizedShape;
  if (!fusedLayerNormActive() || x.dtype !== 'float32' || x.rank < 1 || x.shape[x.rank - 1] !== d) {
    return norm.forward(x); // (its own shape errors)
  }
  const rows = x.size / d;
  const eps = norm.eps;
  const affine = norm.weight !== null && norm.bias !== null;
  const shape = x.shape;
  const op = tf.customGrad(((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const [xt, gt, bt] = args as tf.Tensor[];
    // On wasm the output is allocated in the backend's heap and every operand is read and written in
    // place (views taken after the last allocation); elsewhere (cpu) arrays. x is saved for the
    // backward pass (a shared buffer, not a copy, under core's wasm Identity) rather than kept as a
    // copy out of the heap: that copy, and the ones into and out of it, were ≈ 4 per call.
    // wasm, rows a multiple of 4: core's SIMD kernel (fused-ops.wat), statistics recomputed in the backward
    const simd = fusedLayerNormForward(xt, affine ? gt : null, affine ? bt : null, eps);
    if (simd) {
      save(affine ? [xt, gt] : [xt]);
      return {
        value: simd,
        gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
          const g = (dy as tf.Tensor).dtype === 'float32' ? (dy as tf.Tensor) : tf.cast(dy as tf.Tensor, 'float32');
          const r = fusedLayerNormBackward(g, saved[0], affine ? saved[1] : null, eps);
          if (r) return affine ? [r.dx, r.dweight as tf.Tensor, r.dbias as tf.Tensor] : [r.dx];
          // the kernels were switched off (or the backend changed) since the forward: JS loops
          const xs = readFloat32View(saved[0]);
          const mean = new Float64Array(rows);
          const rstd = new Float64Array(rows);
          layerNormRows(xs, rows, d, null, null, eps, new Float32Array(rows * d), mean, rstd);
          const dxa = new Float32Array(rows * d);
          const dg = affine ? new Float64Array(d) : null;
          const db = affine ? new Float64Array(d) : null;
          const gs = affine ? readFloat32View(saved[1]).slice() : null; // read before the next view
          layerNormRowsBackward(readFloat32View(g), readFloat32View(saved[0]), rows, d, gs, mean, rstd, dxa, dg, db);
          const grads = [tf.tensor(dxa, shape, 'float32')];
          if (dg && db) grads.push(tf.tensor1d(Float32Array.from(dg)), tf.tensor1d(Float32Array.from(db)));
          return grads;
        },
      };
    }
    const out = emptyFloat32Tensor(shape);
    const xv = readFloat32View(xt);
    const gv = affine ? readFloat32View(gt) : null;
    const bv = affine ? readFloat32View(bt) : null;
    const y = out ? wasmFloat32View(out) : null;
    const mean = new Float64Array(rows);
    const rstd = new Float64Array(rows);
    let value: tf.Tensor;
    if (out && y) {
      layerNormRows(xv, rows, d, gv, bv, eps, y, mean, rstd);
      value = out;
    } else {
      out?.dispose();
      const ya = new Float32Array(rows * d);
      layerNormRows(xv, rows, d, gv, bv, eps, ya, mean, rstd);
      value = tf.tensor(ya, shape, 'float32');
    }
    save(affine ? [xt, gt] : [xt]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dyt = (dy as tf.Tensor).dtype === 'float32' ? (dy as tf.Tensor) : tf.cast(dy as tf.Tensor, 'float32');
        const dxt = emptyFloat32Tensor(shape);
        const dyv = readFloat32View(dyt);
        const xs = readFloat32View(saved[0]);
        const gs = affine ? readFloat32View(saved[1]) : null;
        const dx = dxt ? wasmFloat32View(dxt) : null;
        const dg = affine ? new Float64Array(d) : null;
        const db = affine ? new Float64Array(d) : null;
        let dxTensor: tf.Tensor;
        if (dxt && dx) {
          layerNormRowsBackward(dyv, xs, rows, d, gs, mean, rstd, dx, dg, db);
          dxTensor = dxt;
        } else {
          dxt?.dispose();
          const dxa = new Float32Array(rows * d);
          layerNormRowsBackward(dyv, xs, rows, d, gs, mean, rstd, dxa, dg, db);
          dxTensor = tf.tensor(dxa, shape, 'float32');
        }
        const grads = [dxTensor];
        if (dg && db) grads.push(tf.tensor1d(Float32Array.from(dg)), tf.tensor1d(Float32Array.from(db)));
        return grads;
      },
    };
  }) as Parameters<typeof tf.customGrad>[0]);
  return affine ? op(x, norm.weight as tf.Tensor, norm.bias as tf.Tensor) : op(x);
}
