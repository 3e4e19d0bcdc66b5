/** Accuracy of a `classify nsmc` model. */
import * as tf from '@tensorflow/tfjs-core';
import { padCollate } from '@wordloom/data';
import { logitsOf, type AnyClassifier } from './model.js';

export interface Example {
  ids: Int32Array;
  label: number;
}

/** `examples` in batches of at most `batchSize` of similar length (sorted by length: little padding). */
export function lengthSortedBatches<E extends Example>(examples: E[], batchSize = 256): E[][] {
  const order = Array.from(examples.keys()).sort((a, b) => examples[a].ids.length - examples[b].ids.length);
  const out: E[][] = [];
  for (let s = 0; s < order.length; s += batchSize) out.push(order.slice(s, s + batchSize).map((i) => examples[i]));
  return out;
}

/** How many of `batch` the model labels right (the model's mode is the caller's). */
export function correctIn(model: AnyClassifier, batch: Example[], padId: number): number {
  const b = padCollate({ padId })(batch);
  try {
    const lengths = b.lengths.dataSync() as Int32Array;
    const pred = tf.tidy(() => tf.argMax(logitsOf(model, b, lengths), 1));
    const p = pred.dataSync();
    pred.dispose();
    let correct = 0;
    batch.forEach((e, k) => {
      if (p[k] === e.label) correct++;
    });
    return correct;
  } finally {
    tf.dispose(b as unknown as tf.TensorContainer);
  }
}

/**
 * Accuracy of `model` on encoded examples, in batches of similar length; `undefined` if `stop()` became
 * true (it is asked between batches, after letting the event loop run, so a Ctrl-C stops it within a batch).
 */
export async function evaluateAccuracy(
  model: AnyClassifier,
  examples: Example[],
  padId: number,
  opts: { batchSize?: number; stop?: () => boolean } = {},
): Promise<number | undefined> {
  if (examples.length === 0) return NaN;
  model.m.eval();
  let correct = 0;
  try {
    for (const batch of lengthSortedBatches(examples, opts.batchSize ?? 256)) {
      await new Promise<void>((r) => setImmediate(r));
      if (opts.stop?.()) return undefined;
      correct += correctIn(model, batch, padId);
    }
  } finally {
    model.m.train();
  }
  return correct / examples.length;
}
