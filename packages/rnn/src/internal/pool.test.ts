/**
 * The LSTM/GRU recurrences on `@wordloom/core`'s intra-op pool: the batch's rows are cut into
 * blocks and each block runs through every time step in one pool job per pass (forward, backward,
 * inference), so the outputs, final states and gradients are bitwise the one-thread path's (every
 * row is computed by the same instructions; both run our matmul kernel). Also a 2-layer
 * bidirectional LSTM and GRU on the wasm backend, where the input projections of training go
 * through core's pooled BatchMatMul: forward and gradients equal the one-thread run within float32
 * rounding (tfjs's XNNPACK sums in another order).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, pooledProducts, setThreads, setupBackend, startThreads } from '@wordloom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gruSequence, lstmSequence, setFusedKernels, setJsKernels } from './kernels.js';
import { fusedCalls, setPooledStepThreshold } from './fused-lstm.js';
import { GRU, LSTM } from '../recurrent.js';
import { makeLayout, type PackedLayout } from './packing.js';

const rng = new Rng(20);
const rand = (shape: number[], scale = 0.5): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()),
    shape,
  );

function sameBits(a: tf.Tensor, b: tf.Tensor): boolean {
  const x = new Uint32Array((a.dataSync() as Float32Array).slice().buffer);
  const y = new Uint32Array((b.dataSync() as Float32Array).slice().buffer);
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

// B = 13 (4 row blocks of 4), ragged and unsorted, several sequences retiring at once
const lengths = Int32Array.from([5, 1, 7, 3, 7, 2, 6, 6, 4, 1, 7, 3, 5]);
const B = lengths.length;
const short = makeLayout(lengths, B, 7);
// 240 steps: more calls than one pool job holds, so a pass takes several jobs
const long = makeLayout(
  Int32Array.from(lengths, (l, i) => (i % 3 === 1 ? l : 30 * l + i)),
  B,
  240,
);

function cases(lay: PackedLayout, H: number) {
  return {
    lstm: {
      args: (): tf.Tensor[] => [
        ...[0, 1, 2, 3].map(() => rand([lay.total, H], 1)),
        ...[0, 1, 2, 3].map(() => rand([H, H])),
        rand([4 * H]),
        rand([B, H]),
        rand([B, H]),
      ],
      run: (a: tf.Tensor[]): tf.Tensor => lstmSequence(lay, a.slice(0, 4), a.slice(4, 8), a[8], a[9], a[10]),
    },
    gru: {
      args: (): tf.Tensor[] => [
        ...[0, 1, 2].map(() => rand([lay.total, H], 1)),
        ...[0, 1, 2].map(() => rand([H, H])),
        rand([3 * H]),
        rand([H]),
        rand([B, H]),
      ],
      run: (a: tf.Tensor[]): tf.Tensor => gruSequence(lay, a.slice(0, 3), a.slice(3, 6), a[6], a[7], a[8]),
    },
  };
}

let prevThreshold = 0;
describe('LSTM/GRU on the intra-op pool: one job per pass, bitwise the one-thread result', () => {
  beforeAll(async () => {
    prevThreshold = setPooledStepThreshold(0); // the small shapes here take the pool too
    await setupBackend({ prefer: ['cpu'] });
    setJsKernels(false);
    setFusedKernels('on');
  });
  afterAll(() => {
    setJsKernels(true);
    setFusedKernels('auto');
    setThreads('auto');
    setPooledStepThreshold(prevThreshold);
  });
  // H = 12: the products' rows are padded to 16 columns (the unpacking path)
  it.each([
    ['lstm', 2, 8, 'short'],
    ['gru', 2, 8, 'short'],
    ['lstm', 3, 8, 'short'],
    ['gru', 3, 8, 'short'],
    ['lstm', 2, 12, 'short'],
    ['gru', 2, 12, 'short'],
    ['lstm', 2, 8, 'long'],
    ['gru', 2, 8, 'long'],
  ] as const)('%s inference on %i threads, H = %i, %s batch', async (cell, n, H, which) => {
    const lay = which === 'short' ? short : long;
    const { args, run } = cases(lay, H)[cell];
    const a = args();
    setThreads(1);
    const p0 = fusedCalls.pooled;
    const ref = run(a);
    expect(fusedCalls.pooled).toBe(p0);
    setThreads(n);
    run(a).dispose(); // registers the kernels with the pool (which restarts its workers)
    expect(await startThreads()).toBe(n);
    const before = tf.memory().numTensors;
    const j0 = fusedCalls.jobs;
    const got = run(a);
    expect(fusedCalls.pooled).toBeGreaterThan(p0);
    const jobs = fusedCalls.jobs - j0;
    if (which === 'short') {
      expect(jobs).toBe(1); // not one fork–join per step (7)
    } else {
      expect(jobs).toBeGreaterThan(1);
      expect(jobs).toBeLessThanOrEqual(Math.ceil(lay.maxLen / 40));
    }
    expect(tf.memory().numTensors).toBe(before + 1);
    expect(sameBits(got, ref)).toBe(true);
    tf.dispose([...a, ref, got]);
  });
  it.each([
    ['lstm', 2, 8, 'short'],
    ['gru', 2, 8, 'short'],
    ['lstm', 3, 8, 'short'],
    ['gru', 3, 8, 'short'],
    ['lstm', 2, 12, 'short'],
    ['gru', 2, 12, 'short'],
    ['lstm', 2, 8, 'long'],
    ['gru', 2, 8, 'long'],
  ] as const)(
    '%s training on %i threads, H = %i, %s batch: value and every gradient bitwise the one-thread op',
    async (cell, n, H, which) => {
      const lay = which === 'short' ? short : long;
      const { args, run } = cases(lay, H)[cell];
      const a = args();
      const grads = (): tf.Tensor[] => {
        const g = tf.grads((...x: tf.Tensor[]) => {
          const y = run(x);
          return tf.sum(tf.mul(y, tf.sin(tf.reshape(tf.range(0, y.size, 1, 'float32'), y.shape))));
        })(a);
        return [run(a), ...g];
      };
      setThreads(1);
      const p0 = fusedCalls.pooled;
      const ref = tf.tidy(grads);
      expect(fusedCalls.pooled).toBe(p0);
      setThreads(n);
      run(a).dispose();
      expect(await startThreads()).toBe(n);
      const p1 = fusedCalls.pooled;
      const j1 = fusedCalls.jobs;
      const got = tf.tidy(grads);
      expect(fusedCalls.pooled).toBe(p1 + 2); // the forward under the tape and the inference run
      // forward and backward under the tape, the inference run: one job each on the short batch,
      // and two for the recurrent weights' gradient (packing, product)
      if (which === 'short') expect(fusedCalls.jobs - j1).toBe(5);
      got.forEach((t, k) => expect(sameBits(t, ref[k]), `${cell} result ${k}`).toBe(true));
      tf.dispose([...a, ...ref, ...got]);
    },
  );
});

describe('2-layer bidirectional LSTM/GRU on wasm with 2 threads', () => {
  afterAll(async () => {
    setThreads('auto');
    await setupBackend({ prefer: ['cpu'] });
  });
  it.each([
    ['LSTM', LSTM],
    ['GRU', GRU],
  ] as const)('%s: eval outputs and training gradients within rounding of 1 thread; no leaks', async (_n, Layer) => {
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
    // large enough for the default thresholds: B·H·G·H ≥ 2^18 (the recurrences), 2 M multiply-adds (layer 2's projections)
    const m = new Layer({ inputSize: 32, hiddenSize: 96, numLayers: 2, bidirectional: true, seed: 5 });
    const x = rand([16, 12, 32], 1) as tf.Tensor3D;
    const lens = [12, 3, 1, 12, 6, 9, 12, 2, 7, 12, 5, 11, 4, 8, 10, 12];
    const evalRun = (): tf.Tensor[] => {
      m.eval();
      const r = m.forward(x, { lengths: lens });
      return [r.outputs, r.state.h, ...(r.state.c ? [r.state.c] : [])];
    };
    const trainRun = (): tf.Tensor[] => {
      m.train();
      const { value, grads } = tf.variableGrads(() => {
        const r = m.forward(x, { lengths: lens });
        return tf.sum(tf.square(r.outputs));
      }, m.parameters());
      return [value, ...Object.values(grads)];
    };
    setThreads(1);
    const ref = [...evalRun(), ...trainRun()];
    setThreads(2);
    evalRun().forEach((t) => t.dispose());
    expect(await startThreads()).toBe(2);
    const p0 = fusedCalls.pooled;
    const c0 = pooledProducts.count;
    const ev = evalRun();
    expect(fusedCalls.pooled).toBe(p0 + 4); // 2 layers × 2 directions
    const j0 = fusedCalls.jobs;
    const tr = trainRun();
    // the input projections and all their gradients run in the recurrences' memory, on the pool: per
    // layer-direction forward 2 jobs (projection) + 1 (recurrence), backward 1 (recurrence) + 2 (dW_hh)
    // + 2 + 2 (dx, dW_ih) — and none through core's pooled products any more
    expect(fusedCalls.jobs - j0).toBe(4 * 10);
    expect(pooledProducts.count).toBe(c0);
    // within rounding (until session 10 the input projections ran through core's linear: XNNPACK on
    // 1 thread, the pool on 2)
    [...ev, ...tr].forEach((t, k) => {
      const r = ref[k];
      const scale = Math.max(1e-3, tf.max(tf.abs(r)).dataSync()[0]);
      const err = tf.max(tf.abs(tf.sub(t, r))).dataSync()[0];
      expect(err / scale, `result ${k}`).toBeLessThan(1e-4);
    });
    const before = tf.memory().numTensors;
    tf.dispose(trainRun());
    tf.dispose(evalRun());
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([...ref, ...ev, ...tr, x]);
    m.dispose();
  });
});
