/**
 * Golden comparisons with PyTorch 1.13 (fixtures from tooling/golden/core/make_fixtures.py).
 * Tolerance: rtol 1e-5, atol 1e-6 on forward values and gradients (float32 on both sides),
 * on cpu and on wasm. Initializer statistics: variances within 3% of torch's own draws.
 */
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  Embedding,
  LayerNorm,
  Linear,
  binaryCrossEntropyWithLogits,
  crossEntropy,
  gelu,
  init,
  logSoftmax,
  mseLoss,
  sequenceCrossEntropy,
  setupBackend,
  softmax,
} from './index.js';
import { expectClose } from './testing.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
const golden: any = JSON.parse(readFileSync(new URL('../test/fixtures/torch-golden.json', import.meta.url), 'utf8'));
const C = golden.cases;
const tol = { rtol: 1e-5, atol: 1e-6 };

/** grads of sum(f(x) * g) w.r.t. xs. */
function vjp(
  f: (...xs: tf.Tensor[]) => tf.Tensor,
  xs: tf.Tensor[],
  g: tf.Tensor,
): { y: Float32Array; grads: Float32Array[] } {
  return tf.tidy(() => {
    const y = f(...xs).dataSync() as Float32Array;
    const grads = tf
      .grads((...a: tf.Tensor[]) => tf.sum(tf.mul(f(...a), g)) as tf.Scalar)(xs)
      .map((t) => t.dataSync() as Float32Array);
    return { y: y.slice(), grads: grads.map((d) => d.slice()) };
  });
}

