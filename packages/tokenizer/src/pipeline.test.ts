// Unit tests of the pipeline pieces: normalizers, pre-tokenizers, models, post-processors, decoders.
import { describe, expect, it } from 'vitest';
import {
  BPE,
  BPEDecoder,
  BertNormalizer,
  BertPreTokenizer,
  ByteFallbackDecoder,
  ByteLevel,
  ByteLevelDecoder,
  Digits,
  Lowercase,
  Metaspace,
  MetaspaceDecoder,
  NormalizedString,
  NormalizerSequence,
  PreTokenizerSequence,
  Prepend,
  Punctuation,
  Replace,
  Split,
  Strip,
  StripAccents,
  TemplateProcessing,
  Tokenizer,
  UnicodeNormalizer,
  Whitespace,
  WhitespaceSplit,
  WordLevel,
  WordPiece,
  WordPieceDecoder,
  charLevel,
  fromTokenizerJson,
  toTokenizerJson,
  type Normalizer,
  type PreTokenizer,
} from './index.js';

const norm = (n: Normalizer, s: string): NormalizedString => {
  const ns = NormalizedString.fromOriginal(s);
  n.normalize(ns);
  return ns;
};
const words = (p: PreTokenizer, s: string): string[] =>
  p.preTokenize([NormalizedString.fromOriginal(s)]).map((w) => w.normalized);
const vocabOf = (tokens: string[]): Map<string, number> => new Map(tokens.map((t, i) => [t, i]));

describe('normalizers', () => {
  const hangul = '한국어 텍스트';
  it('NFD splits Hangul syllables into jamo; NFC after NFD rejoins them exactly', () => {
    const d = norm(new UnicodeNormalizer('NFD'), hangul);
    expect(d.normalized).toBe(hangul.normalize('NFD'));
    expect(d.normalized.length).toBeGreaterThan(hangul.length);
    const round = norm(new NormalizerSequence([new UnicodeNormalizer('NFD'), new UnicodeNormalizer('NFC')]), hangul);
    expect(round.normalized).toBe(hangul);
    // every jamo of 한 aligns to the syllable
    expect(d.originalRange(0, 3)).toEqual([0, 1]);
  });
  it('Hangul survives NFC, NFKC, NFKD→NFC, lowercase and strip accents (NFD + StripAccents + NFC)', () => {
    for (const n of [
      new UnicodeNormalizer('NFC'),
      new UnicodeNormalizer('NFKC'),
      new NormalizerSequence([new UnicodeNormalizer('NFKD'), new UnicodeNormalizer('NFC')]),
      new Lowercase(),
      new NormalizerSequence([new UnicodeNormalizer('NFD'), new StripAccents(), new UnicodeNormalizer('NFC')]),
    ]) {
      expect(norm(n, hangul).normalized).toBe(hangul);
    }
  });
  it('strip accents keeps alignment to the original', () => {
    const ns = norm(
      new NormalizerSequence([new UnicodeNormalizer('NFD'), new StripAccents(), new Lowercase()]),
      'Café Été',
    );
    expect(ns.normalized).toBe('cafe ete');
    expect(ns.originalRange(3, 4)).toEqual([3, 4]);
    expect(ns.originalRange(5, 8)).toEqual([5, 8]);
  });
  it('NFKC folds compatibility characters (ﬁ → fi, full-width → ASCII)', () => {
    const ns = norm(new UnicodeNormalizer('NFKC'), 'ﬁne ＡＢ');
    expect(ns.normalized).toBe('fine AB');
    expect(ns.originalRange(0, 2)).toEqual([0, 1]);
  });
  it('replace (string and regex), strip, prepend', () => {
    expect(norm(new Replace({ pattern: '``', content: '"' }), 'a``b``').normalized).toBe('a"b"');
    expect(norm(new Replace({ pattern: { regex: '\\s+' }, content: ' ' }), 'a \t\n b').normalized).toBe('a b');
    const st = norm(new Strip(), '  hi  ');
    expect(st.normalized).toBe('hi');
    expect(st.originalRange(0, 2)).toEqual([2, 4]);
    expect(norm(new Prepend('▁'), 'x').normalized).toBe('▁x');
    expect(norm(new Prepend('▁'), '').normalized).toBe('');
  });
  it('BERT normalizer: controls removed, whitespace to space, CJK padded, accents stripped, lowercased', () => {
    const ns = norm(new BertNormalizer(), 'Héllo\u0000\tWORLD中文');
    expect(ns.normalized).toBe('hello world 中  文 ');
    expect(ns.originalRange(0, 5)).toEqual([0, 5]);
  });
});

