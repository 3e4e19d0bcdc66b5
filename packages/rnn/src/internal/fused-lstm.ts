/**
 * The LSTM recurrence with a fused step kernel (`lstm-simd.wat`, WebAssembly SIMD): per time step
 * ONE tfjs matmul (h · [W_hi; W_hf; W_hg; W_ho]ᵀ, all four gates at once) and one kernel call for
 * the gates, non-linearities and state update; backward likewise one kernel call and one matmul
 * per step. The state, the saved activations and the gradients stay in typed arrays between steps
 * instead of ~15 tfjs ops (and tensors) per step forward and ~25 backward.
 *
 * Same inputs, outputs and gradients as `lstmSequence`'s op path in kernels.ts (packed, sorted
 * layout; value [N + 2B, H]). Used on the wasm backend when H is a multiple of 4.
 *
 * When no gradient is recorded, `sequenceInference` (below) runs a whole layer-direction without any
 * tfjs op per step: core's SIMD matmul kernel is instantiated on this kernel's memory, so the
 * recurrent product, the gates and the state stay in one WebAssembly memory for the whole sequence.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  batchMatMul,
  matmulKernelOn,
  poolThreads,
  poolKernel,
  poolMatmulFunctions,
  poolRun,
  splitRange,
  withPoolMemory,
  type PoolCall,
  type PoolFunction,
  type PoolMatmulFunctions,
} from '@wordloom/core';
import { LSTM_SIMD_SHARED_WASM_BASE64 } from './lstm-simd-shared-wasm.js';
import { LSTM_SIMD_WASM_BASE64 } from './lstm-simd-wasm.js';
import type { PackedLayout } from './packing.js';

interface LstmExports {
  lstmForward: (...ptrsAndSizes: number[]) => void; // x, bias, g, cPrev, h, c, s, n, H, xs
  lstmBackward: (...ptrsAndSizes: number[]) => void; // s, cPrev, dy, dh, dc, dpre, dx, dcPrev, n, H, xs
  gruForward: (...ptrsAndSizes: number[]) => void; // x, bias, bhn, g, hPrev, h, s, n, H, xs
  gruBackward: (...ptrsAndSizes: number[]) => void; // s, hPrev, dy, dhA, dhB, dpre, dx, dhn, dhz, n, H, xs
  lstmInfer: (...ptrsAndSizes: number[]) => void; // x, xs, bias, g, ldg, c, h, n, H
  gruInfer: (...ptrsAndSizes: number[]) => void; // x, xs, bias, bhn, g, ldg, hPrev, h, n, H
}

let state: { memory: WebAssembly.Memory; ex: LstmExports } | null | undefined;

/**
 * How often each fused path ran (tests check that the kernel path, not a fallback, was taken —
 * also in Chromium; see packages/core/test/kernels-browser.test.ts).
 */
export const fusedCalls = { step: 0, sequence: 0, pooled: 0 };

function kernel(): { memory: WebAssembly.Memory; ex: LstmExports } | null {
  if (state !== undefined) return state;
  try {
    const bin = atob(LSTM_SIMD_WASM_BASE64);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    if (!WebAssembly.validate(bytes)) {
      state = null;
      return state;
    }
    const memory = new WebAssembly.Memory({ initial: 16 });
    const mod = new WebAssembly.Module(bytes); // 1.3 kB: fine for synchronous compilation
    state = { memory, ex: new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as LstmExports };
  } catch {
    state = null;
  }
  return state;
}

/** Whether the fused kernel can run for hidden size H (WebAssembly SIMD present, H % 4 = 0). */
export function fusedLstmAvailable(H: number): boolean {
  return H > 0 && H % 4 === 0 && kernel() !== null;
}

/** The kernel's memory as floats, at least `floats` long. */
function heap(floats: number): { f: Float32Array; ex: LstmExports } {
  const k = kernel();
  if (!k) throw new Error('LSTM: this engine has no WebAssembly SIMD for the fused kernel');
  const bytes = 4 * floats;
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  return { f: new Float32Array(k.memory.buffer), ex: k.ex };
}

type T2 = tf.Tensor;

/** What tfjs-backend-wasm keeps of a tensor (internal API, checked at every use). */
interface WasmBackendInternals {
  dataIdMap?: { get(id: object): { memoryOffset?: number | null; dtype?: string } | undefined };
  wasm?: { HEAPU8?: Uint8Array };
}

/**
 * A float32 tensor's values: on the wasm backend a view of its bytes in the backend's heap, to be
 * read before the next tfjs call (which could grow or reuse that memory) — it saves `dataSync`'s
 * copy; elsewhere, or if the backend's internals are not as expected, `dataSync()`.
 */
function values(t: T2): Float32Array {
  if (tf.getBackend() === 'wasm') {
    const be = tf.backend() as unknown as WasmBackendInternals;
    const d = be.dataIdMap?.get(t.dataId);
    const heap = be.wasm?.HEAPU8;
    if (d && d.dtype === 'float32' && typeof d.memoryOffset === 'number' && heap && d.memoryOffset % 4 === 0) {
      if (d.memoryOffset + 4 * t.size <= heap.byteLength) return new Float32Array(heap.buffer, d.memoryOffset, t.size);
    }
  }
  return t.dataSync() as Float32Array;
}

/**
 * Body of the LSTM custom op (inputs as in kernels.ts's lstmSequence: x_i, x_f, x_g, x_o [N, H],
 * W_hi…W_ho [H, H], bias [4H], h0, c0 [B, H] sorted).
 */
