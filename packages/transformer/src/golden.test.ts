/**
 * Golden tests against PyTorch 1.13 (fixtures from tooling/golden/transformer/make_fixtures.py):
 * nn.TransformerEncoderLayer / DecoderLayer (post/pre-norm, ReLU/GELU) and a 2-layer
 * nn.Transformer whose weights are loaded by name from a torch-written safetensors file.
 * Eval mode. Outputs to 1e-5, gradients of L = Σ out·R to 1e-4.
 */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, setBatchMatMulKernel, setupBackend } from '@wordloom/core';
import { expectClose } from '@wordloom/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeDict, loadFixture, toDict, toTensor, type FixTensor } from '../test/fixture.js';
import { TransformerDecoderLayer } from './decoder-layer.js';
import { TransformerEncoderLayer } from './encoder-layer.js';
import { Transformer } from './transformer.js';

interface Case {
  kind: 'encoderLayer' | 'decoderLayer' | 'transformer';
  config: {
    dModel: number;
    nhead: number;
    dimFeedforward: number;
    normFirst?: boolean;
    activation?: 'relu' | 'gelu';
    numEncoderLayers?: number;
    numDecoderLayers?: number;
  };
  tensors: Record<string, FixTensor>;
  params?: Record<string, FixTensor>;
  paramGrads: Record<string, FixTensor>;
  weightsFile?: string;
}

const fix = loadFixture<Case>('transformer.json');
const OUT = { atol: 1e-5, rtol: 1e-5 };
const GRAD = { atol: 1e-4, rtol: 1e-4 };
const KERNELS = ['tfjs', 'simd'] as const;

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

function checkGrads(
  name: string,
  c: Case,
  inputs: Record<string, tf.Variable>,
  params: Map<string, tf.Variable>,
  loss: () => tf.Scalar,
): void {
  const vars = [...Object.values(inputs), ...params.values()];
  const { value, grads } = tf.variableGrads(loss, vars);
  for (const [n, v] of Object.entries(inputs))
    expectClose(grads[v.name], toTensor(c.tensors[`grad.${n}`]), { ...GRAD, name: `${name}.grad.${n}` });
  let checked = 0;
  for (const [pn, pv] of params) {
    if (!c.paramGrads[pn]) continue;
    expectClose(grads[pv.name], toTensor(c.paramGrads[pn]), { ...GRAD, name: `${name}.grad.${pn}` });
    checked++;
  }
  expect(checked).toBe(Object.keys(c.paramGrads).length);
  tf.dispose([value, ...Object.values(grads)]);
}

// Each case runs with tfjs's matMul ('tfjs') and with our WebAssembly SIMD kernel ('simd'),
// which the wasm backend uses for attention's batched products.
for (const kernel of KERNELS)
  describe(`layers vs PyTorch (batchMatMul kernel '${kernel}')`, () => {
    beforeAll(() => {
      setBatchMatMulKernel(kernel);
    });
    afterAll(() => {
      setBatchMatMulKernel('auto');
    });
    for (const [name, c] of Object.entries(fix.cases).filter(([, c]) => c.kind !== 'transformer')) {
      it(name, () => {
        const t = c.tensors;
        const opts = {
          dModel: c.config.dModel,
          nhead: c.config.nhead,
          dimFeedforward: c.config.dimFeedforward,
          normFirst: c.config.normFirst,
          activation: c.config.activation,
          dropout: 0.1,
        };
        const layer = c.kind === 'encoderLayer' ? new TransformerEncoderLayer(opts) : new TransformerDecoderLayer(opts);
        layer.eval();
        const params = toDict(c.params as Record<string, FixTensor>);
        expect([...layer.namedParameters().keys()].sort()).toEqual(Object.keys(c.params as object).sort());
        layer.loadStateDict(params);
        const R = toTensor(t.R);
        if (layer instanceof TransformerEncoderLayer) {
          const src = tf.variable(toTensor(t.src));
          const kpm = toTensor(t.srcKeyPaddingMask, 'bool');
          const run = () => layer.forward(src, { srcKeyPaddingMask: kpm }).output;
          const out = run();
          expectClose(out, toTensor(t.output), { ...OUT, name: `${name}.output` });
          checkGrads(name, c, { src }, layer.namedParameters(), () => tf.sum(tf.mul(run(), R)) as tf.Scalar);
          tf.dispose([src, kpm, out]);
        } else {
          const tgt = tf.variable(toTensor(t.tgt));
          const memory = tf.variable(toTensor(t.memory));
          const masks = {
            tgtMask: toTensor(t.tgtMask, 'bool'),
            tgtKeyPaddingMask: toTensor(t.tgtKeyPaddingMask, 'bool'),
            memoryKeyPaddingMask: toTensor(t.memoryKeyPaddingMask, 'bool'),
          };
          const run = () => layer.forward(tgt, memory, masks).output;
          const out = run();
          expectClose(out, toTensor(t.output), { ...OUT, name: `${name}.output` });
          checkGrads(name, c, { tgt, memory }, layer.namedParameters(), () => tf.sum(tf.mul(run(), R)) as tf.Scalar);
          // causal: true is the same as the boolean causal tgtMask
          const viaFlag = layer.forward(tgt, memory, { ...masks, tgtMask: undefined, causal: true }).output;
          expectClose(viaFlag, out, { atol: 1e-6, name: `${name}.causal-flag` });
          tf.dispose([tgt, memory, out, viaFlag, ...Object.values(masks)]);
        }
        R.dispose();
        disposeDict(params);
        layer.dispose();
      });
    }
  });

for (const kernel of KERNELS)
  describe(`nn.Transformer (2 layers) vs PyTorch, weights from safetensors (batchMatMul kernel '${kernel}')`, () => {
    beforeAll(() => {
      setBatchMatMulKernel(kernel);
    });
    afterAll(() => {
      setBatchMatMulKernel('auto');
    });
    it('loads every weight by name and matches outputs and gradients', () => {
      const c = fix.cases.transformer;
      const t = c.tensors;
      const bytes = new Uint8Array(readFileSync(new URL(`../test/fixtures/${c.weightsFile}`, import.meta.url)));
      const { tensors } = readSafetensors(bytes);
      const model = new Transformer({ ...c.config, dropout: 0.1 });
      model.eval();
      expect([...model.namedParameters().keys()].sort()).toEqual([...tensors.keys()].sort());
      model.loadStateDict(tensors);
      const src = tf.variable(toTensor(t.src));
      const tgt = tf.variable(toTensor(t.tgt));
      const skpm = toTensor(t.srcKeyPaddingMask, 'bool');
      const masks = {
        srcKeyPaddingMask: skpm,
        memoryKeyPaddingMask: skpm,
        tgtKeyPaddingMask: toTensor(t.tgtKeyPaddingMask, 'bool'),
        tgtMask: toTensor(t.tgtMask, 'bool'),
      };
      const run = () => model.forward(src, tgt, masks).output;
      const out = run();
      expectClose(out, toTensor(t.output), { ...OUT, name: 'transformer.output' });
      const R = toTensor(t.R);
      checkGrads('transformer', c, { src, tgt }, model.namedParameters(), () => tf.sum(tf.mul(run(), R)) as tf.Scalar);
      tf.dispose([src, tgt, out, R, skpm, masks.tgtKeyPaddingMask, masks.tgtMask, ...tensors.values()]);
      model.dispose();
    });
  });
