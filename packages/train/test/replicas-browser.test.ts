/**
 * Replicas in Chromium (Debian's, driven by playwright-core): `fit` with Web Worker replicas on a cross-origin
 * isolated page gives every replica ⌊cores / replicas⌋ threads of core's intra-op pool (`threadsPerReplica`, the
 * rule Node's replicas follow), not the pool's default in a Web Worker (every core); rank 0 on the page's main
 * thread runs one (a main thread may not block in `Atomics.wait`). Checked with the real core count and with the
 * page's `navigator.hardwareConcurrency` raised to 12 (the workers still see the real count, so a worker that
 * kept its default would report it). The page (test/replicas-page/) is built here with Vite's API from this
 * package's sources.
 *
 * vite and playwright-core are this package's devDependencies (the versions @wordloom/core's browser tests use).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdirSync, mkdtempSync, realpathSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { launchChromium, serveDir, type TestServer } from '../../../tooling/scripts/browser-test.js';
import { threadsPerReplica } from '../src/replica-fit.js';

interface PageLike {
  goto(url: string): Promise<unknown>;
  addInitScript(script: string): Promise<void>;
  waitForFunction(fn: string, arg?: unknown, o?: { timeout: number }): Promise<unknown>;
  evaluate<T>(fn: string): Promise<T>;
  on(event: 'pageerror', cb: (e: Error) => void): void;
  on(event: 'console', cb: (m: { type(): string; text(): string }) => void): void;
  close(): Promise<void>;
}
interface BrowserLike {
  newPage(): Promise<PageLike>;
  close(): Promise<void>;
}
type ViteBuild = (config: Record<string, unknown>) => Promise<unknown>;

const pkgDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const repo = path.resolve(pkgDir, '../..');
const fromHere = createRequire(path.join(pkgDir, 'package.json'));

interface Result {
  cores: number;
  ranks: number[];
  threads: number[];
  backends: string[];
  steps: number;
}

let out = '';
let browser: BrowserLike;
let server: TestServer | undefined;
let base = '';
const errors: string[] = [];

beforeAll(async () => {
  const { build, defaultClientConditions } = (await import(pathToFileURL(fromHere.resolve('vite')).href)) as {
    build: ViteBuild;
    defaultClientConditions: string[];
  };
  const pw = (await import(pathToFileURL(fromHere.resolve('playwright-core')).href)) as {
    chromium?: { launch(o: object): Promise<BrowserLike> };
    default?: { chromium: { launch(o: object): Promise<BrowserLike> } };
  };
  const chromium = pw.chromium ?? pw.default!.chromium;
  out = mkdtempSync(path.join(tmpdir(), 'wl-train-threads-'));
  await build({
    configFile: false,
    logLevel: 'silent',
    root: path.join(pkgDir, 'test/replicas-page'),
    base: './',
    resolve: { conditions: ['@wordloom/source', ...defaultClientConditions] },
    build: { target: 'es2022', outDir: out, emptyOutDir: true, minify: false, chunkSizeWarningLimit: 8192 },
    worker: { format: 'es' },
  });
  // The wasm backend's binaries, where the page points setupBackend (wasmPaths: ./wasm/).
  const wasmDist = path.join(
    realpathSync(path.join(repo, 'packages/core/node_modules/@tensorflow/tfjs-backend-wasm')),
    'dist',
  );
  mkdirSync(path.join(out, 'wasm'));
  for (const f of ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'])
    cpSync(path.join(wasmDist, f), path.join(out, 'wasm', f));
  // cross-origin isolation: SharedArrayBuffer (the gradient exchange, the pool) needs it
  server = await serveDir(out, { isolate: true });
  base = `${server.base}/`;
  browser = await launchChromium(chromium);
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (out) rmSync(out, { recursive: true, force: true });
});

async function threadsOnPage(replicas: number, cores?: number): Promise<Result> {
  const page = await browser.newPage();
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
  try {
    // Only the page's navigator: the workers keep the real count.
    if (cores !== undefined)
      await page.addInitScript(
        `Object.defineProperty(Navigator.prototype, 'hardwareConcurrency', { get: () => ${cores}, configurable: true })`,
      );
    await page.goto(base);
    await page.waitForFunction('window.__ready === true', null, { timeout: 60_000 });
    expect(await page.evaluate<boolean>('window.__replicas.isolated()')).toBe(true);
    return await page.evaluate<Result>(`window.__replicas.threads(${replicas})`);
  } finally {
    await page.close();
  }
}

describe('replicas in Web Workers: ⌊cores / replicas⌋ pool threads each', () => {
  it('with the real core count: rank 0 (main thread) 1, the worker ⌊cores / 2⌋', async () => {
    const r = await threadsOnPage(2);
    expect(r.steps).toBe(2);
    expect(r.ranks).toEqual([0, 1]);
    expect(r.backends).toEqual(['wasm', 'wasm']);
    expect(r.threads).toEqual([1, threadsPerReplica(r.cores, 2)]);
    expect(errors).toEqual([]);
  }, 120_000);

  it('with the page reporting 12 cores: 2 replicas → 6 threads in the worker, 3 → 4 in each', async () => {
    const two = await threadsOnPage(2, 12);
    expect(two.cores).toBe(12);
    expect(two.threads).toEqual([1, 6]);
    const three = await threadsOnPage(3, 12);
    expect(three.ranks).toEqual([0, 1, 2]);
    expect(three.threads).toEqual([1, 4, 4]);
    expect(errors).toEqual([]);
  }, 120_000);
});
