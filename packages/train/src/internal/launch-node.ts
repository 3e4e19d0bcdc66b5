/**
 * Node's replica launcher: one `worker_threads` Worker per replica, running `replica-worker.js`
 * (next to this package's built modules). Loaded by `fit` only in Node, by a dynamic import.
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { FromReplica, ReplicaEndpoint, ReplicaInit, ReplicaLauncher } from '../replicas.js';

const ENTRY = 'replica-worker.js';

/** The worker entry: beside the built modules; from the TypeScript sources (tests), the package's dist copy. */
export function workerEntry(): URL {
  const here = new URL(`../${ENTRY}`, import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  const built = new URL(`../../dist/${ENTRY}`, import.meta.url);
  if (existsSync(fileURLToPath(built))) return built;
  throw new Error(
    `fit: replicas need ${ENTRY} of @wordloom/train, which is not built (pnpm --filter @wordloom/train build)`,
  );
}

/** The cores available. */
export function cores(): number {
  return availableParallelism();
}

/** Starts each replica in a worker thread; what it prints goes to this process's stdout/stderr. */
export const launchNode: ReplicaLauncher = (init: ReplicaInit): ReplicaEndpoint => {
  // Node flags pass on, except module-resolution conditions (a test runner's `--conditions` would point the
  // replica's imports at TypeScript sources it cannot load).
  const execArgv = process.execArgv.filter(
    (a, i, all) => !/^(--conditions|-C)(=|$)/.test(a) && !/^(--conditions|-C)$/.test(all[i - 1] ?? ''),
  );
  const w = new Worker(workerEntry(), { workerData: init, execArgv });
  let exitCb: ((e: Error | undefined) => void) | undefined;
  let exited = false;
  let lastError: Error | undefined;
  w.on('error', (e) => (lastError = e));
  w.on('exit', (code) => {
    exited = true;
    exitCb?.(
      lastError ?? (code !== 0 && code !== 1 ? new Error(`replica ${init.rank} exited with code ${code}`) : undefined),
    );
  });
  return {
    post: (msg, transfer) => w.postMessage(msg, transfer as never),
    onMessage: (cb) => w.on('message', (m: FromReplica) => cb(m)),
    onExit: (cb) => {
      exitCb = cb;
    },
    terminate: async () => {
      if (!exited) await w.terminate();
    },
  };
};
