/**
 * The matmul kernel (`matmul-simd.wat`) split across the intra-op pool's threads (pool.ts).
 *
 * A batched product `op(A[q]) · op(B[q])`, q < batch, is cut into units of 4 rows of one product
 * (the kernel's row panels; unit u = q·⌈M/4⌉ + ib) and each thread takes one contiguous range of
 * units (static scheduling): it packs the A panels of its units, computes their 4 × 8 blocks with
 * `bgemmPart` and copies its rows out — every block by the same instructions as the one-thread
 * `bgemm`, so the product is bitwise the same for any thread count. B's panels are packed first,
 * split the same way by column panels (one join between the two jobs).
 *
 * The operands are copied into the pool's shared memory (tfjs-backend-wasm's heap is not shared),
 * which costs O(M·K + K·N + M·N) against the product's O(M·N·K): worth it only for large products
 * (by default 1 M multiply-adds and up, `setPoolMatMulThreshold`; quiet break-even with XNNPACK
 * ≈ 0.5 M, a gain from ≈ 1 M).
 *
 * On tfjs-backend-wasm, {@link installPooledMatMul} wraps the backend's own BatchMatMul kernel
 * (XNNPACK, one thread): large float32 products go to the pool when it has two threads or more;
 * on one thread (threads off) products of 2 M multiply-adds and up run our kernel on tfjs's heap
 * (`setSimdMatMulThreshold`), everything else tfjs's kernel as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MATMUL_SIMD_SHARED_WASM_BASE64 } from './matmul-simd-shared-wasm.js';
import { wasmFloat32View } from './heap-view.js';
import { productOnWasmHeap, type ProductShape } from './matmul-kernel.js';
import {
  poolThreads,
  poolHeap,
  poolKernel,
  poolMemoryEpoch,
  poolMemoryReserved,
  poolRun,
  splitRange,
  startPoolWorkers,
  type PoolCall,
  type PoolFunction,
} from './pool.js';

/** The matmul module's functions in the pool (the shared-memory copy of matmul-simd.wat). */
export interface PoolMatmulFunctions {
  bgemm: PoolFunction;
  bgemmPart: PoolFunction;
  packA: PoolFunction;
  packB: PoolFunction;
  unpackC: PoolFunction;
}

let fnsCache: PoolMatmulFunctions | null | undefined;

/** The matmul kernel registered with the pool, or null when the pool has no shared memory here. */
export function poolMatmulFunctions(): PoolMatmulFunctions | null {
  if (fnsCache) return fnsCache;
  const m = poolKernel('matmul', MATMUL_SIMD_SHARED_WASM_BASE64);
  if (!m) return null;
  const get = (n: string): PoolFunction => {
    const f = m.get(n);
    if (!f) throw new Error(`pool matmul: the module has no export '${n}'`);
    return f;
  };
  fnsCache = {
    bgemm: get('bgemm'),
    bgemmPart: get('bgemmPart'),
    packA: get('packA'),
    packB: get('packB'),
    unpackC: get('unpackC'),
  };
  return fnsCache;
}

/**
 * Multiply-adds (batch·M·N·K) from which a product goes to the pool. Below it the fork–join
 * (≈ 10–50 µs) and the copies in and out cost more than the second thread saves; measured with
 * `node tooling/bench/src/cli.mjs --filter core.matmul.threshold` (README, "Threads": quiet,
 * 2026-12-03, the pool broke even with XNNPACK at ≈ 0.5 M and took 0.90× its time at 1 M).
 */
let minMacs = 1 << 20;

/** Sets the size threshold of pooled products (tests use 0 to send every product to the pool); returns the previous one. */
export function setPoolMatMulThreshold(macs: number): number {
  if (!(Number.isFinite(macs) && macs >= 0)) throw new Error(`setPoolMatMulThreshold: macs = ${macs} must be >= 0`);
  const prev = minMacs;
  minMacs = macs;
  return prev;
}

/**
 * Multiply-adds from which a product that runs on ONE thread (pool off, or not pooled for another
 * reason) takes our kernel (`matmul-simd.wat` on tfjs's heap, matmul-kernel.ts's
 * `productOnWasmHeap`) instead of tfjs-backend-wasm's XNNPACK: on one thread ours was 0.84–0.90×
 * XNNPACK's time from 2 M multiply-adds up and slower below (core.matmul.threshold, quiet,
 * 2026-12-03; README "Threads").
 */
