import { describe, expect, it } from 'vitest';
import { encodeCorpus } from './corpus.js';
import { huffmanTree, sigmoidTables, trainWord2Vec, unigramTable, type TrainProgress } from './word2vec.js';
import { xorshiftStream } from './internal/util.js';

/** Two topics: words of a topic co-occur, never across topics. */
function topicCorpus(sentences: number, seed: number): string[][] {
  const rnd = xorshiftStream(seed);
  const A = ['cat', 'dog', 'pet', 'fur', 'paw', 'vet'];
  const B = ['car', 'road', 'tire', 'gas', 'wheel', 'drive'];
  const out: string[][] = [];
  for (let s = 0; s < sentences; s++) {
    const topic = s % 2 === 0 ? A : B;
    const sent: string[] = [];
    for (let t = 0; t < 8; t++) sent.push(topic[Math.floor(rnd() * topic.length)]!);
    out.push(sent);
  }
  return out;
}

function margin(wv: { similarity(a: string, b: string): number }): number {
  const within = (wv.similarity('cat', 'dog') + wv.similarity('car', 'road') + wv.similarity('pet', 'fur')) / 3;
  const across = (wv.similarity('cat', 'car') + wv.similarity('dog', 'road') + wv.similarity('pet', 'gas')) / 3;
  return within - across;
}

describe('word2vec building blocks', () => {
  it('Huffman tree as word2vec.c: prefix-free codes, frequent words get short codes', () => {
    const counts = [40, 30, 20, 6, 3, 1];
    const { codes, points, codeOffsets } = huffmanTree(counts);
    const strs = counts.map((_, w) => Array.from(codes.subarray(codeOffsets[w], codeOffsets[w + 1])).join(''));
    // hand-built Huffman: merges (1,3)=4, (4,6)=10, (10,20)=30, (30,30)=60, (40,60)=100
    expect(strs.map((s) => s.length)).toEqual([1, 2, 3, 4, 5, 5]);
    for (let a = 0; a < strs.length; a++)
      for (let b = 0; b < strs.length; b++) if (a !== b) expect(strs[b]!.startsWith(strs[a]!)).toBe(false);
    // every path starts at the root (inner node V-2) and uses only inner nodes
    for (let w = 0; w < counts.length; w++) expect(points[codeOffsets[w]!]).toBe(counts.length - 2);
    expect(Math.max(...points)).toBeLessThanOrEqual(counts.length - 2);
    expect(Math.min(...points)).toBeGreaterThanOrEqual(0);
    expect(huffmanTree([5]).codes.length).toBe(0);
  });

  it("sigmoid table is word2vec.c's expTable", () => {
    const { expTable, logTable } = sigmoidTables();
    expect(expTable.length).toBe(1001);
    expect(expTable[500]).toBeCloseTo(0.5, 7);
    expect(expTable[0]).toBeCloseTo(1 / (1 + Math.exp(6)), 7);
    expect(logTable[500]).toBeCloseTo(Math.log(0.5), 6);
  });

  it('unigram table follows count^0.75', () => {
    const t = unigramTable([81, 16, 1], 0.75, 100000);
    const share = [0, 0, 0];
    for (const w of t) share[w]!++;
    const z = 27 + 8 + 1;
    expect(share[0]! / t.length).toBeCloseTo(27 / z, 3);
    expect(share[1]! / t.length).toBeCloseTo(8 / z, 3);
    expect(share[2]! / t.length).toBeCloseTo(1 / z, 3);
  });
});

