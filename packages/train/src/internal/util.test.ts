/** readFloats: a float32 tensor's values without a copy on wasm (a heap view), equal to dataSync everywhere. */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { readFloats } from './util.js';

describe('readFloats', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['wasm'] });
  });

  it('on wasm: a view of the backend heap with the tensor values (no copy); int32 and cpu copy', async () => {
    expect(tf.getBackend()).toBe('wasm');
    const t = tf.tidy(() => tf.add(tf.range(0, 1000, 1, 'float32'), 0.5));
    const v = readFloats(t);
    expect(Array.from(v)).toEqual(Array.from(t.dataSync()));
    expect(v.buffer).not.toBeInstanceOf(SharedArrayBuffer);
    expect(v.buffer.byteLength).toBeGreaterThan(v.byteLength); // the heap, not a 4000-byte copy
    const i = tf.tensor1d([1, 2, 3], 'int32');
    expect(Array.from(readFloats(i))).toEqual([1, 2, 3]);
    tf.dispose([t, i]);
    await setupBackend({ prefer: ['cpu'] });
    const c = tf.tensor1d([1.5, -2]);
    expect(Array.from(readFloats(c))).toEqual([1.5, -2]);
    c.dispose();
  });
});
