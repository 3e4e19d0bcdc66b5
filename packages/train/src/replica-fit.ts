/**
 * `fit` with a setup module (`setup`, `replicas`): rank 0 in the caller's thread, the other replicas in
 * worker threads started by a launcher (Node: `worker_threads`; a page: Web Workers, see `launchWeb`).
 * @module
 */
import * as tf from '@tensorflow/tfjs-core';
import { getThreads, setThreads, type Module } from '@wordloom/core';
import {
  ReplicaGroup,
  makeControl,
  weightsChecksum,
  type ReplicaLauncher,
  type ReplicaStepOptions,
} from './replicas.js';
import { checkSetup, runSetup } from './replica-run.js';
import { Trainer, type ReplicaRole } from './trainer.js';
import type { FitOptions, History, ReplicaFitOptions } from './types.js';

/** Options a replica cannot receive (functions that shape a step): they must come from setup. */
const FROM_SETUP = [
  'loss',
  'schedule',
  'rngs',
  'countSamples',
  'slice',
  'sliceCost',
  'model',
  'optimizer',
  'train',
] as const;

/** Whether this thread may block in `Atomics.wait` (not a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

function isNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

/** The launcher for this environment and its core count. */
async function defaultLauncher(): Promise<{ launch: ReplicaLauncher; cores: number }> {
  if (isNode()) {
    // A computed specifier, so that browser bundlers do not pull node: modules in.
    const spec = './internal/launch-node.js';
    type M = typeof import('./internal/launch-node.js');
    let m: M;
    try {
      m = (await import(/* @vite-ignore */ spec)) as M;
    } catch (e) {
      // From the TypeScript sources under a test runner, whose resolver does not map a computed '.js' to '.ts'.
      try {
        m = (await import(/* @vite-ignore */ spec.replace(/\.js$/, '.ts'))) as M;
      } catch {
        throw e;
      }
    }
    return { launch: m.launchNode, cores: m.cores() };
  }
  throw new Error(
    "fit: in a browser, replicas need a launcher: fit({ …, launcher: launchWeb(new URL('./my-replica-worker.js', import.meta.url)) }) (see the README's browser section)",
  );
}

/** The cores of this machine (Node: the launcher's count; a page: `navigator.hardwareConcurrency`). */
async function coreCount(): Promise<number> {
  if (isNode()) return (await defaultLauncher()).cores;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  return Math.max(1, nav?.hardwareConcurrency ?? 1);
}

/**
 * Threads of core's intra-op pool per replica: replicas × threads ≤ cores (⌊cores / world⌋, at least 1). Rank 0 on
 * a main thread would otherwise keep core's default (every core) and its pool threads would compete with the other
 * replicas for the same cores.
 */
export function threadsPerReplica(cores: number, world: number): number {
  return Math.max(1, Math.floor(cores / world));
}

/** The number of replicas `replicas` asks for. */
export async function resolveReplicas(replicas: unknown): Promise<number> {
  if (replicas === undefined) return 1;
  if (replicas === 'auto') return coreCount();
  if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 1 || replicas > 256)
    throw new Error(`fit: replicas = ${String(replicas)} must be an integer from 1 to 256, or 'auto'`);
  return replicas;
}

