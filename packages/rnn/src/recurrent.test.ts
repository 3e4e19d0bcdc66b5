import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, setupBackend, writeSafetensors } from '@wordloom/core';
import { expectNoLeaks } from '@wordloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { GRU, LSTM, LSTMCell, RNN, TruncatedBptt, type RecurrentState } from './index.js';
import { setFusedKernels, setJsKernels } from './internal/kernels.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const close = (a: ArrayLike<number>, b: ArrayLike<number>, tol = 1e-5): void => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < a.length; i++)
    expect(Math.abs(a[i] - b[i]), `index ${i}: ${a[i]} vs ${b[i]}`).toBeLessThanOrEqual(tol);
};

describe('parameters', () => {
  it('uses PyTorch state_dict names, shapes and order', () => {
    const m = new LSTM({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 1 });
    const shapes = [...m.namedParameters()].map(([n, v]) => `${n}:${v.shape.join('x')}`);
    expect(shapes).toEqual([
      'weight_ih_l0:8x3',
      'weight_hh_l0:8x2',
      'bias_ih_l0:8',
      'bias_hh_l0:8',
      'weight_ih_l0_reverse:8x3',
      'weight_hh_l0_reverse:8x2',
      'bias_ih_l0_reverse:8',
      'bias_hh_l0_reverse:8',
      'weight_ih_l1:8x4',
      'weight_hh_l1:8x2',
      'bias_ih_l1:8',
      'bias_hh_l1:8',
      'weight_ih_l1_reverse:8x4',
      'weight_hh_l1_reverse:8x2',
      'bias_ih_l1_reverse:8',
      'bias_hh_l1_reverse:8',
    ]);
    expect(new GRU({ inputSize: 3, hiddenSize: 2, bias: false, seed: 1 }).namedParameters().size).toBe(2);
    m.dispose();
  });

  it('initializes like PyTorch: U(-1/√H, 1/√H), seeded', () => {
    const a = new GRU({ inputSize: 4, hiddenSize: 16, seed: 5 });
    const b = new GRU({ inputSize: 4, hiddenSize: 16, seed: 5 });
    const c = new GRU({ inputSize: 4, hiddenSize: 16, seed: 6 });
    const w = a.namedParameters().get('weight_hh_l0')!.dataSync();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(0.25);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.2);
    expect(Array.from(b.namedParameters().get('weight_hh_l0')!.dataSync())).toEqual(Array.from(w));
    expect(Array.from(c.namedParameters().get('weight_hh_l0')!.dataSync())).not.toEqual(Array.from(w));
    [a, b, c].forEach((m) => m.dispose());
  });

  it('orthogonal recurrent init gives orthogonal gate blocks; forgetBias sets the forget slice', () => {
    const H = 5;
    const m = new LSTM({ inputSize: 3, hiddenSize: H, recurrentInit: 'orthogonal', forgetBias: 1, seed: 2 });
    const whh = m.namedParameters().get('weight_hh_l0')!;
    for (let g = 0; g < 4; g++) {
      const blk = tf.slice(whh, [g * H, 0], [H, H]);
      close(tf.matMul(blk, blk, false, true).dataSync(), tf.eye(H).dataSync(), 1e-5);
    }
    const bih = m.namedParameters().get('bias_ih_l0')!.dataSync();
    const bhh = m.namedParameters().get('bias_hh_l0')!.dataSync();
    for (let k = H; k < 2 * H; k++) expect(bih[k] + bhh[k]).toBe(1);
    m.dispose();
  });

  it('loads a torch state_dict saved as safetensors and gives torch outputs; saves and reloads', () => {
    const bytes = new Uint8Array(readFileSync(new URL('../test/fixtures/lstm_bi2.safetensors', import.meta.url)));
    const ref = JSON.parse(readFileSync(new URL('../test/fixtures/lstm_bi2.json', import.meta.url), 'utf8'));
    const { tensors } = readSafetensors(bytes);
    const m = new LSTM({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 9 });
    m.loadStateDict(tensors);
    const x = tf.tensor3d(ref.x, [2, 4, 3]);
    const out = m.forward(x, { lengths: ref.lengths });
    close(out.outputs.dataSync(), ref.outputs);
    close(out.state.h.dataSync(), ref.h_n);
    close(out.state.c!.dataSync(), ref.c_n);
    const again = new LSTM({ inputSize: 3, hiddenSize: 2, numLayers: 2, bidirectional: true, seed: 10 });
    again.loadStateDict(readSafetensors(writeSafetensors(m.stateDict())).tensors);
    close(again.forward(x, { lengths: ref.lengths }).outputs.dataSync(), ref.outputs);
    m.dispose();
    again.dispose();
  });
});

