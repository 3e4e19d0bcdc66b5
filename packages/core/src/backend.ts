/**
 * Backend setup: pick the fastest tfjs backend that really works here, and make training
 * possible on it.
 *
 * References: tfjs-backend-wasm README (SIMD, threads, `setWasmPaths`); tfjs issue 8082
 * (wasm lacks UnsortedSegmentSum); `../shared/ECOSYSTEM.md` for the measured facts.
 */
import * as tf from '@tensorflow/tfjs-core';
import { gradConfigs } from './internal/tfjs-gradients.js';
import { extraGradConfigs } from './internal/extra-gradients.js';
import { wasmUnsortedSegmentSumConfig } from './internal/segment-sum-kernel.js';
import { installPooledMatMul } from './internal/pool-matmul.js';
import { installFusedKernels } from './internal/fused-ops.js';
import { setThreads } from './internal/pool.js';

/** A backend name `setupBackend` knows how to load. */
export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu';

/** The three binaries of `@tensorflow/tfjs-backend-wasm` (tfjs picks one by SIMD/threads support). */
export type WasmBinaryName =
  'tfjs-backend-wasm.wasm' | 'tfjs-backend-wasm-simd.wasm' | 'tfjs-backend-wasm-threaded-simd.wasm';

export interface SetupBackendOptions {
  /**
   * Backends to try, in order; the first that initializes and that `tf.setBackend` really
   * switches to wins.
   * @default Node: `['wasm', 'cpu']` (wasm SIMD ≈ 19 GFLOP/s vs ≈ 0.8 for cpu on a 512² matmul);
   * browser: `['wasm', 'webgl', 'webgpu', 'cpu']` (wasm SIMD beat WebGL/WebGPU on machines
   * without a real GPU). `cpu` is always tried last even if not listed.
   */
  prefer?: BackendName[];
  /**
   * Initialize every working candidate in `prefer`, time a small matmul workload on each
   * (≈ 50 ms per backend) and keep the fastest, instead of taking the first that works.
   * @default false (the default order already puts the usually-fastest first)
   */
  measure?: boolean;
  /**
   * Where a browser fetches the wasm backend's `.wasm` binaries: a URL prefix ending in `/`
   * (the folder that holds all three), or one URL per binary. Handed to tfjs's
   * `setWasmPaths` before the wasm backend starts.
   * @default In a browser, when `setupBackend` loads `@tensorflow/tfjs-backend-wasm` itself:
   * the binaries in `node_modules`, as your bundler emits them (`new URL(…, import.meta.url)`,
   * which Vite rewrites to hashed assets), so wasm works with no setup. When your program
   * imported `@tensorflow/tfjs-backend-wasm` first: left as it configured it (`setWasmPaths`).
   * Node reads the binaries from the package's own folder and ignores this.
   */
  wasmPaths?: string | Record<WasmBinaryName, string>;
  /**
   * Let the wasm backend use its multi-threaded build on a cross-origin isolated page (where
   * tfjs would pick it by itself). Only when `setupBackend` loads the wasm backend itself; Node
   * never uses threads (that build fails there).
   * @default false — in a Vite 8 bundle on a cross-origin isolated page the threaded build
   * never finished initializing and `setupBackend()` hung (Chromium); the single-threaded SIMD
   * build is the one tested.
   */
  wasmThreads?: boolean;
  /**
   * Threads of @wordloom/core's own intra-op pool (`setThreads`): large matmuls (tfjs-backend-wasm's
   * BatchMatMul is wrapped), `batchMatMul` and the rnn kernels split their rows across them. 1 turns
   * the pool off. Rule: data-parallel replicas × threads ≤ cores (give each replica 1 when there are
   * as many replicas as cores).
   * @default left as it is: `'auto'` unless `setThreads` was called — the `WORDLOOM_THREADS`
   * environment variable in Node, else the number of cores
   */
  threads?: number | 'auto';
}

export interface SetupBackendResult {
  /** The backend tfjs is now using (`tf.getBackend()`). */
  backend: string;
  /**
   * Why each backend tried before it failed, in order (empty when the first one worked).
   * `fix`, when present, says what to do to get that backend (also printed with
   * `console.warn` when wasm is passed over for a slower backend).
   */
  rejected: Array<{ backend: BackendName; reason: string; fix?: string }>;
  /** With `measure: true`: ms per workload on each backend that worked. */
  timings?: Partial<Record<BackendName, number>>;
}

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