describe.each(['cpu', 'wasm'] as const)('matches PyTorch on %s', (backend) => {
  beforeAll(async () => {
    const r = await setupBackend({ prefer: [backend] });
    expect(r.backend).toBe(backend);
  });

  it('Linear forward and gradients', () => {
    const c = C.linear;
    const l = new Linear({ inFeatures: 4, outFeatures: 5 });
    const w = tf.tensor2d(c.weight, [5, 4]);
    const b = tf.tensor1d(c.bias);
    l.loadStateDict({ weight: w, bias: b });
    const x = tf.tensor(c.x, c.xShape);
    const g = tf.tensor(c.g, [3, 5]);
    const { y, grads } = vjp((xx) => l.forward(xx), [x], g);
    expectClose(y, c.y, { ...tol, name: 'y' });
    expectClose(grads[0], c.dx, { ...tol, name: 'dx' });
    const pg = tf.variableGrads(() => tf.sum(tf.mul(l.forward(x), g)) as tf.Scalar, l.parameters());
    expectClose(pg.grads[l.weight.name], c.dweight, { ...tol, name: 'dweight' });
    expectClose(pg.grads[l.bias!.name], c.dbias, { ...tol, name: 'dbias' });
    tf.dispose([w, b, x, g, pg.value, ...Object.values(pg.grads)]);
    l.dispose();
  });

  it('Embedding (paddingIdx) forward and weight gradient', () => {
    const c = C.embedding;
    const e = new Embedding({
      numEmbeddings: 6,
      embeddingDim: 3,
      paddingIdx: c.paddingIdx,
      weights: new Float32Array(c.weight),
    });
    const ids = tf.tensor(c.ids, c.idsShape, 'int32');
    const g = tf.tensor(c.g, [...c.idsShape, 3]);
    const y = e.forward(ids);
    expectClose(y, c.y, { ...tol, name: 'y' });
    const pg = tf.variableGrads(() => tf.sum(tf.mul(e.forward(ids), g)) as tf.Scalar, [e.weight]);
    expectClose(pg.grads[e.weight.name], c.dweight, { ...tol, name: 'dweight' });
    tf.dispose([ids, g, y, pg.value, ...Object.values(pg.grads)]);
    e.dispose();
  });

  it('LayerNorm forward and gradients', () => {
    const c = C.layerNorm;
    const ln = new LayerNorm({ normalizedShape: 5, eps: c.eps });
    const w = tf.tensor1d(c.weight);
    const b = tf.tensor1d(c.bias);
    ln.loadStateDict({ weight: w, bias: b });
    const x = tf.tensor(c.x, c.xShape);
    const g = tf.tensor(c.g, c.xShape);
    const { y, grads } = vjp((xx) => ln.forward(xx), [x], g);
    expectClose(y, c.y, { ...tol, name: 'y' });
    expectClose(grads[0], c.dx, { ...tol, name: 'dx' });
    const pg = tf.variableGrads(() => tf.sum(tf.mul(ln.forward(x), g)) as tf.Scalar, ln.parameters());
    expectClose(pg.grads[ln.weight!.name], c.dweight, { ...tol, name: 'dweight' });
    expectClose(pg.grads[ln.bias!.name], c.dbias, { ...tol, name: 'dbias' });
    tf.dispose([w, b, x, g, pg.value, ...Object.values(pg.grads)]);
    ln.dispose();
  });

  it('activations (gelu exact/tanh, softmax/logSoftmax on a middle axis)', () => {
    const c = C.activations;
    const x = tf.tensor(c.x, c.xShape);
    const g = tf.tensor(c.g, c.xShape);
    const fs: Record<string, (t: tf.Tensor) => tf.Tensor> = {
      geluExact: (t) => gelu(t),
      geluTanh: (t) => gelu(t, { approximate: 'tanh' }),
      softmaxAxis1: (t) => softmax(t, 1),
      logSoftmaxAxis1: (t) => logSoftmax(t, 1),
      logSoftmaxLast: (t) => logSoftmax(t),
    };
    for (const [name, f] of Object.entries(fs)) {
      const { y, grads } = vjp(f, [x], g);
      expectClose(y, c[name].y, { ...tol, name: `${name} y` });
      expectClose(grads[0], c[name].dx, { ...tol, name: `${name} dx` });
    }
    tf.dispose([x, g]);
  });

  it('crossEntropy: reductions, ignoreIndex, label smoothing, gradients', () => {
    const c = C.crossEntropy;
    const logits = tf.tensor(c.logits, c.logitsShape);
    const targets = tf.tensor1d(c.targets, 'int32');
    const runs: Array<[string, Parameters<typeof crossEntropy>[2], tf.Tensor]> = [
      ['mean', {}, targets],
      ['sum', { reduction: 'sum' }, targets],
      ['none', { reduction: 'none' }, targets],
      ['smooth', { labelSmoothing: 0.1 }, targets],
      ['smoothSum', { labelSmoothing: 0.25, reduction: 'sum' }, targets],
    ];
    const t3 = tf.tensor1d(c.ignore3.targets, 'int32');
    runs.push(['ignore3', { ignoreIndex: 3 }, t3]);
    for (const [name, opts, t] of runs) {
      const loss = crossEntropy(logits, t, opts);
      expectClose(loss, c[name].loss, { ...tol, name: `${name} loss` });
      const d = tf.grad((z: tf.Tensor) => tf.sum(crossEntropy(z, t, opts)))(logits);
      expectClose(d, c[name].dlogits, { ...tol, name: `${name} dlogits` });
      tf.dispose([loss, d]);
    }
    tf.dispose([logits, targets, t3]);
  });

  it('sequenceCrossEntropy equals torch cross_entropy over the real tokens', () => {
    const c = C.sequenceCrossEntropy;
    const logits = tf.tensor(c.logits, c.logitsShape);
    const targets = tf.tensor2d(c.targets, undefined, 'int32');
    const mask = tf.tensor2d(c.mask);
    for (const [name, opts] of [
      ['mean', {}],
      ['smoothSum', { labelSmoothing: 0.1, reduction: 'sum' }],
    ] as const) {
      const loss = sequenceCrossEntropy(logits, targets, mask, opts);
      expectClose(loss, c[name].loss, { ...tol, name: `${name} loss` });
      const d = tf.grad((z: tf.Tensor) => sequenceCrossEntropy(z, targets, mask, opts))(logits);
      expectClose(d, c[name].dlogits, { ...tol, name: `${name} dlogits` });
      tf.dispose([loss, d]);
    }
    tf.dispose([logits, targets, mask]);
  });

  it('binaryCrossEntropyWithLogits (stable at |x| = 40, posWeight) and mseLoss', () => {
    const c = C.bce;
    const x = tf.tensor(c.logits, c.shape);
    const t = tf.tensor(c.targets, c.shape);
    const pw = tf.tensor1d(c.posWeight);
    const runs: Array<[string, Parameters<typeof binaryCrossEntropyWithLogits>[2]]> = [
      ['mean', {}],
      ['none', { reduction: 'none' }],
      ['weighted', { posWeight: pw }],
    ];
    for (const [name, opts] of runs) {
      const loss = binaryCrossEntropyWithLogits(x, t, opts);
      expectClose(loss, c[name].loss, { ...tol, name: `${name} loss` });
      const d = tf.grad((z: tf.Tensor) => tf.sum(binaryCrossEntropyWithLogits(z, t, opts)))(x);
      expectClose(d, c[name].dlogits, { ...tol, name: `${name} dlogits` });
      tf.dispose([loss, d]);
    }
    const m = C.mse;
    const a = tf.tensor(m.a, m.shape);
    const b = tf.tensor(m.b, m.shape);
    const l = mseLoss(a, b);
    expectClose(l, m.loss, tol);
    const ls = mseLoss(a, b, { reduction: 'sum' });
    expectClose(ls, m.sumLoss, tol);
    const da = tf.grad((z: tf.Tensor) => mseLoss(z, b))(a);
    expectClose(da, m.da, tol);
    tf.dispose([x, t, pw, a, b, l, ls, da]);
  });
});