export function fusedLstm(
  layout: PackedLayout,
  inputs: T2[],
  save: tf.GradSaveFunc,
): { value: T2; gradFunc: (dy: T2, saved: T2[]) => T2[] } {
  const pooled = pooledStepThreads(layout.batch, inputs[9].shape[1]!, 4);
  if (pooled >= 2) return pooledLstm(layout, inputs, save, pooled);
  const [xi, xf, xg, xo, wi, wf, wg, wo, b, h0In, c0In] = inputs;
  const H = h0In.shape[1]!;
  const H4 = 4 * H;
  const N = layout.total;
  const B = layout.batch;
  const T = layout.maxLen;
  const sizes = layout.batchSizes;
  const offsets = layout.offsets;
  // the four input projections [N, H] (step t's rows are the contiguous block offsets[t]…) and bias
  const X = [xi, xf, xg, xo].map((x) => (x.dataSync() as Float32Array).slice());
  const bias = (b.dataSync() as Float32Array).slice();
  const h = (h0In.dataSync() as Float32Array).slice();
  const c = (c0In.dataSync() as Float32Array).slice();
  const S = new Float32Array(N * 5 * H); // saved i, f, g, o, tanh c per packed row
  const Hp = new Float32Array(N * H); // h entering each packed row's step
  const Cp = new Float32Array(N * H); // c entering it
  const value = new Float32Array((N + 2 * B) * H);
  fusedCalls.step++;
  const WcatT = tf.tidy(() => tf.transpose(tf.concat([wi, wf, wg, wo], 0))); // [H, 4H]
  for (let t = 0; t < T; t++) {
    const n = sizes[t];
    const off = offsets[t];
    const G = tf.tidy(() => tf.matMul(tf.tensor2d(h.subarray(0, n * H), [n, H]), WcatT));
    Hp.set(h.subarray(0, n * H), off * H);
    Cp.set(c.subarray(0, n * H), off * H);
    // kernel memory: x (4 blocks [n, H]) | g [n, 4H] | cPrev, h, c [n, H] | saved [n, 5H] | bias [4H]
    const nH = n * H;
    const [ax, ag, ac, ah, acn, as, ab] = [0, 4 * nH, 8 * nH, 9 * nH, 10 * nH, 11 * nH, 16 * nH];
    const { f, ex } = heap(16 * nH + H4);
    for (let k = 0; k < 4; k++) f.set(X[k].subarray(off * H, off * H + nH), ax + k * nH);
    f.set(values(G), ag);
    G.dispose();
    f.set(c.subarray(0, nH), ac);
    f.set(bias, ab);
    ex.lstmForward(4 * ax, 4 * ab, 4 * ag, 4 * ac, 4 * ah, 4 * acn, 4 * as, n, H, 4 * nH);
    h.set(f.subarray(ah, ah + nH));
    c.set(f.subarray(acn, acn + nH));
    S.set(f.subarray(as, as + 5 * nH), off * 5 * H);
    value.set(f.subarray(ah, ah + nH), off * H);
    // sequences ending at this step: their final h and c, by sorted slot
    const next = t + 1 < T ? sizes[t + 1] : 0;
    for (let r = next; r < n; r++) {
      value.set(h.subarray(r * H, (r + 1) * H), (N + r) * H);
      value.set(c.subarray(r * H, (r + 1) * H), (N + B + r) * H);
    }
  }
  WcatT.dispose();
  save([wi, wf, wg, wo]);
  return {
    value: tf.tensor2d(value, [N + 2 * B, H]),
    gradFunc: (dy: T2, saved: T2[]) => {
      const dyv = dy.dataSync() as Float32Array;
      const Wcat = tf.concat(saved.slice(0, 4), 0); // [4H, H]
      const dPre = new Float32Array(N * H4); // gates side by side, for dW
      const dX = [0, 1, 2, 3].map(() => new Float32Array(N * H));
      let dhMat: Float32Array = new Float32Array(0); // d(pre)_{t+1} · Wcat: gradient into h of step t's rows < next
      const dcCarry = new Float32Array(B * H);
      for (let t = T - 1; t >= 0; t--) {
        const n = sizes[t];
        const off = offsets[t];
        const next = t + 1 < T ? sizes[t + 1] : 0;
        const nH = n * H;
        const xH = next * H;
        // kernel memory: saved [n, 5H] | cPrev, dy, dh, dc [n, H] | dpre [n, 4H] | dx 4 × [n, H] | dcPrev [n, H]
        const [as, acp, ady, adh, adc, adp, adx, adcp] = [0, 5, 6, 7, 8, 9, 13, 17].map((m) => m * nH);
        const { f, ex } = heap(18 * nH);
        f.set(S.subarray(off * 5 * H, (off + n) * 5 * H), as);
        f.set(Cp.subarray(off * H, (off + n) * H), acp);
        f.set(dyv.subarray(off * H, off * H + nH), ady);
        // carried into rows < next from step t + 1; rows next… end here and get the final-state gradients
        f.set(dhMat.subarray(0, xH), adh);
        f.set(dyv.subarray((N + next) * H, (N + n) * H), adh + xH);
        f.set(dcCarry.subarray(0, xH), adc);
        f.set(dyv.subarray((N + B + next) * H, (N + B + n) * H), adc + xH);
        ex.lstmBackward(4 * as, 4 * acp, 4 * ady, 4 * adh, 4 * adc, 4 * adp, 4 * adx, 4 * adcp, n, H, 4 * nH);
        dPre.set(f.subarray(adp, adp + 4 * nH), off * H4);
        for (let k = 0; k < 4; k++) dX[k].set(f.subarray(adx + k * nH, adx + (k + 1) * nH), off * H);
        dcCarry.set(f.subarray(adcp, adcp + nH));
        const D = tf.tidy(() => tf.matMul(tf.tensor2d(f.slice(adp, adp + 4 * nH), [n, H4]), Wcat));
        dhMat = values(D).slice();
        D.dispose();
      }
      Wcat.dispose();
      // bias = column sums of d(pre); dW = d(pre)ᵀ · Hp, one product split by rows into the gates
      return tf.tidy(() => {
        const dP = tf.tensor2d(dPre, [N, H4]);
        const dW = tf.split(batchMatMul(dP, tf.tensor2d(Hp, [N, H]), { transposeA: true }), 4, 0);
        return [
          ...dX.map((d) => tf.tensor2d(d, [N, H])),
          ...dW,
          tf.sum(dP, 0),
          tf.tensor2d(dhMat, [B, H]),
          tf.tensor2d(dcCarry, [B, H]),
        ];
      });
    },
  };
}

