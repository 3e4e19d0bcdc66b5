/**
 * The batched f32 matrix product of `matmul-simd.wat` on its own WebAssembly memory: the
 * operands are copied in as they are, packed by the module into its panel layout (which is where
 * transposes and sizes that are not multiples of 4 × 8 are handled), multiplied, and the M × N
 * corner of each product is copied out.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { wasmBackendMemory } from './heap-view.js';
import { MATMUL_SIMD_WASM_BASE64 } from './matmul-simd-wasm.js';

/** The kernel's exports (byte offsets into its memory). */
interface MatmulExports {
  bgemm: (ap: number, bp: number, c: number, batch: number, M4: number, N8: number, K: number) => void;
  /** Row blocks u0 … u1 − 1 of `bgemm`'s product (block u = product · M4 + panel), the rest untouched. */
  bgemmPart: (ap: number, bp: number, c: number, M4: number, N8: number, K: number, u0: number, u1: number) => void;
  packA: (src: number, dst: number, batch: number, M: number, K: number, sI: number, sK: number) => void;
  packB: (src: number, dst: number, batch: number, K: number, N: number, sK: number, sJ: number) => void;
  unpackC: (src: number, dst: number, batch: number, M: number, N: number, rows: number, ldc: number) => void;
}

let state: { memory: WebAssembly.Memory; ex: MatmulExports } | null | undefined;

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  if (typeof atob === 'function') {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  throw new Error('matmul kernel: no atob() to decode the WebAssembly module');
}

/** The instantiated kernel, or null when this engine has no WebAssembly SIMD. */
function kernel(): { memory: WebAssembly.Memory; ex: MatmulExports } | null {
  if (state !== undefined) return state;
  try {
    const bytes = decodeBase64(MATMUL_SIMD_WASM_BASE64);
    if (typeof WebAssembly === 'undefined' || !WebAssembly.validate(bytes)) {
      state = null;
      return state;
    }
    // about 1.3 kB: small enough for synchronous compilation on a browser's main thread.
    const mod = new WebAssembly.Module(bytes);
    const memory = new WebAssembly.Memory({ initial: 16 });
    state = { memory, ex: new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as MatmulExports };
  } catch {
    state = null;
  }
  return state;
}

/** Whether the SIMD matmul kernel can run here (WebAssembly with 128-bit SIMD). */
export function simdMatMulAvailable(): boolean {
  return kernel() !== null;
}

/** Shape of one batched product: `batch` products of `op(A)` `[M, K]` by `op(B)` `[K, N]`. */
export interface ProductShape {
  batch: number;
  M: number;
  K: number;
  N: number;
  /** A is stored `[batch, K, M]` (else `[batch, M, K]`). */
  transposeA: boolean;
  /** B is stored `[batch, N, K]` (else `[batch, K, N]`). */
  transposeB: boolean;
}

/**
 * `out[b] = op(A[b]) · op(B[b])` for `b < batch`, row-major `[batch, M, N]`, as a new array.
 * Throws when the engine has no WebAssembly SIMD (check {@link simdMatMulAvailable}).
 */
export function simdBatchMatMul(a: Float32Array, b: Float32Array, s: ProductShape): Float32Array {
  return simdBatchMatMulView(a, b, s).slice();
}

/**
 * As {@link simdBatchMatMul}, but the result is a view into the kernel's own memory, valid only
 * until the next call (copy it before anything else runs the kernel).
 */
export function simdBatchMatMulView(a: Float32Array, b: Float32Array, s: ProductShape): Float32Array {
  const k = kernel();
  if (!k) throw new Error('batchMatMul: this engine has no WebAssembly SIMD for the matmul kernel');
  const { batch, M, K, N, transposeA, transposeB } = s;
  if (a.length !== batch * M * K)
    throw new Error(`batchMatMul kernel: A has ${a.length} values, expected ${batch * M * K}`);
  if (b.length !== batch * K * N)
    throw new Error(`batchMatMul kernel: B has ${b.length} values, expected ${batch * K * N}`);
  if (batch * M * N === 0) return new Float32Array(0);
  if (K === 0) return new Float32Array(batch * M * N);
  const M4 = Math.ceil(M / 4);
  const N8 = Math.ceil(N / 8);
  const Mp = 4 * M4;
  const Np = 8 * N8;
  // work memory (floats): [A as given | B as given | A panels | B panels | padded C]
  const offB = a.length;
  const offAp = offB + b.length;
  const offBp = offAp + batch * Mp * K;
  const offC = offBp + batch * Np * K;
  const end = offC + batch * Mp * Np;
  const bytes = 4 * end;
  if (bytes > 2 ** 32 - 65536) {
    throw new RangeError(
      `batchMatMul kernel: ${(bytes / 2 ** 30).toFixed(1)} GiB of work memory exceeds WebAssembly's 4 GiB`,
    );
  }
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
  const heap = new Float32Array(k.memory.buffer);
  heap.set(a, 0);
  heap.set(b, offB);
  // strides of element (i, kk) of A and (kk, j) of B in the arrays as given
  k.ex.packA(0, 4 * offAp, batch, M, K, transposeA ? 1 : K, transposeA ? M : 1);
  k.ex.packB(4 * offB, 4 * offBp, batch, K, N, transposeB ? 1 : N, transposeB ? K : 1);
  k.ex.bgemm(4 * offAp, 4 * offBp, 4 * offC, batch, M4, N8, K);
  if (Mp === M && Np === N) return heap.subarray(offC, end);
  k.ex.unpackC(4 * offC, 0, batch, M, N, Mp, Np);
  return heap.subarray(0, batch * M * N);
}

