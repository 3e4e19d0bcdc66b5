/**
 * Runs a self-contained kernel function in `worker_threads` (Node) or Web Workers (browser).
 * Hogwild: all workers write the same SharedArrayBuffer-backed arrays without locks, as
 * word2vec.c's pthreads do.
 *
 * The kernel is shipped as source (`fn.toString()`) and evaluated in each worker, so the
 * package needs no separate worker file (works from `src/` under vitest, from `dist/`, and
 * from a browser bundle, whose bundler never has to find a worker entry point).
 */

import { hasNode, nodeBuiltin } from './node.js';

export type Kernel<S, P> = (S: S, P: P, w: number, tick: ((w: number) => void) | null) => void;

/** Copies a typed array into a SharedArrayBuffer-backed one of the same type. */
export function shared<T extends Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array>(a: T): T {
  const C = a.constructor as unknown as { new (buf: SharedArrayBuffer): T; BYTES_PER_ELEMENT: number };
  const out = new C(new SharedArrayBuffer(Math.max(1, a.length) * C.BYTES_PER_ELEMENT));
  const view = a.length === 0 ? out.subarray(0, 0) : out;
  (view as unknown as { set(x: ArrayLike<number>): void }).set(a);
  return view as T;
}

/**
 * Runs `kernel(S, params[w], w)` in `params.length` workers; `poll` is called every
 * `pollMs` on the main thread while they run. Node: `worker_threads`. Browser: Web Workers,
 * which can share memory only on a cross-origin isolated page (COOP/COEP headers).
 */
export async function runKernelInWorkers<S, P>(
  fnName: string,
  kernel: Kernel<S, P>,
  S: S,
  params: P[],
  poll: (() => void) | null,
  pollMs = 500,
): Promise<void> {
  const timer = poll !== null ? setInterval(poll, pollMs) : null;
  try {
    if (hasNode()) await runInNodeWorkers(fnName, kernel, S, params);
    else await runInWebWorkers(fnName, kernel, S, params);
  } finally {
    if (timer !== null) clearInterval(timer);
  }
}

/** Throws, naming the reason, when `workers > 1` cannot run in this environment. */
export function checkWorkers(fnName: string, workers: number): void {
  const why = workers > 1 ? workersUnavailable() : undefined;
  if (why !== undefined) throw new Error(`${fnName}: workers = ${workers} cannot run here: ${why}; or use workers: 1`);
}

/** Whether {@link runKernelInWorkers} can run here; if not, the reason. */
export function workersUnavailable(): string | undefined {
  if (hasNode()) return undefined;
  const g = globalThis as { Worker?: unknown; crossOriginIsolated?: boolean; SharedArrayBuffer?: unknown };
  if (typeof g.Worker !== 'function') return 'this environment has neither worker_threads nor Web Workers';
  if (g.crossOriginIsolated !== true || typeof g.SharedArrayBuffer !== 'function') {
    return (
      'Web Workers share memory only on a cross-origin isolated page: serve it with ' +
      '"Cross-Origin-Opener-Policy: same-origin" and "Cross-Origin-Embedder-Policy: require-corp"'
    );
  }
  return undefined;
}

function runInNodeWorkers<S, P>(fnName: string, kernel: Kernel<S, P>, S: S, params: P[]): Promise<unknown> {
  const { Worker } = nodeBuiltin('node:worker_threads', `${fnName} with workers > 1`, 'use workers: 1');
  const src =
    `const { parentPort, workerData } = require('node:worker_threads');\n` +
    `const kernel = (${kernel.toString()});\n` +
    `kernel(workerData.S, workerData.P, workerData.w, null);\n` +
    `parentPort.postMessage('done');\n`;
  return Promise.all(
    params.map(
      (P, w) =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(src, { eval: true, workerData: { S, P, w } });
          let ok = false;
          worker.on('message', () => {
            ok = true;
          });
          worker.on('error', (e) => reject(new Error(`${fnName}: worker ${w} failed: ${e.message}`)));
          worker.on('exit', (code) => {
            if (ok) resolve();
            else reject(new Error(`${fnName}: worker ${w} exited with code ${code} before finishing`));
          });
        }),
    ),
  );
}

async function runInWebWorkers<S, P>(fnName: string, kernel: Kernel<S, P>, S: S, params: P[]): Promise<void> {
  checkWorkers(fnName, params.length);
  const src =
    `self.onmessage = (e) => {\n` +
    `  const kernel = (${kernel.toString()});\n` +
    `  try { kernel(e.data.S, e.data.P, e.data.w, null); self.postMessage({ ok: true }); }\n` +
    `  catch (err) { self.postMessage({ ok: false, message: String((err && err.message) || err) }); }\n` +
    `};\n`;
  const url = URL.createObjectURL(new Blob([src], { type: 'text/javascript' }));
  const workers: Worker[] = [];
  try {
    await Promise.all(
      params.map(
        (P, w) =>
          new Promise<void>((resolve, reject) => {
            const worker = new Worker(url);
            workers.push(worker);
            worker.onmessage = (e: MessageEvent<{ ok: boolean; message?: string }>) => {
              if (e.data.ok) resolve();
              else reject(new Error(`${fnName}: worker ${w} failed: ${e.data.message}`));
            };
            worker.onerror = (e) => reject(new Error(`${fnName}: worker ${w} failed: ${e.message}`));
            worker.postMessage({ S, P, w });
          }),
      ),
    );
  } finally {
    for (const worker of workers) worker.terminate();
    URL.revokeObjectURL(url);
  }
}
