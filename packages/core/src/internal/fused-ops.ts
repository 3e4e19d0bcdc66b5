/**
 * Kernels for tfjs-backend-wasm where its own are slow, run on the backend's heap (no copies in or
 * out): `fused-ops.wat`'s transpose and dropout, and an `Identity` that shares its input's buffer.
 *
 * - **Transpose**: tfjs-backend-wasm moves one element at a time in output order, so a 2-D
 *   transpose reads with a stride of a whole row — ≈ 20 ns per element for `[4096, 256]`, 0.5 s of
 *   a `transformer.encoder.train` step (24 calls, `tf.profile`, loaded machine). Every permutation
 *   that, after dropping size-1 axes and merging axes that stay neighbours, swaps two adjacent axis
 *   groups (`[R, C] → [C, R]`, `[A, R, C] → [A, C, R]`, `[R, C, I] → [C, R, I]`,
 *   `[A, R, C, I] → [A, C, R, I]`: 2-D transposes, attention's head split and merge) runs in
 *   `fused-ops.wat` (4 × 4 SIMD tiles, or row copies); other permutations and dtypes stay on tfjs's kernel.
 * - **Identity** (`tf.clone`, and the copy tfjs makes of every tensor a gradient saves for the
 *   backward pass — `customGrad`'s `save()` and the built-in kernels' saved inputs): shares the
 *   input's buffer with one more reference, as tfjs-backend-cpu's Identity does, instead of
 *   copying it. Sound because tfjs never writes into an existing tensor's memory (a Variable's
 *   `assign` takes a new buffer); our own in-place writers only write tensors they just made
 *   (see heap-view.ts). A **Cast** to the dtype a tensor already has (tfjs's ReLU gradient makes one per
 *   call) shares the same way; other casts stay on tfjs's kernel.
 * - **Dropout** ({@link fusedDropout}): the mask's draws and the product in one pass over the heap,
 *   the same sfc32 draws as `Dropout`'s JS loop; the backward pass draws them again from the saved
 *   generator state (no mask tensor is kept).
 *
 * The wrappers are installed by {@link installFusedKernels} (idempotent): by `setupBackend` (and on
 * import of `@wordloom/core` when `@tensorflow/tfjs-backend-wasm` was imported first), and, for a
 * program that switched to wasm itself, by the first `customGrad` op or `Dropout` call; removed by
 * `setFusedKernels(false)`. The kernels are instantiated on the backend's `WebAssembly.Memory` as
 * heap-view.ts's `wasmBackendMemory()` gives it.
 *
 * Reference: tfjs-backend-wasm 4.22 `BackendWasm` (`dataIdMap`, `makeOutput`, `incRef`) and its
 * Transpose / Identity kernels; tfjs-backend-cpu's Identity (`incRef`, shared `dataId`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Rng } from '../rng.js';
import { FUSED_OPS_WASM_BASE64 } from './fused-ops-wasm.js';
import { wasmBackendMemory } from './heap-view.js';

interface FusedExports {
  transpose: (src: number, dst: number, A: number, R: number, C: number, I: number) => void;
  dropout: (src: number, dst: number, n: number, threshold: number, scale: number) => void; // threshold: u32 bits
  layerNorm: (x: number, g: number, b: number, y: number, rows: number, d: number, eps: number, affine: number) => void;
  layerNormBackward: (
    dy: number,
    x: number,
    g: number,
    dx: number,
    dg: number,
    db: number,
    rows: number,
    d: number,
    eps: number,
    affine: number,
  ) => void;
  softmaxBackward: (y: number, dy: number, dx: number, rows: number, n: number) => void;
  sa: WebAssembly.Global;
  sb: WebAssembly.Global;
  sc: WebAssembly.Global;
  sd: WebAssembly.Global;
}

/** What tfjs-backend-wasm keeps of a tensor (internal API, checked at every use). */
interface WasmBackendInternals {
  dataIdMap?: { get(id: object): { memoryOffset?: number | null; dtype?: string } | undefined };
  makeOutput?: (shape: number[], dtype: tf.DataType) => tf.TensorInfo;
  incRef?: (dataId: object) => void;
}

