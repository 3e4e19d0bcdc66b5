/**
 * Packed-sequence layout, as PyTorch's `PackedSequence` (torch/nn/utils/rnn.py): the batch is
 * sorted by length (descending, stable), and step t holds the first `batchSizes[t]` sorted
 * sequences, so the sequences still running at step t are always a prefix of the rows. The
 * recurrence then only computes real tokens (on ragged 10..50 batches that is ~40% less work than
 * padding), each sequence's final state is the row that retires at its own last step, and the
 * reverse direction (token L-1-s at step s) has the same prefix structure.
 */
import * as tf from '@tensorflow/tfjs-core';
import { emptyFloat32Tensor, wasmFloat32View } from '@wordloom/core';
import { customOp } from './custom-op.js';

export interface PackedLayout {
  /** B */
  readonly batch: number;
  /** T, the padded length of the input */
  readonly steps: number;
  /** Lengths in the caller's batch order. */
  readonly lengths: Int32Array;
  /** Sorted slot j -> caller's batch index (descending length, stable). */
  readonly order: Int32Array;
  /** Caller's batch index -> sorted slot. */
  readonly inverse: Int32Array;
  /** Rows alive at each step, length maxLen (non-increasing, batchSizes[0] = B). */
  readonly batchSizes: number[];
  /** Row offset of each step in the packed matrix, length maxLen + 1. */
  readonly offsets: Int32Array;
  /** N = sum of lengths. */
  readonly total: number;
  readonly maxLen: number;
  /** Packed row i -> flat index b*T + t of the padded [B*T] rows. */
  readonly packIndex: Int32Array;
  /** Flat b*T + t -> packed row, or N for a padded position (points at an appended zero row). */
  readonly unpackIndex: Int32Array;
  /** Packed (forward order) row -> row of the same token in reverse order; an involution. */
  readonly reverseIndex: Int32Array;
}

export function makeLayout(lengths: Int32Array, batch: number, steps: number): PackedLayout {
  const order = Int32Array.from({ length: batch }, (_, i) => i);
  // Stable descending sort by length.
  const sorted = Array.from(order).sort((a, b) => lengths[b] - lengths[a] || a - b);
  order.set(sorted);
  const inverse = new Int32Array(batch);
  for (let j = 0; j < batch; j++) inverse[order[j]] = j;
  const maxLen = batch > 0 ? lengths[order[0]] : 0;
  const batchSizes: number[] = [];
  for (let t = 0; t < maxLen; t++) {
    let n = 0;
    while (n < batch && lengths[order[n]] > t) n++;
    batchSizes.push(n);
  }
  const offsets = new Int32Array(maxLen + 1);
  for (let t = 0; t < maxLen; t++) offsets[t + 1] = offsets[t] + batchSizes[t];
  const total = offsets[maxLen];
  const packIndex = new Int32Array(total);
  const unpackIndex = new Int32Array(batch * steps).fill(total);
  const reverseIndex = new Int32Array(total);
  for (let t = 0; t < maxLen; t++) {
    for (let j = 0; j < batchSizes[t]; j++) {
      const b = order[j];
      const row = offsets[t] + j;
      packIndex[row] = b * steps + t;
      unpackIndex[b * steps + t] = row;
      reverseIndex[row] = offsets[lengths[b] - 1 - t] + j;
    }
  }
  return {
    batch,
    steps,
    lengths,
    order,
    inverse,
    batchSizes,
    offsets,
    total,
    maxLen,
    packIndex,
    unpackIndex,
    reverseIndex,
  };
}

/**
 * Row gather whose gradient is again a row gather (an injective map has an adjoint that is a
 * gather too), instead of tfjs's UnsortedSegmentSum, which wasm lacks and which is slow in JS.
 * `padForward` appends a zero row to x before gathering (indices equal to rows(x) read zeros);
 * `padBackward` does the same to dy.
 */
export function gatherRows(
  x: tf.Tensor2D,
  forwardIndex: Int32Array,
  backwardIndex: Int32Array,
  padForward: boolean,
  padBackward: boolean,
): tf.Tensor2D {
  const op = customOp(([xs]) => ({
    value: rowGather(xs, forwardIndex, padForward),
    gradFunc: (dy: tf.Tensor) => [rowGather(dy, backwardIndex, padBackward)],
  }));
  return op(x) as tf.Tensor2D;
}