let simdMinMacs = 1 << 21;

/**
 * Sets the size from which one-thread products on wasm take our kernel instead of XNNPACK (`Infinity`: never,
 * as benchmarks of XNNPACK do; 0: always, as tests do); returns the previous one.
 */
export function setSimdMatMulThreshold(macs: number): number {
  if (!(macs >= 0)) throw new Error(`setSimdMatMulThreshold: macs = ${macs} must be >= 0 (or Infinity)`);
  const prev = simdMinMacs;
  simdMinMacs = macs;
  return prev;
}

/** Threads a product of this shape would use now (1 = not pooled: too small, threads off, memory reserved). */
export function pooledProductThreads(s: ProductShape): number {
  if (poolMemoryReserved()) return 1;
  if (s.batch * s.M * s.N * s.K < minMacs || s.K === 0) return 1;
  const units = s.batch * Math.ceil(s.M / 4);
  if (units < 2) return 1;
  if (!poolMatmulFunctions()) return 1;
  return Math.min(poolThreads(), units);
}

/** Runs of panels: `count` whole products from `q` (j0 = 0, j1 = per), or part [j0, j1) of product q. */
interface Segment {
  q: number;
  count: number;
  j0: number;
  j1: number;
}

/** The units [u0, u1) (u = q·per + j) as at most three segments: a partial product, whole ones, a partial one. */
function segments(u0: number, u1: number, per: number): Segment[] {
  const out: Segment[] = [];
  let u = u0;
  while (u < u1) {
    const q = Math.floor(u / per);
    const j0 = u - q * per;
    if (j0 === 0 && u + per <= u1) {
      const count = Math.floor((u1 - u) / per);
      out.push({ q, count, j0: 0, j1: per });
      u += count * per;
    } else {
      const j1 = Math.min(per, u1 - q * per);
      out.push({ q, count: 1, j0, j1 });
      u = q * per + j1;
    }
  }
  return out;
}

/**
 * The `packA` / `packB` calls for the panels `[u0, u1)` of one operand (unit u = q·per + j: panel
 * j of product q, `per` = ⌈dim / w⌉ panels of `w` rows of A (4) or columns of B (8) per product),
 * whose element (i, k) — i < dim of the panel side, k < K deep — of product q is at
 * `src + q·dim·K + i·sDim + k·sK` (floats); the panels go to `dst` in the kernel's layout. packA
 * takes its sizes and strides row side first `(dim, K, sDim, sK)`, packB `(K, dim, sK, sDim)`.
 */
function packCalls(
  fn: PoolFunction,
  [u0, u1]: [number, number],
  o: { src: number; dst: number; w: number; dim: number; K: number; sDim: number; sK: number; rowsFirst: boolean },
): PoolCall[] {
  const per = Math.ceil(o.dim / o.w);
  return segments(u0, u1, per).map((g) => {
    const n = g.count > 1 ? o.dim : Math.min(o.dim, o.w * g.j1) - o.w * g.j0;
    const shape = o.rowsFirst ? [n, o.K, o.sDim, o.sK] : [o.K, n, o.sK, o.sDim];
    return {
      fn,
      args: [
        4 * (o.src + g.q * o.dim * o.K + o.w * g.j0 * o.sDim),
        4 * (o.dst + (g.q * per + g.j0) * o.K * o.w),
        g.count,
        ...shape,
      ],
    };
  });
}

/**
 * The B operand whose panels are at the start of the pool memory: the next product with the same B
 * (the same tensor: tfjs data ids are never reused) skips copying and packing it — an RNN's
 * per-step products share one weight matrix. Stale once anything else used the memory.
 */
let packedB: { key: object; epoch: number; batch: number; K: number; N: number; transposeB: boolean } | null = null;

/** How many products reused packed B panels (tests). */
export const reusedPanels = { count: 0 };

const align = (floats: number): number => Math.ceil(floats / 16) * 16; // 64 bytes

