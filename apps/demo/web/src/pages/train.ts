/**
 * "Train here": trains a small classifier in this page with @wordloom/train's `fit` on data-parallel
 * replicas in Web Workers (one per core, at most 4; the page must be cross-origin isolated for the
 * SharedArrayBuffer they share — otherwise one replica in the page), shows the progress, and saves
 * checkpoints to IndexedDB every 20 steps, so a reload continues where it stopped.
 */
import { fit, indexedDbStorage, launchWeb, type History } from '@wordloom/train';
import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { h, notice, type App } from '../app.js';
import { setup } from '../train-setup.js';

const DB = 'wordloom-demo-train';
const STEPS = 300;

function replicasHere(): number {
  if (globalThis.crossOriginIsolated !== true) return 1;
  return Math.max(1, Math.min(4, navigator.hardwareConcurrency || 1));
}

export async function render(root: HTMLElement, app: App): Promise<void> {
  const storage = indexedDbStorage(DB);
  const replicas = replicasHere();
  const status = h('p', { id: 'train-status' }, '');
  const bar = h('progress', { id: 'train-progress', max: String(STEPS), value: '0' });
  const button = h('button', { id: 'train-start' }, 'Train here');
  const reset = h('button', { id: 'train-reset' }, 'Forget the saved run');
  root.append(
    h('h2', {}, 'Train here'),
    h(
      'p',
      {},
      `A 2 → 64 → 4 classifier learns which quadrant a point lies in (480 points, ${STEPS} steps of 32), trained by @wordloom/train's fit on ${replicas} data-parallel replica${replicas > 1 ? 's (Web Workers, each with its own backend, gradients summed in a SharedArrayBuffer)' : ' (this page is not cross-origin isolated, so no SharedArrayBuffer: one replica in the page)'}. A checkpoint goes to IndexedDB every 20 steps: reload the page mid-run and press the button again to continue.`,
    ),
    h('p', {}, button, ' ', reset),
    bar,
    status,
  );
  const saved = (await storage.list()).filter((n) => n.startsWith('checkpoint-')).sort();
  const savedStep = saved.length ? Number(/(\d+)/.exec(saved[saved.length - 1])![1]) : 0;
  status.textContent =
    savedStep > 0 ? `A saved run is at step ${savedStep}: press “Train here” to continue it.` : 'Not trained yet.';
  status.dataset.state = 'idle';
  reset.addEventListener('click', () => {
    void (async () => {
      for (const n of await storage.list()) await storage.remove(n);
      bar.value = 0;
      status.textContent = 'Forgotten. Not trained yet.';
      status.dataset.state = 'idle';
    })();
  });
  button.addEventListener('click', () => {
    button.disabled = true;
    status.dataset.state = 'training';
    void (async () => {
      let history: History;
      let made: { model: { dispose(): void }; optimizer: { dispose(): void } } | undefined;
      try {
        history = await fit({
          setup: setup as never,
          replicas,
          launcher: launchWeb(
            () => new Worker(new URL('../workers/train-replica.worker.ts', import.meta.url), { type: 'module' }),
          ),
          ...(app.backend === 'wasm'
            ? {
                backendOptions: {
                  wasmPaths: {
                    'tfjs-backend-wasm.wasm': wasmPlain,
                    'tfjs-backend-wasm-simd.wasm': wasmSimd,
                    'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedSimd,
                  },
                },
              }
            : {}),
          onSetup: (m) => (made = m),
          maxSteps: STEPS,
          checkpoint: { storage, every: 20 },
          resume: true,
          callbacks: {
            onTrainStart(info) {
              if (info.startStep > 0) status.textContent = `continuing the saved run from step ${info.startStep}…`;
            },
            onStepEnd(rec, info) {
              bar.value = rec.step;
              status.dataset.step = String(rec.step);
              status.textContent = `step ${rec.step}/${info.totalSteps} · loss ${rec.loss.toFixed(4)} · ${replicas} replica${replicas > 1 ? 's' : ''}${info.startStep > 0 ? ` · resumed from step ${info.startStep}` : ''}`;
            },
          },
        });
      } catch (e) {
        made?.model.dispose();
        made?.optimizer.dispose();
        status.dataset.state = 'error';
        root.append(notice(`Training failed: ${(e as Error).message}`, 'error'));
        button.disabled = false;
        return;
      }
      made?.model.dispose();
      made?.optimizer.dispose();
      const acc = history.evaluations.at(-1)?.metrics.accuracy;
      status.dataset.state = 'done';
      status.dataset.resumedFrom = String(history.resumedFrom ?? 0);
      status.dataset.accuracy = String(acc ?? NaN);
      status.textContent = `done: ${history.step} steps on ${replicas} replica${replicas > 1 ? 's' : ''}${history.resumedFrom !== undefined ? ` (resumed from step ${history.resumedFrom})` : ''}; held-out accuracy ${acc === undefined ? 'n/a' : `${(100 * acc).toFixed(1)} %`}`;
      button.disabled = false;
    })();
  });
}
