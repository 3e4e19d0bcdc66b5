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

/** A backend name `setupBackend` knows how to load. */
export type BackendName = 'wasm' | 'cpu' | 'webgl' | 'webgpu';

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
}

export interface SetupBackendResult {
  /** The backend tfjs is now using (`tf.getBackend()`). */
  backend: string;
  /** Why each backend tried before it failed, in order (empty when the first one worked). */
  rejected: Array<{ backend: BackendName; reason: string }>;
  /** With `measure: true`: ms per workload on each backend that worked. */
  timings?: Partial<Record<BackendName, number>>;
}

const isNode = typeof process !== 'undefined' && process.versions != null && process.versions.node != null;

let gradientsRegistered = false;

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

/** Registers our kernels for what a backend lacks (today: UnsortedSegmentSum on wasm). */
function registerMissingKernels(name: string): void {
  if (name === 'wasm' && tf.getKernel(tf.UnsortedSegmentSum, 'wasm') == null) {
    tf.registerKernel(wasmUnsortedSegmentSumConfig);
  }
}

async function loadBackendPackage(name: BackendName): Promise<void> {
  // Already imported by the program (e.g. to call setWasmPaths): nothing to load.
  if (tf.findBackendFactory(name) != null) {
    if (name === 'wasm' && isNode) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    return;
  }
  // Literal specifiers so that bundlers see the packages and split them into lazy chunks
  // (a bundler must therefore be able to resolve all four; see the README).
  switch (name) {
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return;
    case 'wasm':
      await import('@tensorflow/tfjs-backend-wasm'); // registers the WASM_* flags
      if (isNode) {
        // The multi-threaded wasm build fails in Node and tfjs then silently stays on cpu.
        tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
      }
      return;
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

/** Loads, registers and switches to `name`; returns null on success or why it failed. */
async function trySwitch(name: BackendName): Promise<string | null> {
  const engine = tf.engine() as unknown as { backendName: string | null; backendInstance: unknown };
  // Already active (and really initialized: after a failed setBackend, tfjs keeps the failed
  // name in backendName with no instance behind it).
  if (engine.backendName === name && engine.backendInstance != null) {
    registerMissingKernels(name);
    return null;
  }
  try {
    await loadBackendPackage(name);
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

/**
 * Registers gradients, loads the first preferred backend that works, registers the kernels
 * it lacks, and checks that tfjs really switched to it (`tf.setBackend` resolves `false`
 * when initialization fails). With `measure: true` it instead initializes every working
 * candidate, times a small matmul workload on each and keeps the fastest.
 *
 * @throws if no backend, not even `cpu`, could be set.
 */
export async function setupBackend(opts: SetupBackendOptions = {}): Promise<SetupBackendResult> {
  registerGradients();
  const defaults: BackendName[] = isNode ? ['wasm', 'cpu'] : ['wasm', 'webgl', 'webgpu', 'cpu'];
  const order = [...(opts.prefer ?? defaults)];
  for (const name of order) {
    if (!['wasm', 'cpu', 'webgl', 'webgpu'].includes(name)) {
      throw new Error(`setupBackend: prefer contains unknown backend '${String(name)}' (wasm, cpu, webgl, webgpu)`);
    }
  }
  if (!order.includes('cpu')) order.push('cpu');
  const rejected: SetupBackendResult['rejected'] = [];
  const timings: Partial<Record<BackendName, number>> = {};
  for (const name of order) {
    const failure = await trySwitch(name);
    if (failure !== null) {
      rejected.push({ backend: name, reason: failure });
      continue;
    }
    if (!opts.measure) return { backend: name, rejected };
    timings[name] = await timeMatmul();
  }
  const measured = Object.entries(timings) as Array<[BackendName, number]>;
  if (measured.length > 0) {
    measured.sort((p, q) => p[1] - q[1]);
    const best = measured[0][0];
    const failure = await trySwitch(best);
    if (failure !== null)
      throw new Error(`setupBackend: switching back to the fastest backend '${best}' failed: ${failure}`);
    return { backend: best, rejected, timings };
  }
  throw new Error(
    `setupBackend: no backend could be set; tried ${rejected.map((r) => `${r.backend} (${r.reason})`).join(', ')}`,
  );
}