/**
 * Rows `index` of x (index = rows(x) reads a zero row when `pad`). On the cpu and wasm backends
 * this copies rows in JS: wasm's GatherV2 took ~35 ms for a [1920, 512] gather here, the
 * typed-array copy a few ms. On wasm the rows go from x's bytes in the backend's heap straight into
 * the output tensor's (core's heap views): `dataSync` would first copy all of x into a fresh
 * array and `tf.tensor2d` copy the result into the heap again — in a profile of the rnn bench's
 * inference (Dec 2026) those two copies and their allocations were ~15 % of the main thread.
 * Other backends (GPU) use tf.gather and stay on the device.
 */
function rowGather(x: tf.Tensor, index: Int32Array, pad: boolean): tf.Tensor {
  const [R, F] = x.shape as [number, number];
  const backend = tf.getBackend();
  if (backend === 'wasm') {
    const out = emptyFloat32Tensor([index.length, F]); // allocate first: it may grow the heap
    const dst = out ? wasmFloat32View(out) : null;
    const src = out && x.dtype === 'float32' ? wasmFloat32View(x) : null;
    if (out && dst && src) {
      copyRows(src, dst, index, R, F);
      return out;
    }
    out?.dispose();
  }
  if (backend === 'cpu' || backend === 'wasm') {
    const out = new Float32Array(index.length * F);
    copyRows(x.dataSync() as Float32Array, out, index, R, F);
    return tf.tensor2d(out, [index.length, F]);
  }
  return tf.tidy(() => {
    const s = pad ? tf.concat([x, tf.zeros([1, F])], 0) : x;
    return tf.gather(s, tf.tensor1d(index, 'int32'), 0);
  });
}

/** dst row i = src row index[i] (rows of F floats), or zeros where index[i] >= R. */
function copyRows(src: Float32Array, dst: Float32Array, index: Int32Array, R: number, F: number): void {
  for (let i = 0; i < index.length; i++) {
    const r = index[i];
    if (r < R) dst.set(src.subarray(r * F, r * F + F), i * F);
    else dst.fill(0, i * F, i * F + F);
  }
}

/** [B*T, F] padded rows -> [N, F] packed rows. */
export function pack(x: tf.Tensor2D, layout: PackedLayout): tf.Tensor2D {
  return gatherRows(x, layout.packIndex, layout.unpackIndex, false, true);
}

/** [N, F] packed rows -> [B*T, F] padded rows with zeros at padded steps. */
export function unpack(x: tf.Tensor2D, layout: PackedLayout): tf.Tensor2D {
  return gatherRows(x, layout.unpackIndex, layout.packIndex, true, false);
}

/** Forward packed order <-> reverse packed order (the same map both ways). */
export function reverseWithinLengths(x: tf.Tensor2D, layout: PackedLayout): tf.Tensor2D {
  return gatherRows(x, layout.reverseIndex, layout.reverseIndex, false, false);
}

/** [B, F] caller's order -> sorted order. */
export function toSorted(x: tf.Tensor2D, layout: PackedLayout): tf.Tensor2D {
  return gatherRows(x, layout.order, layout.inverse, false, false);
}

/** [B, F] sorted order -> caller's order. */
export function fromSorted(x: tf.Tensor2D, layout: PackedLayout): tf.Tensor2D {
  return gatherRows(x, layout.inverse, layout.order, false, false);
}

/**
 * Rows start … start + count − 1 of x [R, F], with a gradient (dy into those rows of zeros). On wasm
 * the rows go from x's heap bytes straight into the result's, and the gradient is written likewise:
 * tfjs-backend-wasm's `slice` (under `tf.split`) first copies ALL of x into a fresh array for each
 * part — for the recurrent ops' [N + 2B, H] results that was ~3 % of the bench's training step
 * (profile, Dec 2026). Elsewhere `tf.slice` / `tf.pad`.
 */
export function sliceRows(x: tf.Tensor2D, start: number, count: number): tf.Tensor2D {
  const [R, F] = x.shape;
  if (!(Number.isInteger(start) && Number.isInteger(count) && start >= 0 && count >= 0 && start + count <= R)) {
    throw new Error(`sliceRows: rows ${start} … ${start + count - 1} are outside x [${R}, ${F}]`);
  }
  const op = customOp(([xs]) => ({
    value: copyRowRange(xs, start, count, count, 0),
    gradFunc: (dy: tf.Tensor) => [copyRowRange(dy, 0, count, R, start)],
  }));
  return op(x) as tf.Tensor2D;
}

