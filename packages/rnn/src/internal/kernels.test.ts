/**
 * Finite-difference checks of every hand-written backward (float32 central differences,
 * ε = 1e-3; tolerance atol 1e-3 + rtol 1e-2 — core/testing's defaults) on a ragged, unsorted
 * batch, so the carry of final-state gradients into retiring rows is exercised.
 */
import * as tf from '@tensorflow/tfjs-core';
import { linear, Rng, setupBackend } from '@wordloom/core';
import { checkGradients, expectClose } from '@wordloom/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  gruSequence,
  lstmSequence,
  rnnSequence,
  setFusedKernels,
  setJsKernels,
  setSequenceInference,
} from './kernels.js';
import { fusedCalls, kernelColumnSums } from './fused-lstm.js';
import { columnSums } from './js-kernels.js';
import { GRU, LSTM } from '../recurrent.js';
import {
  concatColumns,
  makeLayout,
  pack,
  reverseWithinLengths,
  sliceRows,
  toSorted,
  unpack,
  fromSorted,
} from './packing.js';

const rng = new Rng(7);
const rand = (shape: number[], scale = 0.5): tf.Tensor =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => scale * rng.normal()),
    shape,
  );

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const layout = makeLayout(Int32Array.from([2, 4, 1]), 3, 4); // unsorted, incl. length 1 and T
const N = layout.total;
const B = 3;
const H = 2;

describe('packing', () => {
  it('lays out a ragged batch as PyTorch packs it', () => {
    expect(Array.from(layout.order)).toEqual([1, 0, 2]);
    expect(layout.batchSizes).toEqual([3, 2, 1, 1]);
    expect(N).toBe(7);
    // step 0: b1 t0, b0 t0, b2 t0; step 1: b1 t1, b0 t1; steps 2, 3: b1
    expect(Array.from(layout.packIndex)).toEqual([4, 0, 8, 5, 1, 6, 7]);
    // reverse order is an involution
    for (let i = 0; i < N; i++) expect(layout.reverseIndex[layout.reverseIndex[i]]).toBe(i);
  });
  it('pack/unpack/reverse/sort have adjoint gradients', () => {
    const x = rand([B * 4, 3]);
    const R = rand([B * 4, 3]);
    const f = (t: tf.Tensor): tf.Scalar =>
      tf.sum(tf.mul(unpack(reverseWithinLengths(pack(t as tf.Tensor2D, layout), layout), layout), R));
    checkGradients(f, [x]);
    const s = rand([B, 3]);
    const R2 = rand([B, 3]);
    checkGradients(
      (t) => tf.sum(tf.mul(fromSorted(tf.mul(toSorted(t as tf.Tensor2D, layout), 2) as tf.Tensor2D, layout), R2)),
      [s],
    );
  });
  it.each(['cpu', 'wasm'] as const)(
    'sliceRows on %s: the rows and their gradient as tf.slice gives them; no leaks; bad ranges named',
    async (be) => {
      await setupBackend({ prefer: [be] });
      expect(tf.getBackend()).toBe(be);
      const x = rand([9, 5]);
      const R = rand([9, 5]);
      const parts = [
        [0, 6],
        [6, 2],
        [8, 1],
      ];
      const loss = (cut: (t: tf.Tensor2D, a: number, n: number) => tf.Tensor) => (t: tf.Tensor) =>
        tf.addN(
          parts.map(([a, n], k) =>
            tf.mul(tf.sum(tf.mul(cut(t as tf.Tensor2D, a, n), tf.slice(R, [a, 0], [n, 5]))), k + 1),
          ),
        );
      const ref = tf.grad(loss((t, a, n) => tf.slice(t, [a, 0], [n, 5])))(x);
      const got = tf.grad(loss(sliceRows))(x);
      expectClose(got, ref, { rtol: 0, atol: 0, name: 'gradient' });
      parts.forEach(([a, n]) =>
        expectClose(sliceRows(x as tf.Tensor2D, a, n), tf.slice(x, [a, 0], [n, 5]), {
          rtol: 0,
          atol: 0,
          name: `rows ${a}`,
        }),
      );
      const before = tf.memory().numTensors;
      tf.dispose(tf.grad(loss(sliceRows))(x));
      expect(tf.memory().numTensors).toBe(before);
      expect(() => sliceRows(x as tf.Tensor2D, 8, 2)).toThrow(/sliceRows: rows 8 … 9 are outside x \[9, 5\]/);
      tf.dispose([x, R, ref, got]);
      await setupBackend({ prefer: ['cpu'] });
    },
  );
  it.each(['cpu', 'wasm'] as const)(
    'concatColumns on %s: the value and gradients tf.concat(·, 1) gives; no leaks',
    async (be) => {
      await setupBackend({ prefer: [be] });
      expect(tf.getBackend()).toBe(be);
      const xs = [rand([7, 4]), rand([7, 8]), rand([7, 4])] as tf.Tensor2D[];
      const R = rand([7, 16]);
      const loss =
        (cat: (t: tf.Tensor2D[]) => tf.Tensor) =>
        (...t: tf.Tensor[]) =>
          tf.sum(tf.mul(cat(t as tf.Tensor2D[]), R));
      const ref = tf.grads(loss((t) => tf.concat(t, 1)))(xs);
      const got = tf.grads(loss(concatColumns))(xs);
      got.forEach((g, k) => expectClose(g, ref[k], { rtol: 0, atol: 0, name: `gradient ${k}` }));
      expectClose(concatColumns(xs), tf.concat(xs, 1), { rtol: 0, atol: 0, name: 'value' });
      const before = tf.memory().numTensors;
      tf.dispose(tf.grads(loss(concatColumns))(xs));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([...xs, R, ...ref, ...got]);
      await setupBackend({ prefer: ['cpu'] });
    },
  );
  it('unpack puts zeros at padded steps', () => {
    const y = tf.ones([N, 1]);
    const out = unpack(y as tf.Tensor2D, layout).dataSync();
    const lengths = [2, 4, 1];
    for (let b = 0; b < 3; b++) for (let t = 0; t < 4; t++) expect(out[b * 4 + t]).toBe(t < lengths[b] ? 1 : 0);
  });
});

