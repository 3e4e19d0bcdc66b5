import * as tf from '@tensorflow/tfjs-core';
import { paddingMask, setFusedKernels, setupBackend } from '@wordloom/core';
import { expectClose } from '@wordloom/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TransformerEncoderLayer } from './encoder-layer.js';

// core's fused wasm kernels (Transpose, buffer-sharing Identity and Cast, Dropout's mask, the
// LayerNorm and softmax-backward kernels) under a whole training step of an encoder layer
describe('an encoder layer on wasm with core fused kernels on and off', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
  });
  afterAll(() => {
    setFusedKernels(true);
  });

  it('gives the same loss and gradients (dropout masks too), and a step leaks nothing', () => {
    // dModel and keys multiples of 4: the SIMD LayerNorm and softmax-backward kernels run
    const layer = new TransformerEncoderLayer({ dModel: 16, nhead: 2, dimFeedforward: 32, dropout: 0.2, seed: 3 });
    layer.train();
    const x = tf.randomNormal([3, 8, 16], 0, 1, 'float32', 5);
    const pad = paddingMask([8, 5, 3], { maxLen: 8 });
    const params = [...layer.namedParameters().values()] as tf.Variable[];
    const rng = layer.rngStates();
    // on: forward and backward with the kernels; 'forward only': switched off between the two
    const run = (on: boolean | 'forward only'): Float32Array[] => {
      const prev = setFusedKernels(on !== false);
      try {
        layer.loadRngStates(rng); // the same dropout masks both ways
        const before = tf.memory().numTensors;
        const { value, grads } = tf.variableGrads(() => {
          const loss = tf.sum(tf.square(layer.forward(x, { srcKeyPaddingMask: pad }).output)) as tf.Scalar;
          if (on === 'forward only') setFusedKernels(false);
          return loss;
        }, params);
        const out = [value, ...params.map((p) => grads[p.name])].map((t) => t.dataSync().slice() as Float32Array);
        tf.dispose([value, ...Object.values(grads)]);
        expect(tf.memory().numTensors, `tensors after a step (kernels ${String(on)})`).toBe(before);
        return out;
      } finally {
        setFusedKernels(prev);
      }
    };
    // float32 statistics and sums in another order: ≈ 1e-6 apart on gradients whose terms cancel;
    // different dropout masks put them ≥ 1e-5 apart
    const off = run(false);
    const on = run(true);
    const mixed = run('forward only');
    for (const [got, how] of [
      [on, 'on'],
      [mixed, 'on in the forward only'],
    ] as const) {
      got.forEach((g, i) =>
        expectClose(g, off[i], { atol: 3e-6, rtol: 1e-4, name: `${how}: ${i === 0 ? 'loss' : params[i - 1].name}` }),
      );
    }
    tf.dispose([x, pad]);
    layer.dispose();
  });
});
