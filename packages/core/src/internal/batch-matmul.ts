/**
 * `batchMatMul`: a batched matrix product with optional transposes whose wasm-backend path
 * runs our own WebAssembly SIMD kernel (`matmul-simd.wat`) instead of tfjs-backend-wasm's
 * BatchMatMul, which runs batched and transposed products at 1.5–2 GFLOP/s. One `customGrad`
 * op: forward and both gradients are single kernel calls. Other backends keep `tf.matMul`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './custom-grad.js';
import { readFloat32View } from './heap-view.js';
import { matmulKernelOn, simdBatchMatMulView, simdMatMulAvailable } from './matmul-kernel.js';
import { pooledBatchMatMul, pooledProductThreads } from './pool-matmul.js';

/** Which implementation `batchMatMul` uses. */
export type BatchMatMulKernel = 'auto' | 'simd' | 'tfjs';

export interface BatchMatMulOptions {
  /** Use `a`'s last two axes transposed. @default false */
  transposeA?: boolean;
  /** Use `b`'s last two axes transposed. @default false */
  transposeB?: boolean;
  /**
   * `'auto'`: our SIMD kernel on the wasm backend (when the engine has WebAssembly SIMD), tfjs's
   * `matMul` elsewhere; `'simd'`: our kernel on any backend (it runs on copies of the data);
   * `'tfjs'`: always `tf.matMul`. @default the value set by {@link setBatchMatMulKernel} (`'auto'`)
   */
  kernel?: BatchMatMulKernel;
}

let defaultKernel: BatchMatMulKernel = 'auto';

/** Sets the default `kernel` of {@link batchMatMul} (for tests and benchmarks); returns the previous one. */
export function setBatchMatMulKernel(kernel: BatchMatMulKernel): BatchMatMulKernel {
  if (kernel !== 'auto' && kernel !== 'simd' && kernel !== 'tfjs') {
    throw new Error(`setBatchMatMulKernel: unknown kernel '${String(kernel)}' (expected 'auto', 'simd' or 'tfjs')`);
  }
  const prev = defaultKernel;
  defaultKernel = kernel;
  return prev;
}

/** Whether {@link batchMatMul} with these options runs our SIMD kernel on the current backend. */
export function batchMatMulUsesSimd(kernel: BatchMatMulKernel = defaultKernel): boolean {
  if (kernel === 'tfjs') return false;
  if (kernel === 'simd') return true;
  return tf.getBackend() === 'wasm' && simdMatMulAvailable();
}

const ops = new Map<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor>();

function simdOp(ta: boolean, tb: boolean): (a: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  const key = `${ta}${tb}`;
  let op = ops.get(key);
  if (op) return op;
  const mm = (x: tf.Tensor, y: tf.Tensor, tx: boolean, ty: boolean) => simdOp(tx, ty)(x, y);
  const g = customGrad(([a, b], save) => {
    save([a, b]);
    return {
      value: product(a, b, ta, tb),
      gradFunc: (dy, [sa, sb]) => {
        // C = op(A)·op(B); the gradients are products of the same kind (as tfjs's BatchMatMul grad).
        if (!ta && !tb) return [mm(dy, sb, false, true), mm(sa, dy, true, false)];
        if (!ta && tb) return [mm(dy, sb, false, false), mm(dy, sa, true, false)];
        if (ta && !tb) return [mm(sb, dy, false, true), mm(sa, dy, false, false)];
        return [mm(sb, dy, true, true), mm(dy, sa, true, true)];
      },
    };
  });
  op = (a, b) => g(a, b);
  ops.set(key, op);
  return op;
}

/** How often the SIMD kernel ran a forward product (tests check the kernel path was taken, also in Chromium). */
export const simdProducts = { count: 0 };

/** The forward product through the SIMD kernel (shapes already checked). */
function product(a: tf.Tensor, b: tf.Tensor, ta: boolean, tb: boolean): tf.Tensor {
  simdProducts.count++;
  const r = a.rank;
  const M = ta ? a.shape[r - 1] : a.shape[r - 2];
  const K = ta ? a.shape[r - 2] : a.shape[r - 1];
  const N = tb ? b.shape[r - 2] : b.shape[r - 1];
  const batchShape = a.shape.slice(0, r - 2);
  const batch = batchShape.reduce((p, d) => p * d, 1);
  const shape = { batch, M, K, N, transposeA: ta, transposeB: tb };
  const threads = pooledProductThreads(shape);
  if (threads >= 2) {
    // the intra-op pool (pool-matmul.ts): operands copied into its shared memory, bitwise the
    // same product as the one-thread kernel below
    const out = pooledBatchMatMul(readFloat32View(a), readFloat32View(b), shape, threads);
    return tf.tensor(tf.getBackend() === 'wasm' ? out : out.slice(), [...batchShape, M, N], 'float32');
  }
  const inHeap = productInWasmHeap(a, b, ta, tb, batchShape, batch, M, K, N);
  if (inHeap) return inHeap;
  const out = simdBatchMatMulView(readFloat32View(a), readFloat32View(b), {
    batch,
    M,
    K,
    N,
    transposeA: ta,
    transposeB: tb,
  });
  // tfjs-backend-wasm copies a new tensor's values into its heap at once (BackendWasm.move), so
  // the view into the kernel's memory can be given as is; other backends keep the array.
  return tf.tensor(tf.getBackend() === 'wasm' ? out : out.slice(), [...batchShape, M, N], 'float32');
}

