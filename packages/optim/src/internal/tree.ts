/**
 * Optimizer state trees: clone and dispose tensors, through `@wordloom/core`'s tree walkers.
 * @internal
 */
import * as tf from '@tensorflow/tfjs-core';
import { disposeTensors, mapTensors } from '@wordloom/core';
import type { StateTree } from '../types.js';

export function isTensor(x: unknown): x is tf.Tensor {
  return x instanceof tf.Tensor;
}

/** Returns a copy of the tree in which every tensor is a new handle (`tf.clone` shares the buffer). */
export function cloneTree<S extends StateTree>(tree: S): S {
  return mapTensors(tree, (t) => tf.clone(t));
}

/** Disposes every tensor of a state tree. */
export function disposeTree(tree: StateTree): void {
  disposeTensors(tree);
}
