/**
 * Tensor trees: values made of tensors inside plain objects, arrays and Maps (decoding
 * states, optimizer states, batches). One walker for every package: visit, map, dispose.
 *
 * Only plain containers are walked: arrays, `Map` values and the own enumerable properties
 * of other objects. Numbers, strings, booleans, null and undefined are leaves that are kept
 * as they are. Typed arrays are leaves too (their indices are numbers, not tensors).
 */
import * as tf from '@tensorflow/tfjs-core';

function isLeaf(x: unknown): boolean {
  return x === null || typeof x !== 'object' || ArrayBuffer.isView(x);
}

/** Calls `fn` on every tensor in `tree` (depth first, in insertion order). */
export function forEachTensor(tree: unknown, fn: (t: tf.Tensor) => void): void {
  if (isLeaf(tree)) return;
  if (tree instanceof tf.Tensor) fn(tree);
  else if (Array.isArray(tree)) for (const x of tree) forEachTensor(x, fn);
  else if (tree instanceof Map) for (const x of tree.values()) forEachTensor(x, fn);
  else for (const x of Object.values(tree as object)) forEachTensor(x, fn);
}

/** The distinct tensors of `tree`, as a Set (a tensor referenced twice appears once). */
export function collectTensors(tree: unknown, into: Set<tf.Tensor> = new Set()): Set<tf.Tensor> {
  forEachTensor(tree, (t) => into.add(t));
  return into;
}

/**
 * A copy of `tree` with every tensor replaced by `fn(tensor)`: arrays stay arrays, Maps stay
 * Maps (same keys), other objects become plain objects with the same own enumerable keys;
 * leaves are kept. The input is not modified and nothing is disposed.
 */
export function mapTensors<T>(tree: T, fn: (t: tf.Tensor) => tf.Tensor): T {
  return mapAny(tree, fn) as T;
}

function mapAny(tree: unknown, fn: (t: tf.Tensor) => tf.Tensor): unknown {
  if (isLeaf(tree)) return tree;
  if (tree instanceof tf.Tensor) return fn(tree);
  if (Array.isArray(tree)) return tree.map((x) => mapAny(x, fn));
  if (tree instanceof Map) {
    const out = new Map();
    for (const [k, v] of tree) out.set(k, mapAny(v, fn));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tree as object)) {
    // An own "__proto__" key (e.g. from JSON.parse) stays a key instead of setting the prototype.
    Object.defineProperty(out, k, { value: mapAny(v, fn), enumerable: true, writable: true, configurable: true });
  }
  return out;
}

/** Disposes every tensor in `tree` (tensors already disposed are skipped). */
export function disposeTensors(tree: unknown): void {
  forEachTensor(tree, (t) => {
    if (!t.isDisposed) t.dispose();
  });
}