/** What tfjs-backend-wasm keeps of a tensor (internal API, checked at every use). */
interface WasmBackendInternals {
  dataIdMap?: { get(id: object): { memoryOffset?: number | null; dtype?: string } | undefined };
  wasm?: {
    HEAPU8?: Uint8Array;
    asm?: { memory?: unknown };
    _malloc?: (bytes: number) => number;
    _free?: (ptr: number) => void;
  };
  makeOutput?: (shape: number[], dtype: 'float32') => tf.TensorInfo;
}

/**
 * On tfjs-backend-wasm: the kernel runs on the backend's own heap (its WebAssembly.Memory), packs
 * straight from the input tensors' bytes, and writes the product into an output tensor the backend
 * allocated — no copies in or out. Scratch panels come from the backend's malloc and are freed at
 * once. Returns null (the caller then copies) when the backend's internals are not as expected.
 */
function productInWasmHeap(
  a: tf.Tensor,
  b: tf.Tensor,
  ta: boolean,
  tb: boolean,
  batchShape: number[],
  batch: number,
  M: number,
  K: number,
  N: number,
): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm' || batch * M * N === 0 || K === 0) return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  const w = be.wasm;
  const memory = w?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || !w?._malloc || !w._free || !be.makeOutput || !be.dataIdMap)
    return null;
  const da = be.dataIdMap.get(a.dataId);
  const db = be.dataIdMap.get(b.dataId);
  if (!da || !db || da.dtype !== 'float32' || db.dtype !== 'float32') return null;
  if (typeof da.memoryOffset !== 'number' || typeof db.memoryOffset !== 'number') return null;
  const ex = matmulKernelOn(memory);
  if (!ex) return null;
  const M4 = Math.ceil(M / 4);
  const N8 = Math.ceil(N / 8);
  const padded = 4 * M4 !== M || 8 * N8 !== N;
  const aLen = batch * 4 * M4 * K;
  const bLen = batch * 8 * N8 * K;
  const cLen = padded ? batch * 4 * M4 * 8 * N8 : 0;
  const info = be.makeOutput([...batchShape, M, N], 'float32');
  const outOffset = be.dataIdMap.get(info.dataId)?.memoryOffset;
  const scratch = w._malloc(4 * (aLen + bLen + cLen)) >>> 0;
  if (typeof outOffset !== 'number' || scratch === 0) {
    if (scratch !== 0) w._free(scratch);
    tf.engine().makeTensorFromTensorInfo(info).dispose(); // hand the output's memory back
    return null;
  }
  try {
    ex.packA(da.memoryOffset, scratch, batch, M, K, ta ? 1 : K, ta ? M : 1);
    ex.packB(db.memoryOffset, scratch + 4 * aLen, batch, K, N, tb ? 1 : N, tb ? K : 1);
    if (!padded) {
      ex.bgemm(scratch, scratch + 4 * aLen, outOffset, batch, M4, N8, K);
    } else {
      const c = scratch + 4 * (aLen + bLen);
      ex.bgemm(scratch, scratch + 4 * aLen, c, batch, M4, N8, K);
      ex.unpackC(c, outOffset, batch, M, N, 4 * M4, 8 * N8);
    }
  } finally {
    w._free(scratch);
  }
  return tf.engine().makeTensorFromTensorInfo(info);
}

/**
 * Batched matrix product `op(a) · op(b)` over the last two axes, where `op` transposes when
 * `transposeA` / `transposeB` is set: `a` `[..., M, K]` (or `[..., K, M]`), `b` `[..., K, N]`
 * (or `[..., N, K]`) → `[..., M, N]`. Same results as `tf.matMul` within float32 rounding
 * (sums are accumulated in a different order), with gradients for both inputs.
 *
 * On the wasm backend it runs our WebAssembly SIMD kernel (see the README's "Kernels"); the
 * leading (batch) axes of `a` and `b` must then be equal — broadcasting ones, integer tensors
 * and the other backends use `tf.matMul`.
 */
export function batchMatMul(a: tf.Tensor, b: tf.Tensor, opts: BatchMatMulOptions = {}): tf.Tensor {
  const ta = opts.transposeA ?? false;
  const tb = opts.transposeB ?? false;
  const kernel = opts.kernel ?? defaultKernel;
  if (kernel !== 'auto' && kernel !== 'simd' && kernel !== 'tfjs') {
    throw new Error(`batchMatMul: unknown kernel '${String(kernel)}' (expected 'auto', 'simd' or 'tfjs')`);
  }
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`batchMatMul: inputs need rank >= 2, got a [${a.shape.join(', ')}] and b [${b.shape.join(', ')}]`);
  }
  const ka = ta ? a.shape[a.rank - 2] : a.shape[a.rank - 1];
  const kb = tb ? b.shape[b.rank - 1] : b.shape[b.rank - 2];
  if (ka !== kb) {
    throw new Error(
      `batchMatMul: inner dimensions differ: a [${a.shape.join(', ')}]${ta ? 'ᵀ' : ''} has ${ka}, b [${b.shape.join(', ')}]${tb ? 'ᵀ' : ''} has ${kb}`,
    );
  }
  const sameBatch = a.rank === b.rank && a.shape.slice(0, -2).every((d, i) => d === b.shape[i]);
  if (!batchMatMulUsesSimd(kernel) || !sameBatch || a.dtype !== 'float32' || b.dtype !== 'float32') {
    return tf.matMul(a, b, ta, tb);
  }
  return simdOp(ta, tb)(a, b);
}
