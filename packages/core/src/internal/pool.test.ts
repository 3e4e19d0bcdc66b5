/**
 * The intra-op pool (pool.ts) and the matmul split across it (pool-matmul.ts): the product on 2
 * and 3 threads is bitwise the one-thread kernel's (every 4 × 8 block is computed by the same
 * instructions), the workers really ran their share (their job counters), the wasm BatchMatMul
 * wrapper sends large products to the pool and equals tfjs's kernel within float32 rounding, a
 * trap in a worker becomes an error naming the function, and the settings parse and validate.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Linear, Rng, batchMatMul, setupBackend } from '../index.js';
import { expectClose, expectNoLeaks } from '../testing.js';
import { simdBatchMatMul, type ProductShape } from './matmul-kernel.js';
import {
  getThreads,
  parseThreadsEnv,
  poolActiveThreads,
  poolRun,
  poolStats,
  setThreads,
  splitRange,
  stopThreads,
  threadsUnavailable,
} from './pool.js';
import {
  poolMatmulFunctions,
  pooledBatchMatMul,
  pooledProductThreads,
  pooledProducts,
  reusedPanels,
  setPoolMatMulThreshold,
  setSimdMatMulThreshold,
  simdRoutedProducts,
  startThreads,
} from './pool-matmul.js';

const rng = new Rng(20);
const randArray = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());

/** Index of the first element whose bits differ (-1 when bitwise equal). */
function firstDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return -2;
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

const shapes: ProductShape[] = [
  { batch: 1, M: 37, K: 19, N: 13, transposeA: false, transposeB: false },
  { batch: 1, M: 64, K: 64, N: 64, transposeA: false, transposeB: true },
  { batch: 3, M: 5, K: 33, N: 17, transposeA: true, transposeB: false },
  { batch: 7, M: 12, K: 8, N: 40, transposeA: true, transposeB: true },
  { batch: 2, M: 1, K: 3, N: 9, transposeA: false, transposeB: false }, // 2 units: one each
  { batch: 1, M: 130, K: 1, N: 1, transposeA: false, transposeB: false },
];