/**
 * Body of the GRU custom op (inputs as in kernels.ts's gruSequence: x_r, x_z, x_n [N, H],
 * W_hr, W_hz, W_hn [H, H], bias [3H] = b_ih + (b_hr, b_hz, 0), b_hn [H], h0 [B, H] sorted).
 * Per step one matmul h · [W_hr; W_hz; W_hn]ᵀ and one kernel call; value [N + B, H].
 */
export function fusedGru(
  layout: PackedLayout,
  inputs: T2[],
  save: tf.GradSaveFunc,
): { value: T2; gradFunc: (dy: T2, saved: T2[]) => T2[] } {
  const pooled = pooledStepThreads(layout.batch, inputs[8].shape[1]!, 3);
  if (pooled >= 2) return pooledGru(layout, inputs, save, pooled);
  const [xr, xz, xn, wr, wz, wn, b, bhnIn, h0In] = inputs;
  const H = h0In.shape[1]!;
  const H3 = 3 * H;
  const N = layout.total;
  const B = layout.batch;
  const T = layout.maxLen;
  const sizes = layout.batchSizes;
  const offsets = layout.offsets;
  const X = [xr, xz, xn].map((x) => (x.dataSync() as Float32Array).slice());
  const bias = (b.dataSync() as Float32Array).slice();
  const bhn = (bhnIn.dataSync() as Float32Array).slice();
  const h = (h0In.dataSync() as Float32Array).slice();
  const S = new Float32Array(N * 4 * H); // saved r, z, hn, n per packed row
  const Hp = new Float32Array(N * H);
  const value = new Float32Array((N + B) * H);
  fusedCalls.step++;
  const WcatT = tf.tidy(() => tf.transpose(tf.concat([wr, wz, wn], 0))); // [H, 3H]
  for (let t = 0; t < T; t++) {
    const n = sizes[t];
    const off = offsets[t];
    const nH = n * H;
    const G = tf.tidy(() => tf.matMul(tf.tensor2d(h.subarray(0, nH), [n, H]), WcatT));
    Hp.set(h.subarray(0, nH), off * H);
    // kernel memory: x (3 blocks [n, H]) | g [n, 3H] | hPrev, h [n, H] | saved [n, 4H] | bias [3H] | bhn [H]
    const [ax, ag, ahp, ah, as, ab, abhn] = [0, 3 * nH, 6 * nH, 7 * nH, 8 * nH, 12 * nH, 12 * nH + H3];
    const { f, ex } = heap(12 * nH + 4 * H);
    for (let k = 0; k < 3; k++) f.set(X[k].subarray(off * H, off * H + nH), ax + k * nH);
    f.set(values(G), ag);
    G.dispose();
    f.set(h.subarray(0, nH), ahp);
    f.set(bias, ab);
    f.set(bhn, abhn);
    ex.gruForward(4 * ax, 4 * ab, 4 * abhn, 4 * ag, 4 * ahp, 4 * ah, 4 * as, n, H, 4 * nH);
    h.set(f.subarray(ah, ah + nH));
    S.set(f.subarray(as, as + 4 * nH), off * 4 * H);
    value.set(f.subarray(ah, ah + nH), off * H);
    const next = t + 1 < T ? sizes[t + 1] : 0;
    for (let r = next; r < n; r++) value.set(h.subarray(r * H, (r + 1) * H), (N + r) * H);
  }
  WcatT.dispose();
  save([wr, wz, wn]);
  return {
    value: tf.tensor2d(value, [N + B, H]),
    gradFunc: (dy: T2, saved: T2[]) => {
      const dyv = dy.dataSync() as Float32Array;
      const Wcat = tf.concat(saved.slice(0, 3), 0); // [3H, H]
      const dPre = new Float32Array(N * H3); // (pr, pz, dHn) side by side, for dW
      const dX = [0, 1, 2].map(() => new Float32Array(N * H)); // pr, pz, dN
      const dHnAll = new Float32Array(N * H);
      let dhMat: Float32Array = new Float32Array(0); // d(pre)_{t+1} · Wcat
      const dhz = new Float32Array(B * H); // dh_{t+1} · z_{t+1}: the direct part into h_t
      for (let t = T - 1; t >= 0; t--) {
        const n = sizes[t];
        const off = offsets[t];
        const next = t + 1 < T ? sizes[t + 1] : 0;
        const nH = n * H;
        const xH = next * H;
        // memory: saved [n, 4H] | hPrev, dy, dhA, dhB [n, H] | dpre [n, 3H] | dx 3 × [n, H] | dhn, dhz [n, H]
        const [as, ahp, ady, adA, adB, adp, adx, adhn, adhz] = [0, 4, 5, 6, 7, 8, 11, 14, 15].map((m) => m * nH);
        const { f, ex } = heap(16 * nH);
        f.set(S.subarray(off * 4 * H, (off + n) * 4 * H), as);
        f.set(Hp.subarray(off * H, off * H + nH), ahp);
        f.set(dyv.subarray(off * H, off * H + nH), ady);
        // rows < next: carried from step t + 1 (matmul part, direct part); rows next…: final-state gradient
        f.set(dhMat.subarray(0, xH), adA);
        f.set(dyv.subarray((N + next) * H, (N + n) * H), adA + xH);
        f.set(dhz.subarray(0, xH), adB);
        f.fill(0, adB + xH, adB + nH);
        ex.gruBackward(4 * as, 4 * ahp, 4 * ady, 4 * adA, 4 * adB, 4 * adp, 4 * adx, 4 * adhn, 4 * adhz, n, H, 4 * nH);
        dPre.set(f.subarray(adp, adp + 3 * nH), off * H3);
        for (let k = 0; k < 3; k++) dX[k].set(f.subarray(adx + k * nH, adx + (k + 1) * nH), off * H);
        dHnAll.set(f.subarray(adhn, adhn + nH), off * H);
        dhz.set(f.subarray(adhz, adhz + nH));
        const D = tf.tidy(() => tf.matMul(tf.tensor2d(f.slice(adp, adp + 3 * nH), [n, H3]), Wcat));
        dhMat = values(D).slice();
        D.dispose();
      }
      Wcat.dispose();
      const dh0 = new Float32Array(B * H);
      for (let i = 0; i < B * H; i++) dh0[i] = dhMat[i] + dhz[i];
      return tf.tidy(() => {
        const dW = tf.split(
          batchMatMul(tf.tensor2d(dPre, [N, H3]), tf.tensor2d(Hp, [N, H]), { transposeA: true }),
          3,
          0,
        );
        const dXt = dX.map((d) => tf.tensor2d(d, [N, H]));
        return [
          ...dXt,
          ...dW,
          tf.concat(
            dXt.map((d) => tf.sum(d, 0)),
            0,
          ),
          tf.sum(tf.tensor2d(dHnAll, [N, H]), 0),
          tf.tensor2d(dh0, [B, H]),
        ];
      });
    },
  };
}
/**
 * A whole layer-direction of the LSTM (`cell` 'lstm': inputs as lstmSequence's) or GRU ('gru': as
 * gruSequence's, with `bhn`) when no gradient is needed: the recurrence runs on the kernel's own
 * memory with no tfjs op per step. The input projections (computed before, one big matmul per
 * gate) are copied in once; per step `@wordloom/core`'s SIMD matmul kernel, instantiated on the
 * same memory, packs h and multiplies it by the packed `[W_h·]ᵀ` (packed once), and one
 * `lstmInfer` / `gruInfer` call adds projections and biases, applies the gates and writes h
 * straight into the output rows (which are the next step's h). Returns the same [N + 2B, H]
 * (LSTM) or [N + B, H] (GRU) value as the custom ops.
 *
 * With `@wordloom/core`'s intra-op pool on (two threads or more, a batch of at least 8), the same
 * runs on the pool's shared memory and each step's rows are split across its threads: each
 * thread packs its rows of h, computes their block rows of the product (`bgemmPart`) and their
 * gates — one fork–join per step, bitwise the same result as one thread (every row is computed by
 * the same instructions).
 */
