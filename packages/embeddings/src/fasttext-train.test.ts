import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { continueFastText, readFastTextBin, trainFastText, writeFastTextBin, type TrainProgress } from './index.js';
import { fixture } from '../test/fixture-path.js';

const reviews = readFileSync(fixture('nsmc.excerpt.txt'), 'utf8').trim().split('\n');
const base = { vectorSize: 16, minCount: 3, epochs: 2, bucket: 20000, seed: 3 } as const;

function cos(a: Float32Array, b: Float32Array): number {
  let s = 0;
  let na = 0;
  let nb = 0;
  for (let k = 0; k < a.length; k++) {
    s += a[k]! * b[k]!;
    na += a[k]! * a[k]!;
    nb += b[k]! * b[k]!;
  }
  return s / Math.sqrt(na * nb);
}

describe('trainFastText', () => {
  it('skip-gram: seeded runs are identical; OOV words get n-gram vectors close to their stems', async () => {
    const a = await trainFastText(reviews, { ...base, sg: true });
    const b = await trainFastText(reviews, { ...base, sg: true });
    expect(Array.from(a.wv.vectorsNgrams.subarray(0, 64))).toEqual(Array.from(b.wv.vectorsNgrams.subarray(0, 64)));
    expect(a.wv.has('영화')).toBe(true);
    expect(a.wv.has('영화관에서는')).toBe(false);
    const c = await trainFastText(reviews, { ...base, sg: true, epochs: 10 });
    const oov = c.wv.get('영화관에서는');
    expect(
      c.wv
        .mostSimilar('영화관에서는')
        .slice(0, 5)
        .some((n) => n.word.startsWith('영화')),
    ).toBe(true);
    // an unseen word sharing n-grams with a known one is nearer to it than to an unrelated word
    expect(cos(oov, c.wv.get('영화'))).toBeGreaterThan(cos(oov, c.wv.get('배우')));
    // more epochs, lower loss
    expect(c.stats.loss).toBeLessThan(a.stats.loss - 0.01);
    expect(a.stats.effectiveWords).toBeGreaterThan(5000);
  });

  it('CBOW and hierarchical softmax train; the result writes a .bin that reads back', async () => {
    const r = await trainFastText(reviews, { ...base, sg: false, hs: true, negative: 0 });
    expect(r.syn1).toBeDefined();
    expect(r.args).toMatchObject({ loss: 'hs', model: 'cbow', minn: 3, maxn: 6, bucket: 20000, dim: 16 });
    const back = readFastTextBin(writeFastTextBin(r.wv, r));
    expect(Array.from(back.wv.get('영화'))).toEqual(Array.from(r.wv.get('영화')));
    expect(Array.from(back.wv.get('없는영화'))).toEqual(Array.from(r.wv.get('없는영화')));
  });

  it('maxn < minn trains word vectors only (bucket 0)', async () => {
    const r = await trainFastText(reviews, { ...base, sg: true, maxn: 0 });
    expect(r.wv.bucket).toBe(0);
    expect(() => r.wv.get('영화관에서는')).toThrow(/no character n-grams/);
  });

  it('wordTransform applies to the corpus and to lookups', async () => {
    // a jamo-like decomposition of the test's own (initial, medial, final or U+2205 for none)
    const split = (w: string): string =>
      Array.from(w, (ch) => {
        const c = ch.codePointAt(0)! - 0xac00;
        if (c < 0 || c > 11171) return ch;
        const t = c % 28;
        return String.fromCodePoint(
          0x1100 + Math.floor(c / 588),
          0x1161 + Math.floor((c % 588) / 28),
          t === 0 ? 0x2205 : 0x11a7 + t,
        );
      }).join('');
    const r = await trainFastText(reviews, { ...base, sg: true, wordTransform: split });
    expect(r.vocab.words.includes(split('영화'))).toBe(true);
    expect(r.vocab.words.includes('영화')).toBe(false);
    expect(r.wv.has('영화')).toBe(true);
    expect(Array.from(r.wv.get('영화'))).toEqual(Array.from(r.wv.kv.get(split('영화'))));
    await expect(
      trainFastText(
        { vocab: r.vocab, ids: new Int32Array(1), sentenceStarts: Int32Array.of(0, 1), rawTokens: 1 },
        {
          wordTransform: split,
        },
      ),
    ).rejects.toThrow(/wordTransform cannot apply to an EncodedCorpus/);
  });

  it('reports progress, aborts with the signal’s reason, runs in 2 workers', async () => {
    const seen: TrainProgress[] = [];
    const r = await trainFastText(reviews, { ...base, sg: true, onProgress: (p) => seen.push(p), progressEveryMs: 0 });
    expect(seen.at(-1)!.progress).toBe(1);
    expect(r.stats.rawWords).toBe(seen.at(-1)!.words);
    const ac = new AbortController();
    await expect(
      trainFastText(reviews, {
        ...base,
        sg: true,
        epochs: 50,
        signal: ac.signal,
        onProgress: () => ac.abort(new Error('stop!')),
        progressEveryMs: 0,
      }),
    ).rejects.toThrow('stop!');
    const w2 = await trainFastText(reviews, { ...base, sg: true, workers: 2 });
    expect(w2.stats.effectiveWords).toBeGreaterThan(5000);
    expect(w2.wv.vectorsNgrams.every(Number.isFinite)).toBe(true);
  });

  it('rejects bad options', async () => {
    await expect(trainFastText(reviews, { minn: 0 })).rejects.toThrow(/minn must be an integer >= 1, got 0/);
    await expect(trainFastText(reviews, { hs: false, negative: 0 })).rejects.toThrow(/nothing to train/);
    await expect(trainFastText([], {})).rejects.toThrow(/corpus is empty/);
  });
});

describe('continueFastText', () => {
  it('adds new words with vectors, keeps old ids and rows’ meaning, and leaves the first model alone', async () => {
    const first = reviews.slice(0, 1000);
    const more = reviews.slice(1000);
    const a = await trainFastText(first, { ...base, sg: true });
    const before = a.wv.kv.vectors.slice();
    const b = await continueFastText(a, more, { epochs: 2 });
    expect(Array.from(a.wv.kv.vectors)).toEqual(Array.from(before)); // not modified
    expect(b.newWords).toBeGreaterThan(0);
    expect(b.vocab.size).toBe(a.vocab.size + b.newWords);
    expect(b.vocab.words.slice(0, a.vocab.size)).toEqual(a.vocab.words);
    const added = b.vocab.words[a.vocab.size]!;
    expect(a.wv.has(added)).toBe(false);
    expect(b.wv.has(added)).toBe(true);
    // counts: old words grew by their counts in the new text
    const i = a.vocab.index.get('영화')!;
    expect(b.counts[i]).toBeGreaterThan(a.counts[i]!);
    // old words moved but stayed recognisably themselves
    let mean = 0;
    for (let w = 0; w < a.vocab.size; w++) {
      mean += cos(a.wv.kv.vectors.subarray(w * 16, w * 16 + 16), b.wv.kv.vectors.subarray(w * 16, w * 16 + 16));
    }
    mean /= a.vocab.size;
    expect(mean).toBeGreaterThan(0.5);
    expect(mean).toBeLessThan(0.9999);
    await expect(continueFastText({ ...a, options: { ...a.options, hs: true } }, more)).rejects.toThrow(
      /hierarchical softmax is not supported/,
    );
  });
});
