import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { padSequences, unpadSequences } from './pad.js';

const golden = JSON.parse(readFileSync(new URL('../test/fixtures/torch_golden.json', import.meta.url), 'utf8'));

describe('padSequences vs torch pad_sequence', () => {
  for (const c of golden.padSequence as Array<{
    name: string;
    seqs: number[][];
    padValue: number;
    shape: number[];
    right: number[];
    left: number[];
  }>) {
    it(`${c.name}: right padding equals pad_sequence(batch_first=True)`, () => {
      const p = padSequences(
        c.seqs.map((s) => Int32Array.from(s)),
        { padValue: c.padValue },
      );
      expect(p.shape).toEqual(c.shape);
      expect(Array.from(p.data)).toEqual(c.right);
      expect(Array.from(p.lengths)).toEqual(c.seqs.map((s) => s.length));
    });
    it(`${c.name}: left padding equals the flip emulation`, () => {
      const p = padSequences(c.seqs, { padValue: c.padValue, paddingSide: 'left' });
      expect(Array.from(p.data)).toEqual(c.left);
    });
  }
});

describe('padSequences options', () => {
  const seqs = [Int32Array.of(1, 2, 3, 4, 5), Int32Array.of(6, 7), Int32Array.of()];
  it('truncates right (default) and left at maxLength', () => {
    expect(Array.from(padSequences(seqs, { padValue: 0, maxLength: 3 }).data)).toEqual([1, 2, 3, 6, 7, 0, 0, 0, 0]);
    expect(Array.from(padSequences(seqs, { padValue: 0, maxLength: 3, truncation: 'left' }).data)).toEqual([
      3, 4, 5, 6, 7, 0, 0, 0, 0,
    ]);
    expect(Array.from(padSequences(seqs, { padValue: 0, maxLength: 3 }).lengths)).toEqual([3, 2, 0]);
  });
  it("padding 'maxLength' pads beyond the longest; padToMultipleOf rounds T up", () => {
    expect(padSequences([[1]], { padValue: 9, maxLength: 4, padding: 'maxLength' }).shape).toEqual([1, 4]);
    const p = padSequences(seqs, { padValue: 9, padToMultipleOf: 4 });
    expect(p.shape).toEqual([3, 8]);
    expect(Array.from(p.data.subarray(0, 8))).toEqual([1, 2, 3, 4, 5, 9, 9, 9]);
  });
  it('float32 dtype keeps fractions', () => {
    const p = padSequences([[0.5, 1.5], [2.5]], { padValue: -1, dtype: 'float32' });
    expect(p.data).toBeInstanceOf(Float32Array);
    expect(Array.from(p.data)).toEqual([0.5, 1.5, 2.5, -1]);
  });
  it('errors: non-integer ids, maxLength < 1, empty batch, missing padValue, truncation error', () => {
    expect(() => padSequences([[1, 2.5]], { padValue: 0 })).toThrow(/seqs\[0\]\[1\] = 2.5 is not an int32 integer/);
    expect(() => padSequences([Float32Array.of(1, NaN)], { padValue: 0 })).toThrow(/seqs\[0\]\[1\] = NaN/);
    expect(() => padSequences([[1]], { padValue: 0, maxLength: 0 })).toThrow(
      /maxLength must be an integer >= 1, got 0/,
    );
    expect(() => padSequences([], { padValue: 0 })).toThrow(/empty batch/);
    expect(() => padSequences([[1]], {} as never)).toThrow(/padValue must be an integer id/);
    expect(() => padSequences([[1]], undefined as never)).toThrow(/padValue are required/);
    expect(() => padSequences([[1, 2]], { padValue: 0, maxLength: 1, truncation: 'error' })).toThrow(
      /length 2 > maxLength 1/,
    );
    expect(() => padSequences(['ab'] as never, { padValue: 0 })).toThrow(/seqs\[0\] must be an array/);
  });
});

describe('padSequences properties', () => {
  const seqsArb = fc.array(fc.array(fc.integer({ min: -5, max: 1000 }), { maxLength: 12 }), {
    minLength: 1,
    maxLength: 8,
  });
  it('pad then unpad is the identity (both sides, any pad value, any multiple)', () => {
    fc.assert(
      fc.property(
        seqsArb,
        fc.integer({ min: -3, max: 3 }),
        fc.constantFrom<'left' | 'right'>('left', 'right'),
        fc.integer({ min: 1, max: 5 }),
        (seqs, padValue, side, m) => {
          const p = padSequences(seqs, { padValue, paddingSide: side, padToMultipleOf: m });
          expect(p.shape[1] % m).toBe(0);
          const back = unpadSequences(p, { paddingSide: side });
          expect(back.map((a) => Array.from(a))).toEqual(seqs);
        },
      ),
    );
  });
  it('every padded cell holds padValue', () => {
    fc.assert(
      fc.property(seqsArb, fc.integer({ min: 1, max: 6 }), (seqs, maxLength) => {
        const p = padSequences(seqs, { padValue: -7, maxLength });
        const [B, T] = p.shape;
        for (let i = 0; i < B; i++) for (let t = p.lengths[i]; t < T; t++) expect(p.data[i * T + t]).toBe(-7);
        expect(T).toBeLessThanOrEqual(maxLength);
      }),
    );
  });
});
