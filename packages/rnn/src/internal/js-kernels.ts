/**
 * The fused recurrences of kernels.ts as typed-array loops, for the cpu backend. There every tfjs
 * op is itself a JS loop plus ~40–100 µs of dispatch and tape bookkeeping; a step of a small LSTM is
 * ~45 ops forward and backward, so a [B 32, T 50, H 16] training step took ~150 ms through ops and
 * takes a few ms here. Same equations, layouts and outputs as kernels.ts (tests run both paths).
 *
 * Arrays are row-major; packed row p of step t is offsets[t] + r for sorted slot r.
 */
import type { PackedLayout } from './packing.js';

type F32 = Float32Array;

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** out[j] += Σ_m v[m]·W[j, m] for j < H (W [H, H], v at vOff). */
function matVecT(W: F32, v: F32, vOff: number, out: F32, outOff: number, H: number): void {
  for (let j = 0; j < H; j++) {
    let s = 0;
    const w = j * H;
    for (let m = 0; m < H; m++) s += v[vOff + m] * W[w + m];
    out[outOff + j] += s;
  }
}

/** out[m] += Σ_j d[j]·W[j, m] (the transpose product, for the backward). */
function vecMat(d: F32, dOff: number, W: F32, out: F32, outOff: number, H: number): void {
  for (let j = 0; j < H; j++) {
    const dj = d[dOff + j];
    if (dj === 0) continue;
    const w = j * H;
    for (let m = 0; m < H; m++) out[outOff + m] += dj * W[w + m];
  }
}

/** dW[j, m] += d[j]·h[m]. */
function outer(d: F32, dOff: number, h: F32, hOff: number, dW: F32, H: number): void {
  for (let j = 0; j < H; j++) {
    const dj = d[dOff + j];
    if (dj === 0) continue;
    const w = j * H;
    for (let m = 0; m < H; m++) dW[w + m] += dj * h[hOff + m];
  }
}

/**
 * Column sums of a [rows, cols] matrix at `at` (rows `ld` floats apart), accumulated in float64 row
 * by row: a bias gradient, as fused-lstm.ts's `colSums` kernel computes it (the reference its test
 * compares with, bit for bit).
 */
export function columnSums(x: F32, at: number, rows: number, cols: number, ld: number): F32 {
  const acc = new Float64Array(cols);
  for (let i = 0; i < rows; i++) {
    const r = at + i * ld;
    for (let j = 0; j < cols; j++) acc[j] += x[r + j];
  }
  return Float32Array.from(acc);
}

export interface JsResult {
  value: F32;
  backward: (dy: F32) => F32[];
}

/**
 * Generic gated recurrence driver: walks the packed steps, giving `cell` each row's packed index,
 * state slot and whether it retires at this step.
 */
function walk(
  layout: PackedLayout,
  fn: (t: number, r: number, p: number, retires: boolean) => void,
  reverse = false,
): void {
  const T = layout.maxLen;
  const order = reverse ? Array.from({ length: T }, (_, k) => T - 1 - k) : Array.from({ length: T }, (_, k) => k);
  for (const t of order) {
    const n = layout.batchSizes[t];
    const next = t + 1 < T ? layout.batchSizes[t + 1] : 0;
    for (let r = 0; r < n; r++) fn(t, r, layout.offsets[t] + r, r >= next);
  }
}