/** A new [rows, F] tensor: zeros, with src's rows from..from+count−1 at rows at..at+count−1. */
function copyRowRange(src: tf.Tensor, from: number, count: number, rows: number, at: number): tf.Tensor {
  const F = src.shape[1]!;
  if (tf.getBackend() === 'wasm' && src.dtype === 'float32') {
    const out = emptyFloat32Tensor([rows, F]); // allocate first: it may grow the heap
    const dst = out ? wasmFloat32View(out) : null;
    const s = out ? wasmFloat32View(src) : null;
    if (out && dst && s) {
      dst.fill(0, 0, at * F);
      dst.set(s.subarray(from * F, (from + count) * F), at * F);
      dst.fill(0, (at + count) * F);
      return out;
    }
    out?.dispose();
  }
  return tf.tidy(() => {
    const part = from === 0 && count === src.shape[0] ? src.clone() : tf.slice(src, [from, 0], [count, F]);
    return at === 0 && count === rows
      ? part
      : tf.pad(part, [
          [at, rows - at - count],
          [0, 0],
        ]);
  });
}

/**
 * x_0 … x_{k−1} [R, F_i] side by side, [R, ΣF_i] — a bidirectional layer's two outputs — with a
 * gradient that takes dy apart the same way. On wasm the rows are copied between the tensors' heap
 * bytes: tfjs's Concat gradient is `tf.split`, whose wasm `slice` copies ALL of dy into a fresh
 * array for each part and then gathers its columns in a JS loop (~2.5 % of the GRU training step's
 * main thread in a profile of the rnn bench, Dec 2026). Elsewhere `tf.concat` / `tf.split`.
 */
export function concatColumns(parts: tf.Tensor2D[]): tf.Tensor2D {
  const widths = parts.map((p) => p.shape[1]);
  const op = customOp((xs) => ({
    value: joinColumns(xs, widths),
    gradFunc: (dy: tf.Tensor) => splitColumns(dy, widths),
  }));
  return op(...parts) as tf.Tensor2D;
}

/** The rows of `xs` [R, widths[k]] side by side in a new [R, Σwidths] tensor. */
function joinColumns(xs: tf.Tensor[], widths: number[]): tf.Tensor {
  const R = xs[0].shape[0]!;
  const F = widths.reduce((a, b) => a + b, 0);
  if (tf.getBackend() === 'wasm' && xs.every((x) => x.dtype === 'float32')) {
    const out = emptyFloat32Tensor([R, F]); // allocate first: it may grow the heap
    const dst = out ? wasmFloat32View(out) : null;
    const srcs = out ? xs.map((x) => wasmFloat32View(x)) : [];
    if (out && dst && srcs.every((v) => v !== null)) {
      let at = 0;
      srcs.forEach((v, k) => {
        const w = widths[k];
        for (let i = 0; i < R; i++) dst.set(v.subarray(i * w, i * w + w), i * F + at);
        at += w;
      });
      return out;
    }
    out?.dispose();
  }
  return tf.concat(xs, 1);
}

/** dy [R, Σwidths] cut into new tensors [R, widths[k]] (the columns of each part). */
function splitColumns(dy: tf.Tensor, widths: number[]): tf.Tensor[] {
  const R = dy.shape[0]!;
  const F = dy.shape[1]!;
  if (tf.getBackend() === 'wasm' && dy.dtype === 'float32') {
    const outs = widths.map((w) => emptyFloat32Tensor([R, w])); // all allocated before any view is taken
    const dsts = outs.map((o) => (o ? wasmFloat32View(o) : null));
    const src = wasmFloat32View(dy);
    if (src && dsts.every((v) => v !== null)) {
      let at = 0;
      dsts.forEach((v, k) => {
        const w = widths[k];
        for (let i = 0; i < R; i++) v.set(src.subarray(i * F + at, i * F + at + w), i * w);
        at += w;
      });
      return outs as tf.Tensor[];
    }
    tf.dispose(outs.filter((o): o is tf.Tensor => o !== null));
  }
  return tf.split(dy, widths, 1);
}
