import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { setupBackend } from './index.js';

describe('setupBackend', () => {
  it('switches to wasm and trains through gather (UnsortedSegmentSum)', async () => {
    const r = await setupBackend({ prefer: ['wasm'] });
    expect(r.rejected).toEqual([]);
    expect(r.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    const w = tf.variable(
      tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
      ]),
    );
    const ids = tf.tensor1d([0, 2, 2], 'int32');
    const { grads, value } = tf.variableGrads(() => tf.sum(tf.mul(tf.gather(w, ids), tf.scalar(2))) as tf.Scalar, [w]);
    expect(value.dataSync()[0]).toBe(2 * (1 + 2 + 5 + 6 + 5 + 6));
    expect(Array.from(grads[w.name].dataSync())).toEqual([2, 2, 0, 0, 4, 4]);
  });
  it('cpu too', async () => {
    const r = await setupBackend({ prefer: ['cpu'] });
    expect(r.backend).toBe('cpu');
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.tanh(x)))(tf.tensor1d([0, 1]));
    expect(g.dataSync()[0]).toBeCloseTo(1, 6);
  });
});

describe('setupBackend verification', () => {
  it('falls back (and says why) when tf.setBackend returns false', async () => {
    // A registered backend whose initialization fails: tfjs returns false and stays put.
    tf.registerBackend('webgpu', () => {
      throw new Error('no adapter');
    });
    const warn = console.warn;
    console.warn = () => {};
    try {
      const r = await setupBackend({ prefer: ['webgpu', 'cpu'] });
      expect(r.backend).toBe('cpu');
      expect(tf.getBackend()).toBe('cpu');
      expect(r.rejected).toEqual([
        {
          backend: 'webgpu',
          reason: "tf.setBackend('webgpu') returned false (initialization failed; tf.getBackend() says 'webgpu')",
        },
      ]);
    } finally {
      console.warn = warn;
      tf.removeBackend('webgpu');
    }
  });

  it('rejects unknown names and always keeps cpu as the last resort', async () => {
    await expect(setupBackend({ prefer: ['tpu' as 'cpu'] })).rejects.toThrow(
      "setupBackend: prefer contains unknown backend 'tpu'",
    );
    const r = await setupBackend({ prefer: [] });
    expect(r.backend).toBe('cpu');
  });
});

describe('setupBackend({ measure: true })', () => {
  it('times every working backend and keeps the fastest', async () => {
    const r = await setupBackend({ prefer: ['cpu', 'wasm'], measure: true });
    const t = r.timings!;
    expect(Object.keys(t).sort()).toEqual(['cpu', 'wasm']);
    expect(r.backend).toBe(t.cpu! < t.wasm! ? 'cpu' : 'wasm');
    expect(tf.getBackend()).toBe(r.backend);
  });
});
