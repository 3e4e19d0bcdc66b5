/** Small helpers of the trainer (not exported from the package). */
import * as tf from '@tensorflow/tfjs-core';

type Immediate = (cb: () => void) => unknown;

/**
 * Lets the event loop run (timers, a SIGINT handler that aborts a signal, UI events): a macrotask,
 * not a microtask. `setImmediate` in Node (≈ µs); elsewhere a `MessageChannel` message, which
 * browsers do not clamp to 4 ms as they clamp nested `setTimeout(0)`.
 */
export function macrotask(): Promise<void> {
  const si = (globalThis as { setImmediate?: Immediate }).setImmediate;
  if (typeof si === 'function') return new Promise((r) => void si(r));
  if (typeof MessageChannel === 'function') {
    return new Promise((r) => {
      const ch = new MessageChannel();
      ch.port1.onmessage = () => {
        ch.port1.close();
        r();
      };
      ch.port2.postMessage(0);
    });
  }
  return new Promise((r) => setTimeout(r, 0));
}

function isPlainContainer(x: unknown): x is object {
  return x !== null && typeof x === 'object' && !ArrayBuffer.isView(x) && !(x instanceof ArrayBuffer);
}

/**
 * Disposes every tensor in a batch (arrays, Maps, plain objects, nested), skipping typed arrays —
 * `tf.dispose` would walk their elements one by one.
 */
export function disposeTensors(x: unknown, seen = new Set<unknown>()): void {
  if (x instanceof tf.Tensor) {
    if (!x.isDisposed) x.dispose();
    return;
  }
  if (!isPlainContainer(x) || seen.has(x)) return;
  seen.add(x);
  if (Array.isArray(x)) for (const v of x) disposeTensors(v, seen);
  else if (x instanceof Map) for (const v of x.values()) disposeTensors(v, seen);
  else for (const v of Object.values(x)) disposeTensors(v, seen);
}

/** Examples in a batch: an array's length, else the first dimension of the first tensor found at the top level, else 1. */
export function defaultCountSamples(batch: unknown): number {
  if (Array.isArray(batch)) return batch.length;
  if (batch instanceof tf.Tensor) return batch.rank > 0 ? batch.shape[0] : 1;
  if (isPlainContainer(batch)) {
    const values = batch instanceof Map ? [...batch.values()] : Object.values(batch);
    for (const v of values) if (v instanceof tf.Tensor && v.rank > 0) return v.shape[0];
    for (const v of values) if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return (v as Int32Array).length;
  }
  return 1;
}

/** Seconds since `t0` (a `performance.now()` value). */
export function since(t0: number): number {
  return (performance.now() - t0) / 1000;
}
