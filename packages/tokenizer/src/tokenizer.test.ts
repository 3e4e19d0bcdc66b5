// Tokenizer: special-token registry, added tokens, encodeBatch padding/truncation, decodeBatch.
// Truncation and padding follow HF `tokenizers` (utils/truncation.rs, utils/padding.rs).
import { describe, expect, it } from 'vitest';
import { BertProcessing, Tokenizer, WhitespaceSplit, WordLevel, type SpecialTokens } from './index.js';

const words = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
function makeTok(
  specialTokens: SpecialTokens = { pad: '[PAD]', unk: '[UNK]', cls: '[CLS]', sep: '[SEP]', mask: '[MASK]' },
): Tokenizer {
  return new Tokenizer({
    model: new WordLevel({ vocab: new Map(words.map((w, i) => [w, i])), unkToken: '[UNK]' }),
    preTokenizer: new WhitespaceSplit(),
    postProcessor: new BertProcessing(['[SEP]', 3], ['[CLS]', 2]),
    specialTokens,
  });
}
const ids = (x: Int32Array): number[] => Array.from(x);

describe('special tokens and added tokens', () => {
  it('ids are looked up from the registry', () => {
    const tok = makeTok();
    expect(tok.specialTokenId('pad')).toBe(0);
    expect(tok.specialTokenId('mask')).toBe(4);
    expect(() => makeTok({ unk: '[UNK]' }).specialTokenId('pad')).toThrow(
      /no 'pad' token is registered \(registered: unk\)/,
    );
  });
  it('special-token text is plain text unless allowed', () => {
    const tok = makeTok();
    // as plain text, 'a[MASK]b' is one whitespace word, unknown to the vocabulary
    expect(tok.encode('a[MASK]b', undefined, { addSpecialTokens: false }).tokens).toEqual(['[UNK]']);
    expect(tok.encode('a[MASK]b', undefined, { addSpecialTokens: false, allowedSpecial: 'all' }).tokens).toEqual([
      'a',
      '[MASK]',
      'b',
    ]);
    expect(tok.encode('a[MASK]b', undefined, { addSpecialTokens: false, allowedSpecial: ['[CLS]'] }).tokens).toEqual([
      '[UNK]',
    ]);
    expect(tok.encode('a[MASK]b', undefined, { addSpecialTokens: false, allowedSpecial: ['[MASK]'] }).tokens).toEqual([
      'a',
      '[MASK]',
      'b',
    ]);
  });
  it('added tokens are matched before pre-tokenization and never split; new ones get ids after the vocabulary', () => {
    const tok = makeTok();
    expect(tok.addTokens(['new token', 'a'])).toBe(1);
    expect(tok.tokenToId('new token')).toBe(13);
    expect(tok.tokenToId('a')).toBe(5);
    const e = tok.encode('xnew tokeny a', undefined, { addSpecialTokens: false });
    expect(e.tokens).toEqual(['[UNK]', 'new token', '[UNK]', 'a']);
    expect(e.offsets).toEqual([
      [0, 1],
      [1, 10],
      [10, 11],
      [12, 13],
    ]);
    expect(tok.vocabSize).toBe(14);
    expect(tok.getVocab().get('new token')).toBe(13);
  });
  it('lstrip / rstrip / singleWord', () => {
    const tok = makeTok();
    tok.addTokens(['<m>'], { lstrip: true, rstrip: true });
    tok.addTokens(['ab'], { singleWord: true });
    const e = tok.encode('a  <m>  b', undefined, { addSpecialTokens: false });
    expect(e.tokens).toEqual(['a', '<m>', 'b']);
    expect(e.offsets[1]).toEqual([1, 8]);
    expect(tok.encode('ab xaby', undefined, { addSpecialTokens: false }).tokens).toEqual(['ab', '[UNK]']);
  });
});

describe('encodeBatch: padding', () => {
  const tok = makeTok();
  it("'longest', right side, masks", () => {
    const b = tok.encodeBatch(['a b c', 'a'], { padding: 'longest' });
    expect(b.ids.map(ids)).toEqual([
      [2, 5, 6, 7, 3],
      [2, 5, 3, 0, 0],
    ]);
    expect(Array.from(b.attentionMask[1]!)).toEqual([1, 1, 1, 0, 0]);
    expect(Array.from(b.specialTokensMask[1]!)).toEqual([1, 0, 1, 1, 1]);
    expect(b.encodings[1]!.tokens).toEqual(['[CLS]', 'a', '[SEP]', '[PAD]', '[PAD]']);
  });
  it("'max_length', padToMultipleOf, left side", () => {
    const b = tok.encodeBatch(['a b', 'a'], { padding: 'max_length', maxLength: 6, paddingSide: 'left' });
    expect(b.ids.map(ids)).toEqual([
      [0, 0, 2, 5, 6, 3],
      [0, 0, 0, 2, 5, 3],
    ]);
    const m = tok.encodeBatch(['a b c', 'a'], { padding: 'longest', padToMultipleOf: 8 });
    expect(m.ids.map((x) => x.length)).toEqual([8, 8]);
  });
  it('pairs in a batch', () => {
    const b = tok.encodeBatch([['a', 'b c'], 'd'], { padding: 'longest' });
    expect(b.ids.map(ids)).toEqual([
      [2, 5, 3, 6, 7, 3],
      [2, 8, 3, 0, 0, 0],
    ]);
    expect(Array.from(b.typeIds[0]!)).toEqual([0, 0, 0, 1, 1, 1]);
  });
  it('errors: no pad token, max_length without maxLength', () => {
    expect(() => makeTok({ unk: '[UNK]' }).encodeBatch(['a'], { padding: 'longest' })).toThrow(
      /padding needs a 'pad' special token/,
    );
    expect(() => tok.encodeBatch(['a'], { padding: 'max_length' })).toThrow(/'max_length' needs maxLength/);
  });
});

