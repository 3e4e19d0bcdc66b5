// Regressions from issue 17 (each test fails without its fix).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from './index.js';
import {
  BPE,
  BertNormalizer,
  ByteFallbackDecoder,
  NormalizedString,
  Tokenizer,
  UnicodeNormalizer,
  VocabError,
  WordLevel,
  WordPiece,
  fromTokenizerJson,
  normalizers,
  preTokenizers,
} from './index.js';
import { readFixtureGz } from '../test/fixtures.js';

const gpt2 = fromTokenizerJson(readFixtureGz('gpt2-tokenizer.json.gz'));

function norm(n: { normalize(s: NormalizedString): void }, text: string): string {
  const s = NormalizedString.fromOriginal(text);
  n.normalize(s);
  return s.normalized;
}

describe('a leading U+FEFF survives decoding (TextDecoder ignoreBOM)', () => {
  it('byte-level BPE', () => {
    for (const t of ['\ufeffBOM', '\ufeff', 'a\ufeffb'])
      expect(gpt2.decode(gpt2.encodeIds(t)), JSON.stringify(t)).toBe(t);
  });
  it('byte fallback', () => {
    expect(new ByteFallbackDecoder().decodeChain(['<0xEF>', '<0xBB>', '<0xBF>', 'B']).join('')).toBe('\ufeffB');
  });
});

describe('NFKC composes compatibility jamo as String.prototype.normalize and HF do', () => {
  it('ㅊㅚ becomes 최 (U+CD5C)', () => {
    expect(norm(new UnicodeNormalizer('NFKC'), 'ㅊㅚ')).toBe('\ucd5c');
    expect(norm(new UnicodeNormalizer('NFKC'), 'ㅎㅏㄴ 가ㅏ ㅊㅚㄱ')).toBe('ㅎㅏㄴ 가ㅏ ㅊㅚㄱ'.normalize('NFKC'));
  });
  it('agrees with String.prototype.normalize on random jamo / syllable / mark strings, all four forms', () => {
    const pool = [...'ㄱㅏㅊㅚㄴㅎㅗ가각최각\u0301\u0308e ﬁ①㈜ᅟᅠ'];
    let seed = 7;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let k = 0; k < 400; k++) {
      let t = '';
      for (let j = rnd(8) + 1; j > 0; j--) t += pool[rnd(pool.length)];
      for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const)
        expect(norm(new UnicodeNormalizer(form), t), `${form} ${JSON.stringify(t)}`).toBe(t.normalize(form));
    }
  });
});

describe('BertNormalizer keeps unassigned code points (HF: is_other has no Cn)', () => {
  it('as HF tokenizers 0.23.2 bertNormalizer({ lowercase: false, stripAccents: false }).normalizeString', () => {
    const n = new BertNormalizer({ lowercase: false, stripAccents: false });
    // HF output measured with the npm binding: Cn kept, Cf (U+200B) and Co (U+E000) removed
    expect(norm(n, 'a\u0378b \ufffe c\u{10ffff}d \u200b e\ue000f')).toBe('a\u0378b \ufffe c\u{10ffff}d  ef');
  });
  it('a word with one then becomes [UNK] in WordPiece', () => {
    const tok = new Tokenizer({
      model: new WordPiece({
        vocab: new Map([
          ['[UNK]', 0],
          ['ab', 1],
          ['x', 2],
        ]),
      }),
      normalizer: new BertNormalizer(),
      preTokenizer: preTokenizers.bert(),
    });
    expect(Array.from(tok.encode('a\u0378b x').ids)).toEqual([0, 2]);
  });
});

describe('added tokens with normalized: true are matched in the normalized text (HF)', () => {
  // expected ids and offsets measured with HF tokenizers 0.23.2 on the same tokenizer.json
  const tok = fromTokenizerJson({
    version: '1.0',
    added_tokens: [
      { id: 3, content: 'Hello World', normalized: true, special: false },
      { id: 4, content: 'Foo', normalized: false, special: false },
    ],
    normalizer: { type: 'Lowercase' },
    pre_tokenizer: { type: 'WhitespaceSplit' },
    model: { type: 'WordLevel', vocab: { '[UNK]': 0, x: 1, foo: 2 }, unk_token: '[UNK]' },
  });
  it.each([
    [
      'HELLO WORLD x',
      [3, 1],
      [
        [0, 11],
        [12, 13],
      ],
    ],
    [
      'hello world Foo FOO',
      [3, 4, 2],
      [
        [0, 11],
        [12, 15],
        [16, 19],
      ],
    ],
    [
      'xHello Worldx',
      [1, 3, 1],
      [
        [0, 1],
        [1, 12],
        [12, 13],
      ],
    ],
  ])('%s', (text, ids, offsets) => {
    const e = tok.encode(text);
    expect(Array.from(e.ids)).toEqual(ids);
    expect(e.offsets.map((o) => [o[0], o[1]])).toEqual(offsets);
  });
  it('addTokens(…) on a lowercasing tokenizer', () => {
    const t = new Tokenizer({
      model: new WordLevel({ vocab: new Map([['<unk>', 0]]), unkToken: '<unk>' }),
      normalizer: normalizers.lowercase(),
      preTokenizer: preTokenizers.whitespaceSplit(),
    });
    t.addTokens(['New York']);
    expect(Array.from(t.encode('NEW YORK!').ids)).toEqual([1, 0]);
  });
});

