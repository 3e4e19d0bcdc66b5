/** Argument checks shared by the layers: errors name the function, the argument, expected and actual. */
import * as tf from '@tensorflow/tfjs-core';

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export function checkPositiveInt(fn: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw new Error(`${fn}: ${name} must be a positive integer, got ${String(v)}`);
  }
  return v;
}

/** Lengths from `lengths` or a prefix `mask`, checked against B and T. */
export function resolveLengths(
  fn: string,
  batch: number,
  steps: number,
  lengths: ArrayLike<number> | tf.Tensor | undefined,
  mask: tf.Tensor | ArrayLike<ArrayLike<number>> | undefined,
): Int32Array {
  if (lengths !== undefined && mask !== undefined) {
    throw new Error(`${fn}: give lengths or mask, not both`);
  }
  if (lengths !== undefined) {
    let vals: ArrayLike<number>;
    if (lengths instanceof tf.Tensor) {
      if (lengths.rank !== 1)
        throw new Error(`${fn}: lengths must be rank 1 [B], got shape ${shapeStr(lengths.shape)}`);
      vals = lengths.dataSync();
    } else {
      vals = lengths;
    }
    if (vals.length !== batch)
      throw new Error(`${fn}: lengths has ${vals.length} entries but the batch has B = ${batch}`);
    const out = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      const v = vals[b];
      if (!Number.isInteger(v)) throw new Error(`${fn}: lengths[${b}] = ${v} is not an integer`);
      if (v < 1) throw new Error(`${fn}: lengths[${b}] = ${v} must be >= 1 (empty sequences have no final state)`);
      if (v > steps) throw new Error(`${fn}: lengths[${b}] = ${v} exceeds T = ${steps}`);
      out[b] = v;
    }
    return out;
  }
  if (mask !== undefined) {
    let data: ArrayLike<number>;
    if (mask instanceof tf.Tensor) {
      if (mask.rank !== 2 || mask.shape[0] !== batch || mask.shape[1] !== steps) {
        throw new Error(
          `${fn}: mask must have shape [B, T] = ${shapeStr([batch, steps])}, got ${shapeStr(mask.shape)}`,
        );
      }
      data = mask.dataSync();
    } else {
      if (mask.length !== batch) throw new Error(`${fn}: mask has ${mask.length} rows but the batch has B = ${batch}`);
      const flat = new Float32Array(batch * steps);
      for (let b = 0; b < batch; b++) {
        const row = mask[b];
        if (row.length !== steps) throw new Error(`${fn}: mask[${b}] has ${row.length} entries but T = ${steps}`);
        for (let t = 0; t < steps; t++) flat[b * steps + t] = row[t];
      }
      data = flat;
    }
    const out = new Int32Array(batch);
    for (let b = 0; b < batch; b++) {
      let len = 0;
      while (len < steps && data[b * steps + len] !== 0) len++;
      for (let t = len; t < steps; t++) {
        if (data[b * steps + t] !== 0) {
          throw new Error(
            `${fn}: mask row ${b} is not a prefix of ones (1 at t = ${t} after 0 at t = ${len}); right-padded batches only`,
          );
        }
      }
      if (len === 0)
        throw new Error(`${fn}: mask row ${b} is all zeros (length 0); every sequence needs >= 1 real step`);
      out[b] = len;
    }
    return out;
  }
  return new Int32Array(batch).fill(steps);
}
