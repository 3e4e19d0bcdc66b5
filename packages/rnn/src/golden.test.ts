/**
 * Golden comparison with PyTorch 1.13 (tooling/golden/rnn/make_fixtures.py): outputs and final
 * states to 1e-5, gradients of every parameter, the input and the initial state to 1e-4, for
 * RNN(tanh/relu)/LSTM/GRU × 1–3 layers × uni/bi × ragged (unsorted, incl. length 1 and T) /
 * sorted / full × with/without initial state, and without biases.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell, type RecurrentBase } from './index.js';
import { setFusedKernels, setJsKernels } from './internal/kernels.js';

interface Case {
  name: string;
  mode: 'RNN_TANH' | 'RNN_RELU' | 'LSTM' | 'GRU';
  batch: number;
  steps: number;
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  bias: boolean;
  lengths: number[] | null;
  params: Record<string, { shape: number[]; data: number[] }>;
  x: number[];
  R: number[];
  S: number[];
  U?: number[];
  outputs: number[];
  h_n: number[];
  c_n?: number[];
  h0?: number[];
  c0?: number[];
  grads: Record<string, number[]>;
  grad_x: number[];
  grad_h0?: number[];
  grad_c0?: number[];
}

const fixtures = JSON.parse(readFileSync(new URL('../test/fixtures/rnn_golden.json', import.meta.url), 'utf8')) as {
  cases: Case[];
};

export function build(
  c: Pick<Case, 'mode' | 'inputSize' | 'hiddenSize' | 'numLayers' | 'bidirectional' | 'bias'>,
): RecurrentBase {
  const o = {
    inputSize: c.inputSize,
    hiddenSize: c.hiddenSize,
    numLayers: c.numLayers,
    bidirectional: c.bidirectional,
    bias: c.bias,
    seed: 1,
  };
  if (c.mode === 'LSTM') return new LSTM(o);
  if (c.mode === 'GRU') return new GRU(o);
  return new RNN({ ...o, nonlinearity: c.mode === 'RNN_TANH' ? 'tanh' : 'relu' });
}

const worst = { forward: 0, grad: 0 };

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>, kind: 'forward' | 'grad' = 'forward'): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  worst[kind] = Math.max(worst[kind], m);
  return m;
}

afterAll(() => {
  console.log(
    `golden worst |diff|: outputs/states ${worst.forward.toExponential(2)}, gradients ${worst.grad.toExponential(2)}`,
  );
});

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

it('has the committed cases', () => {
  expect(fixtures.cases.length).toBeGreaterThanOrEqual(36);
});

// cpu runs the typed-array kernels by default; the tfjs-op kernels (what wasm and GPUs run) are checked too.
// 'fused' runs the LSTM through the WebAssembly SIMD step kernel (what wasm runs; H % 4 = 0).
describe.each([
  ['typed-array kernels', true, 'off'],
  ['tfjs-op kernels', false, 'off'],
  ['fused SIMD LSTM kernel', false, 'on'],
] as const)('golden: PyTorch nn.RNN/LSTM/GRU (%s)', (_name, js, fused) => {
  beforeAll(() => {
    setJsKernels(js);
    setFusedKernels(fused);
  });
  afterAll(() => {
    setJsKernels(true);
    setFusedKernels('auto');
  });
  for (const c of fixtures.cases) {
    it(c.name, () => {
      const m = build(c);
      const dict = new Map<string, tf.Tensor>();
      for (const [k, p] of Object.entries(c.params)) dict.set(k, tf.tensor(p.data, p.shape));
      expect([...m.namedParameters().keys()]).toEqual(Object.keys(c.params));
      m.loadStateDict(dict);
      dict.forEach((t) => t.dispose());
      const dirs = c.bidirectional ? 2 : 1;
      const x = tf.tensor3d(c.x, [c.batch, c.steps, c.inputSize]);
      const sh = [c.numLayers * dirs, c.batch, c.hiddenSize] as [number, number, number];
      const h0 = c.h0 ? tf.tensor3d(c.h0, sh) : undefined;
      const c0 = c.c0 ? tf.tensor3d(c.c0, sh) : undefined;
      const R = tf.tensor(c.R, [c.batch, c.steps, c.hiddenSize * dirs]);
      const S = tf.tensor(c.S, sh);
      const U = c.U ? tf.tensor(c.U, sh) : undefined;
      const vars = m.namedParameters();
      const fwd = (xx: tf.Tensor, hh?: tf.Tensor, cc?: tf.Tensor) =>
        m.forward(xx, {
          lengths: c.lengths ?? undefined,
          initialState: hh ? { h: hh as tf.Tensor3D, c: cc as tf.Tensor3D | undefined } : undefined,
        });
      // forward values
      const out = fwd(x, h0, c0);
      expect(maxAbsDiff(out.outputs.dataSync(), c.outputs)).toBeLessThan(1e-5);
      expect(maxAbsDiff(out.state.h.dataSync(), c.h_n)).toBeLessThan(1e-5);
      if (c.c_n) expect(maxAbsDiff(out.state.c!.dataSync(), c.c_n)).toBeLessThan(1e-5);
      tf.dispose([out.outputs, out.state.h, out.state.c]);
      // gradients w.r.t. parameters, x, h0, c0
      const inputs: tf.Tensor[] = [x];
      if (h0) inputs.push(h0);
      if (c0) inputs.push(c0);
      const lossOf = (xx: tf.Tensor, hh?: tf.Tensor, cc?: tf.Tensor): tf.Scalar => {
        const r = fwd(xx, hh, cc);
        let loss = tf.add(tf.sum(tf.mul(r.outputs, R)), tf.sum(tf.mul(r.state.h, S)));
        if (U && r.state.c) loss = tf.add(loss, tf.sum(tf.mul(r.state.c, U)));
        return loss as tf.Scalar;
      };
      const { grads } = tf.variableGrads(() => lossOf(x, h0, c0), [...vars.values()]);
      for (const [name, v] of vars) {
        const g = grads[v.name];
        expect(g, name).toBeDefined();
        const d = maxAbsDiff(g.dataSync(), c.grads[name], 'grad');
        expect(d, `grad ${name}`).toBeLessThan(1e-4);
      }
      const ig = tf.grads((...xs: tf.Tensor[]) => lossOf(xs[0], xs[1], xs[2]))(inputs);
      expect(maxAbsDiff(ig[0].dataSync(), c.grad_x, 'grad'), 'grad x').toBeLessThan(1e-4);
      if (c.grad_h0) expect(maxAbsDiff(ig[1].dataSync(), c.grad_h0, 'grad'), 'grad h0').toBeLessThan(1e-4);
      if (c.grad_c0) expect(maxAbsDiff(ig[2].dataSync(), c.grad_c0, 'grad'), 'grad c0').toBeLessThan(1e-4);
      tf.dispose([...Object.values(grads), ...ig, x, h0, c0, R, S, U]);
      m.dispose();
    });
  }
});

interface CellCase {
  mode: Case['mode'];
  batch: number;
  inputSize: number;
  hiddenSize: number;
  params: Case['params'];
  x: number[];
  h: number[];
  c?: number[];
  S: number[];
  U?: number[];
  h1: number[];
  c1?: number[];
  grads: Record<string, number[]>;
  grad_x: number[];
  grad_h: number[];
  grad_c?: number[];
}

const cellFixtures = JSON.parse(
  readFileSync(new URL('../test/fixtures/cells_golden.json', import.meta.url), 'utf8'),
) as { cases: CellCase[] };

describe('golden: PyTorch nn.RNNCell/LSTMCell/GRUCell', () => {
  for (const c of cellFixtures.cases) {
    it(c.mode, () => {
      const o = { inputSize: c.inputSize, hiddenSize: c.hiddenSize, seed: 3 };
      const cell =
        c.mode === 'LSTM'
          ? new LSTMCell(o)
          : c.mode === 'GRU'
            ? new GRUCell(o)
            : new RNNCell({ ...o, nonlinearity: c.mode === 'RNN_TANH' ? 'tanh' : 'relu' });
      const dict = new Map<string, tf.Tensor>();
      for (const [k, p] of Object.entries(c.params)) dict.set(k, tf.tensor(p.data, p.shape));
      cell.loadStateDict(dict);
      dict.forEach((t) => t.dispose());
      const sh: [number, number] = [c.batch, c.hiddenSize];
      const x = tf.tensor2d(c.x, [c.batch, c.inputSize]);
      const h = tf.tensor2d(c.h, sh);
      const cc = c.c ? tf.tensor2d(c.c, sh) : tf.zeros(sh);
      const S = tf.tensor2d(c.S, sh);
      const U = c.U ? tf.tensor2d(c.U, sh) : tf.zeros(sh);
      const run = (xx: tf.Tensor, hh: tf.Tensor, c0: tf.Tensor): { h: tf.Tensor; c?: tf.Tensor } =>
        cell instanceof LSTMCell ? cell.forward(xx, { h: hh, c: c0 }) : { h: cell.forward(xx, hh) };
      const loss = (xx: tf.Tensor, hh: tf.Tensor, c0: tf.Tensor): tf.Scalar => {
        const r = run(xx, hh, c0);
        return tf.add(tf.sum(tf.mul(r.h, S)), r.c ? tf.sum(tf.mul(r.c, U)) : 0) as tf.Scalar;
      };
      const r = run(x, h, cc);
      expect(maxAbsDiff(r.h.dataSync(), c.h1)).toBeLessThan(1e-5);
      if (c.c1) expect(maxAbsDiff(r.c!.dataSync(), c.c1)).toBeLessThan(1e-5);
      const vars = cell.namedParameters();
      const { grads } = tf.variableGrads(() => loss(x, h, cc), [...vars.values()]);
      for (const [name, v] of vars)
        expect(maxAbsDiff(grads[v.name].dataSync(), c.grads[name], 'grad'), name).toBeLessThan(1e-4);
      const ig = tf.grads((a: tf.Tensor, b: tf.Tensor, d?: tf.Tensor) => loss(a, b, d ?? cc))(
        c.c ? [x, h, cc] : [x, h],
      );
      expect(maxAbsDiff(ig[0].dataSync(), c.grad_x, 'grad')).toBeLessThan(1e-4);
      expect(maxAbsDiff(ig[1].dataSync(), c.grad_h, 'grad')).toBeLessThan(1e-4);
      if (c.grad_c) expect(maxAbsDiff(ig[2].dataSync(), c.grad_c, 'grad')).toBeLessThan(1e-4);
      tf.dispose([x, h, cc, S, U, r.h, r.c, ...Object.values(grads), ...ig]);
      cell.dispose();
    });
  }
});