/** `fit` with `setup` (see {@link ReplicaFitOptions}). */
export async function fitWithSetup<M extends Module, B, EB>(
  opts: ReplicaFitOptions<M, B, EB> & { launcher?: ReplicaLauncher },
): Promise<History> {
  const { setup, replicas, setupOptions, onSetup, launcher, backendOptions, profile, ...rest } = opts;
  if (profile !== undefined && typeof profile !== 'boolean')
    throw new Error(`fit: profile = ${String(profile)} must be true or false`);
  if (setup === undefined)
    throw new Error('fit: replicas need setup: the URL of a module exporting setup({ rank, world })');
  let url = '';
  const setupFn = typeof setup === 'function' ? setup : undefined;
  if (setupFn !== undefined) {
    if (launcher === undefined && (replicas ?? 1) !== 1)
      throw new Error(
        'fit: a setup function needs a launcher whose workers run the same function (launchWeb + serveReplica); in Node give the URL of a setup module',
      );
  } else
    try {
      url = new URL(setup instanceof URL ? setup.href : String(setup)).href;
    } catch {
      throw new Error(`fit: setup = ${String(setup)} must be an absolute URL (new URL('./setup.js', import.meta.url))`);
    }
  for (const k of FROM_SETUP)
    if ((rest as Record<string, unknown>)[k] !== undefined)
      throw new Error(`fit: with setup, '${k}' must come from setup()'s result (a replica cannot be sent a function)`);
  if (onSetup !== undefined && typeof onSetup !== 'function') throw new Error('fit: onSetup must be a function');
  const world = await resolveReplicas(replicas);
  const stepOptions: ReplicaStepOptions = {};
  for (const k of [
    'epochs',
    'maxSteps',
    'timeBudgetSeconds',
    'accumulate',
    'clipNorm',
    'onNonFiniteLoss',
    'disposeBatches',
  ] as const)
    if (rest[k] !== undefined) (stepOptions as Record<string, unknown>)[k] = rest[k];
  let group: ReplicaGroup | undefined;
  let trainer: Trainer<M, B, EB> | undefined;
  let threadsBefore: number | 'auto' | undefined;
  try {
    if (world > 1) {
      const threads = threadsPerReplica(await coreCount(), world);
      // Rank 0's own pool too (restored at the end): its default is every core.
      if (getThreads() !== threads) threadsBefore = setThreads(threads);
      makeControl(); // SharedArrayBuffer available? (a clear error in a page that is not cross-origin isolated)
      const launch = launcher ?? (await defaultLauncher()).launch;
      group = new ReplicaGroup(
        world,
        {
          setup: url,
          setupOptions,
          backend: tf.getBackend(),
          options: stepOptions,
          ...(profile === true ? { profile: true } : {}),
          ...(backendOptions !== undefined ? { backendOptions } : {}),
          threads,
        },
        launch,
      );
    }
    const ctx0 = { rank: 0, world, options: setupOptions };
    const made = (setupFn !== undefined
      ? checkSetup(await setupFn(ctx0), 'the setup function', 0)
      : await runSetup(url, ctx0)) as unknown as FitOptions<M, B, EB>;
    onSetup?.(made as never);
    // What setup gives that shapes a step must also be what the replicas use: the JSON options come from rank 0.
    for (const k of Object.keys(stepOptions)) delete (made as unknown as Record<string, unknown>)[k];
    const merged = { ...made, ...stepOptions } as FitOptions<M, B, EB>;
    for (const [k, v] of Object.entries(rest))
      if (v !== undefined) (merged as unknown as Record<string, unknown>)[k] = v;
    let role: ReplicaRole | undefined;
    if (group !== undefined) {
      const mine = [...made.optimizer.params.keys()].join(', ');
      for (const r of await group.all('ready')) {
        if (r.backend !== tf.getBackend())
          throw new Error(`fit: replica ${r.rank} runs on ${r.backend}, rank 0 on ${tf.getBackend()}`);
        if (r.params.join(', ') !== mine)
          throw new Error(
            `fit: replica ${r.rank}'s optimizer has parameters [${r.params.join(', ')}], rank 0's [${mine}]; setup must build the same model on every replica`,
          );
      }
      role = { rank: 0, world, control: group.control, blocking: canBlock(), group, profile: profile === true };
    }
    trainer = new Trainer<M, B, EB>(merged, role);
    const history = await trainer.fit();
    if (group !== undefined) {
      // A cheap guard of the whole scheme: every replica must end with rank 0's weights, bit for bit.
      const mine = weightsChecksum(made.model.namedParameters().values());
      const stopped = await group.stop();
      for (const r of stopped)
        if (r.checksum !== mine)
          throw new Error(
            `fit: replica ${r.rank}'s weights differ from rank 0's at the end (checksum ${r.checksum} vs ${mine}): the replicas diverged (a backend or a loss that is not deterministic?)`,
          );
      if (history.replicas !== undefined)
        history.replicaStats = [history.replicas, ...stopped.flatMap((r) => (r.stats !== null ? [r.stats] : []))];
    }
    return history;
  } catch (e) {
    const err = group !== undefined ? await group.translate(e) : e;
    if (group !== undefined) await group.abort(err instanceof Error ? err : new Error(String(err)));
    throw err;
  } finally {
    trainer?.dispose();
    if (threadsBefore !== undefined) setThreads(threadsBefore);
  }
}