describe.each([
  ['typed-array kernels', true],
  ['tfjs-op kernels', false],
])('finite differences of the fused kernels (%s)', (_name, js) => {
  beforeAll(() => setJsKernels(js));
  it('linear', () => {
    const R = rand([5, 4]);
    checkGradients(
      (x, w) => tf.sum(tf.mul(linear(x as tf.Tensor2D, w as tf.Tensor2D), R)),
      [rand([5, 3]), rand([4, 3])],
    );
  });
  it('lstmSequence', () => {
    const R = rand([N + 2 * B, H]);
    checkGradients(
      (...a) => tf.sum(tf.mul(lstmSequence(layout, a.slice(0, 4), a.slice(4, 8), a[8], a[9], a[10]), R)),
      [
        ...[0, 1, 2, 3].map(() => rand([N, H], 1)),
        ...[0, 1, 2, 3].map(() => rand([H, H])),
        rand([4 * H]),
        rand([B, H]),
        rand([B, H]),
      ],
    );
  });
  it('gruSequence', () => {
    const R = rand([N + B, H]);
    checkGradients(
      (...a) => tf.sum(tf.mul(gruSequence(layout, a.slice(0, 3), a.slice(3, 6), a[6], a[7], a[8]), R)),
      [
        ...[0, 1, 2].map(() => rand([N, H], 1)),
        ...[0, 1, 2].map(() => rand([H, H])),
        rand([3 * H]),
        rand([H]),
        rand([B, H]),
      ],
    );
  });
  for (const nl of ['tanh', 'relu'] as const) {
    it(`rnnSequence (${nl})`, () => {
      const R = rand([N + B, H]);
      checkGradients(
        (x, w, b, h0) => tf.sum(tf.mul(rnnSequence(layout, x, w, b, h0, nl), R)),
        [rand([N, H], 1), rand([H, H]), rand([H]), rand([B, H])],
      );
    });
  }
});

