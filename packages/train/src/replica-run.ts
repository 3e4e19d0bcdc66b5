/**
 * The loop of a replica other than rank 0 (environment-neutral): set up the backend and the user's
 * setup module, then follow rank 0's messages — load its state, take the steps it announces on this
 * replica's slice of the same batches, report generators and carry for checkpoints, stop. Any error
 * marks the group as failed (waking every replica at its barrier) and is reported to rank 0.
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, type BackendName, type SetupBackendOptions } from '@wordloom/core';
import { markFailed, weightsChecksum, type FromReplica, type ReplicaInit, type ToReplica } from './replicas.js';
import { Trainer } from './trainer.js';
import type { ReplicaSetupContext, ReplicaSetupResult } from './types.js';

/** A replica thread's channel to rank 0. */
export interface ReplicaChannel {
  post(msg: FromReplica): void;
  /** Messages from rank 0, in order. */
  messages: AsyncIterable<ToReplica>;
}

/** A queue of messages as an async iterable (for channels built on callbacks). */
export function messageQueue<T>(): { push(m: T): void; iterable: AsyncIterable<T> } {
  const items: T[] = [];
  let wake: (() => void) | undefined;
  return {
    push(m) {
      items.push(m);
      const w = wake;
      wake = undefined;
      w?.();
    },
    iterable: {
      async *[Symbol.asyncIterator]() {
        for (;;) {
          while (items.length > 0) yield items.shift()!;
          await new Promise<void>((r) => (wake = r));
        }
      },
    },
  };
}

/** Imports the setup module and runs its `setup` (rank 0 does the same in the caller's thread). */
export async function runSetup(url: string, ctx: ReplicaSetupContext): Promise<ReplicaSetupResult> {
  const mod = (await import(/* @vite-ignore */ url)) as { setup?: unknown; default?: { setup?: unknown } };
  const f = mod.setup ?? mod.default?.setup;
  if (typeof f !== 'function')
    throw new Error(`fit: the setup module ${url} does not export a function setup({ rank, world, options })`);
  return checkSetup(await (f as (c: ReplicaSetupContext) => unknown)(ctx), `setup() of ${url}`, ctx.rank);
}

/** Checks what a setup returned. */
export function checkSetup(made: unknown, what: string, rank: number): ReplicaSetupResult {
  if (made === null || typeof made !== 'object')
    throw new Error(`fit: ${what} returned ${String(made)}; expected { model, optimizer, train, loss, … }`);
  for (const k of ['model', 'optimizer', 'train', 'loss'] as const)
    if ((made as Record<string, unknown>)[k] === undefined)
      throw new Error(`fit: ${what} returned no '${k}' (rank ${rank})`);
  return made as ReplicaSetupResult;
}

/**
 * Runs replica `init.rank` until rank 0 says stop or something fails. Never throws: failures are reported.
 * `setup`: the setup function itself (a browser worker, which bundles it); otherwise `init.setup` is imported.
 */
export async function runReplica(
  init: ReplicaInit,
  ch: ReplicaChannel,
  setup?: (ctx: ReplicaSetupContext) => ReplicaSetupResult | Promise<ReplicaSetupResult>,
): Promise<void> {
  const { rank, world } = init;
  let trainer: Trainer | undefined;
  try {
    const be = await setupBackend({
      ...(init.backendOptions as Omit<SetupBackendOptions, 'prefer'> | undefined),
      ...(init.threads !== undefined ? { threads: init.threads } : {}),
      prefer: [init.backend as BackendName],
    });
    if (tf.getBackend() !== init.backend)
      throw new Error(
        `backend ${be.backend} instead of rank 0's ${init.backend}${be.rejected.length ? ` (${be.rejected.map((r) => r.reason).join('; ')})` : ''}: replicas must share a backend to stay identical`,
      );
    const ctx = { rank, world, options: init.setupOptions };
    const made =
      setup !== undefined
        ? await checkSetup(await setup(ctx), 'the setup function', rank)
        : await runSetup(init.setup, ctx);
    ch.post({ kind: 'ready', rank, backend: tf.getBackend(), params: [...made.optimizer.params.keys()] });
    for await (const m of ch.messages) {
      if (m.kind === 'load') {
        trainer?.dispose();
        trainer = new Trainer(
          {
            ...made,
            ...init.options,
            callbacks: [],
            evaluate: undefined,
            earlyStopping: undefined,
            checkpoint: undefined,
            resume: false,
            signal: undefined,
          },
          { rank, world, control: init.control, blocking: true, profile: init.profile === true },
        );
        trainer.replicaLoad(m);
        ch.post({ kind: 'loaded', rank });
      } else if (m.kind === 'step') {
        if (trainer === undefined) throw new Error(`replica ${rank}: a step before the state was loaded`);
        await trainer.replicaStep(m);
      } else if (m.kind === 'state') {
        if (trainer === undefined) throw new Error(`replica ${rank}: state asked before it was loaded`);
        ch.post({ kind: 'state', state: trainer.replicaState() });
      } else if (m.kind === 'stop') {
        await trainer?.finishReplica();
        ch.post({
          kind: 'stopped',
          rank,
          stats: trainer?.replicaStats ?? null,
          checksum: weightsChecksum(made.model.namedParameters().values()),
        });
        break;
      }
    }
  } catch (e) {
    markFailed(init.control, rank);
    const err = e instanceof Error ? e : new Error(String(e));
    ch.post({ kind: 'error', rank, name: err.name, message: err.message, ...(err.stack ? { stack: err.stack } : {}) });
  } finally {
    trainer?.dispose();
  }
}
