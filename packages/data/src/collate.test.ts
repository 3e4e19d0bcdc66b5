import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { readFileSync } from 'node:fs';
import { maskConvention, setupBackend } from '@wordloom/core';
import { padCollate, seq2seqCollate } from './collate.js';
import { DataLoader } from './loader.js';
import { fromArray } from './dataset.js';

const golden = JSON.parse(readFileSync(new URL('../test/fixtures/torch_golden.json', import.meta.url), 'utf8'));

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('padCollate vs torch DataLoader + pad_sequence collate', () => {
  it('identical ids, lengths, mask, labels for every batch', async () => {
    const c = golden.collate;
    const examples = (c.examples as Array<{ ids: number[]; label: number }>).map((e) => ({
      ids: Int32Array.from(e.ids),
      label: e.label,
    }));
    const loader = new DataLoader({
      dataset: fromArray(examples),
      batchSize: c.batchSize,
      collate: padCollate({ padId: c.padId }),
    });
    expect(loader.length).toBe(c.batches.length);
    let k = 0;
    for await (const b of loader) {
      const g = c.batches[k++];
      expect(b.ids.shape).toEqual(g.shape);
      expect(b.ids.dtype).toBe('int32');
      expect(Array.from(await b.ids.data())).toEqual(g.ids);
      expect(Array.from(await b.lengths.data())).toEqual(g.lengths);
      expect(Array.from(await b.mask.data())).toEqual(g.mask);
      expect(Array.from(await b.labels!.data())).toEqual(g.labels);
      tf.dispose(b);
    }
    expect(k).toBe(c.batches.length);
  });
  it('sortByLength gives torch.sort(stable, descending) permutation and its inverse', () => {
    const c = golden.collate;
    const collate = padCollate({ padId: c.padId, sortByLength: true });
    c.batches.forEach((g: { sortIndices: number[]; unsortIndices: number[]; sortedIds: number[] }, k: number) => {
      const exs = c.examples.slice(k * 3, k * 3 + 3);
      const b = collate(exs);
      expect(Array.from(b.sortIndices!)).toEqual(g.sortIndices);
      expect(Array.from(b.unsortIndices!)).toEqual(g.unsortIndices);
      expect(Array.from(b.ids.dataSync())).toEqual(g.sortedIds);
      // Labels follow the rows.
      expect(Array.from(b.labels!.dataSync())).toEqual(g.sortIndices.map((i) => exs[i].label));
      // unsort restores input order.
      const restored = tf.gather(b.ids, Array.from(b.unsortIndices!));
      const plain = padCollate({ padId: c.padId })(exs);
      expect(Array.from(restored.dataSync())).toEqual(Array.from(plain.ids.dataSync()));
      tf.dispose([restored, b, plain]);
    });
  });
});

