/**
 * Our WebAssembly SIMD kernels in the browser: Chromium (Debian's, driven by playwright-core) runs
 * a page bundled by Vite from `@wordloom/core` and `@wordloom/rnn` (copies of their sources laid
 * out as an install, resolved through the `@wordloom/source` condition, as in browser.test.ts) on
 * tfjs's wasm backend, and reports:
 * - `batchMatMul` with every transpose combination: that our kernel ran (core's internal
 *   `simdProducts` counter, read from the same module the bundle uses) and its largest difference
 *   from `tf.matMul`;
 * - core's fused kernels (internal/fused-ops.ts), first, right after `setupBackend` (which installs
 *   them): the Transpose (2-D, and attention's head split and merge `[A, R, C, I] → [A, C, R, I]`)
 *   ran (core's `fusedTransposes` counter) and equals a plain JS transpose and tfjs's own kernel bit
 *   for bit; Identity and a same-dtype Cast share the input's buffer (the copy stays readable after
 *   the original is disposed); Dropout ran fused and gives the JS mask's values, gradients and
 *   generator state bit for bit, and a mask drawn by hand from `Rng(seed)`; LayerNorm forward and
 *   backward and softmax's backward against a float64 JS computation; no tensor leaks;
 * - a 2-layer bidirectional LSTM and GRU on a ragged batch: that the fused kernels ran (rnn's
 *   `fusedCalls`: the whole-sequence inference path in eval mode, the step kernel under a
 *   gradient) and their outputs, final states and gradients against the tfjs-op fallback
 *   (`setFusedKernels('off')`).
 * `?off` is the negative control: the same page with every kernel switched off (core's fused ones
 * before `setupBackend`) must report that none ran, so the counters really tell the paths apart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { build, defaultClientConditions } from 'vite';
import {
  launchChromium,
  makeTestApp,
  pageResult,
  serveDir,
  type TestServer,
} from '../../../tooling/scripts/browser-test.js';

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const rnnDir = path.resolve(pkgDir, '../rnn');

const MAIN = `
import * as tf from '@tensorflow/tfjs-core';
import {
  batchMatMul,
  Dropout,
  fusedLayerNormBackward,
  fusedLayerNormForward,
  fusedSoftmaxBackward,
  Rng,
  setBatchMatMulKernel,
  setFusedKernels as setCoreFusedKernels,
  setupBackend,
} from '@wordloom/core';
import { GRU, LSTM } from '@wordloom/rnn';
import { simdProducts } from './node_modules/@wordloom/core/src/internal/batch-matmul.ts';
import { fusedDropouts, fusedTransposes } from './node_modules/@wordloom/core/src/internal/fused-ops.ts';
import { setFusedKernels } from './node_modules/@wordloom/rnn/src/internal/kernels.ts';
import { fusedCalls } from './node_modules/@wordloom/rnn/src/internal/fused-lstm.ts';
import { layerNormReference as jsLayerNorm } from './node_modules/@wordloom/core/src/internal/testdata/layer-norm-reference.ts';

const off = new URLSearchParams(location.search).has('off');
/** max |x − y| / (1 + |y|) of two arrays (Infinity when the lengths differ, NaN through NaN) */
const relDiff = (x, y) => {
  if (x.length !== y.length) return Infinity;
  let m = 0;
  for (let i = 0; i < x.length; i++) {
    const e = Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i]));
    m = e > m || e !== e ? e : m;
  }
  return m;
};
const maxDiff = async (a, b) => relDiff(await a.data(), await b.data());
/** how many elements differ bitwise (NaN = NaN; −0 ≠ 0) */
const bitsDiffer = (u, v) => {
  if (u.length !== v.length) return Infinity;
  let n = 0;
  for (let i = 0; i < u.length; i++) if (!Object.is(u[i], v[i])) n++;
  return n;
};
/** v (row-major, of shape) permuted by perm, in plain JS */
const jsTranspose = (v, shape, perm) => {
  const rank = shape.length;
  const strides = new Array(rank);
  for (let k = rank - 1, s = 1; k >= 0; k--) {
    strides[k] = s;
    s *= shape[k];
  }
  const outShape = perm.map((p) => shape[p]);
  const out = new v.constructor(v.length);
  const idx = new Array(rank).fill(0);
  for (let o = 0; o < v.length; o++) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += idx[k] * strides[perm[k]];
    out[o] = v[src];
    for (let k = rank - 1; k >= 0; k--) {
      if (++idx[k] < outShape[k]) break;
      idx[k] = 0;
    }
  }
  return out;
};