export function sequenceInference(
  cell: 'lstm' | 'gru',
  layout: PackedLayout,
  xs: T2[],
  ws: T2[],
  bias: T2,
  bhn: T2 | null,
  h0: T2,
  c0: T2 | null,
): T2 {
  const H = h0.shape[1]!;
  const B = layout.batch;
  const plan = inferencePlan(cell, layout, H);
  const G = cell === 'lstm' ? 4 : 3;
  const pool = Math.ceil(B / 4) >= 2 && B * H * G * H >= pooledStepMinMacs ? poolKernels() : null;
  const threads = pool ? Math.min(poolThreads(), Math.ceil(B / 4)) : 1;
  if (pool && threads >= 2) {
    const value = withPoolMemory(4 * plan.end, (f) => {
      const { mm, lstmInfer, gruInfer } = pool;
      fillInference(plan, f, xs, ws, bias, bhn, h0, c0);
      mm.packB.local(4 * plan.aW, 4 * plan.aWp, 1, H, plan.GH, 1, H);
      runInference(plan, layout, f, (hPrev, hOut, off, n) => {
        const units = Math.ceil(n / 4);
        const job: PoolCall[][] = splitRange(units, Math.min(threads, units)).map(([u0, u1]) => {
          const r0 = 4 * u0;
          const rows = Math.min(n, 4 * u1) - r0;
          const x = plan.aX + (off + r0) * H;
          return [
            { fn: mm.packA, args: [4 * (hPrev + r0 * H), 4 * (plan.aAp + r0 * H), 1, rows, H, H, 1] },
            { fn: mm.bgemmPart, args: [4 * plan.aAp, 4 * plan.aWp, 4 * plan.aG, units, plan.N8, H, u0, u1] },
            cell === 'lstm'
              ? {
                  fn: lstmInfer,
                  args: [
                    4 * x,
                    4 * plan.N * H,
                    4 * plan.aBias,
                    4 * (plan.aG + r0 * plan.ldg),
                    4 * plan.ldg,
                    4 * (plan.aC + r0 * H),
                    4 * (hOut + r0 * H),
                    rows,
                    H,
                  ],
                }
              : {
                  fn: gruInfer,
                  args: [
                    4 * x,
                    4 * plan.N * H,
                    4 * plan.aBias,
                    4 * plan.aBhn,
                    4 * (plan.aG + r0 * plan.ldg),
                    4 * plan.ldg,
                    4 * (hPrev + r0 * H),
                    4 * (hOut + r0 * H),
                    rows,
                    H,
                  ],
                },
          ];
        });
        poolRun(job);
      });
      return f.slice(plan.aOut, plan.aOut + plan.rowsOut * H);
    });
    fusedCalls.sequence++;
    fusedCalls.pooled++;
    return tf.tensor2d(value, [plan.rowsOut, H]);
  }
  const k = kernel();
  const mm = k ? matmulKernelOn(k.memory) : null;
  if (!k || !mm) throw new Error(`${cell}: this engine has no WebAssembly SIMD for the fused kernel`);
  const { f, ex } = heap(plan.end);
  fillInference(plan, f, xs, ws, bias, bhn, h0, c0);
  // B = [W_h·]ᵀ [H, G·H]: element (k, j) is W[j, k], at j·H + k of the stored matrix
  mm.packB(4 * plan.aW, 4 * plan.aWp, 1, H, plan.GH, 1, H);
  const { N, ldg, N8 } = plan;
  runInference(plan, layout, f, (hPrev, hOut, off, n) => {
    mm.packA(4 * hPrev, 4 * plan.aAp, 1, n, H, H, 1);
    mm.bgemm(4 * plan.aAp, 4 * plan.aWp, 4 * plan.aG, 1, Math.ceil(n / 4), N8, H);
    const x = 4 * (plan.aX + off * H);
    if (cell === 'lstm') ex.lstmInfer(x, 4 * N * H, 4 * plan.aBias, 4 * plan.aG, 4 * ldg, 4 * plan.aC, 4 * hOut, n, H);
    else ex.gruInfer(x, 4 * N * H, 4 * plan.aBias, 4 * plan.aBhn, 4 * plan.aG, 4 * ldg, 4 * hPrev, 4 * hOut, n, H);
  });
  fusedCalls.sequence++;
  return tf.tensor2d(f.slice(plan.aOut, plan.aOut + plan.rowsOut * H), [plan.rowsOut, H]);
}

