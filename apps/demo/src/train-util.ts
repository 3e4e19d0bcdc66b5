/**
 * Shared pieces of the training commands: backend setup, output folder, weights, JSON results.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setupBackend, writeSafetensors, type Module } from '@wordloom/core';
import { type ParsedArgs } from './args.js';
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

/** Seconds since `t0` (performance.now()). */
export function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}