/** The kernels, and the memory they (and the backend's tensors) live in. */
interface Kernels {
  ex: FusedExports;
  memory: WebAssembly.Memory;
}

function decodeBase64(s: string): Uint8Array<ArrayBuffer> {
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

let compiled: WebAssembly.Module | null | undefined;
const onMemory = new WeakMap<WebAssembly.Memory, FusedExports | null>();

/**
 * The kernels instantiated on the wasm backend's memory (heap-view.ts's `wasmBackendMemory`, the one
 * home of that read), or null (not on wasm, no WebAssembly SIMD, internals not as expected).
 */
function kernelsOf(be: WasmBackendInternals): Kernels | null {
  const memory = wasmBackendMemory();
  if (memory === null || typeof be.makeOutput !== 'function' || !be.dataIdMap) return null;
  const ex = instanceOn(memory);
  return ex ? { ex, memory } : null;
}

function instanceOn(memory: WebAssembly.Memory): FusedExports | null {
  let ex = onMemory.get(memory);
  if (ex !== undefined) return ex;
  ex = null;
  try {
    if (compiled === undefined) {
      const bytes = decodeBase64(FUSED_OPS_WASM_BASE64);
      compiled = WebAssembly.validate(bytes) ? new WebAssembly.Module(bytes) : null; // ≈ 1 kB
    }
    if (compiled) ex = new WebAssembly.Instance(compiled, { env: { mem: memory } }).exports as unknown as FusedExports;
  } catch {
    ex = null;
  }
  onMemory.set(memory, ex);
  return ex;
}

function offsetOf(be: WasmBackendInternals, t: tf.TensorInfo): number | null {
  const o = be.dataIdMap?.get(t.dataId)?.memoryOffset;
  return typeof o === 'number' && o % 4 === 0 ? o : null;
}

/** A transpose as `[A, R, C, I] → [A, C, R, I]` (4-byte elements), or null when `perm` is not of that kind. */
export interface TransposePlan {
  A: number;
  R: number;
  C: number;
  I: number;
}

/**
 * Reduces `perm` on `shape` to one swap of two adjacent axis groups: size-1 axes are dropped and
 * axes that stay neighbours merged; null for any other permutation (and for the identity).
 */
export function planTranspose(shape: readonly number[], perm: readonly number[]): TransposePlan | null {
  if (perm.length !== shape.length) return null;
  const kept: number[] = [];
  for (let i = 0; i < shape.length; i++) if (shape[i] !== 1) kept.push(i);
  const pos = new Map(kept.map((ax, k) => [ax, k]));
  const dims = kept.map((ax) => shape[ax]);
  const groups: number[][] = []; // output order; each a run of consecutive input axes
  for (const ax of perm) {
    if (shape[ax] === 1) continue;
    const k = pos.get(ax);
    if (k === undefined) return null;
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === k) last.push(k);
    else groups.push([k]);
  }
  const byInput = [...groups].sort((u, v) => u[0] - v[0]);
  const s = byInput.map((g) => g.reduce((p, k) => p * dims[k], 1));
  switch (groups.map((g) => byInput.indexOf(g)).join(',')) {
    case '1,0':
      return { A: 1, R: s[0], C: s[1], I: 1 };
    case '0,2,1':
      return { A: s[0], R: s[1], C: s[2], I: 1 };
    case '1,0,2':
      return { A: 1, R: s[0], C: s[1], I: s[2] };
    case '0,2,1,3':
      return { A: s[0], R: s[1], C: s[2], I: s[3] };
    default:
      return null;
  }
}

let originalTranspose: tf.KernelConfig | undefined;
let originalIdentity: tf.KernelConfig | undefined;
let originalCast: tf.KernelConfig | undefined;

/** How many transposes ran in `fused-ops.wat` (tests check the path taken). */
export const fusedTransposes = { count: 0 };