describe('forward semantics', () => {
  const B = 3;
  const T = 5;
  const D = 4;
  const x = (): tf.Tensor3D =>
    tf.tensor3d(
      Array.from({ length: B * T * D }, (_, i) => Math.sin(i * 0.7)),
      [B, T, D],
    );

  it('mask gives the same result as lengths', () => {
    const m = new GRU({ inputSize: D, hiddenSize: 3, bidirectional: true, seed: 3 });
    const lengths = [2, 5, 1];
    const mask = lengths.map((L) => Array.from({ length: T }, (_, t) => (t < L ? 1 : 0)));
    const a = m.forward(x(), { lengths });
    const b = m.forward(x(), { mask: tf.tensor2d(mask) });
    close(a.outputs.dataSync(), b.outputs.dataSync(), 0);
    close(a.state.h.dataSync(), b.state.h.dataSync(), 0);
    m.dispose();
  });

  it('a padded sequence equals the same sequence run alone (padding is invisible)', () => {
    const m = new LSTM({ inputSize: D, hiddenSize: 3, numLayers: 2, bidirectional: true, seed: 4 });
    const xs = x();
    const full = m.forward(xs, { lengths: [2, 5, 3] });
    const alone = m.forward(tf.slice(xs, [0, 0, 0], [1, 2, D]));
    close(tf.slice(full.outputs, [0, 0, 0], [1, 2, 6]).dataSync(), alone.outputs.dataSync());
    close(tf.slice(full.outputs, [0, 2, 0], [1, 3, 6]).dataSync(), new Float32Array(9 * 2));
    close(tf.slice(full.state.h, [0, 0, 0], [4, 1, 3]).dataSync(), alone.state.h.dataSync());
    m.dispose();
  });

  it("merge 'sum' adds the two directions", () => {
    const cat = new RNN({ inputSize: D, hiddenSize: 3, bidirectional: true, seed: 8 });
    const sum = new RNN({ inputSize: D, hiddenSize: 3, bidirectional: true, merge: 'sum', seed: 8 });
    const a = cat.forward(x(), { lengths: [5, 3, 1] });
    const b = sum.forward(x(), { lengths: [5, 3, 1] });
    expect(b.outputs.shape).toEqual([B, T, 3]);
    close(
      b.outputs.dataSync(),
      tf.add(tf.slice(a.outputs, [0, 0, 0], [B, T, 3]), tf.slice(a.outputs, [0, 0, 3], [B, T, 3])).dataSync(),
    );
    const two = new RNN({ inputSize: D, hiddenSize: 3, numLayers: 2, bidirectional: true, merge: 'sum', seed: 8 });
    expect(two.namedParameters().get('weight_ih_l1')!.shape).toEqual([3, 3]);
    [cat, sum, two].forEach((m) => m.dispose());
  });

  it('inter-layer dropout: seeded, only in training, never after the last layer', () => {
    const mk = (): LSTM => new LSTM({ inputSize: D, hiddenSize: 8, numLayers: 2, dropout: 0.5, seed: 11 });
    const a = mk();
    const b = mk();
    const ya = a.forward(x()).outputs.dataSync();
    expect(Array.from(b.forward(x()).outputs.dataSync())).toEqual(Array.from(ya));
    const yNext = a.forward(x()).outputs.dataSync(); // fresh mask per call
    expect(Array.from(yNext)).not.toEqual(Array.from(ya));
    a.eval();
    const noDrop = new LSTM({ inputSize: D, hiddenSize: 8, numLayers: 2, dropout: 0, seed: 11 });
    close(a.forward(x()).outputs.dataSync(), noDrop.forward(x()).outputs.dataSync(), 0);
    // a one-layer stack has no inter-layer dropout at all
    const one = new LSTM({ inputSize: D, hiddenSize: 8, dropout: 0.5, seed: 12 });
    const one0 = new LSTM({ inputSize: D, hiddenSize: 8, seed: 12 });
    close(one.forward(x()).outputs.dataSync(), one0.forward(x()).outputs.dataSync(), 0);
    [a, b, noDrop, one, one0].forEach((m) => m.dispose());
  });

  it('the sequence layer equals stepping the cell', () => {
    const seq = new LSTM({ inputSize: D, hiddenSize: 3, seed: 13 });
    const cell = new LSTMCell({ inputSize: D, hiddenSize: 3, seed: 14 });
    const sd = new Map([...seq.stateDict()].map(([k, v]) => [k.replace('_l0', ''), v]));
    cell.loadStateDict(sd);
    const xs = x();
    const out = seq.forward(xs);
    let st = { h: tf.zeros([B, 3]), c: tf.zeros([B, 3]) };
    for (let t = 0; t < T; t++) {
      st = cell.forward(tf.reshape(tf.slice(xs, [0, t, 0], [B, 1, D]), [B, D]), st);
      close(st.h.dataSync(), tf.reshape(tf.slice(out.outputs, [0, t, 0], [B, 1, 3]), [B, 3]).dataSync());
    }
    seq.dispose();
    cell.dispose();
  });
});