describe('intra-op pool', () => {
  let prevThreshold = 0;
  beforeAll(() => {
    prevThreshold = setPoolMatMulThreshold(0);
  });
  afterAll(() => {
    setPoolMatMulThreshold(prevThreshold);
    setThreads('auto');
  });

  it('runs here (Node: worker_threads, shared WebAssembly memory)', () => {
    expect(threadsUnavailable()).toBeUndefined();
  });

  it.each([2, 3])('splits products over %i threads, bitwise equal to one thread; the workers ran', async (n) => {
    setThreads(n);
    expect(getThreads()).toBe(n);
    expect(poolMatmulFunctions()).not.toBeNull();
    expect(await startThreads()).toBe(n);
    expect(poolActiveThreads()).toBe(n);
    for (const s of shapes) {
      const a = randArray(s.batch * s.M * s.K);
      const b = randArray(s.batch * s.K * s.N);
      const want = simdBatchMatMul(a, b, s);
      const got = pooledBatchMatMul(a, b, s, n).slice();
      expect(firstDifference(got, want), JSON.stringify(s)).toBe(-1);
    }
    // every worker took part: parts are claimed by whichever thread is awake, so on a loaded
    // machine a worker may miss a few products; repeat one (bitwise each time) until each has run some
    const s = shapes[0];
    const a = randArray(s.batch * s.M * s.K);
    const b = randArray(s.batch * s.K * s.N);
    const want = simdBatchMatMul(a, b, s);
    for (let i = 0; i < 500 && poolStats().jobs.some((j) => j === 0); i++) {
      expect(firstDifference(pooledBatchMatMul(a, b, s, n).slice(), want)).toBe(-1);
    }
    const { jobs } = poolStats();
    expect(jobs).toHaveLength(n - 1);
    for (const j of jobs) expect(j).toBeGreaterThan(0);
  });

  it('the path depends on the setting, not on the workers being up: same bits before and after they start', async () => {
    setThreads(2);
    stopThreads(); // no worker now: the parts run on this thread
    const s = shapes[0];
    expect(pooledProductThreads(s)).toBe(2); // decided by the setting (and starts the workers)
    const a = randArray(s.batch * s.M * s.K);
    const b = randArray(s.batch * s.K * s.N);
    stopThreads();
    const before = pooledBatchMatMul(a, b, s, 2).slice();
    expect(poolStats().ready).toBe(0);
    expect(await startThreads()).toBe(2);
    expect(firstDifference(pooledBatchMatMul(a, b, s, 2).slice(), before)).toBe(-1);
  });

  it('batchMatMul (kernel simd, cpu backend) takes the pool and keeps its gradients', async () => {
    await setupBackend({ prefer: ['cpu'] });
    setThreads(2);
    expect(await startThreads()).toBe(2);
    const a = tf.tensor(randArray(4 * 9 * 6), [4, 9, 6]);
    const b = tf.tensor(randArray(4 * 11 * 6), [4, 11, 6]);
    const f = (x: tf.Tensor, y: tf.Tensor) =>
      tf.sum(tf.square(batchMatMul(x, y, { transposeB: true, kernel: 'simd' })));
    const pooled = tf.grads(f)([a, b]);
    const y2 = batchMatMul(a, b, { transposeB: true, kernel: 'simd' });
    setThreads(1);
    const single = tf.grads(f)([a, b]);
    const y1 = batchMatMul(a, b, { transposeB: true, kernel: 'simd' });
    expect(firstDifference(y2.dataSync() as Float32Array, y1.dataSync() as Float32Array)).toBe(-1);
    pooled.forEach((g, k) =>
      expect(firstDifference(g.dataSync() as Float32Array, single[k].dataSync() as Float32Array)).toBe(-1),
    );
    tf.dispose([a, b, y1, y2, ...pooled, ...single]);
  });

  it('wraps wasm BatchMatMul: large products go to the pool, equal to tfjs within rounding, no leaks', async () => {
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
    setThreads(1);
    const x = tf.tensor(randArray(70 * 48), [70, 48]);
    const w = tf.tensor(randArray(48 * 40), [48, 40]);
    const ab = tf.tensor(randArray(3 * 20 * 48), [3, 20, 48]);
    const bb = tf.tensor(randArray(3 * 30 * 48), [3, 30, 48]);
    const lin = new Linear({ inFeatures: 48, outFeatures: 40, seed: 3 });
    const runShapes = (): tf.Tensor[] => {
      const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(lin.forward(x))), lin.parameters());
      return [tf.matMul(x, w), tf.matMul(ab, bb, false, true), value, ...Object.values(grads)];
    };
    const c0 = pooledProducts.count;
    const ref = runShapes(); // threads off: tfjs's kernel
    expect(pooledProducts.count).toBe(c0);
    setThreads(2);
    expect(await startThreads()).toBe(2);
    const got = runShapes();
    // the same B twice in a row: its packed panels are reused, the product is the same
    const r0 = reusedPanels.count;
    const y1 = tf.matMul(x, w);
    const y2 = tf.matMul(x, w);
    expect(reusedPanels.count).toBe(r0 + 1);
    expect(firstDifference(y2.dataSync() as Float32Array, y1.dataSync() as Float32Array)).toBe(-1);
    tf.dispose([y1, y2]);
    expect(pooledProducts.count).toBeGreaterThanOrEqual(c0 + 4); // 2 products, the forward and backward of linear
    got.forEach((t, k) => expectClose(t, ref[k], { rtol: 1e-4, atol: 1e-4, name: `result ${k}` }));
    // the pooled product is bitwise our one-thread kernel's
    const xw = got[0].dataSync() as Float32Array;
    const want = simdBatchMatMul(x.dataSync() as Float32Array, w.dataSync() as Float32Array, {
      batch: 1,
      M: 70,
      K: 48,
      N: 40,
      transposeA: false,
      transposeB: false,
    });
    expect(firstDifference(xw, want)).toBe(-1);
    expectNoLeaks(() => {
      tf.dispose(runShapes());
    });
    tf.dispose([x, w, ab, bb, ...ref, ...got]);
    lin.dispose();
    await setupBackend({ prefer: ['cpu'] });
  });

  it('one thread: products from the simd threshold run our kernel on tfjs’s heap (every transpose form, batched, their gradients): bitwise our kernel, within rounding of XNNPACK, no leaks', async () => {
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
    setThreads(1);
    const stored = (s: ProductShape): { a: tf.Tensor; b: tf.Tensor } => {
      const lead = s.batch > 1 ? [s.batch] : [];
      const a = tf.tensor(randArray(s.batch * s.M * s.K), [...lead, ...(s.transposeA ? [s.K, s.M] : [s.M, s.K])]);
      const b = tf.tensor(randArray(s.batch * s.K * s.N), [...lead, ...(s.transposeB ? [s.N, s.K] : [s.K, s.N])]);
      return { a, b };
    };
    const ops = shapes.map((s) => ({ s, ...stored(s) }));
    // the product and both gradients (tfjs's BatchMatMul gradient: products with transposes)
    const run = (): tf.Tensor[] =>
      ops.flatMap(({ s, a, b }) => {
        const f = (x: tf.Tensor, y: tf.Tensor): tf.Tensor => tf.matMul(x, y, s.transposeA, s.transposeB);
        const R = tf.tidy(() => tf.sin(tf.range(0, s.batch * s.M * s.N)));
        const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.reshape(f(x, y), [-1]), R)))([a, b]);
        R.dispose();
        return [f(a, b), ...g];
      });
    const prev = setSimdMatMulThreshold(Infinity);
    try {
      const n0 = simdRoutedProducts.count;
      const ref = run(); // XNNPACK
      expect(simdRoutedProducts.count).toBe(n0);
      setSimdMatMulThreshold(0);
      const got = run();
      expect(simdRoutedProducts.count).toBe(n0 + 4 * shapes.length); // each product twice (one under the tape), its two gradients
      got.forEach((t, k) => expectClose(t, ref[k], { rtol: 1e-4, atol: 1e-4, name: `result ${k}` }));
      ops.forEach(({ s, a, b }, i) => {
        const want = simdBatchMatMul(a.dataSync() as Float32Array, b.dataSync() as Float32Array, s);
        expect(firstDifference(got[3 * i].dataSync() as Float32Array, want)).toBe(-1);
      });
      expectNoLeaks(() => {
        tf.dispose(run());
      });
      tf.dispose([...ref, ...got]);
    } finally {
      setSimdMatMulThreshold(prev);
      tf.dispose(ops.flatMap(({ a, b }) => [a, b]));
      await setupBackend({ prefer: ['cpu'] });
    }
  });

  it('a trap in a worker is an error naming the function; the pool starts again after it', async () => {
    setThreads(2);
    const fns = poolMatmulFunctions()!;
    expect(await startThreads()).toBe(2);
    const far = 0x7ffffff0; // far past the memory's end
    expect(() => poolRun([[], [{ fn: fns.packB, args: [far, far, 1, 8, 8, 8, 1] }]])).toThrow(
      /part 1 \(matmul\.packB\) failed/,
    );
    expect(await startThreads()).toBe(2);
    const s = shapes[0];
    const a = randArray(s.batch * s.M * s.K);
    const b = randArray(s.batch * s.K * s.N);
    expect(firstDifference(pooledBatchMatMul(a, b, s, 2).slice(), simdBatchMatMul(a, b, s))).toBe(-1);
  });

  it('setThreads(1): one thread, the workers asleep; stopThreads ends them; bad settings are named', async () => {
    setThreads(2);
    expect(await startThreads()).toBe(2);
    setThreads(1);
    expect(getThreads()).toBe(1);
    expect(poolActiveThreads()).toBe(1);
    stopThreads();
    expect(poolStats().ready).toBe(0);
    expect(() => setThreads(0)).toThrow(/setThreads: n = 0/);
    expect(() => setThreads(1.5)).toThrow(/setThreads/);
    stopThreads();
  });

  it('parses WORDLOOM_THREADS and splits ranges evenly', () => {
    expect(parseThreadsEnv(undefined)).toBeUndefined();
    expect(parseThreadsEnv('auto')).toBeUndefined();
    expect(parseThreadsEnv(' 4 ')).toBe(4);
    expect(parseThreadsEnv('0')).toBe(1);
    expect(parseThreadsEnv('off')).toBe(1);
    expect(() => parseThreadsEnv('two')).toThrow(/WORDLOOM_THREADS = 'two'/);
    expect(() => parseThreadsEnv('-1')).toThrow(/WORDLOOM_THREADS/);
    expect(splitRange(10, 3)).toEqual([
      [0, 3],
      [3, 6],
      [6, 10],
    ]);
    expect(splitRange(1, 2)).toEqual([
      [0, 0],
      [0, 1],
    ]);
  });
});