describe('pre-tokenizers', () => {
  it('whitespace (\\w+|[^\\w\\s]+) and whitespace split', () => {
    expect(words(new Whitespace(), 'Hey friend!  How are you?!?')).toEqual([
      'Hey',
      'friend',
      '!',
      'How',
      'are',
      'you',
      '?!?',
    ]);
    expect(words(new WhitespaceSplit(), 'Hey friend!  How')).toEqual(['Hey', 'friend!', 'How']);
  });
  it('BERT: whitespace and every punctuation char', () => {
    expect(words(new BertPreTokenizer(), "don't stop... ok")).toEqual(['don', "'", 't', 'stop', '.', '.', '.', 'ok']);
  });
  it('punctuation and digits', () => {
    expect(words(new Punctuation(), 'a,b')).toEqual(['a', ',', 'b']);
    expect(words(new Punctuation({ behavior: 'mergedWithPrevious' }), 'a,b,')).toEqual(['a,', 'b,']);
    expect(words(new Punctuation({ behavior: 'mergedWithNext' }), 'a,b')).toEqual(['a', ',b']);
    expect(words(new Punctuation({ behavior: 'removed' }), 'a,b')).toEqual(['a', 'b']);
    expect(words(new Digits(), 'abc123d4')).toEqual(['abc', '123', 'd', '4']);
    expect(words(new Digits({ individualDigits: true }), 'a123')).toEqual(['a', '1', '2', '3']);
  });
  it('split with a regex and contiguous behaviour', () => {
    expect(words(new Split({ pattern: { regex: '-' }, behavior: 'contiguous' }), 'a--b-c')).toEqual([
      'a',
      '--',
      'b',
      '-',
      'c',
    ]);
    expect(words(new Split({ pattern: { regex: '\\d' }, behavior: 'isolated', invert: true }), 'ab1')).toEqual([
      'ab',
      '1',
    ]);
  });
  it('GPT-2 byte level with and without prefix space', () => {
    expect(words(new ByteLevel(), "Hello world's  end")).toEqual(['Hello', 'Ġworld', "'s", 'Ġ', 'Ġend']);
    expect(words(new ByteLevel({ addPrefixSpace: true }), 'Hello')).toEqual(['ĠHello']);
    expect(words(new ByteLevel({ useRegex: false }), 'a b')).toEqual(['aĠb']);
    const ko = new ByteLevel().preTokenize([NormalizedString.fromOriginal('한')])[0]!;
    expect(ko.normalized.length).toBe(3); // 3 UTF-8 bytes
    expect(ko.originalRange(1, 2)).toEqual([0, 1]);
  });
  it('Metaspace (sentencepiece style) and its decoder', () => {
    const m = new Metaspace();
    expect(words(m, 'Hello my friend')).toEqual(['▁Hello', '▁my', '▁friend']);
    expect(words(new Metaspace({ prependScheme: 'never' }), 'Hi there')).toEqual(['Hi', '▁there']);
    expect(words(new Metaspace({ split: false }), 'Hi there')).toEqual(['▁Hi▁there']);
    expect(new MetaspaceDecoder().decodeChain(['▁Hello', '▁my']).join('')).toBe('Hello my');
  });
  it('sequence', () => {
    expect(
      words(new PreTokenizerSequence([new WhitespaceSplit(), new Digits({ individualDigits: true })]), 'ab12 c'),
    ).toEqual(['ab', '1', '2', 'c']);
  });
});

