/**
 * fastText skip-gram against a plain-JS transcription of gensim 4.2's training step
 * (`fasttext_inner.pyx`: `fasttext_train_any` → `fasttext_fast_sentence_sg_hs`), run on the same
 * initial rows and learning rates. Hierarchical softmax, window 1 and no subsampling leave no
 * random draw in the run, so the two must agree update for update: the hidden vector is the
 * center word's rows summed and divided by its number of n-gram rows (gensim's `norm_factor`;
 * its own row alone when it has none), recomputed for every context word; the error goes to
 * every row, once per occurrence. Our sigmoid table is word2vec's (1,000 entries over ±6; gensim's
 * fastText module uses 512 over ±8), so the reference reads ours.
 */
import { describe, expect, it } from 'vitest';
import { encodeCorpus } from './corpus.js';
import { ngramHashes } from './fasttext.js';
import { trainFastText } from './fasttext-train.js';
import { fillUniformRows } from './internal/util.js';
import { huffmanTree, sigmoidTables } from './word2vec.js';

// "a" has no n-gram of 4–5 characters ("<a>"), "ab" one, the rest several; 13 buckets make
// collisions, so some words list a row twice
const text = [
  'banana band a bandana nab ab',
  'a banana ban band bandana a',
  'nab a bandanas banana ab band',
  'bandana ab nab banana a ban',
  'band a ab bandanas ban nab banana',
];
const D = 8;
const opts = { minn: 4, maxn: 5, bucket: 13, alpha: 0.5, minAlpha: 0.01, epochs: 2, seed: 5 };

describe('trainFastText skip-gram vs gensim 4.2 fasttext_fast_sentence_sg_hs (transcribed)', () => {
  it('gives the same word rows, n-gram rows and output rows', async () => {
    const enc = await encodeCorpus(
      text.map((l) => l.split(' ')),
      { minCount: 1 },
    );
    const r = await trainFastText(enc, {
      ...opts,
      sg: true,
      hs: true,
      negative: 0,
      window: 1,
      sample: 0,
      vectorSize: D,
      workers: 1,
      computeLoss: false,
    });

    const { vocab, ids, sentenceStarts } = enc;
    const V = vocab.size;
    const { bucket, minn, maxn, alpha, minAlpha, epochs, seed } = opts;
    const syn0 = new Float32Array((V + bucket) * D);
    fillUniformRows(syn0, 0, V + bucket, D, D, seed, 2, D); // the trainer's init: uniform ±1/D
    const syn1 = new Float32Array((V - 1) * D);
    const tree = huffmanTree(vocab.counts);
    const { expTable } = sigmoidTables();
    const rows = vocab.words.map((w, i) => [i, ...Array.from(ngramHashes(w, minn, maxn, bucket), (h) => V + h)]);
    expect(rows.some((rs) => rs.length === 1)).toBe(true); // "a"
    expect(rows.some((rs) => new Set(rs).size < rs.length)).toBe(true); // a row listed twice

    const total = ids.length;
    const l1 = new Float64Array(D);
    const work = new Float64Array(D);
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let s = 0; s + 1 < sentenceStarts.length; s++) {
        const a = sentenceStarts[s]!;
        const b = sentenceStarts[s + 1]!;
        // learning rate by corpus position over all epochs (the kernel sets it per sentence)
        const lr = Math.fround(
          Math.max(minAlpha, alpha - ((alpha - minAlpha) * (epoch * total + a)) / (epochs * total)),
        );
        for (let i = a; i < b; i++) {
          const word2 = rows[ids[i]!]!;
          for (const j of [i - 1, i + 1]) {
            if (j < a || j >= b) continue;
            const w = ids[j]!;
            // l1 = (word row + Σ n-gram rows) / number of n-gram rows
            l1.fill(0);
            for (const q of word2) for (let k = 0; k < D; k++) l1[k]! += syn0[q * D + k]!;
            if (word2.length > 1) for (let k = 0; k < D; k++) l1[k]! /= word2.length - 1;
            work.fill(0);
            for (let p = tree.codeOffsets[w]!; p < tree.codeOffsets[w + 1]!; p++) {
              const row = tree.points[p]! * D;
              let f = 0;
              for (let k = 0; k < D; k++) f += l1[k]! * syn1[row + k]!;
              if (f <= -6 || f >= 6) continue;
              // the table index as the kernel computes it, in float32 (at f = 0: 500, where float64 gives 499)
              const idx = Math.trunc(Math.fround(Math.fround(Math.fround(f) + 6) * Math.fround(83.333333333)));
              const g = Math.fround((1 - tree.codes[p]! - expTable[idx]!) * lr);
              for (let k = 0; k < D; k++) {
                work[k]! += g * syn1[row + k]!;
                syn1[row + k] = syn1[row + k]! + g * l1[k]!;
              }
            }
            for (const q of word2) for (let k = 0; k < D; k++) syn0[q * D + k] = syn0[q * D + k]! + work[k]!;
          }
        }
      }
    }

    const close = (got: Float32Array, want: Float32Array): void => {
      expect(got.length).toBe(want.length);
      let worst = 0;
      for (let k = 0; k < want.length; k++) worst = Math.max(worst, Math.abs(got[k]! - want[k]!));
      expect(worst).toBeLessThan(1e-6); // measured 7e-8 (float32 rounding)
    };
    // the rows really moved (the test is not comparing two untrained inits)
    let moved = 0;
    const init = new Float32Array(V * D);
    fillUniformRows(init, 0, V, D, D, seed, 2, D);
    for (let k = 0; k < V * D; k++) moved = Math.max(moved, Math.abs(r.wv.vectorsVocab[k]! - init[k]!));
    expect(moved).toBeGreaterThan(0.05);
    close(r.wv.vectorsVocab, syn0.subarray(0, V * D));
    close(r.wv.vectorsNgrams, syn0.subarray(V * D));
    close(r.syn1!, syn1);
  });
});
