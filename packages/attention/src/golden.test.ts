/**
 * Golden tests against PyTorch 1.13 (fixtures from tooling/golden/attention/make_fixtures.py):
 * every score function with length masks (incl. a [B, D] query) and nn.MultiheadAttention with
 * each mask kind. Outputs to 1e-5, gradients of L = Σ out·R + Σ weights·Rw to 1e-4.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setBatchMatMulKernel, setupBackend } from '@wordloom/core';
import { expectClose } from '@wordloom/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeDict, loadFixture, toDict, toTensor, type FixTensor } from '../test/fixture.js';
import { attention } from './attention.js';
import { MultiHeadAttention } from './multi-head-attention.js';
import { AdditiveScore, ConcatScore, GeneralScore, type ScoreSpec } from './scores.js';

interface Case {
  kind: string;
  attnDim: number;
  lengths: number[];
  tensors: Record<string, FixTensor>;
  params: Record<string, FixTensor>;
  paramGrads: Record<string, FixTensor>;
  embedDim: number;
  numHeads: number;
  kdim: number | null;
  vdim: number | null;
  bias: boolean;
  selfAttention: boolean;
  averageAttnWeights: boolean;
}

const fix = loadFixture<Case>('attention.json');
const OUT = { atol: 1e-5, rtol: 1e-5 };
const GRAD = { atol: 1e-4, rtol: 1e-4 };
const KERNELS = ['tfjs', 'simd'] as const;

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('score functions vs PyTorch', () => {
  const scoreCases = Object.entries(fix.cases).filter(([, c]) => c.kind !== 'mha');
  it('has every score kind', () => {
    expect(new Set(scoreCases.map(([, c]) => c.kind))).toEqual(
      new Set(['dot', 'scaledDot', 'general', 'concat', 'additive']),
    );
  });
  for (const [name, c] of scoreCases) {
    it(name, () => {
      const t = c.tensors;
      const q = tf.variable(toTensor(t.query));
      const k = tf.variable(toTensor(t.keys));
      const v = tf.variable(toTensor(t.values));
      const Dq = q.shape[q.rank - 1];
      const Dk = k.shape[2];
      let score: ScoreSpec;
      if (c.kind === 'general') score = new GeneralScore({ queryDim: Dq, keyDim: Dk });
      else if (c.kind === 'concat') score = new ConcatScore({ queryDim: Dq, keyDim: Dk, attnDim: c.attnDim });
      else if (c.kind === 'additive') score = new AdditiveScore({ queryDim: Dq, keyDim: Dk, attnDim: c.attnDim });
      else score = c.kind as 'dot' | 'scaledDot';
      const params = toDict(c.params);
      if (typeof score === 'object' && 'loadStateDict' in score) {
        (score as unknown as GeneralScore).loadStateDict(params);
      }
      const R = toTensor(t.R);
      const Rw = toTensor(t.Rw);
      const { context, weights } = attention(q, k, v, { score, lengths: c.lengths });
      expectClose(context, toTensor(t.context), { ...OUT, name: `${name}.context` });
      expectClose(weights, toTensor(t.weights), { ...OUT, name: `${name}.weights` });
      // masked keys have exactly zero weight
      const w = weights.arraySync() as number[][] | number[][][];
      c.lengths.forEach((L, b) => {
        const rows = (q.rank === 2 ? [w[b]] : w[b]) as number[][];
        for (const row of rows) for (let j = L; j < row.length; j++) expect(row[j]).toBe(0);
      });
      const modParams =
        typeof score === 'object'
          ? (score as unknown as GeneralScore).namedParameters()
          : new Map<string, tf.Variable>();
      const vars = [q, k, v, ...modParams.values()];
      const { grads } = tf.variableGrads(() => {
        const r = attention(q, k, v, { score, lengths: c.lengths });
        return tf.add(tf.sum(tf.mul(r.context, R)), tf.sum(tf.mul(r.weights, Rw))) as tf.Scalar;
      }, vars);
      expectClose(grads[q.name], toTensor(t['grad.query']), { ...GRAD, name: `${name}.grad.query` });
      expectClose(grads[k.name], toTensor(t['grad.keys']), { ...GRAD, name: `${name}.grad.keys` });
      expectClose(grads[v.name], toTensor(t['grad.values']), { ...GRAD, name: `${name}.grad.values` });
      for (const [pn, pv] of modParams) {
        expectClose(grads[pv.name], toTensor(c.paramGrads[pn]), { ...GRAD, name: `${name}.grad.${pn}` });
      }
      expect(modParams.size).toBe(Object.keys(c.params).length);
      tf.dispose([q, k, v, R, Rw, context, weights, ...Object.values(grads)]);
      disposeDict(params);
      if (typeof score === 'object') (score as unknown as GeneralScore).dispose();
    });
  }
});

// Each case runs with tfjs's matMul ('tfjs') and with our WebAssembly SIMD kernel ('simd'),
// which the wasm backend uses for attention's batched products.
for (const kernel of KERNELS)
  describe(`MultiHeadAttention vs PyTorch nn.MultiheadAttention (batchMatMul kernel '${kernel}')`, () => {
    beforeAll(() => {
      setBatchMatMulKernel(kernel);
    });
    afterAll(() => {
      setBatchMatMulKernel('auto');
    });
    const mhaCases = Object.entries(fix.cases).filter(([, c]) => c.kind === 'mha');
    for (const [name, c] of mhaCases) {
      it(name, () => {
        const t = c.tensors;
        const mha = new MultiHeadAttention({
          embedDim: c.embedDim,
          numHeads: c.numHeads,
          kdim: c.kdim ?? undefined,
          vdim: c.vdim ?? undefined,
          bias: c.bias,
        });
        mha.eval();
        const params = toDict(c.params);
        expect([...mha.namedParameters().keys()]).toEqual(Object.keys(c.params));
        mha.loadStateDict(params);
        const inputs = c.selfAttention
          ? { x: tf.variable(toTensor(t.x)) }
          : {
              query: tf.variable(toTensor(t.query)),
              key: tf.variable(toTensor(t.key)),
              value: tf.variable(toTensor(t.value)),
            };
        const [q, k, v] = c.selfAttention ? [inputs.x, inputs.x, inputs.x] : [inputs.query, inputs.key, inputs.value];
        const kpm = t.keyPaddingMask ? toTensor(t.keyPaddingMask, 'bool') : undefined;
        const attnMask = t.attnMask
          ? toTensor(t.attnMask, 'bool')
          : t.attnMaskAdditive
            ? toTensor(t.attnMaskAdditive)
            : undefined;
        const call = { keyPaddingMask: kpm, attnMask, averageAttnWeights: c.averageAttnWeights };
        const r = mha.forward(q as tf.Tensor, k as tf.Tensor, v as tf.Tensor, call);
        expectClose(r.output, toTensor(t.output), { ...OUT, name: `${name}.output` });
        expectClose(r.weights as tf.Tensor, toTensor(t.weights), { ...OUT, name: `${name}.weights` });
        const R = toTensor(t.R);
        const Rw = toTensor(t.Rw);
        const vars = [...Object.values(inputs), ...mha.namedParameters().values()];
        const { grads } = tf.variableGrads(() => {
          const o = mha.forward(q as tf.Tensor, k as tf.Tensor, v as tf.Tensor, call);
          return tf.add(tf.sum(tf.mul(o.output, R)), tf.sum(tf.mul(o.weights as tf.Tensor, Rw))) as tf.Scalar;
        }, vars);
        for (const [n, iv] of Object.entries(inputs))
          expectClose(grads[iv.name], toTensor(t[`grad.${n}`]), { ...GRAD, name: `${name}.grad.${n}` });
        for (const [pn, pv] of mha.namedParameters())
          expectClose(grads[pv.name], toTensor(c.paramGrads[pn]), { ...GRAD, name: `${name}.grad.${pn}` });
        tf.dispose([r.output, r.weights as tf.Tensor, R, Rw, ...Object.values(inputs), ...Object.values(grads)]);
        if (kpm) kpm.dispose();
        if (attnMask) attnMask.dispose();
        disposeDict(params);
        mha.dispose();
      });
    }
  });