export function jsLstm(layout: PackedLayout, H: number, xs: F32[], ws: F32[], bias: F32, h0: F32, c0: F32): JsResult {
  const N = layout.total;
  const B = layout.batch;
  const NH = N * H;
  const hp = new Float32Array(NH);
  const cp = new Float32Array(NH);
  const gates = [0, 1, 2, 3].map(() => new Float32Array(NH)); // i, f, g, o (activated)
  const tcA = new Float32Array(NH);
  const h = h0.slice();
  const c = c0.slice();
  const value = new Float32Array((N + 2 * B) * H);
  const pre = new Float32Array(4 * H);
  walk(layout, (_t, r, p, retires) => {
    const so = r * H;
    const po = p * H;
    hp.set(h.subarray(so, so + H), po);
    cp.set(c.subarray(so, so + H), po);
    for (let k = 0; k < 4; k++) {
      for (let j = 0; j < H; j++) pre[k * H + j] = xs[k][po + j] + bias[k * H + j];
      matVecT(ws[k], h, so, pre, k * H, H);
    }
    for (let j = 0; j < H; j++) {
      const i = sigmoid(pre[j]);
      const f = sigmoid(pre[H + j]);
      const g = Math.tanh(pre[2 * H + j]);
      const o = sigmoid(pre[3 * H + j]);
      const cc = f * c[so + j] + i * g;
      const tc = Math.tanh(cc);
      gates[0][po + j] = i;
      gates[1][po + j] = f;
      gates[2][po + j] = g;
      gates[3][po + j] = o;
      tcA[po + j] = tc;
      c[so + j] = cc;
      h[so + j] = o * tc;
      value[po + j] = o * tc;
    }
    if (retires) {
      value.set(h.subarray(so, so + H), (N + r) * H);
      value.set(c.subarray(so, so + H), (N + B + r) * H);
    }
  });
  const backward = (dy: F32): F32[] => {
    const dX = [0, 1, 2, 3].map(() => new Float32Array(NH));
    const dW = [0, 1, 2, 3].map(() => new Float32Array(H * H));
    const dBias = new Float32Array(4 * H);
    const dh = new Float32Array(B * H); // gradient w.r.t. the state each slot had before the current step
    const dc = new Float32Array(B * H);
    const dhNext = new Float32Array(H);
    const [I, Fg, G, O] = gates;
    walk(
      layout,
      (_t, r, p, retires) => {
        const so = r * H;
        const po = p * H;
        for (let j = 0; j < H; j++) {
          const dht = dy[po + j] + (retires ? dy[(N + r) * H + j] : dh[so + j]);
          const dcc = retires ? dy[(N + B + r) * H + j] : dc[so + j];
          const i = I[po + j];
          const f = Fg[po + j];
          const g = G[po + j];
          const o = O[po + j];
          const tc = tcA[po + j];
          const dct = dcc + dht * o * (1 - tc * tc);
          dX[0][po + j] = dct * g * i * (1 - i);
          dX[1][po + j] = dct * cp[po + j] * f * (1 - f);
          dX[2][po + j] = dct * i * (1 - g * g);
          dX[3][po + j] = dht * tc * o * (1 - o);
          dc[so + j] = dct * f;
        }
        dhNext.fill(0);
        for (let k = 0; k < 4; k++) {
          vecMat(dX[k], po, ws[k], dhNext, 0, H);
          outer(dX[k], po, hp, po, dW[k], H);
          for (let j = 0; j < H; j++) dBias[k * H + j] += dX[k][po + j];
        }
        dh.set(dhNext, so);
      },
      true,
    );
    return [...dX, ...dW, dBias, dh, dc];
  };
  return { value, backward };
}

