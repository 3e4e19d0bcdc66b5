/**
 * The web demo's shell: sets up the fastest tfjs backend this browser offers (wasm SIMD,
 * WebGL, WebGPU, cpu — as @wordloom/core's setupBackend measures and verifies), shows it,
 * and routes between the pages by the URL hash.
 */
import { setupBackend } from '@wordloom/core';
// The wasm backend's binaries as assets Vite emits next to the bundle (hashed names, any static
// host, offline). In an app that installs @wordloom/core from npm, setupBackend finds them
// without this; here the workspace resolves core to its sources, outside node_modules, so the
// page names them through setupBackend's documented `wasmPaths` option.
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { fetchAsset, MissingAsset, notice, type App } from './app.js';

type Page = { render(root: HTMLElement, app: App): Promise<void> | void };

const pages: Record<string, () => Promise<Page>> = {
  tokenizer: () => import('./pages/tokenizer.js'),
  embeddings: () => import('./pages/embeddings.js'),
  attention: () => import('./pages/attention.js'),
  lm: () => import('./pages/lm.js'),
  sentiment: () => import('./pages/sentiment.js'),
  curves: () => import('./pages/curves.js'),
  train: () => import('./pages/train.js'),
};

async function boot(): Promise<void> {
  const badge = document.getElementById('backend')!;
  let backend = 'none';
  try {
    const chosen = await setupBackend({
      wasmPaths: {
        'tfjs-backend-wasm.wasm': wasmPlain,
        'tfjs-backend-wasm-simd.wasm': wasmSimd,
        'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
      },
    });
    backend = chosen.backend;
    badge.textContent = `backend: ${backend}`;
    badge.title = chosen.rejected.length
      ? `tried first: ${chosen.rejected.map((r) => `${r.backend} (${r.reason})`).join('; ')}`
      : 'the first choice worked';
  } catch (e) {
    badge.textContent = 'backend: none';
    document.getElementById('page')!.append(notice(`No tfjs backend could start: ${(e as Error).message}`, 'error'));
    return;
  }
  const app: App = { backend, fetchAsset };
  document.body.dataset.backend = backend;

  let current = 0;
  const show = async () => {
    const name = (location.hash.slice(1) || 'tokenizer').split('?')[0];
    const root = document.getElementById('page')!;
    const token = ++current;
    root.replaceChildren();
    for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
      a.classList.toggle('active', a.dataset.page === name);
    }
    const load = pages[name];
    if (!load) {
      root.append(notice(`No page named "${name}".`, 'error'));
      return;
    }
    document.body.dataset.page = name;
    document.body.dataset.ready = 'false';
    try {
      const page = await load();
      if (token !== current) return;
      await page.render(root, app);
    } catch (e) {
      root.append(notice(e instanceof MissingAsset ? e.message : `This page failed: ${(e as Error).message}`, 'error'));
    } finally {
      if (token === current) document.body.dataset.ready = 'true';
    }
  };
  addEventListener('hashchange', () => void show());
  await show();
}

void boot();
