/**
 * @wordloom/train in Chromium (playwright-core, Debian's /usr/bin/chromium): `fit` with replicas in Web
 * Workers on a cross-origin isolated page (served with COOP/COEP headers), rank 0 and each replica on its own wasm
 * backend (the test checks every rank's backend name: a silent fall-back to cpu fails it), trains as one replica
 * on the whole batches (1e-5), and checkpoints in IndexedDB survive a page reload: save at step 3, reload, resume → the
 * uninterrupted run's weights bit for bit. The page (train-e2e/) is built here with Vite's API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { chromium, type Browser, type Page } from 'playwright-core';

/** What train-e2e/page.ts puts on `window`. */
interface TrainApi {
  isolated(): boolean;
  replicasVsOne(): Promise<{ dw: number; dl: number; steps: number; exchanges: number; backends: string[] }>;
  full(): Promise<{ w: number[][]; losses: number[] }>;
  firstPart(): Promise<{ stopReason: string; step: number; saved: string[] }>;
  resume(): Promise<{
    w: number[][];
    losses: number[];
    resumedFrom?: number;
    stopReason: string;
    backends: string[];
  }>;
}
declare global {
  interface Window {
    __train?: TrainApi;
    __ready?: boolean;
    __backend?: string;
  }
}

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '..');
const repo = path.resolve(web, '../../..');
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const out = mkdtempSync(path.join(tmpdir(), 'wl-train-e2e-'));

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** A static server sending the headers that make a page cross-origin isolated (SharedArrayBuffer). */
async function serveIsolated(root: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    let file = path.resolve(root, `.${decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)}`);
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    try {
      if ((await stat(file)).isDirectory()) file = path.join(file, 'index.html');
      res
        .writeHead(200, {
          'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
          'cross-origin-opener-policy': 'same-origin',
          'cross-origin-embedder-policy': 'require-corp',
        })
        .end(await readFile(file));
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  if (addr === null || typeof addr === 'string') throw new Error('no port');
  return {
    url: `http://127.0.0.1:${addr.port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const shim = path.resolve(web, 'src/node-shim.ts');
const nodeBuiltins = [
  'fs',
  'fs/promises',
  'zlib',
  'readline',
  'worker_threads',
  'os',
  'path',
  'url',
  'module',
  'child_process',
];

let browser: Browser;
let server: { url: string; close(): Promise<void> };
const errors: string[] = [];

async function openPage(): Promise<Page> {
  const page = await browser.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(server.url);
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 60_000 });
  return page;
}

describe('@wordloom/train in Chromium: Web Worker replicas, IndexedDB checkpoints', () => {
  beforeAll(async () => {
    await build({
      configFile: false,
      logLevel: 'warn',
      root: path.resolve(web, 'train-e2e'),
      base: './',
      resolve: {
        conditions: ['@wordloom/source'],
        // demo-web does not depend on these packages: their sources, as the workspace resolves them.
        alias: [
          { find: /^@wordloom\/train$/, replacement: path.join(repo, 'packages/train/src/index.ts') },
          { find: /^@wordloom\/data$/, replacement: path.join(repo, 'packages/data/src/index.ts') },
          { find: /^@wordloom\/optim$/, replacement: path.join(repo, 'packages/optim/src/index.ts') },
          ...nodeBuiltins.flatMap((m) => [
            { find: new RegExp(`^node:${m}$`), replacement: shim },
            { find: new RegExp(`^${m}$`), replacement: shim },
          ]),
        ],
      },
      build: { target: 'es2022', outDir: out, emptyOutDir: true, chunkSizeWarningLimit: 8192 },
      worker: { format: 'es' },
    });
    server = await serveIsolated(out);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    rmSync(out, { recursive: true, force: true });
  });

  it('2 replicas in Web Workers, each on its own wasm backend, train as 1 replica on the whole batches (1e-5)', async () => {
    const page = await openPage();
    expect(await page.evaluate(() => window.__train!.isolated())).toBe(true);
    const r = await page.evaluate(() => window.__train!.replicasVsOne());
    expect(r.steps).toBe(6);
    expect(r.exchanges).toBe(6);
    // wasm in the page and in both replicas: a silent fall-back to cpu would fail here.
    expect(await page.evaluate(() => window.__backend)).toBe('wasm');
    expect(r.backends).toEqual(['wasm', 'wasm']);
    expect(r.dw).toBeLessThan(1e-5);
    expect(r.dl).toBeLessThan(1e-5);
    await page.close();
    expect(errors).toEqual([]);
  }, 120_000);

  it('saves to IndexedDB, survives a reload, and resumes bit for bit (2 replicas, dropout)', async () => {
    let page = await openPage();
    const full = await page.evaluate(() => window.__train!.full());
    const first = await page.evaluate(() => window.__train!.firstPart());
    expect(first.stopReason).toBe('aborted');
    expect(first.step).toBe(3);
    expect(first.saved).toEqual(['checkpoint-000000003.safetensors']);
    await page.reload();
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 60_000 });
    const resumed = await page.evaluate(() => window.__train!.resume());
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.stopReason).toBe('maxSteps');
    expect(resumed.backends).toEqual(['wasm', 'wasm']);
    expect(resumed.losses).toEqual(full.losses);
    expect(resumed.w).toEqual(full.w);
    await page.close();
    page = undefined as never;
    expect(errors).toEqual([]);
  }, 120_000);
});