describe('fused SIMD GRU kernel (fused-lstm.ts, forced on cpu)', () => {
  const H4 = 4;
  const args = (): tf.Tensor[] => [
    ...[0, 1, 2].map(() => rand([N, H4], 1)),
    ...[0, 1, 2].map(() => rand([H4, H4])),
    rand([3 * H4]),
    rand([H4]),
    rand([B, H4]),
  ];
  const run = (a: tf.Tensor[]): tf.Tensor => gruSequence(layout, a.slice(0, 3), a.slice(3, 6), a[6], a[7], a[8]);
  beforeAll(() => {
    setJsKernels(false);
    setFusedKernels('on');
  });
  afterAll(() => {
    setJsKernels(true);
    setFusedKernels('auto');
  });
  it('finite differences', () => {
    const R = rand([N + B, H4]);
    checkGradients((...a) => tf.sum(tf.mul(run(a), R)), args());
  });
  it('equals the tfjs-op path (outputs, final states, every gradient)', () => {
    const a = args();
    const R = rand([N + B, H4]);
    const both = (mode: 'on' | 'off') => {
      setFusedKernels(mode);
      const y = run(a);
      const g = tf.grads((...x: tf.Tensor[]) => tf.sum(tf.mul(run(x), R)))(a);
      return [y, ...g];
    };
    const fused = both('on');
    const ops = both('off');
    setFusedKernels('on');
    fused.forEach((t, k) =>
      expectClose(t, ops[k], { rtol: 1e-5, atol: 1e-6, name: k === 0 ? 'value' : `grad ${k - 1}` }),
    );
    tf.dispose([...a, R, ...fused, ...ops]);
  });
});

describe('fused SIMD LSTM kernel (fused-lstm.ts, forced on cpu)', () => {
  const H4 = 4;
  const args = (): tf.Tensor[] => [
    ...[0, 1, 2, 3].map(() => rand([N, H4], 1)),
    ...[0, 1, 2, 3].map(() => rand([H4, H4])),
    rand([4 * H4]),
    rand([B, H4]),
    rand([B, H4]),
  ];
  const run = (a: tf.Tensor[]): tf.Tensor => lstmSequence(layout, a.slice(0, 4), a.slice(4, 8), a[8], a[9], a[10]);
  beforeAll(() => {
    setJsKernels(false);
    setFusedKernels('on');
  });
  afterAll(() => {
    setJsKernels(true);
    setFusedKernels('auto');
  });
  it('finite differences', () => {
    const R = rand([N + 2 * B, H4]);
    checkGradients((...a) => tf.sum(tf.mul(run(a), R)), args());
  });
  it('equals the tfjs-op path (outputs, final states, every gradient)', () => {
    const a = args();
    const R = rand([N + 2 * B, H4]);
    const both = (mode: 'on' | 'off') => {
      setFusedKernels(mode);
      const y = run(a);
      const g = tf.grads((...x: tf.Tensor[]) => tf.sum(tf.mul(run(x), R)))(a);
      return [y, ...g];
    };
    const fused = both('on');
    const ops = both('off');
    setFusedKernels('on');
    fused.forEach((t, k) =>
      expectClose(t, ops[k], { rtol: 1e-5, atol: 1e-6, name: k === 0 ? 'value' : `grad ${k - 1}` }),
    );
    tf.dispose([...a, R, ...fused, ...ops]);
  });
});

describe('fused kernels on the wasm backend (auto)', () => {
  afterAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });
  it('LSTM and GRU: outputs and gradients equal the cpu typed-array kernels', async () => {
    // H = 12: the kernels' two-vectors-at-a-time loop and their last single vector (H % 8 = 4); the
    // value comes from the whole-sequence inference kernels (no gradient), the gradients from the step kernels
    const H4 = 12;
    const lstmArgs = [
      ...[0, 1, 2, 3].map(() => rand([N, H4], 1)),
      ...[0, 1, 2, 3].map(() => rand([H4, H4])),
      rand([4 * H4]),
      rand([B, H4]),
      rand([B, H4]),
    ].map((t) => t.dataSync().slice());
    const gruArgs = [
      ...[0, 1, 2].map(() => rand([N, H4], 1)),
      ...[0, 1, 2].map(() => rand([H4, H4])),
      rand([3 * H4]),
      rand([H4]),
      rand([B, H4]),
    ].map((t) => t.dataSync().slice());
    const lstmShapes = [
      ...[0, 1, 2, 3].map(() => [N, H4]),
      ...[0, 1, 2, 3].map(() => [H4, H4]),
      [4 * H4],
      [B, H4],
      [B, H4],
    ];
    const gruShapes = [...[0, 1, 2].map(() => [N, H4]), ...[0, 1, 2].map(() => [H4, H4]), [3 * H4], [H4], [B, H4]];
    const R = rand([N + 2 * B, H4])
      .dataSync()
      .slice();
    const runAll = (): Float32Array[] => {
      const out: Float32Array[] = [];
      for (const [args, shapes, rows, f] of [
        [
          lstmArgs,
          lstmShapes,
          N + 2 * B,
          (a: tf.Tensor[]) => lstmSequence(layout, a.slice(0, 4), a.slice(4, 8), a[8], a[9], a[10]),
        ],
        [
          gruArgs,
          gruShapes,
          N + B,
          (a: tf.Tensor[]) => gruSequence(layout, a.slice(0, 3), a.slice(3, 6), a[6], a[7], a[8]),
        ],
      ] as const) {
        tf.tidy(() => {
          const a = args.map((v, k) => tf.tensor(v, shapes[k]));
          const r = tf.tensor2d(R.subarray(0, rows * H4), [rows, H4]);
          out.push(f(a).dataSync().slice() as Float32Array);
          for (const g of tf.grads((...x: tf.Tensor[]) => tf.sum(tf.mul(f(x), r)))(a))
            out.push(g.dataSync().slice() as Float32Array);
        });
      }
      return out;
    };
    await setupBackend({ prefer: ['cpu'] });
    setJsKernels(true);
    const cpu = runAll();
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
    const wasm = runAll();
    expect(wasm.length).toBe(cpu.length);
    wasm.forEach((w, k) => expectClose(w, cpu[k], { rtol: 1e-5, atol: 1e-5, name: `result ${k}` }));
  });
});

