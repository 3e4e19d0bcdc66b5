/**
 * Fused recurrences over a packed batch with hand-written backward passes (tf.customGrad).
 *
 * Why: tfjs's autodiff of a per-step LSTM records ~15 ops per step and differentiates the
 * recurrent matmul with transpose flags, which run 10–60× slower than plain 2-D matmuls on the
 * wasm backend (see linear.ts). Here every matmul is a plain 2-D one, and the recurrent weight
 * gradient is one [H, N] x [N, H] matmul per gate over all steps at the end.
 *
 * Gates are kept as separate [·, H] tensors (one input projection and one [H, H] recurrent
 * matrix per gate) rather than one [·, G·H] tensor cut into columns: column slices are the
 * slowest op on both CPU backends here (cpu: an element-by-element TensorBuffer path, ~40% of a
 * small LSTM's step; wasm: ~0.15 ms each), while on wasm four [64,256]x[256,256] matmuls cost
 * the same as one [64,256]x[256,1024] (1.35 vs 1.29 ms).
 *
 * Likewise no broadcasting binary ops in the step loops (cpu runs them element by element):
 * `1 - x` is written `x - x·x` and the like, and the biases are added while the projections are
 * cut into steps (see stepBlocks).
 *
 * Inputs are in the packed, sorted layout of packing.ts; gate order is PyTorch's (LSTM i, f, g, o;
 * GRU r, z, n). Each op returns one tensor [N + B (+ B), H] = outputs of every step, then the final
 * h of each sorted sequence (taken when it retires, i.e. at its own last step), then the final c
 * (LSTM), because tf.customGrad supports a single output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';
import { fusedGru, fusedLstm, fusedLstmAvailable, sequenceInference, type LayerInput } from './fused-lstm.js';
import { jsGru, jsLstm, jsRnn, type JsResult } from './js-kernels.js';
import type { PackedLayout } from './packing.js';

let jsKernels = true;

/** Whether the cpu backend runs the typed-array kernels of js-kernels.ts (tests turn them off to check the op path). */
export function setJsKernels(on: boolean): void {
  jsKernels = on;
}

function useJs(): boolean {
  return jsKernels && tf.getBackend() === 'cpu';
}

let fused: 'auto' | 'on' | 'off' = 'auto';

/**
 * When the LSTM and GRU use the fused WebAssembly SIMD step kernels (fused-lstm.ts): 'auto' on the wasm
 * backend, 'on' on any backend the typed-array kernels do not take (tests use it on cpu with
 * setJsKernels(false)), 'off' never. Returns the previous setting.
 */
export function setFusedKernels(mode: 'auto' | 'on' | 'off'): 'auto' | 'on' | 'off' {
  const prev = fused;
  fused = mode;
  return prev;
}

function useFused(H: number): boolean {
  if (fused === 'off' || !fusedLstmAvailable(H)) return false;
  return fused === 'on' || tf.getBackend() === 'wasm';
}

let inference = true;

/**
 * Whether the LSTM and GRU run a whole layer-direction in the fused inference path
 * (fused-lstm.ts's sequenceInference) when no gradient is being recorded and the fused kernels
 * are on (see setFusedKernels). Tests and benchmarks turn it off to compare; returns the previous
 * setting.
 */
export function setSequenceInference(on: boolean): boolean {
  const prev = inference;
  inference = on;
  return prev;
}

/**
 * Whether tfjs records the ops run now for a gradient: inside tf.grad / tf.variableGrads (gradient
 * depth > 0), and not inside another op's kernel. Reads the engine's state (internal API); if it
 * is not as expected, assumes a gradient is recorded (the custom-op path always works).
 */
function gradientRecorded(): boolean {
  const s = (tf.engine() as unknown as { state?: { gradientDepth?: unknown; kernelDepth?: unknown } }).state;
  if (typeof s?.gradientDepth !== 'number' || typeof s.kernelDepth !== 'number') return true;
  return s.gradientDepth > 0 && s.kernelDepth === 0;
}