/** Memory plan of the whole-sequence inference (float offsets, each block 16-byte aligned). */
interface InferencePlan {
  cell: 'lstm' | 'gru';
  G: number;
  H: number;
  GH: number;
  N: number;
  B: number;
  N8: number;
  /** floats per row of the padded product */
  ldg: number;
  rowsOut: number;
  aX: number;
  aW: number;
  aWp: number;
  aAp: number;
  aG: number;
  aBias: number;
  aBhn: number;
  aH0: number;
  aC: number;
  aOut: number;
  end: number;
}

function inferencePlan(cell: 'lstm' | 'gru', layout: PackedLayout, H: number): InferencePlan {
  const G = cell === 'lstm' ? 4 : 3;
  const GH = G * H;
  const N = layout.total;
  const B = layout.batch;
  const N8 = Math.ceil(GH / 8);
  const ldg = 8 * N8;
  let end = 0;
  const take = (floats: number): number => {
    const at = end;
    end += Math.ceil(floats / 4) * 4;
    return at;
  };
  const aX = take(G * N * H); // gate k's [N, H] input projections at aX + k·N·H
  const aW = take(GH * H); // [W_h·] as PyTorch stores it, [G·H, H]
  const aWp = take(ldg * H); // its transpose in the matmul kernel's B panels
  const aAp = take(4 * Math.ceil(B / 4) * H); // A panels of h
  const aG = take(4 * Math.ceil(B / 4) * ldg); // h · [W_h·]ᵀ
  const aBias = take(GH);
  const aBhn = take(H);
  const aH0 = take(B * H);
  const aC = take(B * H); // the LSTM's c, updated in place
  const rowsOut = N + (cell === 'lstm' ? 2 : 1) * B;
  const aOut = take(rowsOut * H);
  return { cell, G, H, GH, N, B, N8, ldg, rowsOut, aX, aW, aWp, aAp, aG, aBias, aBhn, aH0, aC, aOut, end };
}

/** Copies the inputs into the kernel memory `f` as `plan` lays them out. */
function fillInference(
  plan: InferencePlan,
  f: Float32Array,
  xs: T2[],
  ws: T2[],
  bias: T2,
  bhn: T2 | null,
  h0: T2,
  c0: T2 | null,
): void {
  const { G, N, H } = plan;
  for (let g = 0; g < G; g++) f.set(values(xs[g]), plan.aX + g * N * H);
  for (let g = 0; g < G; g++) f.set(values(ws[g]), plan.aW + g * H * H);
  f.set(values(bias), plan.aBias);
  if (bhn) f.set(values(bhn), plan.aBhn);
  f.set(values(h0), plan.aH0);
  if (c0) f.set(values(c0), plan.aC);
}

/** The time loop: `step(hPrev, hOut, off, n)` computes step t's n rows; then the retiring sequences' final states are copied. */
function runInference(
  plan: InferencePlan,
  layout: PackedLayout,
  f: Float32Array,
  step: (hPrev: number, hOut: number, off: number, n: number) => void,
): void {
  const { H, N, B, aOut, aC } = plan;
  const T = layout.maxLen;
  const sizes = layout.batchSizes;
  const offsets = layout.offsets;
  for (let t = 0; t < T; t++) {
    const n = sizes[t];
    const off = offsets[t];
    // h entering step t: its n rows are the first rows of step t − 1's outputs (sorted, packed)
    const hPrev = t === 0 ? plan.aH0 : aOut + offsets[t - 1] * H;
    const hOut = aOut + off * H;
    step(hPrev, hOut, off, n);
    // sequences ending at this step: their final h (and c), by sorted slot
    const next = t + 1 < T ? sizes[t + 1] : 0;
    for (let r = next; r < n; r++) {
      f.copyWithin(aOut + (N + r) * H, hOut + r * H, hOut + (r + 1) * H);
      if (plan.cell === 'lstm') f.copyWithin(aOut + (N + B + r) * H, aC + r * H, aC + (r + 1) * H);
    }
  }
}

type PoolFns = { mm: PoolMatmulFunctions } & Record<
  'lstmInfer' | 'gruInfer' | 'lstmForward' | 'lstmBackward' | 'gruForward' | 'gruBackward',
  PoolFunction
>;

let poolFns: PoolFns | null | undefined;

/**
 * The matmul and LSTM/GRU kernels in `@wordloom/core`'s intra-op pool (the shared-memory copy of
 * lstm-simd.wat), or null when the pool has no shared memory here (threads off or unavailable).
 */
export function poolKernels(): PoolFns | null {
  if (poolFns) return poolFns;
  const mm = poolMatmulFunctions();
  const lstm = mm ? poolKernel('lstm', LSTM_SIMD_SHARED_WASM_BASE64) : null;
  if (!mm || !lstm) return null;
  const names = ['lstmInfer', 'gruInfer', 'lstmForward', 'lstmBackward', 'gruForward', 'gruBackward'] as const;
  const fns: Partial<PoolFns> = { mm };
  for (const name of names) {
    const f = lstm.get(name);
    if (!f) return null;
    fns[name] = f;
  }
  poolFns = fns as PoolFns;
  return poolFns;
}