describe('whole-sequence inference (sequenceInference in fused-lstm.ts)', () => {
  // a longer ragged, unsorted batch than above: lengths 1..T, several retiring at once
  const lay = makeLayout(Int32Array.from([5, 1, 7, 3, 7, 2]), 6, 7);
  const H8 = 8;
  const cases = {
    lstm: {
      rows: lay.total + 2 * 6,
      args: (): tf.Tensor[] => [
        ...[0, 1, 2, 3].map(() => rand([lay.total, H8], 1)),
        ...[0, 1, 2, 3].map(() => rand([H8, H8])),
        rand([4 * H8]),
        rand([6, H8]),
        rand([6, H8]),
      ],
      run: (a: tf.Tensor[]): tf.Tensor => lstmSequence(lay, a.slice(0, 4), a.slice(4, 8), a[8], a[9], a[10]),
    },
    gru: {
      rows: lay.total + 6,
      args: (): tf.Tensor[] => [
        ...[0, 1, 2].map(() => rand([lay.total, H8], 1)),
        ...[0, 1, 2].map(() => rand([H8, H8])),
        rand([3 * H8]),
        rand([H8]),
        rand([6, H8]),
      ],
      run: (a: tf.Tensor[]): tf.Tensor => gruSequence(lay, a.slice(0, 3), a.slice(3, 6), a[6], a[7], a[8]),
    },
  };
  beforeAll(() => {
    setJsKernels(false);
    setFusedKernels('on');
  });
  afterAll(() => {
    setJsKernels(true);
    setFusedKernels('auto');
    setSequenceInference(true);
  });
  it.each(['lstm', 'gru'] as const)(
    '%s: without a tape it runs and equals the step kernel; under a tape the step kernel runs',
    (cell) => {
      const { args, run, rows } = cases[cell];
      const a = args();
      setSequenceInference(false);
      const step0 = fusedCalls.step;
      const ref = run(a);
      expect(fusedCalls.step).toBe(step0 + 1);
      setSequenceInference(true);
      const seq0 = fusedCalls.sequence;
      const before = tf.memory().numTensors;
      const y = run(a);
      expect(fusedCalls.sequence).toBe(seq0 + 1);
      expect(tf.memory().numTensors).toBe(before + 1); // only the result
      expect(y.shape).toEqual([rows, H8]);
      expectClose(y, ref, { rtol: 1e-5, atol: 1e-6, name: `${cell} value` });
      const g = tf.grads((...x: tf.Tensor[]) => tf.sum(run(x)))(a);
      expect(fusedCalls.sequence).toBe(seq0 + 1);
      tf.dispose([...a, ref, y, ...g]);
    },
  );
});

