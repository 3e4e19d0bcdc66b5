// Trainer tests. Golden: merges and vocab of HF `tokenizers`' BpeTrainer on the committed
// corpus (tooling/golden/tokenizer/train_golden.mjs), compared exactly.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  BPE,
  BertNormalizer,
  BertPreTokenizer,
  ByteLevel,
  ByteLevelDecoder,
  Lowercase,
  NormalizerSequence,
  Tokenizer,
  UnicodeNormalizer,
  Whitespace,
  WordPiece,
  byteLevelAlphabet,
  countWords,
  fromTokenizerJson,
  toTokenizerJson,
  trainBpe,
  trainBpeFromCounts,
  trainWordPiece,
  TemplateProcessing,
  type TrainProgress,
} from './index.js';
import { fixturesDir, readFixture, readFixtureGz, readJson } from '../test/fixtures.js';

const corpusFile = join(fixturesDir, 'train-corpus.txt');
interface TrainGolden {
  merges: Array<[string, string]>;
  vocab: Record<string, number>;
}

describe('BPE trainer matches HF tokenizers (same corpus, HF default settings)', () => {
  it('byte-level BPE: identical merges and vocab', async () => {
    const g = JSON.parse(readFixtureGz('train-golden-bpe-bytelevel.json.gz')) as TrainGolden;
    const r = await trainBpe({ files: [corpusFile] }, { preTokenizer: new ByteLevel() });
    expect(r.merges.length).toBe(g.merges.length);
    expect(r.merges).toEqual(g.merges);
    expect(Object.fromEntries(r.vocab)).toEqual(g.vocab);
  });
  it('char-level BPE (NFKC + lowercase + Whitespace): identical merges and vocab', async () => {
    const g = JSON.parse(readFixtureGz('train-golden-bpe-whitespace-lowercase.json.gz')) as TrainGolden;
    const r = await trainBpe(
      { files: [corpusFile] },
      {
        normalizer: new NormalizerSequence([new UnicodeNormalizer('NFKC'), new Lowercase()]),
        preTokenizer: new Whitespace(),
      },
    );
    expect(r.merges).toEqual(g.merges);
    expect(Object.fromEntries(r.vocab)).toEqual(g.vocab);
  });
  it('WordPiece: same alphabet ids; ≥ 98% of tokens shared (HF itself differs run to run here)', async () => {
    const g = JSON.parse(readFixtureGz('train-golden-wordpiece-bert.json.gz')) as TrainGolden;
    const r = await trainWordPiece(
      { files: [corpusFile] },
      { normalizer: new BertNormalizer(), preTokenizer: new BertPreTokenizer() },
    );
    const alphabet = Object.entries(g.vocab).filter(([k]) => [...k].length === 1);
    for (const [k, v] of alphabet) expect(r.vocab.get(k)).toBe(v);
    let common = 0;
    for (const k of r.vocab.keys()) if (k in g.vocab) common++;
    expect(common / Object.keys(g.vocab).length).toBeGreaterThan(0.98);
    const summary = readJson<Record<string, { hfRunsIdentical: boolean }>>('train-golden-summary.json');
    expect(summary['wordpiece-bert']!.hfRunsIdentical).toBe(false);
  });
});

