/** heap-view: float32 tensors read and written in place on wasm (views of the heap), dataSync elsewhere. */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { emptyFloat32Tensor, readFloat32View, setupBackend, wasmFloat32View } from '../index.js';
import { wasmBackendMemory } from './heap-view.js';

describe('readFloat32View / wasmFloat32View / emptyFloat32Tensor', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['wasm'] });
  });

  it('on wasm: a view of the heap (no copy) with the tensor values; int32 is not viewed', () => {
    expect(tf.getBackend()).toBe('wasm');
    const t = tf.tidy(() => tf.add(tf.range(0, 1000, 1, 'float32'), 0.5));
    const v = readFloat32View(t);
    expect(Array.from(v)).toEqual(Array.from(t.dataSync()));
    expect(v.buffer.byteLength).toBeGreaterThan(v.byteLength); // the heap, not a 4000-byte copy
    expect(wasmFloat32View(t)!.byteOffset).toBe(v.byteOffset); // the same bytes each time
    const i = tf.tensor1d([1, 2, 3], 'int32');
    expect(wasmFloat32View(i)).toBeNull();
    expect(Array.from(readFloat32View(i))).toEqual([1, 2, 3]);
    tf.dispose([t, i]);
  });

  it('on wasm: a TensorInfo (as kernel functions get) is viewed like its tensor; the backend memory holds both', () => {
    const t = tf.tidy(() => tf.add(tf.range(0, 24, 1, 'float32'), 1));
    const info: tf.TensorInfo = { dataId: t.dataId, shape: [4, 6], dtype: 'float32' };
    const v = wasmFloat32View(info)!;
    expect(v.length).toBe(24);
    expect(v.byteOffset).toBe(wasmFloat32View(t)!.byteOffset);
    expect(Array.from(v)).toEqual(Array.from(t.dataSync()));
    const mem = wasmBackendMemory();
    expect(mem).toBeInstanceOf(WebAssembly.Memory);
    expect(mem!.buffer).toBe(wasmFloat32View(t)!.buffer);
    t.dispose();
  });

  it('on wasm: an empty tensor is written through its view and reads back; no leak', () => {
    const before = tf.memory().numTensors;
    const t = emptyFloat32Tensor([3, 5]);
    expect(t).not.toBeNull();
    expect(t!.shape).toEqual([3, 5]);
    expect(t!.dtype).toBe('float32');
    const w = wasmFloat32View(t!)!;
    for (let k = 0; k < w.length; k++) w[k] = k * 0.25 - 1;
    const sum = tf.tidy(() => tf.sum(t!).dataSync()[0]); // a kernel sees what was written
    expect(sum).toBeCloseTo(15 * 0.25 * 7 - 15, 6);
    expect(Array.from(t!.dataSync())).toEqual(Array.from({ length: 15 }, (_, k) => k * 0.25 - 1));
    t!.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('on cpu: dataSync (the same values), no view, no empty tensor', async () => {
    await setupBackend({ prefer: ['cpu'] });
    expect(tf.getBackend()).toBe('cpu');
    const c = tf.tensor1d([1.5, -2]);
    expect(Array.from(readFloat32View(c))).toEqual([1.5, -2]);
    expect(wasmFloat32View(c)).toBeNull();
    expect(emptyFloat32Tensor([2])).toBeNull();
    expect(wasmBackendMemory()).toBeNull();
    c.dispose();
  });
});