describe('whole-sequence inference on the wasm backend (auto)', () => {
  afterAll(async () => {
    setSequenceInference(true);
    await setupBackend({ prefer: ['cpu'] });
  });
  it.each([
    ['LSTM', LSTM],
    ['GRU', GRU],
  ] as const)('a 2-layer bidirectional %s in eval mode: equal to the step kernel, no leaks', async (_n, Layer) => {
    await setupBackend({ prefer: ['wasm'] });
    expect(tf.getBackend()).toBe('wasm');
    const m = new Layer({ inputSize: 6, hiddenSize: 12, numLayers: 2, bidirectional: true, seed: 5 });
    m.eval();
    const x = rand([5, 9, 6], 1) as tf.Tensor3D;
    const lengths = [9, 3, 1, 9, 6];
    const run = () => {
      const r = m.forward(x, { lengths });
      return [r.outputs, r.state.h, ...(r.state.c ? [r.state.c] : [])];
    };
    setSequenceInference(false);
    const ref = run();
    setSequenceInference(true);
    const seq0 = fusedCalls.sequence;
    const before = tf.memory().numTensors;
    const got = run();
    expect(fusedCalls.sequence).toBe(seq0 + 4); // 2 layers × 2 directions
    expect(tf.memory().numTensors).toBe(before + got.length);
    got.forEach((t, k) => expectClose(t, ref[k], { rtol: 1e-5, atol: 1e-6, name: `result ${k}` }));
    tf.dispose([...ref, ...got, x]);
    m.dispose();
  });
});

describe('gates side by side (one input projection per layer-direction, fused kernels)', () => {
  const lay = makeLayout(Int32Array.from([5, 1, 7, 3, 7, 2]), 6, 7);
  const H8 = 8;
  beforeAll(() => {
    setJsKernels(false);
    setFusedKernels('on');
  });
  afterAll(() => {
    setJsKernels(true);
    setFusedKernels('auto');
  });
  it.each([
    ['lstm', 4],
    ['gru', 3],
  ] as const)('%s: value and gradients equal the per-gate inputs (gates interleaved)', (cell, G) => {
    const xc = rand([lay.total, G * H8], 1);
    const wc = rand([G * H8, H8]);
    const rest =
      cell === 'lstm' ? [rand([G * H8]), rand([6, H8]), rand([6, H8])] : [rand([G * H8]), rand([H8]), rand([6, H8])];
    const run = (xs: tf.Tensor[], ws: tf.Tensor[], r: tf.Tensor[]): tf.Tensor =>
      cell === 'lstm' ? lstmSequence(lay, xs, ws, r[0], r[1], r[2]) : gruSequence(lay, xs, ws, r[0], r[1], r[2]);
    const R = rand([lay.total + (cell === 'lstm' ? 12 : 6), H8]);
    const split = (): { xs: tf.Tensor[]; ws: tf.Tensor[] } => ({
      xs: tf.split(xc, G, 1),
      ws: tf.split(wc, G, 0),
    });
    const { xs, ws } = split();
    const loss = (y: tf.Tensor): tf.Scalar => tf.sum(tf.mul(y, R));
    const ref = tf.grads((...a: tf.Tensor[]) => loss(run(a.slice(0, G), a.slice(G, 2 * G), a.slice(2 * G))))([
      ...xs,
      ...ws,
      ...rest,
    ]);
    const got = tf.grads((x: tf.Tensor, w: tf.Tensor, ...r: tf.Tensor[]) => loss(run([x], [w], r)))([xc, wc, ...rest]);
    expectClose(run([xc], [wc], rest), run(xs, ws, rest), { rtol: 0, atol: 0, name: `${cell} value` });
    expectClose(got[0], tf.concat(ref.slice(0, G), 1), { rtol: 0, atol: 0, name: 'dx side by side' });
    expectClose(got[1], tf.concat(ref.slice(G, 2 * G), 0), { rtol: 0, atol: 0, name: 'dW_hh stacked' });
    got.slice(2).forEach((g, k) => expectClose(g, ref[2 * G + k], { rtol: 1e-6, atol: 1e-7, name: `grad ${k}` }));
    tf.dispose([xc, wc, ...rest, R, ...xs, ...ws, ...ref, ...got]);
  });
});

describe('colSums kernel (bias gradients in the fused backward)', () => {
  it('equals js-kernels.ts columnSums bit for bit (float64 accumulation, row stride, offset)', () => {
    // values over many magnitudes, so a float32 sum or another order would differ in the last bits
    const rows = 301;
    const ld = 28;
    const x = Float32Array.from({ length: 3 + rows * ld }, () => rng.normal() * 10 ** Math.floor(4 * rng.uniform()));
    for (const [at, cols] of [
      [0, 28],
      [3, 12],
      [3, 4],
    ]) {
      const got = kernelColumnSums(x, at, rows, cols, ld);
      const want = columnSums(x, at, rows, cols, ld);
      expect(Array.from(got)).toEqual(Array.from(want));
      // and not the float32 sum
      const f32 = new Float32Array(cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) f32[j] = Math.fround(f32[j] + x[at + i * ld + j]);
      expect(Array.from(want)).not.toEqual(Array.from(f32));
    }
  });
});