describe('bad input names expected and actual', () => {
  let m: LSTM;
  let x: tf.Tensor;
  beforeAll(() => {
    m = new LSTM({ inputSize: 4, hiddenSize: 3, numLayers: 2, seed: 1 });
    x = tf.zeros([2, 5, 4]);
  });
  it.each([
    ['wrong rank', () => m.forward(tf.zeros([5, 4])), 'lstm: x must be rank 3 [B, T, D], got shape [5, 4]'],
    ['wrong feature size', () => m.forward(tf.zeros([2, 5, 6])), 'lstm: x.shape[2] = 6 but inputSize = 4'],
    ['length 0', () => m.forward(x, { lengths: [0, 5] }), 'lstm: lengths[0] = 0 must be >= 1'],
    ['length > T', () => m.forward(x, { lengths: [3, 12] }), 'lstm: lengths[1] = 12 exceeds T = 5'],
    ['lengths count', () => m.forward(x, { lengths: [3] }), 'lstm: lengths has 1 entries but the batch has B = 2'],
    ['both', () => m.forward(x, { lengths: [1, 1], mask: tf.ones([2, 5]) }), 'lstm: give lengths or mask, not both'],
    [
      'mask shape',
      () => m.forward(x, { mask: tf.ones([2, 4]) }),
      'lstm: mask must have shape [B, T] = [2, 5], got [2, 4]',
    ],
    [
      'mask holes',
      () =>
        m.forward(x, {
          mask: [
            [1, 0, 1, 0, 0],
            [1, 1, 1, 1, 1],
          ],
        }),
      'lstm: mask row 0 is not a prefix of ones',
    ],
    [
      'h shape',
      () => m.forward(x, { initialState: { h: tf.zeros([1, 2, 3]), c: tf.zeros([2, 2, 3]) } }),
      'lstm: initialState.h must have shape [L·dirs, B, H] = [2, 2, 3], got [1, 2, 3]',
    ],
    ['c missing', () => m.forward(x, { initialState: { h: tf.zeros([2, 2, 3]) } }), 'lstm: initialState.c is required'],
    [
      'c shape',
      () => m.forward(x, { initialState: { h: tf.zeros([2, 2, 3]), c: tf.zeros([2, 2, 4]) } }),
      'lstm: initialState.c must have shape [L·dirs, B, H] = [2, 2, 3], got [2, 2, 4]',
    ],
    ['options', () => new GRU({ inputSize: 0, hiddenSize: 3 }), 'gru: inputSize must be a positive integer, got 0'],
    ['dropout', () => new RNN({ inputSize: 2, hiddenSize: 3, dropout: 1 }), 'rnn: dropout = 1 must be in [0, 1)'],
  ])('%s', (_name, f, msg) => {
    expect(f).toThrow(msg);
  });
});

