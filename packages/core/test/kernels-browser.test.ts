/**
 * Our WebAssembly SIMD kernels in the browser: Chromium (Debian's, driven by playwright-core) runs
 * a page bundled by Vite from `@wordloom/core` and `@wordloom/rnn` (copies of their sources laid
 * out as an install, resolved through the `@wordloom/source` condition, as in browser.test.ts) on
 * tfjs's wasm backend, and reports:
 * - `batchMatMul` with every transpose combination: that our kernel ran (core's internal
 *   `simdProducts` counter, read from the same module the bundle uses) and its largest difference
 *   from `tf.matMul`;
 * - a 2-layer bidirectional LSTM and GRU on a ragged batch: that the fused kernels ran (rnn's
 *   `fusedCalls`: the whole-sequence inference path in eval mode, the step kernel under a
 *   gradient) and their outputs, final states and gradients against the tfjs-op fallback
 *   (`setFusedKernels('off')`).
 * `?off` is the negative control: the same page with every kernel switched off must report that
 * none ran, so the counters really tell the paths apart.
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
import { batchMatMul, setBatchMatMulKernel, setupBackend } from '@wordloom/core';
import { GRU, LSTM } from '@wordloom/rnn';
import { simdProducts } from './node_modules/@wordloom/core/src/internal/batch-matmul.ts';
import { setFusedKernels } from './node_modules/@wordloom/rnn/src/internal/kernels.ts';
import { fusedCalls } from './node_modules/@wordloom/rnn/src/internal/fused-lstm.ts';

const off = new URLSearchParams(location.search).has('off');
const maxDiff = async (a, b) => {
  const [x, y] = [await a.data(), await b.data()];
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i] - y[i]) / (1 + Math.abs(y[i])));
  return x.length === y.length ? m : Infinity;
};
try {
  const { backend } = await setupBackend();
  await tf.ready();
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
  window.result = { backend, active: tf.getBackend(), matmul, recurrent, numTensors: tf.memory().numTensors };
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
  });
});
