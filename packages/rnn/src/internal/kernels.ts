/**
 * Fused recurrences over a packed batch with hand-written backward passes (tf.customGrad).
 *
 * Why: tfjs's autodiff of a per-step LSTM records ~15 ops per step and differentiates the
 * recurrent matmul with transpose flags, which run 10–60× slower than plain 2-D matmuls on the
 * wasm backend (see linear.ts). Here each step is one plain matmul plus element-wise ops, the
 * backward is one plain matmul per step, and the recurrent weight gradient is a single
 * [H, N] x [N, G·H] matmul over all steps at the end.
 *
 * Inputs are in the packed, sorted layout of packing.ts. `xp` already holds the input
 * projection of every step plus the biases that sit outside non-linear products. Gate order
 * inside these kernels: LSTM i, f, o, g (the three sigmoid gates contiguous; the module reorders
 * PyTorch's i, f, g, o rows before calling); GRU r, z, n (PyTorch's order); RNN a single gate.
 *
 * Each op returns one tensor [N + B (+ B), H] = outputs of every step, then the final h of each
 * sorted sequence (taken when it retires, i.e. at its own last step), then the final c (LSTM),
 * because tf.customGrad supports a single output.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customOp } from './custom-op.js';
import type { PackedLayout } from './packing.js';

// Rank-2 throughout; typed loosely because tfjs element-wise ops return Tensor<Rank>.
type T2 = tf.Tensor;

function rows(x: T2, start: number, count: number): T2 {
  if (start === 0 && count === x.shape[0]) return x;
  return tf.slice(x, [start, 0], [count, x.shape[1]!]);
}

function cols(x: T2, start: number, count: number): T2 {
  return tf.slice(x, [0, start], [x.shape[0]!, count]);
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
 * Row blocks of each step (then `extra` blocks). On cpu/wasm the matrix is read once and each
 * block made from a subarray: wasm's Slice reads the WHOLE source out of the heap on every call
 * (a [64,1024] row block of a [1920,1024] tensor took 3.4 ms here), and its SplitV ~7 ms.
 */
function splitPacked(x: T2, layout: PackedLayout, extra: number[]): T2[] {
  const sizes = [...layout.batchSizes, ...extra];
  const F = x.shape[1]!;
  const out: T2[] = [];
  const backend = tf.getBackend();
  if (backend === 'cpu' || backend === 'wasm') {
    const data = x.dataSync() as Float32Array;
    let at = 0;
    for (const n of sizes) {
      out.push(tf.tensor2d(data.subarray(at * F, (at + n) * F), [n, F]));
      at += n;
    }
    return out;
  }
  let at = 0;
  for (const n of sizes) {
    out.push(rows(x, at, n));
    at += n;
  }
  return out;
}

/** Equal column blocks (slices; see splitPacked). */
function splitCols(x: T2, parts: number): T2[] {
  const w = x.shape[1]! / parts;
  return Array.from({ length: parts }, (_, k) => cols(x, k * w, w));
}