describe('training', () => {
  it('leaks no tensors over 1,000 training steps (fused kernels, packing, state)', async () => {
    // Small on purpose: ~300 kernels a step, ~10 ms on the cpu backend.
    const m = new LSTM({ inputSize: 3, hiddenSize: 4, bidirectional: true, seed: 21 });
    const vars = m.parameters();
    const x = tf.randomNormal([2, 2, 3], 0, 1, 'float32', 1);
    const h0 = tf.zeros([2, 2, 4]) as tf.Tensor3D;
    await expectNoLeaks(() => {
      for (let s = 0; s < 1000; s++) {
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => {
            const r = m.forward(x, { lengths: [1, 2], initialState: { h: h0, c: h0 } });
            return tf.add(tf.mean(tf.square(r.outputs)), tf.mean(tf.square(r.state.h))) as tf.Scalar;
          }, vars);
          for (const v of vars) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
          value.dataSync();
        });
      }
    });
    m.dispose();
    tf.dispose([x, h0]);
  });

  for (const [kind, js, fused] of [
    ['typed-array', true, 'off'],
    ['tfjs-op', false, 'off'],
    ['fused SIMD LSTM', false, 'on'],
  ] as const) {
    it(`no leaks in training or inference for RNN, GRU, LSTM (${kind} kernels)`, async () => {
      setJsKernels(js);
      setFusedKernels(fused);
      try {
        for (const m of [
          new RNN({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, dropout: 0.2, seed: 1 }),
          new GRU({ inputSize: 3, hiddenSize: 4, numLayers: 2, bidirectional: true, seed: 2 }),
          new LSTM({ inputSize: 3, hiddenSize: 4, bidirectional: true, merge: 'sum', seed: 3 }),
        ]) {
          const x = tf.randomNormal([3, 4, 3], 0, 1, 'float32', 4);
          await expectNoLeaks(() => {
            for (let s = 0; s < 3; s++) {
              tf.tidy(() => {
                const { value, grads } = tf.variableGrads(
                  () => tf.mean(tf.square(m.forward(x, { lengths: [2, 4, 1] }).outputs)) as tf.Scalar,
                  m.parameters(),
                );
                for (const v of m.parameters()) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.01)));
                value.dataSync();
              });
            }
            m.eval();
            const r = m.forward(x, {
              mask: [
                [1, 1, 0, 0],
                [1, 1, 1, 1],
                [1, 0, 0, 0],
              ],
            });
            tf.dispose([r.outputs, r.state.h, r.state.c]);
          });
          m.dispose();
          x.dispose();
        }
      } finally {
        setJsKernels(true);
        setFusedKernels('auto');
      }
    });
  }

  it('TruncatedBptt carries the detached state in LM-chunk order', () => {
    // A stream cut into B contiguous rows; chunk k = columns [kT, kT + T) of each row.
    const B = 2;
    const L = 9;
    const Tc = 4;
    const E = 3;
    const stream = Array.from({ length: B * L }, (_, i) => (i * 7) % 5);
    const emb = tf.randomNormal([5, E], 0, 1, 'float32', 3);
    const embed = (ids: number[], t: number): tf.Tensor3D =>
      tf.reshape(tf.gather(emb, tf.tensor1d(ids, 'int32')), [B, t, E]);
    const chunks: number[][] = [];
    for (let s = 0; s < L - 1; s += Tc) {
      const t = Math.min(Tc, L - 1 - s);
      const ids: number[] = [];
      for (let b = 0; b < B; b++) ids.push(...stream.slice(b * L + s, b * L + s + t));
      chunks.push(ids);
    }
    const m = new LSTM({ inputSize: E, hiddenSize: 4, seed: 30 });
    const seen: number[][] = [];
    const tb = new TruncatedBptt<number[]>({
      params: m.trainableParameters(),
      forward: (ids, state?: RecurrentState) => {
        const r = m.forward(embed(ids, ids.length / B), { initialState: state });
        seen.push(Array.from(r.outputs.dataSync()));
        return { loss: tf.sum(r.outputs) as tf.Scalar, state: r.state };
      },
      update: (grads) => {
        expect([...grads.keys()]).toEqual([...m.trainableParameters().keys()]);
      },
    });
    const before = tf.memory().numTensors;
    for (const c of chunks) tb.step(c);
    expect(tf.memory().numTensors).toBe(before + 2); // only the carried h and c
    // Same as one pass over the whole rows (no update was applied).
    const whole: number[] = [];
    for (let b = 0; b < B; b++) whole.push(...stream.slice(b * L, b * L + L - 1));
    const full = m.forward(embed(whole, L - 1));
    const fullOut = full.outputs.dataSync();
    let s = 0;
    chunks.forEach((ids, k) => {
      const t = ids.length / B;
      for (let b = 0; b < B; b++)
        for (let j = 0; j < t; j++)
          for (let h = 0; h < 4; h++)
            expect(Math.abs(seen[k][(b * t + j) * 4 + h] - fullOut[(b * (L - 1) + s + j) * 4 + h])).toBeLessThan(1e-5);
      s += t;
    });
    close(tb.state!.h.dataSync(), full.state.h.dataSync());
    close(tb.state!.c!.dataSync(), full.state.c!.dataSync());
    const held = tf.memory().numTensors;
    tb.dispose();
    expect(tf.memory().numTensors).toBe(held - 2);
    m.dispose();
  });
});
