/**
 * Shared pieces of the training commands: backend setup, output folder, checkpoints
 * (model + optimizer state in one safetensors file), JSON results.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors, setupBackend, writeSafetensors, type Module } from '@wordloom/core';
import type { Optimizer } from '@wordloom/optim';
import { CliError, PROGRAM, type ParsedArgs } from './args.js';
import { appRoot } from './data.js';

let backendName: string | undefined;

/** Picks the backend once (wasm in Node, cpu as fallback) and says which. */
export async function backend(log: (s: string) => void = () => {}): Promise<string> {
  if (!backendName) {
    const r = await setupBackend();
    backendName = r.backend;
    log(`backend: ${r.backend}`);
  }
  return backendName;
}

/** The output folder (`--out`, default `apps/demo/runs/<command>`, git-ignored), created. */
export function outDir(args: ParsedArgs, command: string): string {
  const raw = args.values.out;
  const dir = typeof raw === 'string' ? resolve(raw) : join(appRoot, 'runs', command.replace(/ /g, '-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

export function writeJson(path: string, value: unknown): void {
  writeFileSync(path, JSON.stringify(value, null, 2) + '\n');
}

/** Writes a module's weights as safetensors (PyTorch-style dotted names). */
export function saveWeights(path: string, model: Module, metadata: Record<string, string> = {}): void {
  writeFileSync(path, writeSafetensors(model.stateDict(), { format: 'pt', ...metadata }));
}

export const CHECKPOINT_FORMAT = 'wordloom-demo-checkpoint v1';

export interface CheckpointMeta {
  command: string;
  /** Training configuration; a resume must match it. */
  config: Record<string, unknown>;
  /** Steps done so far. */
  step: number;
  /** Any other progress (epoch, best metric, rng position…). */
  progress: Record<string, unknown>;
}

/** Saves model + optimizer state + meta to `<dir>/checkpoint.safetensors` (atomically). */
export function saveCheckpoint(dir: string, model: Module, optimizer: Optimizer, meta: CheckpointMeta): string {
  const tensors = new Map<string, tf.Tensor>();
  for (const [k, v] of model.stateDict()) tensors.set(`model.${k}`, v);
  const opt = optimizer.stateDict();
  for (const [k, v] of opt.tensors) tensors.set(`optim.${k}`, v);
  const bytes = writeSafetensors(tensors, { format: CHECKPOINT_FORMAT, meta: JSON.stringify(meta), optim: opt.json });
  const path = join(dir, 'checkpoint.safetensors');
  writeFileSync(`${path}.tmp`, bytes);
  renameSync(`${path}.tmp`, path);
  return path;
}

/**
 * Loads `<dir>/checkpoint.safetensors` into the model and optimizer; returns its meta.
 * A one-line error when it is missing or was made with another command or configuration.
 */
export function loadCheckpoint(
  dir: string,
  model: Module,
  optimizer: Optimizer,
  expect: { command: string; config: Record<string, unknown> },
): CheckpointMeta {
  const path = join(dir, 'checkpoint.safetensors');
  if (!existsSync(path))
    throw new CliError(
      `${PROGRAM} ${expect.command}: --resume found no checkpoint at ${path}; run without --resume first (same --out)`,
    );
  const bad = (why: string): CliError =>
    new CliError(
      `${PROGRAM} ${expect.command}: ${path} is not a usable checkpoint (${why}); delete it and run without --resume, or use another --out`,
      3,
    );
  let file: ReturnType<typeof readSafetensors>;
  try {
    file = readSafetensors(new Uint8Array(readFileSync(path)));
  } catch (e) {
    throw bad((e as Error).message.split('\n')[0]);
  }
  const { tensors, metadata } = file;
  try {
    if (metadata.get('format') !== CHECKPOINT_FORMAT)
      throw bad(`its format is ${JSON.stringify(metadata.get('format') ?? null)}, not '${CHECKPOINT_FORMAT}'`);
    let meta: CheckpointMeta;
    try {
      meta = JSON.parse(metadata.get('meta') ?? '') as CheckpointMeta;
    } catch (e) {
      throw bad(`its 'meta' is not JSON: ${(e as Error).message}`);
    }
    if (meta.command !== expect.command)
      throw new CliError(
        `${PROGRAM} ${expect.command}: the checkpoint in ${dir} is from '${meta.command}'; use another --out`,
      );
    const a = JSON.stringify(meta.config);
    const b = JSON.stringify(expect.config);
    if (a !== b)
      throw new CliError(
        `${PROGRAM} ${expect.command}: the checkpoint was trained with ${a}, this run asks for ${b}; use the same options or another --out`,
      );
    const modelDict = new Map<string, tf.Tensor>();
    const optimDict = new Map<string, tf.Tensor>();
    for (const [k, v] of tensors) {
      if (k.startsWith('model.')) modelDict.set(k.slice(6), v);
      else if (k.startsWith('optim.')) optimDict.set(k.slice(6), v);
    }
    try {
      model.loadStateDict(modelDict);
      optimizer.loadStateDict({ tensors: optimDict, json: metadata.get('optim') ?? '' });
    } catch (e) {
      throw bad((e as Error).message.split('\n')[0]);
    }
    return meta;
  } finally {
    for (const t of tensors.values()) t.dispose();
  }
}

/** Seconds since `t0` (performance.now()). */
export function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}
