import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildVocab, encodeCorpus, negativeCumTable, readSentences, subsampleThresholds } from './corpus.js';
import { fixture } from '../test/fixture-path.js';

async function all<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

describe('readSentences', () => {
  it('reads strings, token arrays, async iterables, files and .gz files alike', async () => {
    expect(await all(readSentences(['  a b\tc ', ['d', 'e']]))).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    async function* gen(): AsyncGenerator<string> {
      yield 'X y';
    }
    expect(await all(readSentences(gen(), { lowercase: true }))).toEqual([['x', 'y']]);
    const dir = mkdtempSync(join(tmpdir(), 'wl-emb-'));
    writeFileSync(join(dir, 'c.txt'), 'a b\n\nc d e\n');
    writeFileSync(join(dir, 'c.txt.gz'), gzipSync('a b\n\nc d e\n'));
    const expected = [['a', 'b'], [], ['c', 'd', 'e']];
    expect(await all(readSentences(join(dir, 'c.txt')))).toEqual(expected);
    expect(await all(readSentences(join(dir, 'c.txt.gz')))).toEqual(expected);
  });

  it('rejects sentences that are neither strings nor arrays', async () => {
    await expect(all(readSentences([42 as unknown as string]))).rejects.toThrow(/readSentences: every sentence/);
  });
});

describe('buildVocab / encodeCorpus', () => {
  it('sorts by frequency (ties by first appearance) and applies minCount / maxVocabSize', async () => {
    const v = await buildVocab(['b a c a', 'c a d __proto__ __proto__'], { minCount: 2 });
    expect(v.words).toEqual(['a', 'c', '__proto__']);
    expect(Array.from(v.counts)).toEqual([3, 2, 2]);
    expect(v.totalWords).toBe(7);
    expect(v.id('__proto__')).toBe(2);
    const v2 = await buildVocab(['b a c a', 'c a d'], { minCount: 1, maxVocabSize: 2 });
    expect(v2.words).toEqual(['a', 'c']);
  });

  it('encodes ids, drops rare words and cuts long sentences', async () => {
    const enc = await encodeCorpus(['x a a b', 'a b b y', 'a a a a a'], { minCount: 2, maxSentenceLength: 3 });
    expect(enc.vocab.words).toEqual(['a', 'b']);
    expect(Array.from(enc.ids)).toEqual([0, 0, 1, 0, 1, 1, 0, 0, 0, 0, 0]);
    expect(Array.from(enc.sentenceStarts)).toEqual([0, 3, 6, 9, 11]);
    expect(enc.rawTokens).toBe(13);
  });

  it('errors on an empty corpus and when every word is under minCount', async () => {
    await expect(encodeCorpus([])).rejects.toThrow(/encodeCorpus: the corpus is empty/);
    await expect(buildVocab(['', '  '])).rejects.toThrow(/buildVocab: the corpus is empty/);
    await expect(encodeCorpus(['a b c', 'a'], { minCount: 3 })).rejects.toThrow(
      /every word is under minCount = 3 \(3 distinct words, the most frequent occurs 2 times\)/,
    );
    await expect(buildVocab(['a'], { minCount: 0 })).rejects.toThrow(/minCount must be an integer >= 1, got 0/);
  });
});

describe('gensim 4.2 golden: vocabulary, sample_int, cum_table (fixtures/vocab-gensim.json)', () => {
  const golden = JSON.parse(readFileSync(fixture('vocab-gensim.json'), 'utf8')) as {
    minCount: number;
    bySample: Record<string, { words: string[]; counts: number[]; sampleInt: number[]; cumTable: number[] }>;
  };

  it('has the same words and counts as gensim on the NSMC excerpt', async () => {
    const v = await buildVocab(fixture('nsmc.excerpt.txt'), { minCount: golden.minCount });
    const g = golden.bySample['0.001']!;
    expect(v.size).toBe(g.words.length);
    const ours = new Map(v.words.map((w, i) => [w, v.counts[i]!]));
    g.words.forEach((w, i) => expect(ours.get(w)).toBe(g.counts[i]));
    // counts are non-increasing in id order, as gensim's
    for (let i = 1; i < v.size; i++) expect(v.counts[i]!).toBeLessThanOrEqual(v.counts[i - 1]!);
  });

  it("computes exactly gensim's integer subsampling thresholds for sample = 1e-3, 1e-2, 0 and 5", () => {
    for (const [sample, g] of Object.entries(golden.bySample)) {
      const ours = subsampleThresholds(g.counts, Number(sample));
      expect(Array.from(ours)).toEqual(g.sampleInt);
    }
  });

  it("computes exactly gensim's negative-sampling cum_table", () => {
    const g = golden.bySample['0.001']!;
    expect(Array.from(negativeCumTable(g.counts, 0.75))).toEqual(g.cumTable);
  });
});

describe('readSentences on a bad file', () => {
  const collect = async (path: string): Promise<number> => {
    let n = 0;
    for await (const s of readSentences(path)) n += s.length;
    return n;
  };

  it('a corrupt or truncated .gz: an error naming the file and the problem (not zlib\'s "invalid block type")', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-corpus-gz-'));
    const gz = gzipSync(readFileSync(fixture('nsmc.excerpt.txt')));
    const corrupt = Buffer.from(gz);
    for (let i = 12; i < 40; i++) corrupt[i] ^= 0x5a;
    writeFileSync(join(dir, 'corrupt.txt.gz'), corrupt);
    await expect(collect(join(dir, 'corrupt.txt.gz'))).rejects.toThrow(
      new RegExp(`^readSentences: "${dir}/corrupt\\.txt\\.gz": corrupt gzip data \\(zlib: .+\\)$`, 'u'),
    );
    writeFileSync(join(dir, 'cut.txt.gz'), gz.subarray(0, gz.length >> 1));
    await expect(collect(join(dir, 'cut.txt.gz'))).rejects.toThrow(
      `readSentences: "${dir}/cut.txt.gz": the gzip data ends early (truncated file) (zlib: unexpected end of file)`,
    );
    await expect(collect(join(dir, 'missing.txt'))).rejects.toThrow(
      `readSentences: cannot read "${dir}/missing.txt": ENOENT`,
    );
    // and a good .gz still reads to the end
    writeFileSync(join(dir, 'good.txt.gz'), gz);
    expect(await collect(join(dir, 'good.txt.gz'))).toBe(await collect(fixture('nsmc.excerpt.txt')));
  });
});