/**
 * core's fused wasm kernels (internal/fused-ops.ts), run first: nothing has called customGrad or
 * Dropout yet, so a fused transpose here means setupBackend installed them.
 */
async function fusedKernels() {
  const numTensors = tf.memory().numTensors;
  const rng = new Rng(7);
  const randn = (shape) => Float32Array.from({ length: shape.reduce((p, q) => p * q, 1) }, () => rng.normal());
  const transpose = [];
  for (const [shape, perm, dtype] of [
    [[64, 32], [1, 0], 'float32'],
    [[17, 33], [1, 0], 'float32'],
    [[2, 8, 4, 16], [0, 2, 1, 3], 'float32'], // head split [B, T, H, dh] → [B, H, T, dh]
    [[2, 4, 8, 16], [0, 2, 1, 3], 'float32'], // and back
    [[3, 5, 2, 5], [0, 2, 1, 3], 'float32'], // dh not a multiple of 4
    [[4, 6, 3, 8], [0, 2, 1, 3], 'int32'],
  ]) {
    const f = randn(shape);
    const v = dtype === 'int32' ? Int32Array.from(f, (z) => Math.round(z * 1000)) : f;
    const x = tf.tensor(v, shape, dtype);
    const before = fusedTransposes.count;
    const y = tf.transpose(x, perm);
    const ran = fusedTransposes.count - before;
    const got = await y.data();
    setCoreFusedKernels(false);
    const t = tf.transpose(x, perm); // tfjs-backend-wasm's own kernel
    setCoreFusedKernels(!off);
    transpose.push({
      shape,
      perm,
      dtype,
      ran,
      outShape: y.shape,
      outDtype: y.dtype,
      vsJs: bitsDiffer(got, jsTranspose(v, shape, perm)),
      vsTfjs: bitsDiffer(got, await t.data()),
    });
    tf.dispose([x, y, t]);
  }

  const be = tf.backend();
  const ids0 = be.numDataIds();
  const x = tf.tensor1d([1, 2, 3, 4.5]);
  const c = tf.clone(x);
  const cloneShared = c.dataId === x.dataId;
  x.dispose();
  const cloneValues = Array.from(await c.data());
  const idsWhileClone = be.numDataIds() - ids0;
  c.dispose();
  const y0 = tf.tensor1d([1.5, -2.5]);
  const same = tf.cast(y0, 'float32');
  const castShared = same.dataId === y0.dataId;
  y0.dispose();
  const castValues = Array.from(await same.data());
  same.dispose();
  const identity = { cloneShared, cloneValues, idsWhileClone, castShared, castValues, idsAfter: be.numDataIds() - ids0 };

  const dropout = [];
  for (const p of [0.1, 0.5]) {
    const shape = [7, 33, 5];
    const xv = randn(shape);
    const wv = randn(shape);
    const xt = tf.tensor(xv, shape);
    const wt = tf.tensor(wv, shape);
    const lossOf = (m) => (z) => tf.sum(tf.mul(m.forward(z), wt));
    const a = new Dropout({ p, seed: 11 });
    const b = new Dropout({ p, seed: 11 });
    const before = fusedDropouts.count;
    const ya = a.forward(xt);
    const ga = tf.grad(lossOf(a))(xt);
    const ran = fusedDropouts.count - before; // forward, the forward under tf.grad, its backward
    setCoreFusedKernels(false);
    const yb = b.forward(xt); // Dropout's JS mask (what cpu runs)
    const gb = tf.grad(lossOf(b))(xt);
    setCoreFusedKernels(!off);
    // the mask by hand: sfc32 draws of Rng(seed), kept when below keep · 2^32, times 1/keep in float32
    const ref = new Rng(11);
    const keep = 1 - p;
    const scale = Math.fround(1 / keep);
    const draw = () => (ref.nextUint32() < keep * 4294967296 ? scale : 0);
    const yRef = Float32Array.from(xv, (z) => z * draw());
    const gRef = Float32Array.from(wv, (z) => z * draw());
    const [yav, gav] = [await ya.data(), await ga.data()];
    dropout.push({
      p,
      ran,
      vsJsMask: bitsDiffer(yav, await yb.data()),
      gradVsJsMask: bitsDiffer(gav, await gb.data()),
      vsReference: bitsDiffer(yav, yRef),
      gradVsReference: bitsDiffer(gav, gRef),
      rngState: JSON.stringify([...a.rngStates()]) === JSON.stringify([['rng', ref.getState()]]),
      dropped: yav.filter((z) => z === 0).length / yav.length,
    });
    tf.dispose([xt, wt, ya, ga, yb, gb]);
  }

  const layerNorm = [];
  for (const [rows, d, affine] of [[6, 32, true], [6, 32, false], [3, 4, true]]) {
    const xv = randn([rows, d]).map((z) => z + 3); // an offset mean
    const rv = randn([rows, d]);
    const gv = affine ? randn([d]) : null;
    const bv = affine ? randn([d]) : null;
    const want = jsLayerNorm(xv, gv, bv, rv, d, 1e-5);
    const xt = tf.tensor(xv, [rows, d]);
    const rt = tf.tensor(rv, [rows, d]);
    const g = gv && tf.tensor(gv);
    const b = bv && tf.tensor(bv);
    const y = fusedLayerNormForward(xt, g, b, 1e-5);
    const back = fusedLayerNormBackward(rt, xt, g, 1e-5);
    const entry = { rows, d, affine, ran: y !== null && back !== null };
    if (y && back) {
      entry.y = relDiff(await y.data(), want.y);
      entry.dx = relDiff(await back.dx.data(), want.dx);
      entry.dweight = back.dweight && relDiff(await back.dweight.data(), want.dg);
      entry.dbias = back.dbias && relDiff(await back.dbias.data(), want.db);
    }
    tf.dispose([xt, rt, g, b, y, back && back.dx, back && back.dweight, back && back.dbias].filter((t) => t));
    layerNorm.push(entry);
  }

  const sm = tf.tidy(() => tf.softmax(tf.tensor(randn([3, 5, 12]), [3, 5, 12])));
  const dy = tf.tensor(randn([3, 5, 12]), [3, 5, 12]);
  const [yv, dv] = [await sm.data(), await dy.data()];
  const want = new Float64Array(yv.length);
  for (let o = 0; o < yv.length; o += 12) {
    let s = 0;
    for (let j = 0; j < 12; j++) s += yv[o + j] * dv[o + j];
    for (let j = 0; j < 12; j++) want[o + j] = yv[o + j] * (dv[o + j] - s);
  }
  const dx = fusedSoftmaxBackward(sm, dy);
  const softmaxBackward = { ran: dx !== null, diff: dx ? relDiff(await dx.data(), want) : null };
  tf.dispose([sm, dy, ...(dx ? [dx] : [])]);
  return { transpose, identity, dropout, layerNorm, softmaxBackward, leaked: tf.memory().numTensors - numTensors };
}

