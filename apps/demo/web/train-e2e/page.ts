/**
 * The train e2e page: `fit` with replicas in Web Workers on a cross-origin isolated page, and checkpoints in
 * IndexedDB that survive a reload. Rank 0 and every replica run the wasm backend (each its own instance; the
 * binaries are this build's same-origin assets, handed to the replicas as `backendOptions.wasmPaths`). The test
 * drives it through `window.__train`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, type Module } from '@wordloom/core';
import { fit, indexedDbStorage, launchWeb, type History } from '@wordloom/train';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { setup } from './setup';

const launcher = launchWeb(() => new Worker(new URL('./replica-worker.ts', import.meta.url), { type: 'module' }));

// Absolute URLs: a worker resolves relative ones against its own script, not the page.
const wasmPaths = {
  'tfjs-backend-wasm.wasm': new URL(wasmPlain, location.href).href,
  'tfjs-backend-wasm-simd.wasm': new URL(wasmSimd, location.href).href,
  'tfjs-backend-wasm-threaded-simd.wasm': new URL(wasmThreadedSimd, location.href).href,
};

function weights(m: Module): number[][] {
  return [...m.namedParameters().values()].map((v) => Array.from(v.dataSync()));
}

async function run(
  replicas: number,
  dropout: number,
  extra: Record<string, unknown> = {},
): Promise<{ h: History; w: number[][] }> {
  let model: Module | undefined;
  const h = await fit({
    setup: setup as never,
    replicas,
    launcher,
    backendOptions: { wasmPaths },
    setupOptions: { dropout },
    onSetup: (made) => (model = made.model),
    ...extra,
  });
  const w = weights(model!);
  model!.dispose();
  return { h, w };
}

const api = {
  isolated: () => globalThis.crossOriginIsolated === true,
  /** 2 replicas and 1 on the same batches (no dropout): max |Δweight|, max |Δloss|, and every rank's backend. */
  async replicasVsOne() {
    const one = await run(1, 0, { maxSteps: 6 });
    const two = await run(2, 0, { maxSteps: 6 });
    let dw = 0;
    two.w.forEach((w, i) => w.forEach((x, j) => (dw = Math.max(dw, Math.abs(x - one.w[i][j])))));
    let dl = 0;
    two.h.steps.forEach((s, i) => (dl = Math.max(dl, Math.abs(s.loss - one.h.steps[i].loss))));
    return {
      dw,
      dl,
      steps: two.h.steps.length,
      exchanges: two.h.replicas?.exchanges ?? 0,
      backends: (two.h.replicaStats ?? []).map((s) => s.backend),
    };
  },
  /** The uninterrupted reference (2 replicas, dropout 0.2, 8 steps). */
  async full() {
    const r = await run(2, 0.2, { maxSteps: 8 });
    return { w: r.w, losses: r.h.steps.map((s) => s.loss) };
  },
  /** 2 replicas, dropout 0.2, checkpoints in IndexedDB, aborted after step 3. */
  async firstPart() {
    const storage = indexedDbStorage('wordloom-train-e2e');
    for (const n of await storage.list()) await storage.remove(n);
    const ac = new AbortController();
    const r = await run(2, 0.2, {
      maxSteps: 8,
      checkpoint: { storage },
      signal: ac.signal,
      callbacks: { onStepEnd: (rec: { step: number }) => void (rec.step === 3 && ac.abort()) },
    });
    storage.close();
    return { stopReason: r.h.stopReason, step: r.h.step, saved: await indexedDbStorage('wordloom-train-e2e').list() };
  },
  /** After a reload: resume from IndexedDB. */
  async resume() {
    const r = await run(2, 0.2, {
      maxSteps: 8,
      checkpoint: { storage: indexedDbStorage('wordloom-train-e2e') },
      resume: true,
    });
    return {
      w: r.w,
      losses: r.h.steps.map((s) => s.loss),
      resumedFrom: r.h.resumedFrom,
      stopReason: r.h.stopReason,
      backends: (r.h.replicaStats ?? []).map((s) => s.backend),
    };
  },
};

declare global {
  interface Window {
    __train?: typeof api;
    __ready?: boolean;
    __backend?: string;
  }
}

const chosen = await setupBackend({ prefer: ['wasm'], wasmPaths });
window.__backend = tf.getBackend();
window.__train = api;
window.__ready = true;
document.getElementById('status')!.textContent =
  `ready (backend: ${chosen.backend}; crossOriginIsolated: ${String(globalThis.crossOriginIsolated)})`;