/**
 * The whole-sequence inference path applies (LSTM and GRU of hidden size H): fused kernels on, nothing
 * to differentiate. recurrent.ts then calls fused-lstm.ts's sequenceInference itself, for its parts.
 */
export function useSequenceInference(H: number): boolean {
  return inference && !useJs() && useFused(H) && !gradientRecorded();
}

/**
 * Whether the LSTM/GRU of hidden size H run the fused kernels now — which also take the gates'
 * input projections side by side, one [N, G·H] tensor (one product per layer and direction instead
 * of G), and the recurrent weights as one [G·H, H] (recurrent.ts passes them so then).
 */
export function fusedGatesSideBySide(H: number): boolean {
  return !useJs() && useFused(H);
}

/** Throws unless the fused kernels run: only they take the gates side by side. */
function checkSideBySide(fn: string, H: number): void {
  if (!fusedGatesSideBySide(H)) {
    throw new Error(`${fn}: the gates side by side (one [N, G·H] projection) need the fused kernels (H % 4 = 0, wasm)`);
  }
}

const f32 = (t: T2): Float32Array => t.dataSync() as Float32Array;

/** Wraps a typed-array kernel's result as the custom op's value and gradient function. */
function fromJs(res: JsResult, rowsOut: number, H: number, gradShapes: number[][]) {
  return {
    value: tf.tensor2d(res.value, [rowsOut, H]),
    gradFunc: (dy: T2) => res.backward(f32(dy)).map((g, k) => tf.tensor(g, gradShapes[k])),
  };
}

// Rank-2 throughout; typed loosely because tfjs element-wise ops return Tensor<Rank>.
type T2 = tf.Tensor;

function rows(x: T2, start: number, count: number): T2 {
  if (start === 0 && count === x.shape[0]) return x;
  return tf.slice(x, [start, 0], [count, x.shape[1]!]);
}

function jsBackend(): boolean {
  const b = tf.getBackend();
  return b === 'cpu' || b === 'wasm';
}

/** Rows alive at step t + 1 (0 after the last step). */
function nextSize(layout: PackedLayout, t: number): number {
  return t + 1 < layout.maxLen ? layout.batchSizes[t + 1] : 0;
}

/**
 * Gradient reaching state rows [0, n) at step t: rows [0, next) come from step t + 1's
 * recurrence, rows [next, n) are sequences that ended at t and get the final-state gradient.
 */
function carry(prev: T2 | null, final: T2, next: number, n: number): T2 {
  if (next === 0) return rows(final, 0, n);
  if (next === n) return prev as T2;
  return tf.concat([prev as T2, rows(final, next, n - next)], 0);
}

/**
 * Cuts packed rows [N, H] into row blocks of the given sizes, adding `bias` [H] to every row if
 * given. On cpu/wasm the matrix is read once and each block made from the array: wasm's Slice
 * reads the WHOLE source out of the heap on every call (a [64,1024] block of a [1920,1024] tensor
 * took 3.4 ms here) and its SplitV ~7 ms; adding the bias here costs no extra op.
 */
function stepBlocks(x: T2, sizes: number[], bias: Float32Array | null): T2[] {
  const F = x.shape[1]!;
  const out: T2[] = [];
  if (jsBackend()) {
    const data = x.dataSync() as Float32Array;
    let at = 0;
    for (const n of sizes) {
      let block = data.subarray(at * F, (at + n) * F);
      if (bias) {
        block = block.slice();
        for (let r = 0; r < n; r++) for (let j = 0; j < F; j++) block[r * F + j] += bias[j];
      }
      out.push(tf.tensor2d(block, [n, F]));
      at += n;
    }
    return out;
  }
  const b = bias ? tf.tensor1d(bias) : null;
  let at = 0;
  for (const n of sizes) {
    out.push(b ? tf.add(rows(x, at, n), b) : rows(x, at, n));
    at += n;
  }
  return out;
}

function biasPart(bias: Float32Array, k: number, H: number): Float32Array {
  return bias.subarray(k * H, (k + 1) * H);
}

function sigmoidGrad(d: T2, s: T2): T2 {
  return tf.mul(d, tf.sub(s, tf.square(s))); // σ' = σ - σ²
}

