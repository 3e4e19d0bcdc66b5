/**
 * Walking optimizer state trees: collect, clone and dispose tensors.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import type { StateTree } from '../types.js';

export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/** Visits every tensor in a state tree. */
export function forEachTensor(tree: StateTree, fn: (t: tf.Tensor) => void): void {
  if (tree === null || typeof tree !== 'object') return;
  if (isTensor(tree)) {
    fn(tree);
  } else if (Array.isArray(tree)) {
    for (const x of tree) forEachTensor(x, fn);
  } else if (tree instanceof Map) {
    for (const x of tree.values()) forEachTensor(x, fn);
  } else {
    for (const x of Object.values(tree)) forEachTensor(x, fn);
  }
}

/** Returns a copy of the tree in which every tensor is a new handle (`tf.clone` shares the buffer). */
export function cloneTree<S extends StateTree>(tree: S): S {
  return mapTree(tree, (t) => tf.clone(t)) as S;
}

/** Maps the tensors of a tree, keeping its structure and scalars. */
export function mapTree(tree: StateTree, fn: (t: tf.Tensor) => tf.Tensor): StateTree {
  if (tree === null || typeof tree !== 'object') return tree;
  if (isTensor(tree)) return fn(tree);
  if (Array.isArray(tree)) return tree.map((x) => mapTree(x, fn));
  if (tree instanceof Map) {
    const out = new Map<string, StateTree>();
    for (const [k, v] of tree) out.set(k, mapTree(v, fn));
    return out;
  }
  const out: { [key: string]: StateTree } = {};
  for (const [k, v] of Object.entries(tree)) out[k] = mapTree(v, fn);
  return out;
}

/** Disposes every tensor of a state tree. */
export function disposeTree(tree: StateTree): void {
  forEachTensor(tree, (t) => t.dispose());
}
