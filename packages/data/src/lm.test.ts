import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { setupBackend } from '@wordloom/core';
import { bpttBatches, lmChunkTensors, packCollate, packSequences } from './lm.js';

const golden = JSON.parse(readFileSync(new URL('../test/fixtures/torch_golden.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('bpttBatches vs word_language_model batchify/get_batch', () => {
  for (const c of golden.bptt.cases as Array<{
    batchSize: number;
    seqLen: number;
    chunks: Array<{ shape: number[]; input: number[]; target: number[] }>;
  }>) {
    it(`B=${c.batchSize} T=${c.seqLen}`, () => {
      const ds = bpttBatches(Int32Array.from(golden.bptt.stream), { batchSize: c.batchSize, seqLen: c.seqLen });
      expect(ds.length).toBe(c.chunks.length);
      c.chunks.forEach((g, i) => {
        const ch = ds.get(i);
        expect(ch.shape).toEqual(g.shape);
        expect(Array.from(ch.input)).toEqual(g.input);
        expect(Array.from(ch.target)).toEqual(g.target);
      });
    });
  }
  it('row b of chunk i+1 continues row b of chunk i', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 300 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 9 }),
        (n, B, T) => {
          if (Math.floor(n / B) < 2) return;
          const ds = bpttBatches(
            Int32Array.from({ length: n }, (_, i) => i),
            { batchSize: B, seqLen: T },
          );
          const L = Math.floor(n / B);
          for (let b = 0; b < B; b++) {
            const row: number[] = [];
            for (let i = 0; i < ds.length; i++) {
              const { input, shape } = ds.get(i);
              row.push(...input.subarray(b * shape[1], (b + 1) * shape[1]));
            }
            expect(row).toEqual(Array.from({ length: L - 1 }, (_, t) => b * L + t));
          }
        },
      ),
    );
  });
  it('tensors and errors', () => {
    const ds = bpttBatches([1, 2, 3, 4, 5, 6], { batchSize: 2, seqLen: 2 });
    const t = lmChunkTensors(ds.get(0));
    expect(t.input.arraySync()).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(t.target.arraySync()).toEqual([
      [2, 3],
      [5, 6],
    ]);
    tf.dispose([t.input, t.target]);
    expect(() => bpttBatches([1, 2, 3], { batchSize: 2, seqLen: 2 })).toThrow(/need at least 2/);
    expect(() => bpttBatches([1, 2, 3.5], { batchSize: 1, seqLen: 2 })).toThrow(/tokens\[2\] = 3.5/);
    expect(() => bpttBatches([1, 2, 3], { batchSize: 0, seqLen: 2 })).toThrow(/batchSize must be an integer >= 1/);
  });
});

describe('packing', () => {
  it('packs greedily in order with segments, restarting positions, in-document targets', () => {
    const p = packSequences([[1, 2, 3], [4, 5], [6, 7, 8, 9], [10]], { maxLength: 5, padId: 0 });
    expect(p.shape).toEqual([2, 5]);
    expect(Array.from(p.ids)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(Array.from(p.segmentIds)).toEqual([1, 1, 1, 2, 2, 1, 1, 1, 1, 2]);
    expect(Array.from(p.positions)).toEqual([0, 1, 2, 0, 1, 0, 1, 2, 3, 0]);
    expect(Array.from(p.targets)).toEqual([2, 3, -100, 5, -100, 7, 8, 9, -100, -100]);
    const q = packSequences([[1, 2, 3, 4, 5, 6, 7]], { maxLength: 3, padId: 9 });
    expect(Array.from(q.ids)).toEqual([1, 2, 3, 4, 5, 6, 7, 9, 9]);
    expect(Array.from(q.segmentIds)).toEqual([1, 1, 1, 1, 1, 1, 1, 0, 0]);
    expect(Array.from(packSequences([[1, 2, 3, 4]], { maxLength: 2, padId: 0, overflow: 'truncate' }).ids)).toEqual([
      1, 2,
    ]);
    expect(() => packSequences([[1, 2, 3]], { maxLength: 2, padId: 0, overflow: 'error' })).toThrow(
      /length 3 > maxLength 2/,
    );
  });
  it('property: every token kept, in order, no document crosses a row', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.integer({ min: 1, max: 99 }), { maxLength: 7 }), { minLength: 1, maxLength: 10 }),
        fc.integer({ min: 1, max: 8 }),
        (docs, L) => {
          const p = packSequences(docs, { maxLength: L, padId: 0 });
          const real = Array.from(p.ids).filter((_, i) => p.segmentIds[i] !== 0);
          expect(real).toEqual(docs.flat());
        },
      ),
    );
  });
  it('packCollate: block-diagonal causal attention mask and tensors', () => {
    const b = packCollate({ maxLength: 4, padId: 0 })([{ ids: [1, 2] }, [3]]);
    expect(b.ids.arraySync()).toEqual([[1, 2, 3, 0]]);
    expect(b.mask.arraySync()).toEqual([[1, 1, 1, 0]]);
    expect(b.attentionMask!.arraySync()).toEqual([
      [
        [1, 0, 0, 0],
        [1, 1, 0, 0],
        [0, 0, 1, 0],
        [0, 0, 0, 0],
      ],
    ]);
    const bi = packCollate({ maxLength: 4, padId: 0, attention: 'bidirectional' })([[1, 2], [3]]);
    expect(bi.attentionMask!.arraySync()[0][0]).toEqual([1, 1, 0, 0]);
    const none = packCollate({ maxLength: 4, padId: 0, attention: 'none' })([[1]]);
    expect(none.attentionMask).toBeUndefined();
    tf.dispose([b, bi, none]);
    expect(() => packCollate({ maxLength: 4, padId: 0 })([{} as never])).toThrow(/examples\[0\]\.ids is missing/);
  });
});