let pooledStepMinMacs = 1 << 18;

/**
 * Sets the size (B·H·G·H multiply-adds of one step's recurrent product, G = 4 for the LSTM, 3 for
 * the GRU) from which the training step kernels run on the intra-op pool; tests use 0. Returns
 * the previous value.
 */
export function setPooledStepThreshold(macs: number): number {
  const prev = pooledStepMinMacs;
  pooledStepMinMacs = macs;
  return prev;
}

/** Threads the pooled training step would use for batch B, hidden H (1 = the step kernel above). */
function pooledStepThreads(B: number, H: number, G: number): number {
  if (H % 8 !== 0 || Math.ceil(B / 4) < 2 || B * H * G * H < pooledStepMinMacs) return 1;
  if (!poolKernels()) return 1;
  return Math.min(poolThreads(), Math.ceil(B / 4));
}

/** A bump allocator of 64-byte aligned float blocks. */
function planner(): { take: (floats: number) => number; end: () => number } {
  let end = 0;
  return {
    take: (floats) => {
      const at = end;
      end += Math.ceil(floats / 16) * 16;
      return at;
    },
    end: () => end,
  };
}

/** Each thread's rows of a step with n rows: units of 4 rows (the matmul kernel's row panels). */
function stepParts(n: number, threads: number): Array<{ u0: number; u1: number; r0: number; rows: number }> {
  const units = Math.ceil(n / 4);
  return splitRange(units, Math.min(threads, units)).map(([u0, u1]) => ({
    u0,
    u1,
    r0: 4 * u0,
    rows: Math.min(n, 4 * u1) - 4 * u0,
  }));
}

/**
 * The LSTM's training op on the intra-op pool: forward and backward stay in the pool's shared
 * memory for the whole sequence, and each step is ONE fork–join in which every thread takes a
 * range of the step's rows — packs its rows of h, computes their block rows of h·[W_h·]ᵀ
 * (`bgemmPart`, the weights packed once) and runs `lstmForward` on them; backward likewise
 * `lstmBackward`, then its rows of d(pre)·W_cat for the next step. No tfjs op per step. Same value
 * and gradients as {@link fusedLstm} within float32 rounding (the recurrent products are our
 * kernel's instead of XNNPACK's); needs H % 8 = 0.
 */