describe('encodeBatch: truncation', () => {
  const tok = makeTok();
  it('single sequence: maxLength counts the special tokens', () => {
    const b = tok.encodeBatch(['a b c d e f'], { truncation: 'longest_first', maxLength: 5 });
    expect(ids(b.ids[0]!)).toEqual([2, 5, 6, 7, 3]);
  });
  it('longest_first on a pair shortens the longer first', () => {
    const b = tok.encodeBatch([['a b c d e f', 'g h']], { truncation: 'longest_first', maxLength: 8 });
    expect(b.encodings[0]!.tokens).toEqual(['[CLS]', 'a', 'b', 'c', '[SEP]', 'g', 'h', '[SEP]']);
    const even = tok.encodeBatch([['a b c d', 'e f g h']], { truncation: 'longest_first', maxLength: 7 });
    expect(even.encodings[0]!.tokens).toEqual(['[CLS]', 'a', 'b', '[SEP]', 'e', 'f', '[SEP]']);
  });
  it('only_first / only_second', () => {
    const f = tok.encodeBatch([['a b c d', 'e f']], { truncation: 'only_first', maxLength: 7 });
    expect(f.encodings[0]!.tokens).toEqual(['[CLS]', 'a', 'b', '[SEP]', 'e', 'f', '[SEP]']);
    const s = tok.encodeBatch([['a b', 'c d e f']], { truncation: 'only_second', maxLength: 7 });
    expect(s.encodings[0]!.tokens).toEqual(['[CLS]', 'a', 'b', '[SEP]', 'c', 'd', '[SEP]']);
    expect(() => tok.encodeBatch([['a', 'c d e f']], { truncation: 'only_first', maxLength: 5 })).toThrow(
      /must remove 3 tokens but that sequence has only 1/,
    );
    expect(() => tok.encodeBatch(['a b c'], { truncation: 'only_second', maxLength: 3 })).toThrow(
      /'only_second' needs a pair/,
    );
  });
  it('stride: overflowing windows overlap by stride tokens, each with the template', () => {
    const b = tok.encodeBatch(['a b c d e f g'], { truncation: 'longest_first', maxLength: 5, stride: 1 });
    const e = b.encodings[0]!;
    expect(e.tokens).toEqual(['[CLS]', 'a', 'b', 'c', '[SEP]']);
    expect(e.overflowing.map((o) => o.tokens)).toEqual([
      ['[CLS]', 'c', 'd', 'e', '[SEP]'],
      ['[CLS]', 'e', 'f', 'g', '[SEP]'],
    ]);
    expect(e.overflowing[0]!.offsets[1]).toEqual([4, 5]);
  });
  it('left truncation keeps the end', () => {
    const b = tok.encodeBatch(['a b c d'], {
      truncation: { strategy: 'longest_first', direction: 'left' },
      maxLength: 4,
    });
    expect(b.encodings[0]!.tokens).toEqual(['[CLS]', 'c', 'd', '[SEP]']);
  });
  it('truncation then padding', () => {
    const b = tok.encodeBatch(['a b c d e', 'a'], { truncation: 'longest_first', maxLength: 4, padding: 'max_length' });
    expect(b.ids.map(ids)).toEqual([
      [2, 5, 6, 3],
      [2, 5, 3, 0],
    ]);
  });
  it('errors: truncation without maxLength, maxLength below the added tokens, stride too big', () => {
    expect(() => tok.encodeBatch(['a'], { truncation: 'longest_first' })).toThrow(/truncation needs maxLength/);
    expect(() => tok.encodeBatch(['a'], { truncation: 'longest_first', maxLength: 1 })).toThrow(
      /maxLength = 1 is smaller than the 2 special tokens/,
    );
    expect(() => tok.encodeBatch(['a b c d'], { truncation: 'longest_first', maxLength: 4, stride: 2 })).toThrow(
      /stride = 2 must be smaller than maxLength = 2/,
    );
  });
});

describe('decodeBatch', () => {
  it('skips pads and specials when asked', () => {
    const tok = makeTok();
    const b = tok.encodeBatch(['a b', 'c'], { padding: 'longest' });
    expect(tok.decodeBatch(b.ids, { skipSpecialTokens: true })).toEqual(['a b', 'c']);
    expect(tok.decodeBatch(b.ids)).toEqual(['[CLS] a b [SEP]', '[CLS] c [SEP] [PAD]']);
  });
});
