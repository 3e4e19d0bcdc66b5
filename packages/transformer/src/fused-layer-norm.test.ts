import * as tf from '@tensorflow/tfjs-core';
import { LayerNorm, setupBackend } from '@wordloom/core';
import { checkGradients, expectClose, expectNoLeaks } from '@wordloom/core/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TransformerEncoderLayer } from './encoder-layer.js';
import { fusedLayerNormActive, layerNorm, setFusedLayerNorm } from './internal/fused-layer-norm.js';

afterEach(() => {
  setFusedLayerNorm(true);
});

function affineNorm(d: number, seed: number): LayerNorm {
  const n = new LayerNorm({ normalizedShape: d, eps: 1e-5 });
  const w = tf.randomNormal([d], 1, 0.3, 'float32', seed);
  const b = tf.randomNormal([d], 0, 0.3, 'float32', seed + 1);
  n.weight?.assign(w);
  n.bias?.assign(b);
  tf.dispose([w, b]);
  return n;
}

/** Gradients of Σ LN(x)·r with respect to x (and weight and bias), with the fused op on or off. */
function grads(norm: LayerNorm, x: tf.Tensor, r: tf.Tensor, fused: boolean): Float32Array[] {
  setFusedLayerNorm(fused);
  return tf.tidy(() => {
    const loss = (xx: tf.Tensor) => tf.sum(tf.mul(layerNorm(norm, xx), r)) as tf.Scalar;
    const out = [tf.grad(loss)(x)];
    if (norm.weight && norm.bias) {
      const { grads: g } = tf.variableGrads(() => loss(x), [norm.weight, norm.bias]);
      out.push(g[norm.weight.name], g[norm.bias.name]);
    }
    return out.map((t) => t.dataSync().slice() as Float32Array);
  });
}

// cpu reads the tensors' own arrays; wasm reads and writes the backend's heap in place
describe.each(['cpu', 'wasm'] as const)('fused LayerNorm on %s', (backend) => {
  beforeAll(async () => {
    await setupBackend({ prefer: [backend] });
    expect(tf.getBackend()).toBe(backend);
  });

  it('runs fused on cpu (and wasm), the module elsewhere or when switched off', () => {
    expect(fusedLayerNormActive()).toBe(true);
    setFusedLayerNorm(false);
    expect(fusedLayerNormActive()).toBe(false);
  });

  for (const affine of [true, false]) {
    it(`equals LayerNorm.forward and its autodiff gradients (${affine ? 'affine' : 'no affine'})`, () => {
      const d = 16;
      const norm = affine ? affineNorm(d, 3) : new LayerNorm({ normalizedShape: d, elementwiseAffine: false });
      const x = tf.randomNormal([3, 5, d], 0.5, 2, 'float32', 7);
      const r = tf.randomNormal([3, 5, d], 0, 1, 'float32', 8);
      setFusedLayerNorm(false);
      const ref = norm.forward(x);
      setFusedLayerNorm(true);
      const y = layerNorm(norm, x);
      expectClose(y, ref, { atol: 1e-5, rtol: 1e-5, name: 'forward' });
      const gRef = grads(norm, x, r, false);
      const gFused = grads(norm, x, r, true);
      expect(gFused.length).toBe(affine ? 3 : 1);
      gFused.forEach((g, i) =>
        expectClose(g, gRef[i], { atol: 1e-4, rtol: 1e-4, name: ['dx', 'dweight', 'dbias'][i] }),
      );
      tf.dispose([x, r, y, ref]);
      norm.dispose();
    });
  }

  it('passes a finite-difference gradient check (x, weight and bias)', () => {
    const x = tf.randomNormal([2, 3, 6], 0, 1.5, 'float32', 12);
    const r = tf.randomNormal([2, 3, 6], 0, 1, 'float32', 13);
    const w = tf.randomNormal([6], 1, 0.3, 'float32', 14);
    const b = tf.randomNormal([6], 0, 0.3, 'float32', 15);
    // layerNorm reads only these four fields: weight and bias as plain inputs, so tf.grads sees them
    const f = (xx: tf.Tensor, ww: tf.Tensor, bb: tf.Tensor): tf.Scalar => {
      const norm = { normalizedShape: 6, eps: 1e-5, weight: ww, bias: bb } as unknown as LayerNorm;
      return tf.sum(tf.mul(layerNorm(norm, xx), r)) as tf.Scalar;
    };
    checkGradients(f, [x, w, b], { eps: 1e-2, rtol: 2e-2, atol: 2e-3 });
    tf.dispose([x, r, w, b]);
  });

  it('gives an encoder layer the same training gradients and leaks nothing', async () => {
    const layer = new TransformerEncoderLayer({ dModel: 16, nhead: 2, dimFeedforward: 32, dropout: 0, seed: 4 });
    const x = tf.randomNormal([2, 5, 16], 0, 1, 'float32', 21);
    const params = [...layer.namedParameters().values()] as tf.Variable[];
    const run = (fused: boolean): Float32Array[] => {
      setFusedLayerNorm(fused);
      return tf.tidy(() => {
        const { value, grads: g } = tf.variableGrads(
          () => tf.sum(tf.square(layer.forward(x).output)) as tf.Scalar,
          params,
        );
        return [value, ...params.map((p) => g[p.name])].map((t) => t.dataSync().slice() as Float32Array);
      });
    };
    const ref = run(false);
    const got = await expectNoLeaks(() => run(true));
    got.forEach((g, i) =>
      expectClose(g, ref[i], { atol: 1e-4, rtol: 1e-4, name: i === 0 ? 'loss' : params[i - 1].name }),
    );
    x.dispose();
    layer.dispose();
  });
});
