import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { causalMask, sequenceMask, setupBackend } from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('masks', () => {
  it('sequenceMask from arrays and tensors, all dtypes', () => {
    const m = sequenceMask([2, 0, 3]);
    expect(m.shape).toEqual([3, 3]);
    expect(m.dtype).toBe('float32');
    expect(Array.from(m.dataSync())).toEqual([1, 1, 0, 0, 0, 0, 1, 1, 1]);
    const lens = tf.tensor1d([1, 2], 'int32');
    const mi = sequenceMask(lens, 4, 'int32');
    expect(mi.dtype).toBe('int32');
    expect(mi.arraySync()).toEqual([
      [1, 0, 0, 0],
      [1, 1, 0, 0],
    ]);
    const mb = sequenceMask(Int32Array.from([1]), 2, 'bool');
    expect(mb.dtype).toBe('bool');
    expect(Array.from(mb.dataSync())).toEqual([1, 0]);
    tf.dispose([m, lens, mi, mb]);
  });

  it('sequenceMask errors name the offending length', () => {
    expect(() => sequenceMask([1, 5, 2], 4)).toThrow('sequenceMask: lengths[1] = 5 exceeds maxLen = 4');
    expect(() => sequenceMask([1, -1])).toThrow('lengths[1] = -1');
    expect(sequenceMask([]).shape).toEqual([0, 0]);
  });

  it('causalMask is lower-triangular', () => {
    const c = causalMask(3);
    expect(c.arraySync()).toEqual([
      [1, 0, 0],
      [1, 1, 0],
      [1, 1, 1],
    ]);
    c.dispose();
    expect(() => causalMask(-1)).toThrow(/T = -1/);
  });
});
