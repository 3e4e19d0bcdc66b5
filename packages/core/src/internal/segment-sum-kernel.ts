/**
 * `UnsortedSegmentSum` for the wasm backend, which lacks it (tfjs issue 8082). It is the
 * gradient of `gather`, so without it no embedding lookup can be trained on wasm.
 *
 * Written in plain JS over the wasm heap: read the inputs, sum rows, write one output.
 * The kernel is memory-bound (one pass over `x`), so JS costs about what C++ would.
 * Semantics follow tfjs-backend-cpu: output `[numSegments, ...x.shape.slice(ids.rank)]`,
 * ids outside `[0, numSegments)` are dropped.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The slice of the wasm backend we use (it is not exported as a type we can import). */
interface WasmLikeBackend {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.TypedArray,
  ): tf.TensorInfo;
}

/** Sums rows of `x` into `numSegments` buckets; exported for the cpu-free reference test. */
export function segmentSumValues(
  x: ArrayLike<number>,
  ids: ArrayLike<number>,
  numSegments: number,
  inner: number,
  out: Float32Array | Int32Array,
): void {
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const src = i * inner;
    const dst = s * inner;
    for (let k = 0; k < inner; k++) out[dst + k] += x[src + k];
  }
}

export const wasmUnsortedSegmentSumConfig: tf.KernelConfig = {
  kernelName: tf.UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: ({ inputs, backend, attrs }) => {
    const { x, segmentIds } = inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
    const { numSegments } = attrs as unknown as { numSegments: number };
    const b = backend as unknown as WasmLikeBackend;
    if (x.dtype !== 'float32' && x.dtype !== 'int32') {
      throw new Error(`unsortedSegmentSum (wasm): x.dtype = ${x.dtype} is not supported (float32 or int32)`);
    }
    const numIds = tf.util.sizeFromShape(segmentIds.shape);
    const xSize = tf.util.sizeFromShape(x.shape);
    const inner = numIds === 0 ? tf.util.sizeFromShape(x.shape.slice(segmentIds.shape.length)) : xSize / numIds;
    const outShape = [numSegments, ...x.shape.slice(segmentIds.shape.length)];
    const out = x.dtype === 'float32' ? new Float32Array(numSegments * inner) : new Int32Array(numSegments * inner);
    const xv = b.readSync(x.dataId) as Float32Array | Int32Array;
    const ids = b.readSync(segmentIds.dataId) as Int32Array;
    segmentSumValues(xv, ids, numSegments, inner, out);
    return b.makeOutput(outShape, x.dtype, undefined, out);
  },
};