describe('token ids are validated (VocabError)', () => {
  const bpe = (entries: Array<[string, number]>): BPE => new BPE({ vocab: new Map(entries), merges: [] });
  it('out of range: 2^32 (used to wrap to 0), 2e9 (vocabSize 2,000,000,001), negative, fractional', () => {
    for (const id of [2 ** 32, 2e9, -1, 1.5]) {
      expect(
        () =>
          bpe([
            ['a', 0],
            ['b', id],
          ]),
        String(id),
      ).toThrow(VocabError);
      expect(
        () =>
          bpe([
            ['a', 0],
            ['b', id],
          ]),
        String(id),
      ).toThrow(/^BPE: vocab\["b"\] = .* is out of range/);
    }
    expect(
      bpe([
        ['a', 0],
        ['b', 1000],
      ]).vocabSize,
    ).toBe(1001); // sparse but plausible
  });
  it('duplicate ids', () => {
    expect(() =>
      bpe([
        ['a', 0],
        ['b', 0],
      ]),
    ).toThrow(/^BPE: duplicate id 0: vocab\["a"\] and vocab\["b"\] both have it/);
  });
  it('added tokens colliding with the vocabulary, or with each other', () => {
    const file = (added: unknown[]): Record<string, unknown> => ({
      added_tokens: added,
      model: { type: 'WordLevel', vocab: { '<unk>': 0, a: 1 }, unk_token: '<unk>' },
    });
    expect(() => fromTokenizerJson(file([{ id: 1, content: '<pad>', special: true }]))).toThrow(
      /collides with the model's token "a" of the same id/,
    );
    expect(() => fromTokenizerJson(file([{ id: 5, content: 'a', special: true }]))).toThrow(
      /has id 5 but the model's vocabulary gives it id 1/,
    );
    expect(() =>
      fromTokenizerJson(
        file([
          { id: 2, content: '<s>' },
          { id: 2, content: '</s>' },
        ]),
      ),
    ).toThrow(VocabError);
    expect(() => fromTokenizerJson(file([{ id: 2 ** 32, content: '<s>' }]))).toThrow(/is out of range/);
    expect(fromTokenizerJson(file([{ id: 0, content: '<unk>', special: true }])).vocabSize).toBe(2);
  });
});

describe('encode(text, options) with options.pair; the old encode(text, pair, options) still works', () => {
  const tok = new Tokenizer({
    model: new WordLevel({
      vocab: new Map([
        ['<unk>', 0],
        ['a', 1],
        ['b', 2],
      ]),
      unkToken: '<unk>',
    }),
    preTokenizer: preTokenizers.whitespaceSplit(),
  });
  it('same encoding both ways; encodeIds takes the same options', () => {
    const neu = tok.encode('a b', { pair: 'b a', addSpecialTokens: false });
    const old = tok.encode('a b', 'b a', { addSpecialTokens: false });
    expect(Array.from(neu.ids)).toEqual([1, 2, 2, 1]);
    expect(Array.from(neu.typeIds)).toEqual([0, 0, 1, 1]);
    expect(Array.from(old.ids)).toEqual(Array.from(neu.ids));
    expect(Array.from(old.typeIds)).toEqual(Array.from(neu.typeIds));
    expect(Array.from(tok.encodeIds('a b', { pair: 'b a' }))).toEqual([1, 2, 2, 1]);
    expect(Array.from(tok.encode('a b', undefined, { addSpecialTokens: false }).ids)).toEqual([1, 2]);
  });
  it('refuses a pair given twice', () => {
    expect(() => tok.encode('a', 'b', { pair: 'c' })).toThrow(/^Tokenizer.encode: the pair is given twice/);
  });
});

describe('explicit named exports', () => {
  it('index.ts has no export *', () => {
    expect(readFileSync(new URL('./index.ts', import.meta.url), 'utf8')).not.toMatch(/^export \*/m);
  });
  it('internal helpers are not exported', () => {
    for (const name of ['mapToObject', 'escapeRegExp', 'invertVocab', 'emptyEnc', 'splitBy', 'replaceIn', 'freeze'])
      expect(Object.keys(api), name).not.toContain(name);
    for (const name of ['Tokenizer', 'fromTiktoken', 'fromTokenizerJson', 'VocabError', 'UnsafePatternError'])
      expect(Object.keys(api), name).toContain(name);
  });
});