describe('a tokenizer we train and save loads in HF and encodes identically', () => {
  const golden = readJson<{
    identical: number;
    total: number;
    cases: Array<{ text: string; ids: number[]; tokens: string[]; offsets: Array<[number, number]>; decoded: string }>;
  }>('ours-trained-hf-golden.json');
  const saved = readFixture('ours-trained-tokenizer.json').trim();

  it(`HF reported ${golden.identical}/${golden.total} identical encodings; ours re-checked against HF's`, () => {
    expect(golden.identical).toBe(golden.total);
    const tok = fromTokenizerJson(saved);
    for (const c of golden.cases) {
      const e = tok.encode(c.text, undefined, { allowedSpecial: 'all' });
      expect([Array.from(e.ids), e.tokens, e.offsets]).toEqual([c.ids, c.tokens, c.offsets]);
      expect(tok.decode(e.ids, { skipSpecialTokens: true })).toBe(c.decoded);
    }
  });

  it('training again with the same settings reproduces the saved file byte for byte', async () => {
    const tok = new Tokenizer({
      model: new BPE({ vocab: new Map(), merges: [] }),
      preTokenizer: new ByteLevel(),
      decoder: new ByteLevelDecoder(),
    });
    await tok.train(
      { files: [corpusFile] },
      {
        vocabSize: 2000,
        specialTokens: ['<pad>', '<s>', '</s>'],
        initialAlphabet: byteLevelAlphabet(),
        minFrequency: 2,
      },
    );
    tok.postProcessor = new TemplateProcessing({
      single: '<s> $A </s>',
      pair: '<s> $A </s> $B:1 </s>:1',
      specialTokens: [
        ['<s>', tok.tokenToId('<s>')!],
        ['</s>', tok.tokenToId('</s>')!],
      ],
    });
    expect(toTokenizerJson(tok)).toBe(saved);
  });
});