function tanhGrad(d: T2, t: T2): T2 {
  return tf.sub(d, tf.mul(d, tf.square(t))); // d·(1 - tanh²)
}

/** (Hprevᵀ · dPre)ᵀ = dPreᵀ · Hprev, the [H, H] gradient of a recurrent block, plain matmuls only. */
function recurrentWeightGrad(hPrevT: T2, dPre: T2): T2 {
  return tf.transpose(tf.matMul(hPrevT, dPre));
}

/**
 * LSTM over a packed batch. xs = [x_i, x_f, x_g, x_o] input projections [N, H] (no bias),
 * ws = [W_hi, W_hf, W_hg, W_ho] [H, H] (PyTorch layout: pre = h·Wᵀ), bias [4H] = b_ih + b_hh,
 * h0/c0 [B, H] sorted. Returns [N + 2B, H]. With the fused kernels ({@link fusedGatesSideBySide}) xs
 * may be one [N, 4H] (the gates side by side) and ws one [4H, H]; their gradients come alike.
 */
export function lstmSequence(layout: PackedLayout, xs: T2[], ws: T2[], bias: T2, h0: T2, c0: T2): T2 {
  if (useSequenceInference(h0.shape[1]!)) {
    return tf.tidy(() => tf.concat(sequenceInference('lstm', layout, xs, ws, bias, null, h0, c0), 0));
  }
  const sideBySide = xs.length !== 4 || ws.length !== 4;
  if (sideBySide) checkSideBySide('lstmSequence', h0.shape[1]!);
  const op = customOp((inputs, save) => {
    if (sideBySide) return fusedLstm(layout, inputs, save, xs.length, ws.length);
    const [xi, xf, xg, xo, wi, wf, wg, wo, b, h0In, c0In] = inputs;
    const H = h0In.shape[1]!;
    if (useJs()) {
      const N = layout.total;
      const B = layout.batch;
      const res = jsLstm(layout, H, [xi, xf, xg, xo].map(f32), [wi, wf, wg, wo].map(f32), f32(b), f32(h0In), f32(c0In));
      const shapes = [...[0, 1, 2, 3].map(() => [N, H]), ...[0, 1, 2, 3].map(() => [H, H]), [4 * H], [B, H], [B, H]];
      return fromJs(res, N + 2 * B, H, shapes);
    }
    if (useFused(H)) return fusedLstm(layout, inputs, save);
    const T = layout.maxLen;
    const sizes = layout.batchSizes;
    const bv = b.dataSync() as Float32Array;
    const [Xi, Xf, Xg, Xo] = [xi, xf, xg, xo].map((x, k) => stepBlocks(x, sizes, biasPart(bv, k, H)));
    const [WiT, WfT, WgT, WoT] = [wi, wf, wg, wo].map((w) => tf.transpose(w));
    let h = h0In;
    let c = c0In;
    const ys: T2[] = [];
    const hRet: T2[] = [];
    const cRet: T2[] = [];
    const keep: T2[] = [wi, wf, wg, wo];
    for (let t = 0; t < T; t++) {
      const n = sizes[t];
      const hp = rows(h, 0, n);
      const cp = rows(c, 0, n);
      const i = tf.sigmoid(tf.add(Xi[t], tf.matMul(hp, WiT)));
      const f = tf.sigmoid(tf.add(Xf[t], tf.matMul(hp, WfT)));
      const g = tf.tanh(tf.add(Xg[t], tf.matMul(hp, WgT)));
      const o = tf.sigmoid(tf.add(Xo[t], tf.matMul(hp, WoT)));
      c = tf.add(tf.mul(f, cp), tf.mul(i, g));
      const tc = tf.tanh(c);
      h = tf.mul(o, tc);
      ys.push(h);
      const next = nextSize(layout, t);
      if (next < n) {
        hRet.push(rows(h, next, n - next));
        cRet.push(rows(c, next, n - next));
      }
      keep.push(hp, cp, i, f, g, o, tc);
    }
    save(keep);
    const value = tf.concat([...ys, ...hRet.reverse(), ...cRet.reverse()], 0);
    return {
      value,
      gradFunc: (dy: T2, saved: T2[]) => {
        const B = layout.batch;
        const [Wi, Wf, Wg, Wo] = saved;
        const dys = stepBlocks(dy, [...sizes, B, B], null);
        const dhN = dys[T];
        const dcN = dys[T + 1];
        let dh: T2 | null = null;
        let dc: T2 | null = null;
        const P: T2[][] = [new Array(T), new Array(T), new Array(T), new Array(T)];
        const hps: T2[] = new Array(T);
        for (let t = T - 1; t >= 0; t--) {
          const n = sizes[t];
          const next = nextSize(layout, t);
          const [hp, cp, i, f, g, o, tc] = saved.slice(4 + 7 * t, 11 + 7 * t);
          hps[t] = hp;
          const dht: T2 = tf.add(dys[t], carry(dh, dhN, next, n));
          const dcc: T2 = carry(dc, dcN, next, n);
          const dct: T2 = tf.add(dcc, tanhGrad(tf.mul(dht, o), tc));
          const pi = sigmoidGrad(tf.mul(dct, g), i);
          const pf = sigmoidGrad(tf.mul(dct, cp), f);
          const pg = tanhGrad(tf.mul(dct, i), g);
          const po = sigmoidGrad(tf.mul(dht, tc), o);
          dc = tf.mul(dct, f);
          dh = tf.add(tf.add(tf.matMul(pi, Wi), tf.matMul(pf, Wf)), tf.add(tf.matMul(pg, Wg), tf.matMul(po, Wo)));
          P[0][t] = pi;
          P[1][t] = pf;
          P[2][t] = pg;
          P[3][t] = po;
        }
        const dX = P.map((p) => tf.concat(p, 0));
        const hPrevT = tf.transpose(tf.concat(hps, 0));
        const dW = dX.map((d) => recurrentWeightGrad(hPrevT, d));
        const dBias = tf.concat(
          dX.map((d) => tf.sum(d, 0)),
          0,
        );
        return [...dX, ...dW, dBias, dh as T2, dc as T2];
      },
    };
  });
  return op(...xs, ...ws, bias, h0, c0);
}

