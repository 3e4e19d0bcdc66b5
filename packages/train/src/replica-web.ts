/**
 * Replicas in a browser: Web Workers. The page starts them with {@link launchWeb} (your bundler
 * builds the worker script: `new Worker(new URL('./replica-worker.ts', import.meta.url), { type:
 * 'module' })`), and the worker script calls {@link serveReplica} with the same setup function the
 * page gives `fit`. Needs a cross-origin isolated page (COOP `same-origin`, COEP `require-corp`) for
 * `SharedArrayBuffer`; the page's main thread waits with `Atomics.waitAsync`, the workers block.
 * @module
 */
import { messageQueue, runReplica } from './replica-run.js';
import type { FromReplica, ReplicaEndpoint, ReplicaInit, ReplicaLauncher, ToReplica } from './replicas.js';
import type { ReplicaSetupContext, ReplicaSetupResult } from './types.js';

/** A setup function (the browser form of a setup module). */
export type SetupFunction = (ctx: ReplicaSetupContext) => ReplicaSetupResult | Promise<ReplicaSetupResult>;

interface WorkerLike {
  postMessage(msg: unknown, transfer?: Transferable[]): void;
  terminate(): void;
  addEventListener(type: 'message', cb: (e: MessageEvent) => void): void;
  addEventListener(type: 'error', cb: (e: ErrorEvent) => void): void;
}

/**
 * A launcher for `fit({ launcher })` that starts each replica as a Web Worker made by `makeWorker(rank)`.
 * The init message goes first; a worker error that its script could not report ends the run with it.
 */
export function launchWeb(makeWorker: (rank: number) => WorkerLike): ReplicaLauncher {
  return (init: ReplicaInit): ReplicaEndpoint => {
    const w = makeWorker(init.rank);
    let exitCb: ((e: Error | undefined) => void) | undefined;
    w.addEventListener('error', (e: ErrorEvent) => {
      e.preventDefault?.();
      exitCb?.(new Error(`replica ${init.rank}: ${e.message || 'the worker script failed to load'}`));
    });
    w.postMessage(init);
    return {
      post: (msg: ToReplica) => w.postMessage(msg),
      onMessage: (cb) => w.addEventListener('message', (e: MessageEvent) => cb(e.data as FromReplica)),
      onExit: (cb) => {
        exitCb = cb;
      },
      terminate: async () => w.terminate(),
    };
  };
}

/**
 * The body of a replica's Web Worker script: waits for the init message, then runs the replica with
 * `setup` (the same function the page passes to `fit` as `setup`).
 */
export function serveReplica(setup: SetupFunction): void {
  const scope = globalThis as unknown as {
    addEventListener(type: 'message', cb: (e: MessageEvent) => void): void;
    postMessage(msg: unknown): void;
    close?(): void;
  };
  const q = messageQueue<ToReplica>();
  let started = false;
  scope.addEventListener('message', (e: MessageEvent) => {
    const m = e.data as ReplicaInit | ToReplica;
    if (!started) {
      started = true;
      if ((m as ReplicaInit).kind !== 'wordloom-train-replica')
        throw new Error('serveReplica: the first message is not a replica init');
      void runReplica(m as ReplicaInit, { post: (x) => scope.postMessage(x), messages: q.iterable }, setup).then(() =>
        scope.close?.(),
      );
      return;
    }
    q.push(m as ToReplica);
  });
}
