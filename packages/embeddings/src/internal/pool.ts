/**
 * Runs a self-contained kernel function in `worker_threads` (Hogwild: all workers write the
 * same SharedArrayBuffer-backed arrays without locks, as word2vec.c's pthreads do).
 *
 * The kernel is shipped as source (`fn.toString()`) and evaluated in each worker, so the
 * package needs no separate worker file (works from `src/` under vitest and from `dist/`).
 */

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
 * `pollMs` on the main thread while they run.
 */
export async function runKernelInWorkers<S, P>(
  fnName: string,
  kernel: Kernel<S, P>,
  S: S,
  params: P[],
  poll: (() => void) | null,
  pollMs = 500,
): Promise<void> {
  // Loaded only when several workers are asked for, so one-thread training (and the
  // browser, which has no worker_threads) never touches the Node module.
  const { Worker } = await import('node:worker_threads');
  const src =
    `const { parentPort, workerData } = require('node:worker_threads');\n` +
    `const kernel = (${kernel.toString()});\n` +
    `kernel(workerData.S, workerData.P, workerData.w, null);\n` +
    `parentPort.postMessage('done');\n`;
  const timer = poll !== null ? setInterval(poll, pollMs) : null;
  try {
    await Promise.all(
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
  } finally {
    if (timer !== null) clearInterval(timer);
  }
}
