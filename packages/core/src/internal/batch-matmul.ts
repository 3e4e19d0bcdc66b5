/**
 * `batchMatMul`: a batched matrix product with optional transposes whose wasm-backend path
 * runs our own WebAssembly SIMD kernel (`matmul-simd.wat`) instead of tfjs-backend-wasm's
 * BatchMatMul, which runs batched and transposed products at 1.5–2 GFLOP/s. One `customGrad`
 * op: forward and both gradients are single kernel calls. Other backends keep `tf.matMul`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { customGrad } from './custom-grad.js';
import { readFloat32View } from './heap-view.js';
import { productOnWasmHeap, simdBatchMatMulView, simdMatMulAvailable } from './matmul-kernel.js';
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

/**
 * On tfjs-backend-wasm: the kernel runs on the backend's own heap (matmul-kernel.ts's
 * `productOnWasmHeap`: no copies in or out). Returns null (the caller then copies) when the
 * backend's internals are not as expected.
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
  if (tf.getBackend() !== 'wasm') return null;
  const s = { batch, M, K, N, transposeA: ta, transposeB: tb };
  const info = productOnWasmHeap(tf.backend(), a, b, s, batchShape);
  return info ? tf.engine().makeTensorFromTensorInfo(info) : null;
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