/**
 * GRU over a packed batch with PyTorch's n = tanh(x_n + r ⊙ (h·W_hnᵀ + b_hn)).
 * xs = [x_r, x_z, x_n] [N, H] (no bias), ws = [W_hr, W_hz, W_hn] [H, H], bias [3H] = b_ih +
 * (b_hr, b_hz, 0), bhn [H], h0 [B, H] sorted. Returns [N + B, H]. With the fused kernels xs may be
 * one [N, 3H] (the gates side by side) and ws one [3H, H].
 */
export function gruSequence(layout: PackedLayout, xs: T2[], ws: T2[], bias: T2, bhn: T2, h0: T2): T2 {
  if (useSequenceInference(h0.shape[1]!)) {
    return tf.tidy(() => tf.concat(sequenceInference('gru', layout, xs, ws, bias, bhn, h0, null), 0));
  }
  const sideBySide = xs.length !== 3 || ws.length !== 3;
  if (sideBySide) checkSideBySide('gruSequence', h0.shape[1]!);
  const op = customOp((inputs, save) => {
    if (sideBySide) return fusedGru(layout, inputs, save, xs.length, ws.length);
    const [xr, xz, xn, wr, wz, wn, b, bhnIn, h0In] = inputs;
    const H = h0In.shape[1]!;
    const B = layout.batch;
    if (useJs()) {
      const N = layout.total;
      const res = jsGru(layout, H, [xr, xz, xn].map(f32), [wr, wz, wn].map(f32), f32(b), f32(bhnIn), f32(h0In));
      const shapes = [...[0, 1, 2].map(() => [N, H]), ...[0, 1, 2].map(() => [H, H]), [3 * H], [H], [B, H]];
      return fromJs(res, N + B, H, shapes);
    }
    if (useFused(H)) return fusedGru(layout, inputs, save);
    const T = layout.maxLen;
    const sizes = layout.batchSizes;
    const bv = b.dataSync() as Float32Array;
    const [Xr, Xz, Xn] = [xr, xz, xn].map((x, k) => stepBlocks(x, sizes, biasPart(bv, k, H)));
    const [WrT, WzT, WnT] = [wr, wz, wn].map((w) => tf.transpose(w));
    const bhnRows = tf.tile(tf.reshape(bhnIn, [1, H]), [B, 1]); // [B, H]: no broadcast in the loop
    let h = h0In;
    const ys: T2[] = [];
    const hRet: T2[] = [];
    const keep: T2[] = [wr, wz, wn];
    for (let t = 0; t < T; t++) {
      const n = sizes[t];
      const hp = rows(h, 0, n);
      const r = tf.sigmoid(tf.add(Xr[t], tf.matMul(hp, WrT)));
      const z = tf.sigmoid(tf.add(Xz[t], tf.matMul(hp, WzT)));
      const hn = tf.add(tf.matMul(hp, WnT), rows(bhnRows, 0, n));
      const nn = tf.tanh(tf.add(Xn[t], tf.mul(r, hn)));
      h = tf.add(nn, tf.mul(z, tf.sub(hp, nn))); // (1 - z) n + z h
      ys.push(h);
      const next = nextSize(layout, t);
      if (next < n) hRet.push(rows(h, next, n - next));
      keep.push(hp, r, z, hn, nn);
    }
    save(keep);
    const value = tf.concat([...ys, ...hRet.reverse()], 0);
    return {
      value,
      gradFunc: (dy: T2, saved: T2[]) => {
        const [Wr, Wz, Wn] = saved;
        const dys = stepBlocks(dy, [...sizes, B], null);
        const dhN = dys[T];
        let dh: T2 | null = null;
        const P: T2[][] = [new Array(T), new Array(T), new Array(T), new Array(T)]; // r, z, n (x side), n (h side)
        const hps: T2[] = new Array(T);
        for (let t = T - 1; t >= 0; t--) {
          const n = sizes[t];
          const next = nextSize(layout, t);
          const [hp, r, z, hn, nn] = saved.slice(3 + 5 * t, 8 + 5 * t);
          hps[t] = hp;
          const dht: T2 = tf.add(dys[t], carry(dh, dhN, next, n));
          const dN = tanhGrad(tf.sub(dht, tf.mul(dht, z)), nn); // through (1 - z) and tanh
          const pz = sigmoidGrad(tf.mul(dht, tf.sub(hp, nn)), z);
          const pr = sigmoidGrad(tf.mul(dN, hn), r);
          const dHn = tf.mul(dN, r);
          dh = tf.add(tf.mul(dht, z), tf.add(tf.add(tf.matMul(pr, Wr), tf.matMul(pz, Wz)), tf.matMul(dHn, Wn)));
          P[0][t] = pr;
          P[1][t] = pz;
          P[2][t] = dN;
          P[3][t] = dHn;
        }
        const [dXr, dXz, dXn, dHnAll] = P.map((p) => tf.concat(p, 0));
        const hPrevT = tf.transpose(tf.concat(hps, 0));
        const dW = [dXr, dXz, dHnAll].map((d) => recurrentWeightGrad(hPrevT, d));
        const dBias = tf.concat(
          [dXr, dXz, dXn].map((d) => tf.sum(d, 0)),
          0,
        );
        return [dXr, dXz, dXn, ...dW, dBias, tf.sum(dHnAll, 0), dh as T2];
      },
    };
  });
  return op(...xs, ...ws, bias, bhn, h0);
}

