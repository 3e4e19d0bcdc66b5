/**
 * setupBackend installs core's fused wasm kernels (internal/fused-ops.ts) itself. This file runs in
 * its own module graph, and nothing in it calls `customGrad` or `Dropout` (which would install
 * them too) before the first test: a plain `tf.transpose` right after `setupBackend` must already
 * take the fused path.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setFusedKernels, setupBackend } from './index.js';
import { fusedTransposes } from './internal/fused-ops.js';

/** `x` (`[R, C]`, row-major) transposed, in plain JS. */
function transposeJs(x: Float32Array, R: number, C: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) out[c * R + r] = x[r * C + c];
  return out;
}

/** Index of the first element that differs (bitwise), or −1. */
function firstDifference(u: ArrayLike<number>, v: ArrayLike<number>): number {
  if (u.length !== v.length) return 0;
  for (let i = 0; i < u.length; i++) if (!Object.is(u[i], v[i])) return i;
  return -1;
}

describe('setupBackend installs the fused wasm kernels', () => {
  const R = 64;
  const C = 32;
  const values = Float32Array.from({ length: R * C }, (_, i) => Math.sin(i) * 100);

  it('a plain tf.transpose of a [64, 32] float32 tensor takes the fused path at once and equals tfjs', async () => {
    expect(fusedTransposes.count).toBe(0); // nothing ran one before setup
    const r = await setupBackend({ prefer: ['wasm'] });
    expect(r.backend).toBe('wasm');
    const x = tf.tensor2d(values, [R, C]);
    const before = fusedTransposes.count;
    const y = tf.transpose(x);
    expect(fusedTransposes.count - before).toBe(1);
    expect(y.shape).toEqual([C, R]);
    const got = y.dataSync();
    expect(firstDifference(got, transposeJs(values, R, C))).toBe(-1);
    // tfjs-backend-wasm's own kernel gives the same bits
    const prev = setFusedKernels(false);
    const want = tf.transpose(x);
    setFusedKernels(prev);
    expect(firstDifference(got, want.dataSync())).toBe(-1);
    tf.dispose([x, y, want]);
  });

  it('setFusedKernels(false) keeps them out, also across another setupBackend; true brings them back', async () => {
    const x = tf.tensor2d(values, [R, C]);
    const prev = setFusedKernels(false);
    try {
      await setupBackend({ prefer: ['wasm'] });
      const before = fusedTransposes.count;
      const y = tf.transpose(x);
      expect(fusedTransposes.count).toBe(before);
      expect(firstDifference(y.dataSync(), transposeJs(values, R, C))).toBe(-1);
      y.dispose();
    } finally {
      setFusedKernels(prev);
    }
    const before = fusedTransposes.count;
    const z = tf.transpose(x);
    expect(fusedTransposes.count - before).toBe(1);
    tf.dispose([x, z]);
  });
});
