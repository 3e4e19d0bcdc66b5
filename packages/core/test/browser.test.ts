/**
 * `@wordloom/core` in someone else's Vite app, in Chromium (Debian's, driven by
 * playwright-core). The app lives in a temporary folder outside the workspace, laid out as an
 * install would be: `node_modules/@wordloom/core` (a copy of package.json and src, resolved
 * through the `@wordloom/source` condition so no build is needed) beside
 * `node_modules/@tensorflow/*` (links to the installed tfjs packages). `vite build` bundles
 * two pages, a static server serves `dist/`, and Chromium opens them:
 * - `setupBackend()` with no options gets **wasm** (the bundler emitted the `.wasm` binaries
 *   from `node_modules` as assets and core pointed tfjs at them), and training works;
 * - the same on a cross-origin isolated page (threads off by default: the threaded build hung);
 * - a wrong `wasmPaths` falls back to a slower backend, and the result and the console say
 *   what to do;
 * - a page that imports only `Linear` (never `setupBackend`) can train: importing core
 *   registered the gradients, and the bundler kept that (`sideEffects`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync, rmSync } from 'node:fs';
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

const MAIN = `
import * as tf from '@tensorflow/tfjs-core';
import { Linear, setupBackend } from '@wordloom/core';
const warnings = [];
const warn = console.warn;
console.warn = (...a) => { warnings.push(a.join(' ')); warn(...a); };
const wasmPaths = new URLSearchParams(location.search).get('wasmPaths');
const r = await setupBackend(wasmPaths ? { wasmPaths } : {});
const lin = new Linear({ inFeatures: 3, outFeatures: 2, seed: 0 });
const { value, grads } = tf.variableGrads(() => tf.mean(lin.forward(tf.ones([4, 3]))));
const bias = await grads[lin.bias.name].data();
window.result = { ...r, isolated: crossOriginIsolated, active: tf.getBackend(), loss: (await value.data())[0], bias: Array.from(bias), warnings: warnings.filter((w) => w.startsWith('setupBackend:')) };
`;

const EARLY = `
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Linear } from '@wordloom/core';
try {
  await tf.setBackend('cpu');
  const lin = new Linear({ inFeatures: 3, outFeatures: 2, seed: 0 });
  const { grads } = tf.variableGrads(() => tf.mean(lin.forward(tf.ones([4, 3]))));
  window.result = { bias: Array.from(await grads[lin.bias.name].data()) };
} catch (e) {
  window.result = { error: e.message };
}
`;

const page = (script: string) =>
  `<!doctype html><meta charset="utf-8"><script type="module" src="./${script}"></script>`;

let app = '';
let browser: Browser;
let server: TestServer | undefined;

beforeAll(async () => {
  browser = await launchChromium(chromium);
  app = makeTestApp({
    prefix: 'wordloom-vite-app-',
    name: 'someones-app',
    packages: { '@wordloom/core': pkgDir },
    tfjsFrom: pkgDir,
    files: { 'main.js': MAIN, 'early.js': EARLY, 'index.html': page('main.js'), 'early.html': page('early.js') },
  });
  await build({
    configFile: false,
    logLevel: 'silent',
    root: app,
    resolve: { conditions: ['@wordloom/source', ...defaultClientConditions] },
    build: {
      target: 'es2022',
      rollupOptions: { input: { main: path.join(app, 'index.html'), early: path.join(app, 'early.html') } },
    },
  });
  // ?coi: a cross-origin isolated page (SharedArrayBuffer, so tfjs would pick threaded wasm).
  server = await serveDir(path.join(app, 'dist'), { isolate: (url) => url.searchParams.has('coi') });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

const open = (url: string): Promise<Record<string, unknown>> => pageResult(browser, `${server!.base}${url}`);

describe('@wordloom/core in a Vite app, in Chromium', () => {
  it('emits the three wasm binaries from node_modules as assets', () => {
    const files = readdirSync(path.join(app, 'dist/assets'));
    for (const bin of ['tfjs-backend-wasm', 'tfjs-backend-wasm-simd', 'tfjs-backend-wasm-threaded-simd']) {
      expect(files.filter((f) => new RegExp(`^${bin}-[\\w-]{8}\\.wasm$`, 'u').test(f))).toHaveLength(1);
    }
  });

  it('setupBackend() gets wasm with no setup, and trains', async () => {
    const r = await open('/');
    expect(r.rejected).toEqual([]);
    expect(r.backend).toBe('wasm');
    expect(r.active).toBe('wasm');
    expect(r.bias).toEqual([0.5, 0.5]);
    expect(r.warnings).toEqual([]);
  });

  it('on a cross-origin isolated page too (threaded wasm, which hung there, is off by default)', async () => {
    const r = await open('/?coi');
    expect(r.isolated).toBe(true);
    expect(r.rejected).toEqual([]);
    expect(r.backend).toBe('wasm');
    expect(r.bias).toEqual([0.5, 0.5]);
  });

  it('a wasmPaths that serves no binary: a slower backend, and the result and one warning say what to do', async () => {
    const r = await open('/?wasmPaths=/nowhere/');
    expect(r.backend).not.toBe('wasm');
    const rejected = r.rejected as Array<{ backend: string; reason: string; fix: string }>;
    expect(rejected[0].backend).toBe('wasm');
    expect(rejected[0].fix).toBe(
      'check that wasmPaths is right: /nowhere/tfjs-backend-wasm-simd.wasm must serve the binary (HTTP 200, not an HTML page)',
    );
    expect(r.warnings).toEqual([
      `setupBackend: using ${String(r.backend)}, not wasm (usually several times faster): ${rejected[0].reason}. To get wasm: ${rejected[0].fix}.`,
    ]);
    expect(r.bias).toEqual([0.5, 0.5]);
  });

  it('a page that imports only Linear trains: the gradients came with the import of core', async () => {
    expect(await open('/early.html')).toEqual({ bias: [0.5, 0.5] });
  });
});