describe('trainWord2Vec', () => {
  const corpus = topicCorpus(600, 7);

  for (const [name, opts] of [
    ['skip-gram + negative sampling', { sg: true }],
    ['CBOW (mean) + negative sampling', { sg: false }],
    ['skip-gram + hierarchical softmax', { sg: true, hs: true, negative: 0 }],
    // (CBOW sum + negative sampling does not separate this 12-word toy corpus — nor does gensim's: margin 0.02)
    ['CBOW (sum) + hierarchical softmax', { sg: false, hs: true, negative: 0, cbowMean: false }],
    ['CBOW (mean) + hierarchical softmax + negative', { sg: false, hs: true }],
  ] as const) {
    it(`${name} separates the two topics`, async () => {
      const r = await trainWord2Vec(corpus, {
        vectorSize: 16,
        minCount: 1,
        sample: 0,
        epochs: 5,
        alpha: 0.05,
        ...opts,
      });
      expect(r.wv.size).toBe(12);
      expect(margin(r.wv)).toBeGreaterThan(0.3);
      expect(Number.isFinite(r.stats.loss)).toBe(true);
      expect(r.syn1 !== undefined).toBe(opts.hs === true);
    });
  }

  it('is bit-reproducible with 1 worker and a seed; another seed differs', async () => {
    const o = { vectorSize: 8, minCount: 1, epochs: 2, sg: true, sample: 0.01 };
    const a = await trainWord2Vec(corpus, { ...o, seed: 3 });
    const b = await trainWord2Vec(corpus, { ...o, seed: 3 });
    const c = await trainWord2Vec(corpus, { ...o, seed: 4 });
    expect(b.wv.vectors).toEqual(a.wv.vectors);
    expect(c.wv.vectors).not.toEqual(a.wv.vectors);
  });

  it('trains with 2 Hogwild workers (not bit-reproducible) and reports progress', async () => {
    const enc = await encodeCorpus(corpus, { minCount: 1 });
    const seen: TrainProgress[] = [];
    const r = await trainWord2Vec(enc, {
      vectorSize: 16,
      sample: 0,
      epochs: 5,
      alpha: 0.05,
      sg: true,
      workers: 2,
      progressEveryMs: 1,
      onProgress: (p) => seen.push(p),
    });
    expect(margin(r.wv)).toBeGreaterThan(0.3);
    expect(r.stats.rawWords).toBe(5 * enc.ids.length);
    const last = seen[seen.length - 1]!;
    expect(last.progress).toBe(1);
    expect(last.words).toBe(5 * enc.ids.length);
    expect(last.wordsPerSec).toBeGreaterThan(0);
    expect(last.alpha).toBeCloseTo(0.0001, 10);
  });

  it('progress: words/s, ETA and a running loss that falls', async () => {
    const big = topicCorpus(3000, 9);
    const seen: TrainProgress[] = [];
    await trainWord2Vec(big, {
      vectorSize: 16,
      minCount: 1,
      sample: 0,
      epochs: 3,
      sg: true,
      progressEveryMs: 0,
      onProgress: (p) => seen.push(p),
    });
    expect(seen.length).toBeGreaterThan(3);
    const first = seen.find((p) => Number.isFinite(p.loss))!;
    const last = seen[seen.length - 2]!;
    expect(last.loss).toBeLessThan(first.loss);
    expect(seen[1]!.etaSeconds).toBeGreaterThan(0);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.words).toBeGreaterThanOrEqual(seen[i - 1]!.words);
  });

  it('stops when its signal is aborted, rejecting with the reason', async () => {
    const big = await encodeCorpus(topicCorpus(3000, 4), { minCount: 1 }); // 24,000 words: ~3 jobs an epoch
    const opts = { vectorSize: 16, sample: 0, epochs: 40, sg: true };
    // already aborted: nothing is trained
    await expect(trainWord2Vec(big, { ...opts, signal: AbortSignal.abort(new Error('not today')) })).rejects.toThrow(
      'not today',
    );
    // 1 worker: aborted from onProgress (called after every job with progressEveryMs 0)
    const c1 = new AbortController();
    const seen1: number[] = [];
    const one = trainWord2Vec(big, {
      ...opts,
      workers: 1,
      progressEveryMs: 0,
      signal: c1.signal,
      onProgress: (p) => {
        seen1.push(p.progress);
        if (p.progress > 0.05) c1.abort();
      },
    });
    await expect(one).rejects.toMatchObject({ name: 'AbortError' });
    expect(seen1[seen1.length - 1]).toBeLessThan(0.1); // no report after the job that saw the abort
    // 2 workers: aborted from outside while they train
    const c2 = new AbortController();
    const seen2: number[] = [];
    const two = trainWord2Vec(big, {
      ...opts,
      workers: 2,
      progressEveryMs: 5,
      signal: c2.signal,
      onProgress: (p) => {
        seen2.push(p.progress);
        if (p.progress > 0.05) c2.abort(new Error('enough'));
      },
    });
    await expect(two).rejects.toThrow('enough');
    expect(seen2.length).toBeGreaterThan(0);
    expect(Math.max(...seen2)).toBeLessThan(0.5); // it stopped, far from the end of 40 epochs
  });

  it('bad input: empty corpus, every word under minCount, nothing to train', async () => {
    await expect(trainWord2Vec([])).rejects.toThrow(/the corpus is empty/);
    await expect(trainWord2Vec([['a', 'b']], { minCount: 2 })).rejects.toThrow(/every word is under minCount = 2/);
    await expect(trainWord2Vec(corpus, { negative: 0 })).rejects.toThrow(/trainWord2Vec: negative = 0 and hs = false/);
    await expect(trainWord2Vec(corpus, { window: 0 })).rejects.toThrow(
      /trainWord2Vec: window must be an integer >= 1, got 0/,
    );
  });
});
