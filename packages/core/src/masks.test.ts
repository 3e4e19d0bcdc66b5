import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  causalMask,
  checkMaskConvention,
  fillSequenceMask,
  markMask,
  maskConvention,
  paddingMask,
  paddingToAttentionMask,
  sequenceMask,
  setupBackend,
} from './index.js';

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
    expect(() => sequenceMask([1, 5, 2], 4)).toThrow('sequenceMask: lengths[1] = 5 must be an integer in [0, T = 4]');
    expect(() => sequenceMask([1, 2.5])).toThrow('sequenceMask: lengths[1] = 2.5 is not a non-negative integer');
    expect(() => sequenceMask([1, 2], { batchSize: 3, caller: 'attention' })).toThrow(
      'attention: lengths has 2 entries but the batch size is 3',
    );
    expect(() => sequenceMask([1], { padding: 'top' as 'left' })).toThrow("padding = top must be 'right' or 'left'");
    expect(() => sequenceMask([1, -1])).toThrow('lengths[1] = -1');
    expect(sequenceMask([]).shape).toEqual([0, 0]);
  });

  it('fillSequenceMask writes sequenceMask into a reused array, over stale values', () => {
    const lengths = [3, 0, 5, 1];
    for (const padding of ['right', 'left'] as const) {
      const want = sequenceMask(lengths, { maxLen: 6, padding });
      const out = new Float32Array(30).fill(7); // longer than B·T = 24, and stale
      expect(fillSequenceMask(out, lengths, { maxLen: 6, padding })).toBe(6);
      expect(Array.from(out.subarray(0, 24))).toEqual(Array.from(want.dataSync()));
      expect(Array.from(out.subarray(24))).toEqual([7, 7, 7, 7, 7, 7]); // past B·T untouched
      want.dispose();
    }
    const u8 = new Uint8Array(4).fill(9);
    expect(fillSequenceMask(u8, [1, 2])).toBe(2);
    expect(Array.from(u8)).toEqual([1, 0, 1, 1]);
    expect(() => fillSequenceMask(new Int32Array(5), [3, 3])).toThrow(/out has 5 elements, fewer than B × T = 6/);
    expect(() => fillSequenceMask(new Int32Array(8), [3, 5], { maxLen: 4 })).toThrow(/lengths\[1\] = 5/);
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

  it('sequenceMask options: left padding, every dtype; paddingMask is its complement', () => {
    for (const dtype of ['float32', 'int32', 'bool'] as const) {
      const left = sequenceMask([2, 0, 3], { maxLen: 4, dtype, padding: 'left' });
      expect(left.dtype).toBe(dtype);
      expect(Array.from(left.dataSync())).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]);
      const pad = paddingMask([2, 0, 3], { maxLen: 4, dtype });
      expect(pad.dtype).toBe(dtype);
      expect(Array.from(pad.dataSync())).toEqual([0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1]);
      tf.dispose([left, pad]);
    }
    expect(() => paddingMask([3], { maxLen: 2 })).toThrow(
      'paddingMask: lengths[0] = 3 must be an integer in [0, T = 2]',
    );
  });

  it('masks carry their convention, and checkMaskConvention names the expected one', () => {
    const real = sequenceMask([1, 2], 2, 'bool');
    const pad = paddingMask([1, 2], { maxLen: 2, dtype: 'bool' });
    const plain = tf.tensor2d([1, 0, 1, 1], [2, 2], 'bool');
    expect(maskConvention(real)).toBe('real');
    expect(maskConvention(pad)).toBe('padding');
    expect(maskConvention(plain)).toBeUndefined();
    const causal = causalMask(2, 'bool');
    expect(maskConvention(causal)).toBe('real');
    causal.dispose();
    expect(() => checkMaskConvention('f', 'keyPaddingMask', real, 'padding', 'pass it as keyMask')).toThrow(
      "f: keyPaddingMask expects 1/true = padding, masked out (PyTorch's key_padding_mask and bool attn_mask; " +
        'paddingMask), but this mask was made with 1/true = real token, may attend (sequenceMask, causalMask, a ' +
        'collated batch mask); pass it as keyMask',
    );
    expect(() => checkMaskConvention('f', 'mask', pad, 'real')).toThrow('f: mask expects 1/true = real token');
    // Matching or unmarked masks pass.
    checkMaskConvention('f', 'mask', real, 'real');
    checkMaskConvention('f', 'mask', plain, 'padding');
    expect(maskConvention(markMask(plain, 'padding'))).toBe('padding');
    expect(() => markMask(plain, 'keep' as 'real')).toThrow("markMask: convention = keep must be 'real' or 'padding'");
    // paddingToAttentionMask takes 1 = real keys and refuses a padding mask.
    expect(() => paddingToAttentionMask(pad)).toThrow('paddingToAttentionMask: keyMask expects 1/true = real token');
    tf.dispose([real, pad, plain]);
  });
});