describe('initializer statistics match torch.nn.init', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });
  it('variance within 3% of torch, max |w| within the same bound', () => {
    const s = C.initStats.stats;
    const shape = C.initStats.shape as number[];
    const ours: Record<string, tf.Tensor> = {
      xavierUniformGain2: init.xavierUniform(shape, { gain: 2, seed: 1 }),
      xavierNormal: init.xavierNormal(shape, { seed: 2 }),
      kaimingUniform: init.kaimingUniform(shape, { seed: 3 }),
      kaimingNormalFanOutRelu: init.kaimingNormal(shape, { mode: 'fanOut', nonlinearity: 'relu', seed: 4 }),
      pytorchDefault: init.pytorchDefault(shape, { seed: 5 }),
      normal: init.normal(shape, { mean: 2, std: 0.5, seed: 6 }),
      uniform: init.uniform(shape, { low: -1, high: 3, seed: 7 }),
    };
    for (const [name, t] of Object.entries(ours)) {
      const v = t.dataSync();
      let sum = 0,
        sum2 = 0,
        maxAbs = 0;
      for (const x of v) {
        sum += x;
        sum2 += x * x;
        maxAbs = Math.max(maxAbs, Math.abs(x));
      }
      const mean = sum / v.length;
      const variance = sum2 / v.length - mean * mean;
      expect(Math.abs(variance / s[name].var - 1), `${name} variance ${variance} vs torch ${s[name].var}`).toBeLessThan(
        0.03,
      );
      expect(Math.abs(mean - s[name].mean), `${name} mean`).toBeLessThan(0.02 * Math.sqrt(s[name].var) + 0.01);
      if (name.includes('niform') || name === 'pytorchDefault') {
        // Uniform draws: both maxima sit just under the same bound.
        expect(Math.abs(maxAbs / s[name].maxAbs - 1), `${name} max|w|`).toBeLessThan(0.01);
      }
      t.dispose();
    }
    for (const [r, c] of [
      [6, 4],
      [4, 6],
    ]) {
      const w = init.orthogonal([r, c], { gain: 1.5, seed: 8 });
      const gram = r >= c ? tf.matMul(w, w, true, false) : tf.matMul(w, w, false, true);
      const err = tf.max(tf.abs(tf.sub(gram, tf.mul(tf.eye(Math.min(r, c)), 2.25)))).dataSync()[0];
      expect(err).toBeLessThan(Math.max(1e-5, 10 * s[`orthogonal${r}x${c}`].maxGramError));
      tf.dispose([w, gram]);
    }
  });
});
