/** Accuracy of a `classify nsmc` model. */
import * as tf from '@tensorflow/tfjs-core';
import { padCollate } from '@wordloom/data';
import { logitsOf, type AnyClassifier } from './model.js';

/** Accuracy of `model` on encoded examples, in batches of similar length. */
export function evaluateAccuracy(
  model: AnyClassifier,
  examples: Array<{ ids: Int32Array; label: number }>,
  padId: number,
  batchSize = 256,
): number {
  if (examples.length === 0) return NaN;
  model.m.eval();
  const collate = padCollate({ padId });
  const order = Array.from(examples.keys()).sort((a, b) => examples[a].ids.length - examples[b].ids.length);
  let correct = 0;
  try {
    for (let s = 0; s < order.length; s += batchSize) {
      const idx = order.slice(s, s + batchSize);
      const b = collate(idx.map((i) => examples[i]));
      const lengths = b.lengths.dataSync() as Int32Array;
      const pred = tf.tidy(() => tf.argMax(logitsOf(model, b, lengths), 1));
      const p = pred.dataSync();
      pred.dispose();
      tf.dispose(b as unknown as tf.TensorContainer);
      idx.forEach((i, k) => {
        if (p[k] === examples[i].label) correct++;
      });
    }
  } finally {
    model.m.train();
  }
  return correct / examples.length;
}