describe('trainer options and behaviour', () => {
  const counts = new Map([
    ['low', 5],
    ['lower', 2],
    ['newest', 6],
    ['widest', 3],
  ]);

  it('Sennrich et al. example: first merges by count, ties by smaller ids', () => {
    const r = trainBpeFromCounts(counts, { vocabSize: 100 });
    // alphabet ids by code point: d e i l n o r s t w; (e,s) and (s,t) both 9 — (e,s) has
    // smaller ids; then (es,t) 9; (l,o) and (o,w) both 7 — (l,o) wins; then (lo,w) 7
    expect(r.merges.slice(0, 4)).toEqual([
      ['e', 's'],
      ['es', 't'],
      ['l', 'o'],
      ['lo', 'w'],
    ]);
  });

  it('vocabSize caps the vocabulary; special tokens come first', () => {
    const r = trainBpeFromCounts(counts, { vocabSize: 14, specialTokens: ['<pad>', '<unk>'] });
    expect(r.vocab.size).toBe(14);
    expect(r.vocab.get('<pad>')).toBe(0);
    expect(r.vocab.get('<unk>')).toBe(1);
  });

  it('minFrequency stops at rare pairs', () => {
    const r = trainBpeFromCounts(counts, { vocabSize: 100, minFrequency: 6 });
    for (const [a, b] of r.merges) expect(a.length + b.length).toBeGreaterThan(1);
    expect(r.merges.length).toBeLessThan(trainBpeFromCounts(counts, { vocabSize: 100 }).merges.length);
    expect(trainBpeFromCounts(counts, { vocabSize: 100, minFrequency: 100 }).merges).toEqual([]);
  });

  it('initialAlphabet and limitAlphabet', () => {
    const r = trainBpeFromCounts(counts, { vocabSize: 20, initialAlphabet: ['z', 'q'] });
    expect(r.vocab.has('z') && r.vocab.has('q')).toBe(true);
    const lim = trainBpeFromCounts(counts, { vocabSize: 20, limitAlphabet: 5 });
    const alpha = [...lim.vocab.keys()].filter((k) => k.length === 1);
    expect(alpha.length).toBe(5);
    expect(alpha).toContain('e'); // most frequent kept
  });

  it('continuingSubwordPrefix and endOfWordSuffix shape the symbols', () => {
    const p = trainBpeFromCounts(counts, { vocabSize: 40, continuingSubwordPrefix: '##' });
    expect(p.vocab.has('##e')).toBe(true);
    expect([...p.vocab.keys()].some((k) => k.startsWith('##') && k.length > 3)).toBe(true);
    const s = trainBpeFromCounts(counts, { vocabSize: 40, endOfWordSuffix: '</w>' });
    expect(s.vocab.has('t</w>')).toBe(true);
    const model = new BPE({ vocab: s.vocab, merges: s.merges, endOfWordSuffix: '</w>' });
    expect(
      model
        .tokenize('lowest')
        .map((t) => t.value)
        .join(''),
    ).toBe('lowest</w>');
  });

  it('maxTokenLength bounds merged tokens (HF semantics: new pairs need combined length < max)', () => {
    const r = trainBpeFromCounts(counts, { vocabSize: 100, maxTokenLength: 2 });
    expect(r.merges.length).toBeGreaterThan(0);
    for (const k of r.vocab.keys()) expect(k.length).toBeLessThanOrEqual(2);
    const free = trainBpeFromCounts(counts, { vocabSize: 100 });
    expect(Math.max(...[...free.vocab.keys()].map((k) => k.length))).toBeGreaterThan(2);
  });

  it('progress callback reports merges, rate and ETA', () => {
    const seen: TrainProgress[] = [];
    trainBpeFromCounts(counts, { vocabSize: 30, onProgress: (p) => seen.push(p), progressEvery: 2 });
    expect(seen.length).toBeGreaterThan(1);
    const last = seen[seen.length - 1]!;
    expect(last.merges).toBeGreaterThan(0);
    expect(last.totalMerges).toBeGreaterThanOrEqual(last.merges);
    for (const p of seen) expect(p.rate).toBeGreaterThanOrEqual(0);
  });

  it('same input, same output (deterministic)', async () => {
    const lines = readFixture('train-corpus.txt').split('\n').slice(0, 200);
    const a = await trainBpe(lines, { vocabSize: 600, preTokenizer: new ByteLevel() });
    const b = await trainBpe(lines, { vocabSize: 600, preTokenizer: new ByteLevel() });
    expect(a.merges).toEqual(b.merges);
  });

  it('reads strings, iterables, async iterables, files and .gz the same', async () => {
    const text = readFixture('train-corpus.txt');
    const lines = text
      .split('\n')
      .map((l, i, all) => (i < all.length - 1 ? l + '\n' : l))
      .filter((l) => l.length > 0);
    async function* gen(): AsyncGenerator<string> {
      for (const l of lines) yield l;
    }
    const opt = { preTokenizer: new ByteLevel() };
    const fromFile = await countWords({ files: [corpusFile] }, opt);
    expect(await countWords(lines, opt)).toEqual(fromFile);
    expect(await countWords(gen(), opt)).toEqual(fromFile);
    const gzCounts = await countWords(
      { files: [join(fixturesDir, 'bert-base-uncased-vocab.txt.gz')] },
      { preTokenizer: new Whitespace() },
    );
    expect(gzCounts.get('[CLS]')).toBeUndefined(); // Whitespace splits the brackets off
    expect(gzCounts.get('CLS')).toBe(1);
    expect(gzCounts.size).toBeGreaterThan(20000);
    const one = await countWords(text, opt);
    expect([...one.values()].reduce((x, y) => x + y, 0)).toBeGreaterThan(0);
  });

  it('Tokenizer.train with a WordPiece model', async () => {
    const tok = new Tokenizer({
      model: new WordPiece({ vocab: new Map([['[UNK]', 0]]) }),
      normalizer: new BertNormalizer(),
      preTokenizer: new BertPreTokenizer(),
    });
    await tok.train(readFixture('train-corpus.txt').split('\n'), { vocabSize: 800, specialTokens: ['[UNK]', '[PAD]'] });
    expect(tok.model).toBeInstanceOf(WordPiece);
    expect(tok.tokenToId('[UNK]')).toBe(0);
    expect(tok.encode('the village').tokens.join(' ')).toMatch(/the/);
  });

  it('errors: empty corpus, vocab smaller than alphabet + specials', async () => {
    await expect(trainBpe([], {})).rejects.toThrow(/trainBpe: the corpus is empty/);
    await expect(trainBpe(['', ''], { preTokenizer: new Whitespace() })).rejects.toThrow(/corpus is empty/);
    expect(() => trainBpeFromCounts(counts, { vocabSize: 5, specialTokens: ['<pad>'] })).toThrow(
      /trainBpe: vocabSize = 5 is smaller than the 1 special tokens \+ 10 alphabet chars = 11/,
    );
    await expect(trainBpe([42 as unknown as string])).rejects.toThrow(
      /corpus: every item must be a string, got number/,
    );
    await expect(trainBpe({ files: [join(fixturesDir, 'no-such-file.txt')] })).rejects.toThrow(
      /corpus: cannot read .*no-such-file.txt: ENOENT/,
    );
  });
});