const transposeKernelFunc: tf.KernelFunc = (args) => {
  const orig = originalTranspose!;
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const perm = (args.attrs as { perm: number[] }).perm;
  if ((x.dtype !== 'float32' && x.dtype !== 'int32') || tf.util.sizeFromShape(x.shape) === 0) {
    return orig.kernelFunc(args);
  }
  const plan = planTranspose(x.shape, perm);
  const be = args.backend as unknown as WasmBackendInternals;
  const k = plan ? kernelsOf(be) : null;
  const src = k ? offsetOf(be, x) : null;
  if (!plan || !k || src === null) return orig.kernelFunc(args);
  const info = be.makeOutput!(
    perm.map((p) => x.shape[p]),
    x.dtype,
  );
  const dst = offsetOf(be, info);
  if (dst === null) throw new Error('Transpose (fused): the wasm backend gave an output without heap memory');
  k.ex.transpose(src, dst, plan.A, plan.R, plan.C, plan.I);
  fusedTransposes.count++;
  return info;
};

const identityKernelFunc: tf.KernelFunc = (args) => {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const be = args.backend as unknown as WasmBackendInternals;
  if (x.dtype === 'string' || typeof be.incRef !== 'function' || !be.dataIdMap?.get(x.dataId)) {
    return originalIdentity!.kernelFunc(args);
  }
  be.incRef(x.dataId); // one more reference to the same bytes: freed when the last tensor is disposed
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

/** Cast to the dtype the tensor already has (relu's gradient does one per call): shared like Identity. */
const castKernelFunc: tf.KernelFunc = (args) => {
  const x = (args.inputs as { x: tf.TensorInfo }).x;
  const dtype = (args.attrs as { dtype: tf.DataType }).dtype;
  const be = args.backend as unknown as WasmBackendInternals;
  if (x.dtype !== dtype || x.dtype === 'string' || typeof be.incRef !== 'function' || !be.dataIdMap?.get(x.dataId)) {
    return originalCast!.kernelFunc(args);
  }
  be.incRef(x.dataId);
  return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
};

let enabled = true;

/**
 * Wraps tfjs-backend-wasm's Transpose, Identity and Cast kernels (once; the wasm backend must be
 * imported) unless switched off by {@link setFusedKernels}. Returns whether the wrappers are in place.
 */
export function installFusedKernels(): boolean {
  if (!enabled) return false;
  const t = tf.getKernel(tf.Transpose, 'wasm');
  const i = tf.getKernel(tf.Identity, 'wasm');
  const c = tf.getKernel(tf.Cast, 'wasm');
  if (!t || !i || !c) return false;
  if (c.kernelFunc !== castKernelFunc) {
    originalCast = c;
    tf.unregisterKernel(tf.Cast, 'wasm');
    tf.registerKernel({ ...c, kernelFunc: castKernelFunc });
  }
  if (t.kernelFunc !== transposeKernelFunc) {
    originalTranspose = t;
    tf.unregisterKernel(tf.Transpose, 'wasm');
    tf.registerKernel({ ...t, kernelFunc: transposeKernelFunc });
  }
  if (i.kernelFunc !== identityKernelFunc) {
    originalIdentity = i;
    tf.unregisterKernel(tf.Identity, 'wasm');
    tf.registerKernel({ ...i, kernelFunc: identityKernelFunc });
  }
  return true;
}

/**
 * Turns the wasm backend's fused kernels (transpose, buffer-sharing identity and same-dtype cast,
 * dropout, LayerNorm, softmax backward) on or off — off restores tfjs's own kernels and `Dropout`'s JS mask (for comparisons in tests and
 * benchmarks). Returns the previous setting. @default on
 */
export function setFusedKernels(on: boolean): boolean {
  const prev = enabled;
  enabled = on;
  if (on) {
    installFusedKernels();
  } else {
    for (const [name, orig, ours] of [
      [tf.Transpose, originalTranspose, transposeKernelFunc],
      [tf.Identity, originalIdentity, identityKernelFunc],
      [tf.Cast, originalCast, castKernelFunc],
    ] as const) {
      if (orig && tf.getKernel(name, 'wasm')?.kernelFunc === ours) {
        tf.unregisterKernel(name, 'wasm');
        tf.registerKernel(orig);
      }
    }
  }
  return prev;
}

let installedOnce = false;

/** {@link installFusedKernels} the first time it can succeed (cheap to call per op). */
export function ensureFusedKernels(): void {
  if (!installedOnce && enabled && tf.getBackend() === 'wasm') installedOnce = installFusedKernels();
}

/** How many dropout masks ran in `fused-ops.wat` (tests check the path taken). */
export const fusedDropouts = { count: 0 };

/**
 * Inverted dropout of a float32 tensor on the wasm backend in one kernel pass: element i is kept
 * (times `1 / keep` in float32) when the generator's next `nextUint32()` is below `keep · 2^32` —
 * the same draws and values as `Dropout`'s loop — and `rng` is left where that loop would leave it.
 * The gradient is `dy` through the same mask, drawn again from the saved state. Null when not on
 * the wasm backend, switched off, or the backend's internals are not as expected (then use the JS mask).
 */
export function fusedDropout(x: tf.Tensor, rng: Rng, keep: number): tf.Tensor | null {
  if (!enabled || x.dtype !== 'float32' || tf.getBackend() !== 'wasm' || x.size === 0) return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  const ex = kernelsOf(be)?.ex;
  if (!ex || offsetOf(be, x) === null) return null;
  // the draw u is kept when u < keep · 2^32, i.e. u < ⌈keep · 2^32⌉ (an unsigned 32-bit threshold
  // unless keep is within 2^-32 of 1: then the JS mask)
  const threshold = Math.ceil(keep * 4294967296);
  if (threshold >= 4294967296) return null;
  const state = rng.getState();
  const scale = Math.fround(1 / keep);
  // one pass of the kernel from `state`: a new tensor of t's shape; leaves the stream's end in the globals
  const run = (t: tf.Tensor): tf.Tensor => {
    const info = be.makeOutput!(t.shape, 'float32');
    const src = offsetOf(be, t);
    const dst = offsetOf(be, info);
    if (src === null || dst === null) {
      tf.engine().makeTensorFromTensorInfo(info).dispose();
      throw new Error('Dropout (fused): a tensor without wasm heap memory');
    }
    const [a, b, c, d] = state.s;
    ex.sa.value = a | 0;
    ex.sb.value = b | 0;
    ex.sc.value = c | 0;
    ex.sd.value = d | 0;
    ex.dropout(src, dst, t.size, threshold | 0, scale);
    fusedDropouts.count++;
    return tf.engine().makeTensorFromTensorInfo(info);
  };
  const op = tf.customGrad(((xi: tf.Tensor) => ({
    value: run(xi),
    gradFunc: (dy: tf.Tensor | tf.Tensor[]) => {
      const g = dy as tf.Tensor;
      if (g.dtype === 'float32' && offsetOf(be, g) !== null) return [run(g)];
      return [run(tf.cast(g, 'float32'))];
    },
  })) as unknown as Parameters<typeof tf.customGrad>[0]);
  const y = op(x);
  rng.setState({
    kind: 'sfc32',
    s: [ex.sa.value >>> 0, ex.sb.value >>> 0, ex.sc.value >>> 0, ex.sd.value >>> 0],
    spareNormal: state.spareNormal,
  });
  return y;
}

/** The wasm backend and its kernels when every tensor is float32 in its heap; else null. */
function heapKernels(...ts: tf.Tensor[]): (Kernels & { be: WasmBackendInternals }) | null {
  if (!enabled || tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  const k = kernelsOf(be);
  if (!k || ts.some((t) => t.dtype !== 'float32' || offsetOf(be, t) === null)) return null;
  return { be, ...k };
}

function output(be: WasmBackendInternals, shape: number[]): { t: tf.Tensor; at: number } {
  const info = be.makeOutput!(shape, 'float32');
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const at = offsetOf(be, info);
  if (at === null) {
    t.dispose();
    throw new Error('fused-ops: the wasm backend gave an output without heap memory');
  }
  return { t, at };
}

/**
 * LayerNorm over the last axis (`d` values, a multiple of 4) on the wasm backend in one SIMD pass per
 * row, statistics in float32 two-pass form (mean, then Σ(x − mean)²): `(x − mean) / √(var + eps) · weight
 * + bias` (both or neither given). Null when not on the wasm backend (or switched off, or d % 4 ≠ 0):
 * then compute it another way. Same values as a float64 computation within float32 rounding.
 */
export function fusedLayerNormForward(
  x: tf.Tensor,
  weight: tf.Tensor | null,
  bias: tf.Tensor | null,
  eps: number,
): tf.Tensor | null {
  const d = x.shape[x.rank - 1];
  if (x.rank < 1 || d % 4 !== 0 || x.size === 0 || !weight !== !bias) return null;
  const k = heapKernels(x, ...(weight && bias ? [weight, bias] : []));
  if (!k) return null;
  const { t, at } = output(k.be, x.shape);
  const g = weight ? offsetOf(k.be, weight)! : 0;
  const b = bias ? offsetOf(k.be, bias)! : 0;
  k.ex.layerNorm(offsetOf(k.be, x)!, g, b, at, x.size / d, d, eps, weight ? 1 : 0);
  return t;
}

/**
 * The backward pass of {@link fusedLayerNormForward} (statistics recomputed from `x`): `dx`, and the
 * weight and bias gradients (sums over the rows in float64) when `weight` is given. Null where
 * {@link fusedLayerNormForward} is.
 */
export function fusedLayerNormBackward(
  dy: tf.Tensor,
  x: tf.Tensor,
  weight: tf.Tensor | null,
  eps: number,
): { dx: tf.Tensor; dweight: tf.Tensor | null; dbias: tf.Tensor | null } | null {
  const d = x.shape[x.rank - 1];
  if (x.rank < 1 || d % 4 !== 0 || x.size === 0 || dy.size !== x.size) return null;
  const k = heapKernels(dy, x, ...(weight ? [weight] : []));
  if (!k) return null;
  const { t: dx, at } = output(k.be, x.shape);
  // float64 sums of dweight and dbias: 2·d doubles of scratch (4·d floats), zeroed
  const scratch = weight ? output(k.be, [4 * d]) : null;
  if (scratch && scratch.at % 8 !== 0) {
    tf.dispose([dx, scratch.t]);
    return null;
  }
  // the memory's buffer now (allocating may have grown the heap, which replaces the buffer)
  if (scratch) new Float64Array(k.memory.buffer, scratch.at, 2 * d).fill(0);
  const g = weight ? offsetOf(k.be, weight)! : 0;
  const sa = scratch ? scratch.at : 0;
  k.ex.layerNormBackward(
    offsetOf(k.be, dy)!,
    offsetOf(k.be, x)!,
    g,
    at,
    sa,
    sa + 8 * d,
    x.size / d,
    d,
    eps,
    weight ? 1 : 0,
  );
  if (!scratch) return { dx, dweight: null, dbias: null };
  const sums = new Float64Array(k.memory.buffer, scratch.at, 2 * d);
  const dweight = tf.tensor1d(Float32Array.from(sums.subarray(0, d)));
  const dbias = tf.tensor1d(Float32Array.from(sums.subarray(d)));
  scratch.t.dispose();
  return { dx, dweight, dbias };
}

/**
 * Softmax's backward pass over rows of the last axis (`n` values, a multiple of 4) on the wasm backend,
 * given its output `y`: `dx = y ⊙ (dy − Σ_row y ⊙ dy)`, one SIMD pass per row (float32 sums). Null when
 * not on the wasm backend (or switched off, or n % 4 ≠ 0).
 */
export function fusedSoftmaxBackward(y: tf.Tensor, dy: tf.Tensor): tf.Tensor | null {
  const n = y.shape[y.rank - 1];
  if (y.rank < 1 || n % 4 !== 0 || y.size === 0 || dy.size !== y.size) return null;
  const k = heapKernels(y, dy);
  if (!k) return null;
  const { t, at } = output(k.be, y.shape);
  k.ex.softmaxBackward(offsetOf(k.be, y)!, offsetOf(k.be, dy)!, at, y.size / n, n);
  return t;
}