/**
 * {@link lstmSequence} / {@link gruSequence} given the layer-direction's input instead of its
 * projections (fused kernels only, {@link fusedGatesSideBySide}): x [N, D] and W_ih [G·H, D]; the
 * projection x · W_ihᵀ and, under a gradient, its gradients dx and dW_ih are computed in the
 * kernels' memory (fused-lstm.ts), with no [N, G·H] tensor in between. The gradients of x and W_ih
 * come in their shapes.
 */
export function lstmInputSequence(layout: PackedLayout, input: LayerInput, ws: T2[], bias: T2, h0: T2, c0: T2): T2 {
  const H = h0.shape[1]!;
  checkSideBySide('lstmInputSequence', H);
  if (useSequenceInference(H)) {
    return tf.tidy(() => tf.concat(sequenceInference('lstm', layout, input, ws, bias, null, h0, c0), 0));
  }
  const op = customOp((inputs, save) => fusedLstm(layout, inputs, save, 'input', ws.length));
  return op(input.x, input.w, ...ws, bias, h0, c0);
}

/** {@link lstmInputSequence} for the GRU (bhn as in {@link gruSequence}). */
export function gruInputSequence(layout: PackedLayout, input: LayerInput, ws: T2[], bias: T2, bhn: T2, h0: T2): T2 {
  const H = h0.shape[1]!;
  checkSideBySide('gruInputSequence', H);
  if (useSequenceInference(H)) {
    return tf.tidy(() => tf.concat(sequenceInference('gru', layout, input, ws, bias, bhn, h0, null), 0));
  }
  const op = customOp((inputs, save) => fusedGru(layout, inputs, save, 'input', ws.length));
  return op(input.x, input.w, ...ws, bias, bhn, h0);
}

