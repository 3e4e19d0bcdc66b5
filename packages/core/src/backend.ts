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
}

export interface SetupBackendResult {
  /** The backend tfjs is now using (`tf.getBackend()`). */
  backend: string;
  /** Why each backend tried before it failed, in order (empty when the first one worked). */
  rejected: Array<{ backend: BackendName; reason: string }>;
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

/**
 * Registers gradients, loads the first preferred backend that works, registers the kernels
 * it lacks, and checks that tfjs really switched to it (`tf.setBackend` resolves `false`
 * and stays on the old backend when initialization fails).
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
  for (const name of order) {
    if (tf.engine().backendName === name) {
      registerMissingKernels(name);
      return { backend: name, rejected };
    }
    try {
      await loadBackendPackage(name);
    } catch (e) {
      rejected.push({ backend: name, reason: `package @tensorflow/tfjs-backend-${name} could not be loaded: ${message(e)}` });
      continue;
    }
    if (tf.findBackendFactory(name) == null) {
      rejected.push({ backend: name, reason: 'the package loaded but registered no backend (two tfjs-core instances?)' });
      continue;
    }
    registerMissingKernels(name);
    let ok = false;
    try {
      ok = await tf.setBackend(name);
    } catch (e) {
      rejected.push({ backend: name, reason: `tf.setBackend threw: ${message(e)}` });
      continue;
    }
    if (!ok || tf.getBackend() !== name) {
      // tfjs leaves backendName set to the failed backend with no instance behind it; the
      // next candidate (cpu at the latest) repairs that.
      rejected.push({ backend: name, reason: `tf.setBackend('${name}') returned ${ok} (initialization failed; tf.getBackend() says '${tf.getBackend()}')` });
      continue;
    }
    await tf.ready();
    return { backend: name, rejected };
  }
  throw new Error(
    `setupBackend: no backend could be set; tried ${rejected.map((r) => `${r.backend} (${r.reason})`).join(', ')}`,
  );
}
