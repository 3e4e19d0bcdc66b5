/** Loads the PyTorch golden fixtures (see test/fixtures/README.md). */
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';

export interface FixTensor {
  shape: number[];
  data: number[];
}

export function loadFixture<C>(name: string): { torch: string; cases: Record<string, C> } {
  return JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
}

export function toTensor(t: FixTensor, dtype: 'float32' | 'bool' | 'int32' = 'float32'): tf.Tensor {
  return tf.tensor(t.data, t.shape, dtype);
}

export function toDict(params: Record<string, FixTensor>): Map<string, tf.Tensor> {
  return new Map(Object.entries(params).map(([k, v]) => [k, toTensor(v)]));
}

export function disposeDict(d: Map<string, tf.Tensor>): void {
  for (const t of d.values()) t.dispose();
}