/** Elman RNN over a packed batch. x [N, H] (no bias), w [H, H], bias [H], h0 [B, H] sorted. */
export function rnnSequence(layout: PackedLayout, x: T2, w: T2, bias: T2, h0: T2, nonlinearity: 'tanh' | 'relu'): T2 {
  const op = customOp((inputs, save) => {
    const [xIn, wIn, b, h0In] = inputs;
    if (useJs()) {
      const N = layout.total;
      const B = layout.batch;
      const H = h0In.shape[1]!;
      const res = jsRnn(layout, H, f32(xIn), f32(wIn), f32(b), f32(h0In), nonlinearity === 'relu');
      return fromJs(res, N + B, H, [[N, H], [H, H], [H], [B, H]]);
    }
    const T = layout.maxLen;
    const sizes = layout.batchSizes;
    const X = stepBlocks(xIn, sizes, b.dataSync() as Float32Array);
    const wT = tf.transpose(wIn);
    let h = h0In;
    const ys: T2[] = [];
    const hRet: T2[] = [];
    const keep: T2[] = [wIn];
    for (let t = 0; t < T; t++) {
      const n = sizes[t];
      const hp = rows(h, 0, n);
      const pre = tf.add(X[t], tf.matMul(hp, wT));
      h = nonlinearity === 'tanh' ? tf.tanh(pre) : tf.relu(pre);
      ys.push(h);
      const next = nextSize(layout, t);
      if (next < n) hRet.push(rows(h, next, n - next));
      keep.push(hp, h);
    }
    save(keep);
    const value = tf.concat([...ys, ...hRet.reverse()], 0);
    return {
      value,
      gradFunc: (dy: T2, saved: T2[]) => {
        const B = layout.batch;
        const W = saved[0];
        const dys = stepBlocks(dy, [...sizes, B], null);
        const dhN = dys[T];
        let dh: T2 | null = null;
        const dPre: T2[] = new Array(T);
        const hps: T2[] = new Array(T);
        for (let t = T - 1; t >= 0; t--) {
          const n = sizes[t];
          const next = nextSize(layout, t);
          const [hp, ht] = saved.slice(1 + 2 * t, 3 + 2 * t);
          hps[t] = hp;
          const dht: T2 = tf.add(dys[t], carry(dh, dhN, next, n));
          const dp = nonlinearity === 'tanh' ? tanhGrad(dht, ht) : tf.mul(dht, tf.step(ht));
          dPre[t] = dp;
          dh = tf.matMul(dp, W);
        }
        const dX = tf.concat(dPre, 0);
        const dW = recurrentWeightGrad(tf.transpose(tf.concat(hps, 0)), dX);
        return [dX, dW, tf.sum(dX, 0), dh as T2];
      },
    };
  });
  return op(x, w, bias, h0);
}