describe('padCollate options and errors', () => {
  it('left padding, padToMultipleOf, bool mask, bare arrays, vector labels', () => {
    const b = padCollate({ padId: 7, paddingSide: 'left', padToMultipleOf: 4, maskDtype: 'bool' })([[1, 2, 3], [4]]);
    expect(b.ids.shape).toEqual([2, 4]);
    expect(Array.from(b.ids.dataSync())).toEqual([7, 1, 2, 3, 7, 7, 7, 4]);
    expect(b.mask.dtype).toBe('bool');
    expect(Array.from(b.mask.dataSync())).toEqual([0, 1, 1, 1, 0, 0, 0, 1]);
    // Marked 1 = real token: MultiHeadAttention's keyPaddingMask (1 = padding) refuses it.
    expect(maskConvention(b.mask)).toBe('real');
    expect(b.labels).toBeUndefined();
    const v = padCollate({ padId: 0, labelDtype: 'float32' })([
      { ids: [1], label: [0.5, 1] },
      { ids: [2, 3], label: [0, 0.25] },
    ]);
    expect(v.labels!.shape).toEqual([2, 2]);
    expect(Array.from(v.labels!.dataSync())).toEqual([0.5, 1, 0, 0.25]);
    tf.dispose([b, v]);
  });
  it('per-token labels (labelPadValue) are truncated, sorted and padded like the ids', () => {
    const c = padCollate({ padId: 0, labelPadValue: -100, maxLength: 3, sortByLength: true, paddingSide: 'left' });
    const b = c([
      { ids: [5], label: [1] },
      { ids: [6, 7, 8, 9], label: [2, 3, 4, 5] },
    ]);
    expect(b.ids.arraySync()).toEqual([
      [6, 7, 8],
      [0, 0, 5],
    ]);
    expect(b.labels!.arraySync()).toEqual([
      [2, 3, 4],
      [-100, -100, 1],
    ]);
    tf.dispose(b);
    const before = tf.memory().numTensors;
    expect(() => c([{ ids: [1, 2], label: [1] }])).toThrow(/examples\[0\]\.label has length 1, its ids have length 2/);
    expect(() => c([{ ids: [1] }])).toThrow(/examples\[0\]\.label is missing/);
    expect(tf.memory().numTensors).toBe(before);
    expect(() => padCollate({ padId: 0, labelPadValue: 0.5 })).toThrow(/labelPadValue must be an integer/);
  });
  it('errors name the example and field', () => {
    const c = padCollate({ padId: 0 });
    expect(() => c([{ ids: [1, 2] }, { ids: [1, 2.5] }])).toThrow(
      /padCollate: examples\[1\]\.ids\[1\] = 2.5 is not an int32 integer/,
    );
    expect(() => c([{ ids: [1] }, {} as never])).toThrow(/examples\[1\]\.ids is missing/);
    expect(() => c([{ ids: [1], label: 1 }, { ids: [2] }])).toThrow(/examples\[1\]\.label is missing/);
    expect(() => c([{ ids: [1], label: 0.5 }])).toThrow(/examples\[0\]\.label = 0.5 is not an integer/);
    expect(() => c([])).toThrow(/empty batch/);
    expect(() => padCollate({ padId: 0, maxLength: 0 })).toThrow(/maxLength must be an integer >= 1, got 0/);
    expect(() => padCollate({} as never)).toThrow(/padValue must be an integer id, got undefined/);
  });
  it('a failing collate leaks no tensors', () => {
    const before = tf.memory().numTensors;
    expect(() =>
      padCollate({ padId: 0 })([
        { ids: [1], label: 1 },
        { ids: [2], label: 2.5 },
      ]),
    ).toThrow(/label = 2.5/);
    expect(() => padCollate({ padId: 0, maxLength: 1, truncation: 'error' })([{ ids: [1, 2], label: 1 }])).toThrow(
      /truncation is 'error'/,
    );
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('seq2seqCollate', () => {
  it('decoder input = bos + target, decoder target = target + eos, padded with padId', () => {
    const c = seq2seqCollate({ padId: 0, bosId: 1, eosId: 2 });
    const b = c([
      { source: [5, 6, 7], target: [8, 9] },
      { source: [10], target: [11, 12, 13] },
    ]);
    expect(b.sourceIds.arraySync()).toEqual([
      [5, 6, 7],
      [10, 0, 0],
    ]);
    expect(b.sourceLengths.arraySync()).toEqual([3, 1]);
    expect(b.sourceMask.arraySync()).toEqual([
      [1, 1, 1],
      [1, 0, 0],
    ]);
    expect([maskConvention(b.sourceMask), maskConvention(b.targetMask)]).toEqual(['real', 'real']);
    expect(b.decoderInput.arraySync()).toEqual([
      [1, 8, 9, 0],
      [1, 11, 12, 13],
    ]);
    expect(b.decoderTarget.arraySync()).toEqual([
      [8, 9, 2, 0],
      [11, 12, 13, 2],
    ]);
    expect(b.targetLengths.arraySync()).toEqual([3, 4]);
    expect(b.targetMask.arraySync()).toEqual([
      [1, 1, 1, 0],
      [1, 1, 1, 1],
    ]);
    tf.dispose(b);
  });
  it('targetMaxLength keeps bos/eos; sortByLength sorts by source length', () => {
    const c = seq2seqCollate({ padId: 0, bosId: 1, eosId: 2, targetMaxLength: 3, sortByLength: true });
    const b = c([
      { source: [5], target: [8, 9, 10, 11] },
      { source: [6, 7], target: [12] },
    ]);
    expect(Array.from(b.sortIndices!)).toEqual([1, 0]);
    expect(Array.from(b.unsortIndices!)).toEqual([1, 0]);
    expect(b.sourceIds.arraySync()).toEqual([
      [6, 7],
      [5, 0],
    ]);
    expect(b.decoderInput.arraySync()).toEqual([
      [1, 12, 0],
      [1, 8, 9],
    ]);
    expect(b.decoderTarget.arraySync()).toEqual([
      [12, 2, 0],
      [8, 9, 2],
    ]);
    tf.dispose(b);
    expect(() => c([{ source: [1] } as never])).toThrow(/examples\[0\]\.target is missing/);
    expect(() => seq2seqCollate({ padId: 0, bosId: 1 } as never)).toThrow(/eosId must be an integer id/);
  });
});