let gradientsRegistered = false;

/**
 * The wasm binaries next to `@tensorflow/tfjs-backend-wasm` in an installed `node_modules`
 * (this file is `node_modules/@wordloom/core/dist/backend.js`; with npm, yarn and pnpm the
 * peer `@tensorflow/tfjs-backend-wasm` is its sibling). Literal `new URL(…, import.meta.url)`
 * calls, so that bundlers copy the files and rewrite the URLs.
 */
function bundledWasmUrls(): Record<WasmBinaryName, string> {
  return {
    'tfjs-backend-wasm.wasm': new URL(
      '../../../@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-simd.wasm': new URL(
      '../../../@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
      import.meta.url,
    ).href,
    'tfjs-backend-wasm-threaded-simd.wasm': new URL(
      '../../../@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm',
      import.meta.url,
    ).href,
  };
}

/** How the wasm binaries were located for this setup (for the fix in a failure). */
type WasmSource = { kind: 'node' } | { kind: 'option' | 'bundler'; simd: string } | { kind: 'program' };

/**
 * Registers tfjs-core's gradients (all but pooling/convolution ones), plus zero gradients
 * for comparisons and logical ops (tfjs has none, so `tf.where(tf.greater(x, 0), …)` could not
 * be differentiated), on the tfjs-core instance this package was loaded with. Idempotent; gradients registered by someone else
 * (e.g. the `@tensorflow/tfjs` union package) are left in place.
 */
export function registerGradients(): void {
  if (gradientsRegistered) return;
  for (const config of [...gradConfigs, ...extraGradConfigs]) {
    if (tf.getGradient(config.kernelName) == null) tf.registerGradient(config);
  }
  gradientsRegistered = true;
}

/**
 * Registers our kernels for what a backend lacks (today: UnsortedSegmentSum on wasm), wraps
 * wasm's BatchMatMul so that large products use the intra-op pool's threads when it has any
 * (internal/pool-matmul.ts; with threads off the wrapper calls tfjs's kernel, as before), and
 * installs the fused wasm kernels (internal/fused-ops.ts: Transpose, buffer-sharing Identity and
 * same-dtype Cast), so that they serve every op from the start rather than only after the first
 * `customGrad` or `Dropout` call. Not when switched off with `setFusedKernels(false)`; a no-op
 * while `@tensorflow/tfjs-backend-wasm` is not imported (no wasm kernels to wrap yet).
 */
function registerMissingKernels(name: string): void {
  if (name !== 'wasm') return;
  if (tf.getKernel(tf.UnsortedSegmentSum, 'wasm') == null) {
    tf.registerKernel(wasmUnsortedSegmentSumConfig);
  }
  installPooledMatMul();
  installFusedKernels();
}

// On import of @wordloom/core (package.json lists this file under `sideEffects`): a layer can
// be trained before, or without, setupBackend() — tfjs-core alone registers no gradients, and
// `tf.variableGrads` would fail with "gradient function not found for Mean". Neither call
// needs a backend.
registerGradients();
registerMissingKernels('wasm');

interface WasmModule {
  setWasmPaths(prefixOrFileMap: string | Record<string, string>): void;
}

/**
 * Imports `@tensorflow/tfjs-backend-wasm` (if the program has not) and points it at its
 * binaries: `wasmPaths` if given; else, in a browser, when we are the ones importing it, the
 * bundler's URLs of the files in `node_modules`.
 */
async function loadWasm(opts: SetupBackendOptions): Promise<WasmSource> {
  const { wasmPaths } = opts;
  const importedByProgram = tf.findBackendFactory('wasm') != null;
  const wasm = (await import('@tensorflow/tfjs-backend-wasm')) as WasmModule; // registers the WASM_* flags
  if (isNode) {
    // The multi-threaded wasm build fails in Node and tfjs then silently stays on cpu.
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return { kind: 'node' };
  }
  // Explicit `false` always wins; by default only when we loaded the backend ourselves (a
  // program that imported it may have configured threads on purpose).
  if (opts.wasmThreads === false || (!importedByProgram && opts.wasmThreads !== true)) {
    tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  if (wasmPaths != null) {
    wasm.setWasmPaths(wasmPaths);
    const simd =
      typeof wasmPaths === 'string'
        ? `${wasmPaths}tfjs-backend-wasm-simd.wasm`
        : wasmPaths['tfjs-backend-wasm-simd.wasm'];
    return { kind: 'option', simd };
  }
  if (importedByProgram) return { kind: 'program' };
  const urls = bundledWasmUrls();
  wasm.setWasmPaths(urls);
  return { kind: 'bundler', simd: urls['tfjs-backend-wasm-simd.wasm'] };
}

/** What to do when wasm did not start, for each way its binaries were located. */
function wasmFix(source: WasmSource | null): string {
  const install = 'install @tensorflow/tfjs-backend-wasm (same version as @tensorflow/tfjs-core)';
  if (source == null) return `${install}, then call setupBackend() again`;
  const serve =
    'copy the three .wasm files of node_modules/@tensorflow/tfjs-backend-wasm/dist/ to a folder your site serves ' +
    "(e.g. Vite's public/tfjs-wasm/) and call setupBackend({ wasmPaths: '/tfjs-wasm/' })";
  switch (source.kind) {
    case 'node':
      return `${install}; in Node the wasm backend reads its binaries from that package's dist folder`;
    case 'option':
      return `check that wasmPaths is right: ${source.simd} must serve the binary (HTTP 200, not an HTML page)`;
    case 'program':
      return `your program imported @tensorflow/tfjs-backend-wasm itself: call its setWasmPaths(<folder URL>) before setupBackend(), or pass setupBackend({ wasmPaths }); or ${serve}`;
    case 'bundler':
      return `the binaries were looked up at ${source.simd} (where your bundler should have emitted them from node_modules) and did not load; ${serve}`;
  }
}

async function loadBackendPackage(name: BackendName): Promise<void> {
  // Already imported by the program: nothing to load.
  if (tf.findBackendFactory(name) != null) return;
  // Literal specifiers so that bundlers see the packages and split them into lazy chunks
  // (a bundler must therefore be able to resolve all four; see the README).
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm':
      return; // loadWasm
    case 'webgl':
      await import('@tensorflow/tfjs-backend-webgl');
      return;
    case 'webgpu':
      await import('@tensorflow/tfjs-backend-webgpu');
      return;
  }
}

function message(e: unknown): string {
  if (e instanceof Error) return e.message;
  if (e != null && typeof e === 'object' && 'message' in e) return String((e as { message: unknown }).message);
  return String(e);
}

interface Failure {
  reason: string;
  fix?: string;
}

/** Loads, registers and switches to `name`; returns null on success or why it failed. */
async function trySwitch(name: BackendName, opts: SetupBackendOptions = {}): Promise<Failure | null> {
  const wasm: { source: WasmSource | null } = { source: null };
  const reason = await switchTo(name, opts, wasm);
  if (reason === null) return null;
  return name === 'wasm' ? { reason, fix: wasmFix(wasm.source) } : { reason };
}

async function switchTo(
  name: BackendName,
  opts: SetupBackendOptions,
  wasm: { source: WasmSource | null },
): Promise<string | null> {
  const engine = tf.engine() as unknown as { backendName: string | null; backendInstance: unknown };
  // Already active (and really initialized: after a failed setBackend, tfjs keeps the failed
  // name in backendName with no instance behind it).
  if (engine.backendName === name && engine.backendInstance != null) {
    registerMissingKernels(name);
    return null;
  }
  try {
    if (name === 'wasm') {
      wasm.source = await loadWasm(opts);
    } else {
      await loadBackendPackage(name);
    }
  } catch (e) {
    return `package @tensorflow/tfjs-backend-${name} could not be loaded: ${message(e)}`;
  }
  if (tf.findBackendFactory(name) == null) {
    return 'the package loaded but registered no backend (two tfjs-core instances?)';
  }
  registerMissingKernels(name);
  let ok = false;
  try {
    ok = await tf.setBackend(name);
  } catch (e) {
    return `tf.setBackend threw: ${message(e)}`;
  }
  if (!ok || tf.getBackend() !== name) {
    // tfjs leaves backendName set to the failed backend with no instance behind it; the
    // next candidate (cpu at the latest) repairs that.
    return `tf.setBackend('${name}') returned ${ok} (initialization failed; tf.getBackend() says '${tf.getBackend()}')`;
  }
  await tf.ready();
  return null;
}

/**
 * ms per 256×256 matmul chain on the active backend (median of 3, after a warm-up), read
 * back with `await data()` (WebGPU's synchronous reads returned zeros in headless Chromium).
 */
async function timeMatmul(): Promise<number> {
  const a = tf.randomNormal([256, 256], 0, 0.05, 'float32', 1);
  const run = async (): Promise<number> => {
    const t0 = performance.now();
    const y = tf.tidy(() => {
      let x = a;
      for (let i = 0; i < 4; i++) x = tf.tanh(tf.matMul(x, a));
      return tf.sum(x);
    });
    await y.data();
    y.dispose();
    return performance.now() - t0;
  };
  await run();
  const times = [await run(), await run(), await run()].sort((p, q) => p - q);
  a.dispose();
  return times[1];
}

const WASM_BINARIES: readonly WasmBinaryName[] = [
  'tfjs-backend-wasm.wasm',
  'tfjs-backend-wasm-simd.wasm',
  'tfjs-backend-wasm-threaded-simd.wasm',
];

function checkWasmPaths(wasmPaths: unknown): void {
  if (wasmPaths == null) return;
  if (typeof wasmPaths === 'string') {
    if (!wasmPaths.endsWith('/')) {
      throw new Error(
        `setupBackend: wasmPaths '${wasmPaths}' must be a folder URL ending in '/' (tfjs appends the file name), or one URL per binary`,
      );
    }
    return;
  }
  if (typeof wasmPaths !== 'object') {
    throw new Error(
      `setupBackend: wasmPaths must be a folder URL or a map of binary name to URL, got ${typeof wasmPaths}`,
    );
  }
  const missing = WASM_BINARIES.filter((b) => typeof (wasmPaths as Record<string, unknown>)[b] !== 'string');
  if (missing.length > 0) throw new Error(`setupBackend: wasmPaths has no URL for ${missing.join(', ')}`);
}

/**
 * Registers gradients, loads the first preferred backend that works, registers the kernels
 * it lacks, and checks that tfjs really switched to it (`tf.setBackend` resolves `false`
 * when initialization fails). With `measure: true` it instead initializes every working
 * candidate, times a small matmul workload on each and keeps the fastest.
 *
 * In a browser bundle the wasm binaries are found with no setup (see `wasmPaths`). When wasm
 * fails and a slower backend is used instead, the result's `rejected` entry for wasm has a
 * `fix`, and `console.warn` prints it.
 *
 * @throws if no backend, not even `cpu`, could be set; if `prefer` names an unknown backend;
 * if `wasmPaths` is not a folder URL ending in `/` or a map with a URL for each binary.
 */
export async function setupBackend(opts: SetupBackendOptions = {}): Promise<SetupBackendResult> {
  registerGradients();
  if (opts.threads !== undefined) setThreads(opts.threads);
  const defaults: BackendName[] = isNode ? ['wasm', 'cpu'] : ['wasm', 'webgl', 'webgpu', 'cpu'];
  const order = [...(opts.prefer ?? defaults)];
  for (const name of order) {
    if (!['wasm', 'cpu', 'webgl', 'webgpu'].includes(name)) {
      throw new Error(`setupBackend: prefer contains unknown backend '${String(name)}' (wasm, cpu, webgl, webgpu)`);
    }
  }
  if (!order.includes('cpu')) order.push('cpu');
  checkWasmPaths(opts.wasmPaths);
  const rejected: SetupBackendResult['rejected'] = [];
  const timings: Partial<Record<BackendName, number>> = {};
  const done = (backend: BackendName, extra: Pick<SetupBackendResult, 'timings'> = {}): SetupBackendResult => {
    const wasm = rejected.find((r) => r.backend === 'wasm');
    if (wasm != null && backend !== 'wasm') {
      console.warn(
        `setupBackend: using ${backend}, not wasm (usually several times faster): ${wasm.reason}. To get wasm: ${wasm.fix}.`,
      );
    }
    return { backend, rejected, ...extra };
  };
  for (const name of order) {
    const failure = await trySwitch(name, opts);
    if (failure !== null) {
      rejected.push({ backend: name, ...failure });
      continue;
    }
    if (!opts.measure) return done(name);
    timings[name] = await timeMatmul();
  }
  const measured = Object.entries(timings) as Array<[BackendName, number]>;
  if (measured.length > 0) {
    measured.sort((p, q) => p[1] - q[1]);
    const best = measured[0][0];
    const failure = await trySwitch(best, opts);
    if (failure !== null)
      throw new Error(`setupBackend: switching back to the fastest backend '${best}' failed: ${failure.reason}`);
    return done(best, { timings });
  }
  throw new Error(
    `setupBackend: no backend could be set; tried ${rejected.map((r) => `${r.backend} (${r.reason})`).join(', ')}`,
  );
}