const onMemory = new WeakMap<WebAssembly.Memory, MatmulExports | null>();

/**
 * The kernel instantiated on another module's memory (tfjs-backend-wasm's heap), so it can read
 * tensors and write the product in place; null when that is not possible here.
 */
export function matmulKernelOn(memory: WebAssembly.Memory): MatmulExports | null {
  let ex = onMemory.get(memory);
  if (ex !== undefined) return ex;
  ex = null;
  try {
    if (kernel()) {
      const mod = new WebAssembly.Module(decodeBase64(MATMUL_SIMD_WASM_BASE64));
      ex = new WebAssembly.Instance(mod, { env: { mem: memory } }).exports as unknown as MatmulExports;
    }
  } catch {
    ex = null;
  }
  onMemory.set(memory, ex);
  return ex;
}

/** What tfjs-backend-wasm keeps of a tensor and how it allocates (internal API, checked at every use). */
interface WasmBackendInternals {
  dataIdMap?: { get(id: object): { memoryOffset?: number | null; dtype?: string } | undefined };
  wasm?: { _malloc?: (bytes: number) => number; _free?: (ptr: number) => void };
  makeOutput?: (shape: number[], dtype: 'float32') => tf.TensorInfo;
  disposeData?: (dataId: object, force?: boolean) => unknown;
}

/**
 * On tfjs-backend-wasm (`backend`, the active one): `op(A[q]) · op(B[q])` by this kernel instantiated on the
 * backend's own heap, packing straight from the inputs' bytes and writing the product into an output the backend
 * allocates — no copies in or out; the panels live in scratch from the backend's malloc, freed at once. Returns
 * the output (shape `[...batchShape, M, N]`) as a `TensorInfo` (a kernel function's result; wrap it with
 * `tf.engine().makeTensorFromTensorInfo` elsewhere), or null — nothing allocated — when the backend's internals
 * are not as expected or the product is empty.
 */
export function productOnWasmHeap(
  backend: unknown,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  s: ProductShape,
  batchShape: number[],
): tf.TensorInfo | null {
  const { batch, M, K, N, transposeA: ta, transposeB: tb } = s;
  if (batch * M * N === 0 || K === 0) return null;
  const be = backend as WasmBackendInternals;
  const w = be.wasm;
  const memory = wasmBackendMemory();
  if (!memory || !w?._malloc || !w._free || !be.makeOutput || !be.dataIdMap || !be.disposeData) return null;
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
  const scratch = w._malloc(4 * (aLen + bLen + cLen)) >>> 0;
  if (scratch === 0) return null;
  try {
    const info = be.makeOutput([...batchShape, M, N], 'float32');
    const outOffset = be.dataIdMap.get(info.dataId)?.memoryOffset;
    if (typeof outOffset !== 'number') {
      be.disposeData(info.dataId, true); // hand the output's memory back
      return null;
    }
    ex.packA(da.memoryOffset, scratch, batch, M, K, ta ? 1 : K, ta ? M : 1);
    ex.packB(db.memoryOffset, scratch + 4 * aLen, batch, K, N, tb ? 1 : N, tb ? K : 1);
    if (!padded) {
      ex.bgemm(scratch, scratch + 4 * aLen, outOffset, batch, M4, N8, K);
    } else {
      const c = scratch + 4 * (aLen + bLen);
      ex.bgemm(scratch, scratch + 4 * aLen, c, batch, M4, N8, K);
      ex.unpackC(c, outOffset, batch, M, N, 4 * M4, 8 * N8);
    }
    return info;
  } finally {
    w._free(scratch);
  }
}

export type { MatmulExports };