function pooledLstm(
  layout: PackedLayout,
  inputs: T2[],
  save: tf.GradSaveFunc,
  threads: number,
): { value: T2; gradFunc: (dy: T2, saved: T2[]) => T2[] } {
  const P = poolKernels()!;
  const { mm } = P;
  const [xi, xf, xg, xo, wi, wf, wg, wo, b, h0In, c0In] = inputs;
  const H = h0In.shape[1]!;
  const H4 = 4 * H;
  const N = layout.total;
  const B = layout.batch;
  const T = layout.maxLen;
  const sizes = layout.batchSizes;
  const offsets = layout.offsets;
  const B4 = 4 * Math.ceil(B / 4);
  fusedCalls.step++;
  fusedCalls.pooled++;
  const p = planner();
  const [aX, aW, aWp, aAp, aG, aBias, aH0, aC0, aHall, aCall, aS] = [
    4 * N * H,
    H4 * H,
    H4 * H,
    B4 * H,
    B4 * H4,
    H4,
    B * H,
    B * H,
    N * H,
    N * H,
    N * 5 * H,
  ].map((n) => p.take(n));
  const fwd = withPoolMemory(4 * p.end(), (f) => {
    [xi, xf, xg, xo].forEach((x, k) => f.set(values(x), aX + k * N * H));
    [wi, wf, wg, wo].forEach((w, k) => f.set(values(w), aW + k * H * H));
    f.set(values(b), aBias);
    f.set(values(h0In), aH0);
    f.set(values(c0In), aC0);
    // B = [W_h·]ᵀ [H, 4H]: element (k, j) is W[j, k]
    mm.packB.local(4 * aW, 4 * aWp, 1, H, H4, 1, H);
    for (let t = 0; t < T; t++) {
      const n = sizes[t];
      const off = offsets[t];
      const hPrev = t === 0 ? aH0 : aHall + offsets[t - 1] * H;
      const cPrev = t === 0 ? aC0 : aCall + offsets[t - 1] * H;
      const units = Math.ceil(n / 4);
      poolRun(
        stepParts(n, threads).map(({ u0, u1, r0, rows }) => [
          { fn: mm.packA, args: [4 * (hPrev + r0 * H), 4 * (aAp + r0 * H), 1, rows, H, H, 1] },
          { fn: mm.bgemmPart, args: [4 * aAp, 4 * aWp, 4 * aG, units, H4 / 8, H, u0, u1] },
          {
            fn: P.lstmForward,
            args: [
              4 * (aX + (off + r0) * H),
              4 * aBias,
              4 * (aG + r0 * H4),
              4 * (cPrev + r0 * H),
              4 * (aHall + (off + r0) * H),
              4 * (aCall + (off + r0) * H),
              4 * (aS + (off + r0) * 5 * H),
              rows,
              H,
              4 * N * H,
            ],
          },
        ]),
      );
    }
    return {
      S: f.slice(aS, aS + N * 5 * H),
      Hall: f.slice(aHall, aHall + N * H),
      Call: f.slice(aCall, aCall + N * H),
      h0: f.slice(aH0, aH0 + B * H),
      c0: f.slice(aC0, aC0 + B * H),
    };
  });
  const { S, Hall, Call, h0, c0 } = fwd;
  const value = new Float32Array((N + 2 * B) * H);
  value.set(Hall);
  const Hp = new Float32Array(N * H); // h entering each packed row's step, for dW
  for (let t = 0; t < T; t++) {
    const n = sizes[t];
    const off = offsets[t];
    Hp.set(t === 0 ? h0.subarray(0, n * H) : Hall.subarray(offsets[t - 1] * H, (offsets[t - 1] + n) * H), off * H);
    const next = t + 1 < T ? sizes[t + 1] : 0;
    for (let r = next; r < n; r++) {
      value.set(Hall.subarray((off + r) * H, (off + r + 1) * H), (N + r) * H);
      value.set(Call.subarray((off + r) * H, (off + r + 1) * H), (N + B + r) * H);
    }
  }
  save([wi, wf, wg, wo]);
  return {
    value: tf.tensor2d(value, [N + 2 * B, H]),
    gradFunc: (dy: T2, saved: T2[]) => {
      const dyv = (dy.dataSync() as Float32Array).slice();
      const q = planner();
      const [aS2, aCall2, aC02, aDy, aDh, aDc0, aDc1, aDpre, aDx, aWc, aWcp, aAp2] = [
        N * 5 * H,
        N * H,
        B * H,
        N * H,
        B4 * H,
        B * H,
        B * H,
        N * H4,
        4 * N * H,
        H4 * H,
        H4 * H,
        B4 * H4,
      ].map((n) => q.take(n));
      const aDc = [aDc0, aDc1];
      const out = withPoolMemory(4 * q.end(), (f) => {
        f.set(S, aS2);
        f.set(Call, aCall2);
        f.set(c0, aC02);
        f.set(dyv.subarray(0, N * H), aDy);
        saved.slice(0, 4).forEach((w, k) => f.set(values(w), aWc + k * H * H));
        // B = W_cat [4H, H] as stored
        mm.packB.local(4 * aWc, 4 * aWcp, 1, H4, H, H, 1);
        let cur = 0;
        for (let t = T - 1; t >= 0; t--) {
          const n = sizes[t];
          const off = offsets[t];
          const next = t + 1 < T ? sizes[t + 1] : 0;
          // rows next…: sequences that end at t get the final-state gradients (rows < next were
          // written by step t + 1: its d(pre)·W_cat and dc·f)
          f.set(dyv.subarray((N + next) * H, (N + n) * H), aDh + next * H);
          f.set(dyv.subarray((N + B + next) * H, (N + B + n) * H), aDc[cur] + next * H);
          const cPrev = t === 0 ? aC02 : aCall2 + offsets[t - 1] * H;
          const units = Math.ceil(n / 4);
          poolRun(
            stepParts(n, threads).map(({ u0, u1, r0, rows }) => [
              {
                fn: P.lstmBackward,
                args: [
                  4 * (aS2 + (off + r0) * 5 * H),
                  4 * (cPrev + r0 * H),
                  4 * (aDy + (off + r0) * H),
                  4 * (aDh + r0 * H),
                  4 * (aDc[cur] + r0 * H),
                  4 * (aDpre + (off + r0) * H4),
                  4 * (aDx + (off + r0) * H),
                  4 * (aDc[1 - cur] + r0 * H),
                  rows,
                  H,
                  4 * N * H,
                ],
              },
              { fn: mm.packA, args: [4 * (aDpre + (off + r0) * H4), 4 * (aAp2 + r0 * H4), 1, rows, H4, H4, 1] },
              { fn: mm.bgemmPart, args: [4 * aAp2, 4 * aWcp, 4 * aDh, units, H / 8, H4, u0, u1] },
            ]),
          );
          cur = 1 - cur;
        }
        return {
          dPre: f.slice(aDpre, aDpre + N * H4),
          dX: [0, 1, 2, 3].map((k) => f.slice(aDx + k * N * H, aDx + (k + 1) * N * H)),
          dh0: f.slice(aDh, aDh + B * H),
          dc0: f.slice(aDc[cur], aDc[cur] + B * H),
        };
      });
      return tf.tidy(() => {
        const dP = tf.tensor2d(out.dPre, [N, H4]);
        const dW = tf.split(batchMatMul(dP, tf.tensor2d(Hp, [N, H]), { transposeA: true }), 4, 0);
        return [
          ...out.dX.map((d) => tf.tensor2d(d, [N, H])),
          ...dW,
          tf.sum(dP, 0),
          tf.tensor2d(out.dh0, [B, H]),
          tf.tensor2d(out.dc0, [B, H]),
        ];
      });
    },
  };
}

/**
 * The GRU's training op on the intra-op pool, as {@link pooledLstm}: per step one fork–join of
 * packA + `bgemmPart` + `gruForward` on each thread's rows; backward `gruBackward` + its rows of
 * d(pre)·W_cat. Same value and gradients as {@link fusedGru} within float32 rounding; H % 8 = 0.
 */