export function jsGru(layout: PackedLayout, H: number, xs: F32[], ws: F32[], bias: F32, bhn: F32, h0: F32): JsResult {
  const N = layout.total;
  const B = layout.batch;
  const NH = N * H;
  const hp = new Float32Array(NH);
  const R = new Float32Array(NH);
  const Z = new Float32Array(NH);
  const HN = new Float32Array(NH);
  const NN = new Float32Array(NH);
  const h = h0.slice();
  const value = new Float32Array((N + B) * H);
  const pre = new Float32Array(3 * H);
  walk(layout, (_t, r, p, retires) => {
    const so = r * H;
    const po = p * H;
    hp.set(h.subarray(so, so + H), po);
    pre.fill(0);
    for (let k = 0; k < 3; k++) matVecT(ws[k], h, so, pre, k * H, H);
    for (let j = 0; j < H; j++) {
      const rr = sigmoid(xs[0][po + j] + bias[j] + pre[j]);
      const z = sigmoid(xs[1][po + j] + bias[H + j] + pre[H + j]);
      const hn = pre[2 * H + j] + bhn[j];
      const nn = Math.tanh(xs[2][po + j] + bias[2 * H + j] + rr * hn);
      R[po + j] = rr;
      Z[po + j] = z;
      HN[po + j] = hn;
      NN[po + j] = nn;
      const hv = nn + z * (h[so + j] - nn);
      h[so + j] = hv;
      value[po + j] = hv;
    }
    if (retires) value.set(h.subarray(so, so + H), (N + r) * H);
  });
  const backward = (dy: F32): F32[] => {
    const dX = [0, 1, 2].map(() => new Float32Array(NH));
    const dHn = new Float32Array(NH);
    const dW = [0, 1, 2].map(() => new Float32Array(H * H));
    const dBias = new Float32Array(3 * H);
    const dBhn = new Float32Array(H);
    const dh = new Float32Array(B * H);
    const dhNext = new Float32Array(H);
    walk(
      layout,
      (_t, r, p, retires) => {
        const so = r * H;
        const po = p * H;
        dhNext.fill(0);
        for (let j = 0; j < H; j++) {
          const dht = dy[po + j] + (retires ? dy[(N + r) * H + j] : dh[so + j]);
          const rr = R[po + j];
          const z = Z[po + j];
          const nn = NN[po + j];
          const dN = dht * (1 - z) * (1 - nn * nn);
          dX[0][po + j] = dN * HN[po + j] * rr * (1 - rr);
          dX[1][po + j] = dht * (hp[po + j] - nn) * z * (1 - z);
          dX[2][po + j] = dN;
          dHn[po + j] = dN * rr;
          dhNext[j] = dht * z;
        }
        vecMat(dX[0], po, ws[0], dhNext, 0, H);
        vecMat(dX[1], po, ws[1], dhNext, 0, H);
        vecMat(dHn, po, ws[2], dhNext, 0, H);
        outer(dX[0], po, hp, po, dW[0], H);
        outer(dX[1], po, hp, po, dW[1], H);
        outer(dHn, po, hp, po, dW[2], H);
        for (let j = 0; j < H; j++) {
          for (let k = 0; k < 3; k++) dBias[k * H + j] += dX[k][po + j];
          dBhn[j] += dHn[po + j];
        }
        dh.set(dhNext, so);
      },
      true,
    );
    return [...dX, ...dW, dBias, dBhn, dh];
  };
  return { value, backward };
}

export function jsRnn(layout: PackedLayout, H: number, x: F32, w: F32, bias: F32, h0: F32, relu: boolean): JsResult {
  const N = layout.total;
  const B = layout.batch;
  const NH = N * H;
  const hp = new Float32Array(NH);
  const hs = new Float32Array(NH);
  const h = h0.slice();
  const value = new Float32Array((N + B) * H);
  const pre = new Float32Array(H);
  walk(layout, (_t, r, p, retires) => {
    const so = r * H;
    const po = p * H;
    hp.set(h.subarray(so, so + H), po);
    for (let j = 0; j < H; j++) pre[j] = x[po + j] + bias[j];
    matVecT(w, h, so, pre, 0, H);
    for (let j = 0; j < H; j++) {
      const v = relu ? Math.max(0, pre[j]) : Math.tanh(pre[j]);
      hs[po + j] = v;
      h[so + j] = v;
      value[po + j] = v;
    }
    if (retires) value.set(h.subarray(so, so + H), (N + r) * H);
  });
  const backward = (dy: F32): F32[] => {
    const dX = new Float32Array(NH);
    const dW = new Float32Array(H * H);
    const dBias = new Float32Array(H);
    const dh = new Float32Array(B * H);
    const dhNext = new Float32Array(H);
    walk(
      layout,
      (_t, r, p, retires) => {
        const so = r * H;
        const po = p * H;
        for (let j = 0; j < H; j++) {
          const dht = dy[po + j] + (retires ? dy[(N + r) * H + j] : dh[so + j]);
          const v = hs[po + j];
          const d = relu ? (v > 0 ? dht : 0) : dht * (1 - v * v);
          dX[po + j] = d;
          dBias[j] += d;
        }
        dhNext.fill(0);
        vecMat(dX, po, w, dhNext, 0, H);
        outer(dX, po, hp, po, dW, H);
        dh.set(dhNext, so);
      },
      true,
    );
    return [dX, dW, dBias, dh];
  };
  return { value, backward };
}