describe('models', () => {
  it('WordPiece: greedy longest match with ##, unknown word, max chars', () => {
    const wp = new WordPiece({
      vocab: vocabOf(['[UNK]', 'un', '##aff', '##able', 'una', '##ff']),
      maxInputCharsPerWord: 10,
    });
    expect(wp.tokenize('unaffable').map((t) => t.value)).toEqual(['una', '##ff', '##able']);
    expect(wp.tokenize('unaffable').map((t) => [t.start, t.end])).toEqual([
      [0, 3],
      [3, 5],
      [5, 9],
    ]);
    expect(wp.tokenize('unx').map((t) => t.value)).toEqual(['[UNK]']);
    expect(wp.tokenize('unaffableunaffable').map((t) => t.value)).toEqual(['[UNK]']);
  });
  it('BPE char level with unk, fused unk, byte fallback, suffix', () => {
    const vocab = vocabOf(['<unk>', 'a', 'b', 'ab', 'c', '<0x78>', '<0xC3>', '<0xA9>']);
    const merges: Array<[string, string]> = [['a', 'b']];
    expect(new BPE({ vocab, merges, unkToken: '<unk>' }).tokenize('abxyc').map((t) => t.value)).toEqual([
      'ab',
      '<unk>',
      '<unk>',
      'c',
    ]);
    expect(new BPE({ vocab, merges, unkToken: '<unk>', fuseUnk: true }).tokenize('abxyc').map((t) => t.value)).toEqual([
      'ab',
      '<unk>',
      'c',
    ]);
    expect(
      new BPE({ vocab, merges, unkToken: '<unk>', byteFallback: true }).tokenize('xé').map((t) => t.value),
    ).toEqual(['<0x78>', '<0xC3>', '<0xA9>']);
    expect(new BPE({ vocab, merges }).tokenize('axb').map((t) => t.value)).toEqual(['ab']); // no unk: x dropped, then a+b merge, as HF
    const dec = new ByteFallbackDecoder().decodeChain(['<0xC3>', '<0xA9>', 'x']).join('');
    expect(dec).toBe('éx');
  });
  it('BPE end-of-word suffix and its decoder', () => {
    const vocab = vocabOf(['l', 'o', 'w</w>', 'lo', 'low</w>', 'e', 'r</w>']);
    const bpe = new BPE({
      vocab,
      merges: [
        ['l', 'o'],
        ['lo', 'w</w>'],
      ],
      endOfWordSuffix: '</w>',
    });
    expect(bpe.tokenize('low').map((t) => t.value)).toEqual(['low</w>']);
    expect(new BPEDecoder().decodeChain(['low</w>', 'lo', 'w</w>']).join('')).toBe('low low');
  });
  it('word level and char level', () => {
    const wl = new WordLevel({ vocab: vocabOf(['<unk>', 'hello', 'world']) });
    expect(wl.tokenize('hello')[0]!.id).toBe(1);
    expect(wl.tokenize('nope')[0]!.value).toBe('<unk>');
    const cl = charLevel({ vocab: vocabOf(['<unk>', 'a', 'b', '😀']), unkToken: '<unk>' });
    expect(cl.tokenize('ab😀z').map((t) => [t.value, t.start, t.end])).toEqual([
      ['a', 0, 1],
      ['b', 1, 2],
      ['😀', 2, 4],
      ['<unk>', 4, 5],
    ]);
  });
  it('__proto__, constructor, toString are ordinary tokens through save and load', () => {
    const vocab = vocabOf(['<unk>', '__proto__', 'constructor', 'toString', 'hasOwnProperty']);
    const tok = new Tokenizer({ model: new WordLevel({ vocab }), preTokenizer: new WhitespaceSplit() });
    const e = tok.encode('__proto__ constructor toString hasOwnProperty valueOf');
    expect(Array.from(e.ids)).toEqual([1, 2, 3, 4, 0]);
    const again = fromTokenizerJson(toTokenizerJson(tok));
    expect(Array.from(again.encode('__proto__ constructor toString').ids)).toEqual([1, 2, 3]);
    expect(again.tokenToId('__proto__')).toBe(1);
    expect(again.idToToken(2)).toBe('constructor');
    const bpe = new BPE({ vocab: vocabOf(['_', 'p', 'r', 'o', 't', '__', '__proto__']), merges: [['_', '_']] });
    expect(JSON.parse(JSON.stringify(bpe.toJSON())).vocab.__proto__).toBe(6);
  });
});