function pooledGru(
  layout: PackedLayout,
  inputs: T2[],
  save: tf.GradSaveFunc,
  threads: number,
): { value: T2; gradFunc: (dy: T2, saved: T2[]) => T2[] } {
  const P = poolKernels()!;
  const { mm } = P;
  const [xr, xz, xn, wr, wz, wn, b, bhnIn, h0In] = inputs;
  const H = h0In.shape[1]!;
  const H3 = 3 * H;
  const N = layout.total;
  const B = layout.batch;
  const T = layout.maxLen;
  const sizes = layout.batchSizes;
  const offsets = layout.offsets;
  const B4 = 4 * Math.ceil(B / 4);
  fusedCalls.step++;
  fusedCalls.pooled++;
  const p = planner();
  const [aX, aW, aWp, aAp, aG, aBias, aBhn, aH0, aHall, aS] = [
    3 * N * H,
    H3 * H,
    H3 * H,
    B4 * H,
    B4 * H3,
    H3,
    H,
    B * H,
    N * H,
    N * 4 * H,
  ].map((n) => p.take(n));
  const fwd = withPoolMemory(4 * p.end(), (f) => {
    [xr, xz, xn].forEach((x, k) => f.set(values(x), aX + k * N * H));
    [wr, wz, wn].forEach((w, k) => f.set(values(w), aW + k * H * H));
    f.set(values(b), aBias);
    f.set(values(bhnIn), aBhn);
    f.set(values(h0In), aH0);
    mm.packB.local(4 * aW, 4 * aWp, 1, H, H3, 1, H);
    for (let t = 0; t < T; t++) {
      const n = sizes[t];
      const off = offsets[t];
      const hPrev = t === 0 ? aH0 : aHall + offsets[t - 1] * H;
      const units = Math.ceil(n / 4);
      poolRun(
        stepParts(n, threads).map(({ u0, u1, r0, rows }) => [
          { fn: mm.packA, args: [4 * (hPrev + r0 * H), 4 * (aAp + r0 * H), 1, rows, H, H, 1] },
          { fn: mm.bgemmPart, args: [4 * aAp, 4 * aWp, 4 * aG, units, H3 / 8, H, u0, u1] },
          {
            fn: P.gruForward,
            args: [
              4 * (aX + (off + r0) * H),
              4 * aBias,
              4 * aBhn,
              4 * (aG + r0 * H3),
              4 * (hPrev + r0 * H),
              4 * (aHall + (off + r0) * H),
              4 * (aS + (off + r0) * 4 * H),
              rows,
              H,
              4 * N * H,
            ],
          },
        ]),
      );
    }
    return { S: f.slice(aS, aS + N * 4 * H), Hall: f.slice(aHall, aHall + N * H), h0: f.slice(aH0, aH0 + B * H) };
  });
  const { S, Hall, h0 } = fwd;
  const value = new Float32Array((N + B) * H);
  value.set(Hall);
  const Hp = new Float32Array(N * H);
  for (let t = 0; t < T; t++) {
    const n = sizes[t];
    const off = offsets[t];
    Hp.set(t === 0 ? h0.subarray(0, n * H) : Hall.subarray(offsets[t - 1] * H, (offsets[t - 1] + n) * H), off * H);
    const next = t + 1 < T ? sizes[t + 1] : 0;
    for (let r = next; r < n; r++) value.set(Hall.subarray((off + r) * H, (off + r + 1) * H), (N + r) * H);
  }
  save([wr, wz, wn]);
  return {
    value: tf.tensor2d(value, [N + B, H]),
    gradFunc: (dy: T2, saved: T2[]) => {
      const dyv = (dy.dataSync() as Float32Array).slice();
      const q = planner();
      const [aS2, aHp, aDy, aDhA, aDz0, aDz1, aDpre, aDx, aDhn, aWc, aWcp, aAp2] = [
        N * 4 * H,
        N * H,
        N * H,
        B4 * H,
        B * H,
        B * H,
        N * H3,
        3 * N * H,
        N * H,
        H3 * H,
        H3 * H,
        B4 * H3,
      ].map((n) => q.take(n));
      const aDz = [aDz0, aDz1];
      const out = withPoolMemory(4 * q.end(), (f) => {
        f.set(S, aS2);
        f.set(Hp, aHp);
        f.set(dyv.subarray(0, N * H), aDy);
        saved.slice(0, 3).forEach((w, k) => f.set(values(w), aWc + k * H * H));
        mm.packB.local(4 * aWc, 4 * aWcp, 1, H3, H, H, 1);
        let cur = 0;
        for (let t = T - 1; t >= 0; t--) {
          const n = sizes[t];
          const off = offsets[t];
          const next = t + 1 < T ? sizes[t + 1] : 0;
          // rows next…: the final-state gradient (matmul part) and no direct part
          f.set(dyv.subarray((N + next) * H, (N + n) * H), aDhA + next * H);
          f.fill(0, aDz[cur] + next * H, aDz[cur] + n * H);
          const units = Math.ceil(n / 4);
          poolRun(
            stepParts(n, threads).map(({ u0, u1, r0, rows }) => [
              {
                fn: P.gruBackward,
                args: [
                  4 * (aS2 + (off + r0) * 4 * H),
                  4 * (aHp + (off + r0) * H),
                  4 * (aDy + (off + r0) * H),
                  4 * (aDhA + r0 * H),
                  4 * (aDz[cur] + r0 * H),
                  4 * (aDpre + (off + r0) * H3),
                  4 * (aDx + (off + r0) * H),
                  4 * (aDhn + (off + r0) * H),
                  4 * (aDz[1 - cur] + r0 * H),
                  rows,
                  H,
                  4 * N * H,
                ],
              },
              { fn: mm.packA, args: [4 * (aDpre + (off + r0) * H3), 4 * (aAp2 + r0 * H3), 1, rows, H3, H3, 1] },
              { fn: mm.bgemmPart, args: [4 * aAp2, 4 * aWcp, 4 * aDhA, units, H / 8, H3, u0, u1] },
            ]),
          );
          cur = 1 - cur;
        }
        const dh0 = f.slice(aDhA, aDhA + B * H);
        const dz = f.subarray(aDz[cur], aDz[cur] + B * H);
        for (let i = 0; i < B * H; i++) dh0[i] += dz[i];
        return {
          dPre: f.slice(aDpre, aDpre + N * H3),
          dX: [0, 1, 2].map((k) => f.slice(aDx + k * N * H, aDx + (k + 1) * N * H)),
          dHn: f.slice(aDhn, aDhn + N * H),
          dh0,
        };
      });
      return tf.tidy(() => {
        const dW = tf.split(
          batchMatMul(tf.tensor2d(out.dPre, [N, H3]), tf.tensor2d(Hp, [N, H]), { transposeA: true }),
          3,
          0,
        );
        const dXt = out.dX.map((d) => tf.tensor2d(d, [N, H]));
        return [
          ...dXt,
          ...dW,
          tf.concat(
            dXt.map((d) => tf.sum(d, 0)),
            0,
          ),
          tf.sum(tf.tensor2d(out.dHn, [N, H]), 0),
          tf.tensor2d(out.dh0, [B, H]),
        ];
      });
    },
  };
}
