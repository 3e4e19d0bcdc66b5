/**
 * Float32 tensors read (and written) in place: on tfjs-backend-wasm a tensor's values live in the backend's
 * WebAssembly heap, and a `Float32Array` view of those bytes saves `dataSync`'s copy into a fresh array — for a
 * loop over millions of values (an optimizer step, a gradient exchange) that is 4 bytes per value the allocator
 * had to supply and the kernel to fault in. Elsewhere (cpu, GPU backends), or when the wasm backend's internals
 * are not as expected (checked at every call), `dataSync()`.
 *
 * A view is valid only until the next tfjs call: any call may grow the heap (which detaches the view's
 * buffer) or free and reuse the tensor's memory. Read it at once, in a plain loop.
 *
 * Reference: tfjs-backend-wasm 4.22 `BackendWasm` (`dataIdMap` entries `{ memoryOffset, dtype }`, `wasm.HEAPU8`,
 * `makeOutput`), the internals its own kernels use.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';

/** What tfjs-backend-wasm keeps of a tensor (internal API, checked at every use). */
interface WasmBackendInternals {
  dataIdMap?: { get(id: object): { memoryOffset?: number | null; dtype?: string } | undefined };
  wasm?: { HEAPU8?: Uint8Array; asm?: { memory?: unknown } };
  makeOutput?: (shape: number[], dtype: 'float32') => tf.TensorInfo;
}

/**
 * On the wasm backend, a view of a float32 tensor's bytes in the backend's heap (writable: it IS the tensor's
 * memory); `null` on other backends, for other dtypes, or if the backend's internals are not as expected.
 * Valid only until the next tfjs call. Write only into tensors you just made (see {@link emptyFloat32Tensor}):
 * tfjs shares one buffer between a tensor and its clones and reshapes. Takes a `Tensor` or, inside a kernel
 * function (`tf.registerKernel`), a `TensorInfo` of the wasm backend.
 */
export function wasmFloat32View(t: tf.Tensor | tf.TensorInfo): Float32Array | null {
  if (t.dtype !== 'float32' || tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  const d = be.dataIdMap?.get(t.dataId);
  const heap = be.wasm?.HEAPU8;
  if (!d || d.dtype !== 'float32' || typeof d.memoryOffset !== 'number' || !heap || d.memoryOffset % 4 !== 0)
    return null;
  const size = 'size' in t && typeof t.size === 'number' ? t.size : tf.util.sizeFromShape(t.shape);
  if (d.memoryOffset + 4 * size > heap.byteLength) return null;
  return new Float32Array(heap.buffer, d.memoryOffset, size);
}

/**
 * The wasm backend's heap — the `WebAssembly.Memory` its tensors live in — for kernels instantiated on it
 * (core's matmul, optim's one-pass Adam); `null` on other backends or if the backend's internals are not as
 * expected. The memory may grow (any tfjs call): take views of its buffer only when needed.
 */
export function wasmBackendMemory(): WebAssembly.Memory | null {
  if (tf.getBackend() !== 'wasm') return null;
  const m = (tf.backend() as unknown as WasmBackendInternals).wasm?.asm?.memory;
  return m instanceof WebAssembly.Memory ? m : null;
}

/**
 * A float32 tensor's values for reading at once: on the wasm backend a view of its bytes in the backend's heap
 * (no copy), elsewhere `dataSync()` (a download on GPU backends; on cpu the backend's own array). Treat it as
 * read-only, and valid only until the next tfjs call (which may grow or reuse that memory). Other dtypes:
 * `dataSync()` as `Float32Array` is not checked — pass float32 tensors.
 */
export function readFloat32View(t: tf.Tensor): Float32Array {
  return wasmFloat32View(t) ?? (t.dataSync() as Float32Array);
}

/**
 * On the wasm backend, a new float32 tensor of `shape` whose memory the backend allocated and did NOT
 * initialize: fill every value through {@link wasmFloat32View} before any other tfjs call reads it. `null` on
 * other backends or if the backend's internals are not as expected (then build the values in a
 * `Float32Array` and call `tf.tensor`). Allocating may grow the heap: take views only after the last allocation.
 */
export function emptyFloat32Tensor(shape: number[]): tf.Tensor | null {
  if (tf.getBackend() !== 'wasm') return null;
  const be = tf.backend() as unknown as WasmBackendInternals;
  if (typeof be.makeOutput !== 'function' || be.dataIdMap === undefined) return null;
  const info = be.makeOutput(shape, 'float32');
  const t = tf.engine().makeTensorFromTensorInfo(info);
  const d = be.dataIdMap.get(info.dataId);
  if (!d || typeof d.memoryOffset !== 'number' || d.memoryOffset % 4 !== 0) {
    t.dispose();
    return null;
  }
  return t;
}
