/**
 * The test page: `fit` with replicas in Web Workers on a cross-origin isolated page; reports the intra-op pool
 * threads every rank ran with (`History.replicaStats[rank].threads`) and the cores the page saw. The wasm
 * binaries are served from ./wasm/ (the test copies them there). Driven by the test through `window.__replicas`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { fit, launchWeb } from '../../src/index.js';
import { setup } from './setup.js';

const launcher = launchWeb(() => new Worker(new URL('./replica-worker.ts', import.meta.url), { type: 'module' }));
// Absolute: a worker resolves relative URLs against its own script, not the page.
const wasmPaths = new URL('./wasm/', location.href).href;

const api = {
  isolated: () => globalThis.crossOriginIsolated === true,
  /** `fit` on `replicas` replicas for 2 steps: every rank's threads and backend, and the cores the page saw. */
  async threads(replicas: number) {
    let dispose: (() => void) | undefined;
    const h = await fit({
      setup: setup as never,
      replicas,
      launcher,
      backendOptions: { wasmPaths },
      maxSteps: 2,
      onSetup: (made) => (dispose = () => made.model.dispose()),
    });
    dispose?.();
    const stats = [...(h.replicaStats ?? [])].sort((a, b) => a.rank - b.rank);
    return {
      cores: navigator.hardwareConcurrency,
      ranks: stats.map((s) => s.rank),
      threads: stats.map((s) => s.threads),
      backends: stats.map((s) => s.backend),
      steps: h.steps.length,
    };
  },
};

declare global {
  interface Window {
    __replicas?: typeof api;
    __ready?: boolean;
  }
}

await setupBackend({ prefer: ['wasm'], wasmPaths });
window.__replicas = api;
window.__ready = true;
document.getElementById('status')!.textContent = `ready (backend: ${tf.getBackend()})`;