/** LSTM over a packed batch. xp [N, 4H] (i,f,o,g), whh [4H, H], h0/c0 [B, H] sorted. */
export function lstmSequence(layout: PackedLayout, xp: T2, whh: T2, h0: T2, c0: T2): T2 {
  const op = customOp(([xpIn, whhIn, h0In, c0In], save) => {
    const H = whhIn.shape[1]!;
    const T = layout.maxLen;
    const whhT = tf.transpose(whhIn as T2); // [H, 4H]
    const xs = splitPacked(xpIn as T2, layout, []);
    let h = h0In as T2;
    let c = c0In as T2;
    const ys: T2[] = [];
    const hRet: T2[] = [];
    const cRet: T2[] = [];
    const keep: tf.Tensor[] = [whhIn];
    for (let t = 0; t < T; t++) {
      const n = layout.batchSizes[t];
      const hp = rows(h, 0, n);
      const cp = rows(c, 0, n);
      const pre = tf.add(xs[t], tf.matMul(hp, whhT)); // [n, 4H]
      const sig = tf.sigmoid(cols(pre, 0, 3 * H)); // i, f, o
      const g = tf.tanh(cols(pre, 3 * H, H));
      const [i, f, o] = splitCols(sig, 3);
      c = tf.add(tf.mul(f, cp), tf.mul(i, g));
      const tc = tf.tanh(c);
      h = tf.mul(o, tc);
      ys.push(h);
      const next = nextSize(layout, t);
      if (next < n) {
        hRet.push(rows(h, next, n - next));
        cRet.push(rows(c, next, n - next));
      }
      keep.push(hp, cp, sig, g, tc);
    }
    save(keep);
    const value = tf.concat([...ys, ...hRet.reverse(), ...cRet.reverse()], 0);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const B = layout.batch;
        const whhS = saved[0] as T2;
        const dys = splitPacked(dy as T2, layout, [B, B]);
        const dhN = dys[T];
        const dcN = dys[T + 1];
        let dh: T2 | null = null;
        let dc: T2 | null = null;
        const dGates: T2[] = new Array(T);
        const hps: T2[] = new Array(T);
        for (let t = T - 1; t >= 0; t--) {
          const n = layout.batchSizes[t];
          const next = nextSize(layout, t);
          const [hp, cp, sig, g, tc] = saved.slice(1 + 5 * t, 6 + 5 * t) as T2[];
          hps[t] = hp;
          const dht: T2 = tf.add(dys[t], carry(dh, dhN, next, n));
          const dcc: T2 = carry(dc, dcN, next, n);
          const [i, f, o] = splitCols(sig, 3);
          const dO: T2 = tf.mul(dht, tc);
          const dct: T2 = tf.add(dcc, tf.mul(tf.mul(dht, o), tf.sub(1, tf.square(tc))));
          const dI: T2 = tf.mul(dct, g);
          const dF: T2 = tf.mul(dct, cp);
          const dG: T2 = tf.mul(dct, i);
          dc = tf.mul(dct, f);
          const dSig: T2 = tf.mul(tf.concat([dI, dF, dO], 1), tf.mul(sig, tf.sub(1, sig)));
          const dGpre: T2 = tf.mul(dG, tf.sub(1, tf.square(g)));
          const dg: T2 = tf.concat([dSig, dGpre], 1); // [n, 4H]
          dGates[t] = dg;
          dh = tf.matMul(dg, whhS); // [n, H]
        }
        const dXp = tf.concat(dGates, 0);
        const dWhh = tf.transpose(tf.matMul(tf.transpose(tf.concat(hps, 0)), dXp));
        return [dXp, dWhh, dh as T2, dc as T2];
      },
    };
  });
  return op(xp, whh, h0, c0) as T2;
}

/**
 * GRU over a packed batch (PyTorch's equations: n = tanh(x_n + r ⊙ (W_hn h + b_hn))).
 * xp [N, 3H] (r,z,n; holds b_ih and b_hr, b_hz), whh [3H, H], bhn [1, H], h0 [B, H] sorted.
 */
