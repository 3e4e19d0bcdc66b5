/**
 * The intra-op pool in the browser: Chromium (Debian's, driven by playwright-core) opens a page
 * bundled by Vite from `@wordloom/core`'s sources (laid out as an install, as in
 * kernels-browser.test.ts), served cross-origin isolated (COOP/COEP: shared memory needs it).
 * - In a Web Worker (a module worker the page starts), the pool runs with 2 threads: its own Web
 *   Worker (blob URL) instantiates the shared-memory matmul kernel, a split product is bitwise the
 *   one-thread kernel's, and the worker's job counter shows it took part.
 * - On the page's main thread, where `Atomics.wait` is not allowed, the pool says why and falls
 *   back to one thread (getThreads() = 1; products still right).
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

/** Runs in the main thread and in the worker alike: the pool's view of its context, and a product. */
const PROBE = `
import { getThreads, poolStats, pooledBatchMatMul, setThreads, startThreads, threadsUnavailable } from '@wordloom/core';
import { simdBatchMatMul } from './node_modules/@wordloom/core/src/internal/matmul-kernel.ts';

export async function probe(threads) {
  setThreads(threads);
  const configured = getThreads();
  const ready = await startThreads();
  const s = { batch: 3, M: 37, K: 29, N: 21, transposeA: false, transposeB: true };
  let seed = 1;
  const rand = (n) => Float32Array.from({ length: n }, () => ((seed = (seed * 16807) % 2147483647) / 2147483647) - 0.5);
  const a = rand(s.batch * s.M * s.K);
  const b = rand(s.batch * s.K * s.N);
  const want = simdBatchMatMul(a, b, s);
  let bitwise = null;
  if (ready >= 2) {
    // parts go to whichever thread claims them first: repeat until the pool's worker ran some
    bitwise = true;
    for (let i = 0; i < 500 && (i === 0 || poolStats().jobs[0] === 0); i++) {
      const got = pooledBatchMatMul(a, b, s, ready).slice();
      const x = new Uint32Array(got.buffer);
      const y = new Uint32Array(want.buffer);
      bitwise &&= x.length === y.length && x.every((v, j) => v === y[j]);
    }
  }
  return { configured, ready, unavailable: threadsUnavailable() ?? null, bitwise, jobs: poolStats().jobs, isolated: self.crossOriginIsolated === true };
}
`;

const WORKER = `
import { probe } from './probe.js';
self.onmessage = async () => {
  try {
    self.postMessage(await probe(2));
  } catch (e) {
    self.postMessage({ error: String((e && e.stack) || e) });
  }
};
`;

const MAIN = `
import { probe } from './probe.js';
try {
  const main = await probe(2);
  const worker = await new Promise((resolve) => {
    const w = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
    w.onmessage = (e) => resolve(e.data);
    w.onerror = (e) => resolve({ error: String(e.message || e) });
    w.postMessage('go');
  });
  window.result = { main, worker };
} catch (e) {
  window.result = { error: String((e && e.stack) || e) };
}
`;

let app = '';
let browser: Browser;
let server: TestServer | undefined;

beforeAll(async () => {
  browser = await launchChromium(chromium);
  app = makeTestApp({
    prefix: 'wordloom-pool-app-',
    name: 'pool-page',
    packages: { '@wordloom/core': pkgDir },
    tfjsFrom: pkgDir,
    files: {
      'probe.js': PROBE,
      'worker.js': WORKER,
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
    worker: { format: 'es' },
  });
  // cross-origin isolation: SharedArrayBuffer and shared WebAssembly memory need it
  server = await serveDir(path.join(app, 'dist'), { isolate: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

interface Probe {
  error?: string;
  configured: number;
  ready: number;
  unavailable: string | null;
  bitwise: boolean | null;
  jobs: number[];
  isolated: boolean;
}

describe('the intra-op pool in Chromium', () => {
  it('runs 2 threads in a Web Worker (bitwise the one-thread product) and falls back to 1 on the main thread', async () => {
    const r = await pageResult<{ error?: string; main: Probe; worker: Probe }>(browser, `${server!.base}/`);
    if (r.error) throw new Error(`page: ${r.error}`);
    if (r.worker.error) throw new Error(`worker: ${r.worker.error}`);
    expect(r.main.isolated).toBe(true);
    // main thread: Atomics.wait is not allowed, so one thread and the reason
    expect(r.main.configured).toBe(1);
    expect(r.main.ready).toBe(1);
    expect(r.main.unavailable).toMatch(/Atomics\.wait/);
    // in a Web Worker: two threads, the product split and bitwise the same, the pool's worker took part
    expect(r.worker.unavailable).toBeNull();
    expect(r.worker.configured).toBe(2);
    expect(r.worker.ready).toBe(2);
    expect(r.worker.bitwise).toBe(true);
    expect(r.worker.jobs).toHaveLength(1);
    expect(r.worker.jobs[0]).toBeGreaterThan(0);
  });
});
