/**
 * Node built-ins, looked up at call time with `process.getBuiltinModule` (Node >= 20.16)
 * instead of imported: the package then has no `node:` import at all, so a browser bundle
 * builds without shims or aliases, and only the features that need Node (file paths,
 * `worker_threads`) fail there — with an error that says so.
 */
import type * as Fs from 'node:fs';
import type * as Zlib from 'node:zlib';
import type * as Readline from 'node:readline';
import type * as WorkerThreads from 'node:worker_threads';

interface Builtins {
  'node:fs': typeof Fs;
  'node:zlib': typeof Zlib;
  'node:readline': typeof Readline;
  'node:worker_threads': typeof WorkerThreads;
}

type GetBuiltin = (id: string) => unknown;

function getBuiltin(): GetBuiltin | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: GetBuiltin } }).process;
  return typeof proc?.getBuiltinModule === 'function' ? proc.getBuiltinModule.bind(proc) : undefined;
}

/** True where Node's built-ins can be loaded (Node, not a browser or a Web Worker). */
export function hasNode(): boolean {
  return getBuiltin() !== undefined;
}

/**
 * The Node built-in `id`. `what` names the feature for the error thrown elsewhere,
 * e.g. `'loadWord2VecFormat(path)'`; `instead` says what to do there.
 */
export function nodeBuiltin<K extends keyof Builtins>(id: K, what: string, instead: string): Builtins[K] {
  const get = getBuiltin();
  const mod = get?.(id);
  if (mod === undefined) {
    throw new Error(`${what} needs Node.js (${id}), which this environment does not have; ${instead}`);
  }
  return mod as Builtins[K];
}

/**
 * What is wrong with gzip data, in words, for a zlib error (whose own messages — "invalid
 * block type", "incorrect header check", "unexpected end of file" — name neither the file
 * nor the problem).
 */
export function gzipProblem(e: unknown): string {
  const code = (e as { code?: unknown } | null)?.code;
  const message = e instanceof Error ? e.message : String(e);
  const what = code === 'Z_BUF_ERROR' ? 'the gzip data ends early (truncated file)' : 'corrupt gzip data';
  return `${what} (zlib: ${message})`;
}