/**
 * `op(A[q]) · op(B[q])` for q < batch on `threads` threads of the pool (≥ 2; see
 * {@link pooledProductThreads}), row-major `[batch, M, N]`, as a view into the pool memory that
 * is valid until its next use (copy it out at once). `a` and `b` as stored (`[batch, M, K]` or
 * `[batch, K, M]`; `[batch, K, N]` or `[batch, N, K]`); they are copied in before anything else.
 */
export function pooledBatchMatMul(
  a: Float32Array,
  b: Float32Array,
  s: ProductShape,
  threads: number,
  bKey?: object,
): Float32Array {
  const fns = poolMatmulFunctions();
  if (!fns) throw new Error('pooledBatchMatMul: the pool has no shared memory here');
  const { batch, M, K, N, transposeA, transposeB } = s;
  if (a.length !== batch * M * K)
    throw new Error(`pooledBatchMatMul: A has ${a.length} values, expected ${batch * M * K}`);
  if (b.length !== batch * K * N)
    throw new Error(`pooledBatchMatMul: B has ${b.length} values, expected ${batch * K * N}`);
  const M4 = Math.ceil(M / 4);
  const N8 = Math.ceil(N / 8);
  const Mp = 4 * M4;
  const Np = 8 * N8;
  const padded = Mp !== M || Np !== N;
  // pool memory (floats): B panels | B as given | A as given | A panels | padded C | dense C (if
  // padded); B first, so that its panels stay in place for the next product with the same B
  const offBp = 0;
  const offB = align(batch * Np * K);
  const offA = offB + align(b.length);
  const offAp = offA + align(a.length);
  const offC = offAp + align(batch * Mp * K);
  const offD = offC + align(batch * Mp * Np);
  const end = offD + (padded ? batch * M * N : 0);
  const c = packedB;
  const hit =
    bKey !== undefined &&
    c !== null &&
    c.key === bKey &&
    c.epoch === poolMemoryEpoch() &&
    c.batch === batch &&
    c.K === K &&
    c.N === N &&
    c.transposeB === transposeB;
  packedB = null;
  if (hit) reusedPanels.count++;
  const heap = poolHeap(4 * end);
  heap.set(a, offA);
  if (!hit) heap.set(b, offB);
  const sI = transposeA ? 1 : K;
  const sK = transposeA ? M : 1;
  const bsK = transposeB ? 1 : N;
  const bsJ = transposeB ? K : 1;
  // more parts than threads: they are claimed by whichever thread is free (pool.ts), so a thread
  // the OS holds back costs a part, not half the product; ≥ 16 row panels a part keeps B's
  // panels reused across 64 rows
  const units = batch * M4;
  const parts = Math.max(1, Math.min(units, Math.max(threads, Math.min(4 * threads, Math.ceil(units / 16)))));
  // job 1: B panels (units of 8 columns of one product) and A panels (units of 4 rows)
  const packB = splitRange(batch * N8, parts);
  const packA = splitRange(batch * M4, parts);
  const job1: PoolCall[][] = [];
  for (let p = 0; p < parts; p++) {
    const bCalls = hit
      ? []
      : packCalls(fns.packB, packB[p], {
          src: offB,
          dst: offBp,
          w: 8,
          dim: N,
          K,
          sDim: bsJ,
          sK: bsK,
          rowsFirst: false,
        });
    const aCalls = packCalls(fns.packA, packA[p], {
      src: offA,
      dst: offAp,
      w: 4,
      dim: M,
      K,
      sDim: sI,
      sK,
      rowsFirst: true,
    });
    job1.push([...bCalls, ...aCalls]);
  }
  poolRun(job1);
  // job 2: the blocks of each thread's units, then its rows of the dense result
  const job2: PoolCall[][] = [];
  for (let p = 0; p < parts; p++) {
    const [u0, u1] = packA[p];
    const calls: PoolCall[] = [{ fn: fns.bgemmPart, args: [4 * offAp, 4 * offBp, 4 * offC, M4, N8, K, u0, u1] }];
    if (padded) {
      for (const g of segments(u0, u1, M4)) {
        const rows = Math.min(M, 4 * g.j1) - 4 * g.j0;
        calls.push({
          fn: fns.unpackC,
          args: [
            4 * (offC + (g.q * Mp + 4 * g.j0) * Np),
            4 * (offD + (g.q * M + 4 * g.j0) * N),
            g.count,
            g.count > 1 ? M : rows,
            N,
            Mp,
            Np,
          ],
        });
      }
    }
    job2.push(calls);
  }
  poolRun(job2);
  if (bKey !== undefined) packedB = { key: bKey, epoch: poolMemoryEpoch(), batch, K, N, transposeB };
  const at = padded ? offD : offC;
  return new Float32Array(heap.buffer, 4 * at, batch * M * N);
}