try {
  if (off) setCoreFusedKernels(false); // before setup: setupBackend must then not install them
  const { backend } = await setupBackend();
  await tf.ready();
  const fused = await fusedKernels();
  if (off) {
    setBatchMatMulKernel('tfjs');
    setFusedKernels('off');
  }
  const matmul = [];
  for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]]) {
    const [M, K, N] = [37, 19, 23];
    const a = tf.randomNormal(ta ? [6, K, M] : [6, M, K], 0, 1, 'float32', 1);
    const b = tf.randomNormal(tb ? [6, N, K] : [6, K, N], 0, 1, 'float32', 2);
    const before = simdProducts.count;
    const ours = batchMatMul(a, b, { transposeA: ta, transposeB: tb });
    const ran = simdProducts.count - before;
    const ref = tf.matMul(a, b, ta, tb);
    matmul.push({ ta, tb, ran, shape: ours.shape, diff: await maxDiff(ours, ref) });
    tf.dispose([a, b, ours, ref]);
  }
  const recurrent = [];
  for (const [name, Layer] of [['LSTM', LSTM], ['GRU', GRU]]) {
    const m = new Layer({ inputSize: 8, hiddenSize: 16, numLayers: 2, bidirectional: true, seed: 1 });
    m.eval();
    const x = tf.randomNormal([4, 7, 8], 0, 1, 'float32', 3);
    const lengths = [7, 2, 5, 1];
    const vars = [...m.namedParameters().values()];
    const run = () => {
      const o = m.forward(x, { lengths });
      const values = [o.outputs, o.state.h, ...(o.state.c ? [o.state.c] : [])];
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(m.forward(x, { lengths }).outputs)), vars);
      return [...values, ...vars.map((v) => grads[v.name])];
    };
    const c0 = { ...fusedCalls };
    const fused = run();
    const calls = { sequence: fusedCalls.sequence - c0.sequence, step: fusedCalls.step - c0.step };
    setFusedKernels('off');
    const fallback = run();
    setFusedKernels(off ? 'off' : 'auto');
    let diff = 0;
    for (let k = 0; k < fused.length; k++) diff = Math.max(diff, await maxDiff(fused[k], fallback[k]));
    recurrent.push({ name, calls, diff, results: fused.length });
    tf.dispose([...fused, ...fallback, x]);
    m.dispose();
  }
  window.result = { backend, active: tf.getBackend(), fused, matmul, recurrent, numTensors: tf.memory().numTensors };
} catch (e) {
  window.result = { error: String(e && e.stack || e) };
}
`;

let app = '';
let browser: Browser;
let server: TestServer | undefined;

beforeAll(async () => {
  browser = await launchChromium(chromium);
  app = makeTestApp({
    prefix: 'wordloom-kernels-app-',
    name: 'kernels-page',
    packages: { '@wordloom/core': pkgDir, '@wordloom/rnn': rnnDir },
    tfjsFrom: pkgDir,
    files: {
      'main.js': MAIN,
      'index.html': '<!doctype html><meta charset="utf-8"><script type="module" src="./main.js"></script>',
    },
  });
  await build({
    configFile: false,
    logLevel: 'silent',
    root: app,
    resolve: { conditions: ['@wordloom/source', ...defaultClientConditions] },
    build: { target: 'es2022', minify: false },
  });
  server = await serveDir(path.join(app, 'dist'));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

interface PageResult {
  error?: string;
  backend: string;
  active: string;
  fused: {
    transpose: Array<{
      shape: number[];
      perm: number[];
      dtype: string;
      ran: number;
      outShape: number[];
      outDtype: string;
      vsJs: number;
      vsTfjs: number;
    }>;
    identity: {
      cloneShared: boolean;
      cloneValues: number[];
      idsWhileClone: number;
      castShared: boolean;
      castValues: number[];
      idsAfter: number;
    };
    dropout: Array<{
      p: number;
      ran: number;
      vsJsMask: number;
      gradVsJsMask: number;
      vsReference: number;
      gradVsReference: number;
      rngState: boolean;
      dropped: number;
    }>;
    layerNorm: Array<{
      rows: number;
      d: number;
      affine: boolean;
      ran: boolean;
      y?: number;
      dx?: number;
      dweight?: number | null;
      dbias?: number | null;
    }>;
    softmaxBackward: { ran: boolean; diff: number | null };
    leaked: number;
  };
  matmul: Array<{ ta: boolean; tb: boolean; ran: number; shape: number[]; diff: number }>;
  recurrent: Array<{ name: string; calls: { sequence: number; step: number }; diff: number; results: number }>;
}

async function open(url: string): Promise<PageResult> {
  const r = await pageResult<PageResult>(browser, `${server!.base}${url}`);
  if (r.error) throw new Error(`page: ${r.error}`);
  return r;
}

let page: Promise<PageResult> | undefined;
/** The page with the kernels on, opened once for the tests that read it. */
const kernelsOn = (): Promise<PageResult> => (page ??= open('/'));

describe('our SIMD kernels in Chromium (wasm backend)', () => {
  it('setupBackend installed the fused Transpose: 2-D and head-split transposes run it, bitwise equal to plain JS and tfjs', async () => {
    const r = await kernelsOn();
    expect(r.fused.transpose).toHaveLength(6);
    for (const t of r.fused.transpose) {
      const what = `${t.dtype} [${t.shape}] perm [${t.perm}]`;
      expect(t.ran, `${what} took the fused kernel`).toBe(1); // the first ops of the page, before any customGrad
      expect(t.outShape, what).toEqual(t.perm.map((p) => t.shape[p]));
      expect(t.outDtype, what).toBe(t.dtype);
      expect(t.vsJs, `${what}: elements differing from a plain JS transpose`).toBe(0);
      expect(t.vsTfjs, `${what}: elements differing from tfjs's kernel`).toBe(0);
    }
  });

  it("Identity and a same-dtype Cast share the input's buffer, and the copy outlives the original", async () => {
    const { identity: i } = (await kernelsOn()).fused;
    expect(i.cloneShared).toBe(true);
    expect(i.cloneValues).toEqual([1, 2, 3, 4.5]);
    expect(i.idsWhileClone).toBe(1); // the one shared buffer, freed with the last reference
    expect(i.castShared).toBe(true);
    expect(i.castValues).toEqual([1.5, -2.5]);
    expect(i.idsAfter).toBe(0);
  });

  it("fused Dropout gives the JS mask's values and gradients bit for bit, and a hand-drawn mask's", async () => {
    const r = await kernelsOn();
    expect(r.fused.dropout).toHaveLength(2);
    for (const d of r.fused.dropout) {
      expect(d.ran, `p ${d.p}: forward, forward under tf.grad, backward`).toBe(3);
      expect(d.vsJsMask, `p ${d.p}`).toBe(0);
      expect(d.gradVsJsMask, `p ${d.p}`).toBe(0);
      expect(d.vsReference, `p ${d.p}`).toBe(0);
      expect(d.gradVsReference, `p ${d.p}`).toBe(0);
      expect(d.rngState, `p ${d.p}: generator left where the reference's is`).toBe(true);
      expect(Math.abs(d.dropped - d.p), `p ${d.p}: share dropped ${d.dropped}`).toBeLessThan(0.06);
    }
  });

  it('fused LayerNorm forward/backward and softmax backward match a float64 JS computation; nothing leaks', async () => {
    const { fused: f } = await kernelsOn();
    expect(f.layerNorm).toHaveLength(3);
    for (const l of f.layerNorm) {
      const what = `${l.rows}x${l.d} affine=${l.affine}`;
      expect(l.ran, what).toBe(true);
      expect(l.y, `${what} y`).toBeLessThan(1e-5);
      expect(l.dx, `${what} dx`).toBeLessThan(1e-4);
      if (l.affine) {
        expect(l.dweight, `${what} dweight`).toBeLessThan(1e-4);
        expect(l.dbias, `${what} dbias`).toBeLessThan(1e-5);
      } else {
        expect(l.dweight).toBeNull();
        expect(l.dbias).toBeNull();
      }
    }
    expect(f.softmaxBackward.ran).toBe(true);
    expect(f.softmaxBackward.diff).toBeLessThan(1e-5);
    expect(f.leaked).toBe(0);
  });

  it('batchMatMul runs our kernel for every transpose and equals tf.matMul within float32 rounding', async () => {
    const r = await kernelsOn();
    expect(r.backend).toBe('wasm');
    expect(r.active).toBe('wasm');
    expect(r.matmul).toHaveLength(4);
    for (const m of r.matmul) {
      expect(m.ran, `transposeA ${m.ta}, transposeB ${m.tb}`).toBe(1);
      expect(m.shape).toEqual([6, 37, 23]);
      expect(m.diff, `transposeA ${m.ta}, transposeB ${m.tb}`).toBeLessThan(1e-5);
    }
  });

  it('LSTM and GRU run the fused kernels (sequence inference, step kernel) and equal the tfjs-op fallback', async () => {
    const r = await kernelsOn();
    for (const c of r.recurrent) {
      // 2 layers × 2 directions, in eval mode and once more under the gradient
      expect(c.calls, c.name).toEqual({ sequence: 4, step: 4 });
      expect(c.results).toBeGreaterThan(3);
      expect(c.diff, c.name).toBeLessThan(1e-5);
    }
  });

  it('negative control: with the kernels off the page reports that none ran', async () => {
    const r = await open('/?off');
    expect(r.active).toBe('wasm');
    for (const m of r.matmul) expect(m.ran).toBe(0);
    for (const c of r.recurrent) expect(c.calls).toEqual({ sequence: 0, step: 0 });
    // core's fused kernels switched off before setupBackend: it must not install them
    for (const t of r.fused.transpose) {
      expect(t.ran).toBe(0);
      expect(t.vsJs).toBe(0);
    }
    expect(r.fused.identity.cloneShared).toBe(false);
    expect(r.fused.identity.castShared).toBe(false);
    for (const d of r.fused.dropout) {
      expect(d.ran).toBe(0);
      expect(d.vsReference).toBe(0);
    }
    for (const l of r.fused.layerNorm) expect(l.ran).toBe(false);
    expect(r.fused.softmaxBackward.ran).toBe(false);
    expect(r.fused.leaked).toBe(0);
  });
});