describe('post-processors and decoders', () => {
  const vocab = vocabOf(['[UNK]', '[CLS]', '[SEP]', 'hello', 'world', 'again']);
  const tok = new Tokenizer({
    model: new WordPiece({ vocab }),
    preTokenizer: new WhitespaceSplit(),
    postProcessor: new TemplateProcessing({
      single: '[CLS] $A [SEP]',
      pair: '[CLS] $A [SEP] $B:1 [SEP]:1',
      specialTokens: [
        ['[CLS]', 1],
        ['[SEP]', 2],
      ],
    }),
    decoder: new WordPieceDecoder(),
    specialTokens: { cls: '[CLS]', sep: '[SEP]', unk: '[UNK]' },
  });
  it('template with a pair: $B:1 gives type ids 1, special mask, offsets relative to each text', () => {
    const e = tok.encode('hello world', 'again');
    expect(e.tokens).toEqual(['[CLS]', 'hello', 'world', '[SEP]', 'again', '[SEP]']);
    expect(Array.from(e.typeIds)).toEqual([0, 0, 0, 0, 1, 1]);
    expect(Array.from(e.specialTokensMask)).toEqual([1, 0, 0, 1, 0, 1]);
    expect(Array.from(e.sequenceIds)).toEqual([-1, 0, 0, -1, 1, -1]);
    expect(e.offsets).toEqual([
      [0, 0],
      [0, 5],
      [6, 11],
      [0, 0],
      [0, 5],
      [0, 0],
    ]);
    expect(Array.from(tok.encode('hello', undefined, { addSpecialTokens: false }).ids)).toEqual([3]);
  });
  it('decode with and without special tokens; WordPiece cleanup', () => {
    const e = tok.encode('hello world');
    expect(tok.decode(e.ids)).toBe('[CLS] hello world [SEP]');
    expect(tok.decode(e.ids, { skipSpecialTokens: true })).toBe('hello world');
    // cleanup runs per token, as HF's decode_chain does
    expect(new WordPieceDecoder().decodeChain(['hello', ',', 'know', '##ing', '.', "'s"]).join('')).toBe(
      "hello, knowing.'s",
    );
    expect(() => tok.decode([99])).toThrow(/Tokenizer.decode: ids\[0\] = 99 is not in the vocabulary/);
  });
  it('byte-level decoder is lossy only on broken UTF-8', () => {
    expect(new ByteLevelDecoder().decodeChain(['Ġì', 'ķ', 'Ī']).join('')).toBe(' 안');
    expect(new ByteLevelDecoder().decodeChain(['Ġì']).join('')).toBe(' \ufffd');
  });
  it('template errors name the missing token', () => {
    expect(() => new TemplateProcessing({ single: '<s> $A </s>', specialTokens: [['<s>', 0]] })).toThrow(
      /template uses "<\/s>" but specialTokens has no entry/,
    );
  });
});

describe('tokenizer.json round trips of other pipelines', () => {
  it('char-level BPE with unk, NFKC + lowercase, Whitespace, BPE decoder', () => {
    const vocab = vocabOf(['<unk>', 'h', 'e', 'l', 'o', 'he', 'll', 'hell', 'hello']);
    const tok = new Tokenizer({
      model: new BPE({
        vocab,
        merges: [
          ['h', 'e'],
          ['l', 'l'],
          ['he', 'll'],
          ['hell', 'o'],
        ],
        unkToken: '<unk>',
      }),
      normalizer: new NormalizerSequence([new UnicodeNormalizer('NFKC'), new Lowercase()]),
      preTokenizer: new Whitespace(),
      decoder: new BPEDecoder(),
      specialTokens: { unk: '<unk>' },
    });
    const e = tok.encode('HELLO hex');
    expect(e.tokens).toEqual(['hello', 'he', '<unk>']);
    expect(e.offsets).toEqual([
      [0, 5],
      [6, 8],
      [8, 9],
    ]);
    const again = fromTokenizerJson(toTokenizerJson(tok, { pretty: true }));
    expect(again.encode('HELLO hex')).toEqual(e);
    expect(again.specialTokenId('unk')).toBe(0);
    expect(toTokenizerJson(again)).toBe(toTokenizerJson(tok));
  });
  it('Metaspace + byte fallback + sequence decoder, RoBERTa post-processor', () => {
    const vocab = vocabOf(['<unk>', '<s>', '</s>', '▁', 'a', 'b', '▁a', '<0xC3>', '<0xA9>']);
    const tok = fromTokenizerJson({
      added_tokens: [
        { id: 1, content: '<s>', special: true },
        { id: 2, content: '</s>', special: true },
      ],
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
      post_processor: {
        type: 'RobertaProcessing',
        sep: ['</s>', 2],
        cls: ['<s>', 1],
        trim_offsets: true,
        add_prefix_space: true,
      },
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: '▁' }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          { type: 'Strip', content: ' ', start: 1, stop: 0 },
        ],
      },
      model: {
        type: 'BPE',
        vocab: Object.fromEntries(vocab),
        merges: [['▁', 'a']],
        unk_token: '<unk>',
        byte_fallback: true,
      },
    });
    const e = tok.encode('a bé', 'b');
    expect(e.tokens).toEqual(['<s>', '▁a', '▁', 'b', '<0xC3>', '<0xA9>', '</s>', '</s>', '▁', 'b', '</s>']);
    expect(tok.decode(e.ids, { skipSpecialTokens: true })).toBe('a bé b');
    expect(tok.specialTokens.get('bos')).toBe('<s>');
    const again = fromTokenizerJson(toTokenizerJson(tok));
    expect(again.encode('a bé', 'b')).toEqual(e);
  });
});