/** How many products the wasm BatchMatMul wrapper sent to the pool (tests check the path taken). */
export const pooledProducts = { count: 0 };

/** How many one-thread products the wasm BatchMatMul wrapper ran with our kernel instead of XNNPACK (tests). */
export const simdRoutedProducts = { count: 0 };

/** What tfjs-backend-wasm keeps of a tensor (internal API, checked at every use). */
interface WasmBackendInternals {
  makeOutput?: (shape: number[], dtype: 'float32') => tf.TensorInfo;
}

let original: tf.KernelConfig | undefined;

const pooledKernelFunc: tf.KernelFunc = (args) => {
  const orig = original!;
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  const { transposeA = false, transposeB = false } = (args.attrs ?? {}) as {
    transposeA?: boolean;
    transposeB?: boolean;
  };
  const r = a.shape.length;
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || r < 2 || b.shape.length !== r) return orig.kernelFunc(args);
  for (let i = 0; i < r - 2; i++) if (a.shape[i] !== b.shape[i]) return orig.kernelFunc(args); // broadcasting: tfjs
  const M = transposeA ? a.shape[r - 1] : a.shape[r - 2];
  const K = transposeA ? a.shape[r - 2] : a.shape[r - 1];
  const kb = transposeB ? b.shape[r - 1] : b.shape[r - 2];
  const N = transposeB ? b.shape[r - 2] : b.shape[r - 1];
  if (K !== kb) return orig.kernelFunc(args); // tfjs names the shapes in its error
  const batchShape = a.shape.slice(0, r - 2);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const s: ProductShape = { batch, M, K, N, transposeA, transposeB };
  const threads = pooledProductThreads(s);
  if (threads < 2) {
    if (batch * M * N * K >= simdMinMacs) {
      const info = productOnWasmHeap(args.backend, a, b, s, batchShape);
      if (info) {
        simdRoutedProducts.count++;
        return info;
      }
    }
    return orig.kernelFunc(args);
  }
  const be = args.backend as unknown as WasmBackendInternals;
  const av = wasmFloat32View(a);
  const bv = wasmFloat32View(b);
  if (!av || !bv || !be.makeOutput) return orig.kernelFunc(args);
  const out = pooledBatchMatMul(av, bv, s, threads, b.dataId); // copies av and bv first: the heap may move after
  const info = be.makeOutput([...batchShape, M, N], 'float32');
  const dst = wasmFloat32View(info);
  if (!dst) throw new Error('BatchMatMul (pooled): the wasm backend gave an output without heap memory');
  dst.set(out);
  pooledProducts.count++;
  return info;
};

/**
 * Wraps tfjs-backend-wasm's BatchMatMul kernel (once; it must be registered, i.e. the wasm backend
 * imported): large float32 products without broadcasting run on the pool's threads when it has
 * two or more ready, the rest on tfjs's kernel. Returns whether the wrapper is in place.
 */
export function installPooledMatMul(): boolean {
  const cur = tf.getKernel(tf.BatchMatMul, 'wasm');
  if (!cur) return false;
  if (cur.kernelFunc === pooledKernelFunc) return true;
  original = cur;
  tf.unregisterKernel(tf.BatchMatMul, 'wasm');
  tf.registerKernel({ ...cur, kernelFunc: pooledKernelFunc });
  return true;
}

/**
 * Starts the pool's workers with the matmul kernel loaded and resolves with the number of threads
 * ready (1 when threads are off or cannot run here), after at most `timeoutMs`. Optional: the
 * first large product starts them itself (and runs on one thread until they are up); call this
 * to have them from the first op — and again after another package registered its kernels with
 * the pool (which restarts the workers).
 */
export async function startThreads(timeoutMs = 10_000): Promise<number> {
  if (!poolMatmulFunctions()) return 1;
  return startPoolWorkers(timeoutMs);
}