export function gruSequence(layout: PackedLayout, xp: T2, whh: T2, bhn: T2, h0: T2): T2 {
  const op = customOp(([xpIn, whhIn, bhnIn, h0In], save) => {
    const H = whhIn.shape[1]!;
    const T = layout.maxLen;
    const whhT = tf.transpose(whhIn as T2); // [H, 3H]
    const xs = splitPacked(xpIn as T2, layout, []);
    let h = h0In as T2;
    const ys: T2[] = [];
    const hRet: T2[] = [];
    const keep: tf.Tensor[] = [whhIn];
    for (let t = 0; t < T; t++) {
      const n = layout.batchSizes[t];
      const hp = rows(h, 0, n);
      const hh = tf.matMul(hp, whhT); // [n, 3H]
      const x = xs[t];
      const rz = tf.sigmoid(tf.add(cols(x, 0, 2 * H), cols(hh, 0, 2 * H)));
      const hn = tf.add(cols(hh, 2 * H, H), bhnIn); // W_hn h + b_hn
      const [r, z] = splitCols(rz, 2);
      const nn = tf.tanh(tf.add(cols(x, 2 * H, H), tf.mul(r, hn)));
      h = tf.add(nn, tf.mul(z, tf.sub(hp, nn))); // (1 - z) n + z h
      ys.push(h);
      const next = nextSize(layout, t);
      if (next < n) hRet.push(rows(h, next, n - next));
      keep.push(hp, rz, hn, nn);
    }
    save(keep);
    const value = tf.concat([...ys, ...hRet.reverse()], 0);
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const B = layout.batch;
        const whhS = saved[0] as T2;
        const dys = splitPacked(dy as T2, layout, [B]);
        const dhN = dys[T];
        let dh: T2 | null = null;
        const dXs: T2[] = new Array(T);
        const dHs: T2[] = new Array(T);
        const hps: T2[] = new Array(T);
        for (let t = T - 1; t >= 0; t--) {
          const n = layout.batchSizes[t];
          const next = nextSize(layout, t);
          const [hp, rz, hn, nn] = saved.slice(1 + 4 * t, 5 + 4 * t) as T2[];
          hps[t] = hp;
          const dht: T2 = tf.add(dys[t], carry(dh, dhN, next, n));
          const [r, z] = splitCols(rz, 2);
          const dN: T2 = tf.mul(tf.mul(dht, tf.sub(1, z)), tf.sub(1, tf.square(nn))); // pre-tanh
          const dZ: T2 = tf.mul(dht, tf.sub(hp, nn));
          const dR: T2 = tf.mul(dN, hn);
          const dHn: T2 = tf.mul(dN, r);
          const dRZ: T2 = tf.mul(tf.concat([dR, dZ], 1), tf.mul(rz, tf.sub(1, rz)));
          dXs[t] = tf.concat([dRZ, dN], 1);
          const dHh: T2 = tf.concat([dRZ, dHn], 1);
          dHs[t] = dHh;
          dh = tf.add(tf.mul(dht, z), tf.matMul(dHh, whhS));
        }
        const dXp = tf.concat(dXs, 0);
        const dHall = tf.concat(dHs, 0);
        const dWhh = tf.transpose(tf.matMul(tf.transpose(tf.concat(hps, 0)), dHall));
        const dBhn = tf.sum(cols(dHall, 2 * H, H), 0, true);
        return [dXp, dWhh, dBhn, dh as T2];
      },
    };
  });
  return op(xp, whh, bhn, h0) as T2;
}

/** Elman RNN over a packed batch. xp [N, H] (holds both biases), whh [H, H], h0 [B, H] sorted. */
export function rnnSequence(layout: PackedLayout, xp: T2, whh: T2, h0: T2, nonlinearity: 'tanh' | 'relu'): T2 {
  const op = customOp(([xpIn, whhIn, h0In], save) => {
    const T = layout.maxLen;
    const whhT = tf.transpose(whhIn as T2);
    const xs = splitPacked(xpIn as T2, layout, []);
    let h = h0In as T2;
    const ys: T2[] = [];
    const hRet: T2[] = [];
    const keep: tf.Tensor[] = [whhIn];
    for (let t = 0; t < T; t++) {
      const n = layout.batchSizes[t];
      const hp = rows(h, 0, n);
      const pre = tf.add(xs[t], tf.matMul(hp, whhT));
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
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const B = layout.batch;
        const whhS = saved[0] as T2;
        const dys = splitPacked(dy as T2, layout, [B]);
        const dhN = dys[T];
        let dh: T2 | null = null;
        const dPre: T2[] = new Array(T);
        const hps: T2[] = new Array(T);
        for (let t = T - 1; t >= 0; t--) {
          const n = layout.batchSizes[t];
          const next = nextSize(layout, t);
          const [hp, ht] = saved.slice(1 + 2 * t, 3 + 2 * t) as T2[];
          hps[t] = hp;
          const dht: T2 = tf.add(dys[t], carry(dh, dhN, next, n));
          const dp =
            nonlinearity === 'tanh'
              ? tf.mul(dht, tf.sub(1, tf.square(ht)))
              : tf.mul(dht, tf.cast(tf.greater(ht, 0), 'float32'));
          dPre[t] = dp;
          dh = tf.matMul(dp, whhS);
        }
        const dXp = tf.concat(dPre, 0);
        const dWhh = tf.transpose(tf.matMul(tf.transpose(tf.concat(hps, 0)), dXp));
        return [dXp, dWhh, dh as T2];
      },
    };
  });
  return op(xp, whh, h0) as T2;
}
