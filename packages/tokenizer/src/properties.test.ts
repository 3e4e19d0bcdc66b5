// Property tests (fast-check, fixed seeds) and bad-input tests.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ByteLevel, Tokenizer, WordLevel, charLevel, fromTokenizerJson, NormalizedString } from './index.js';
import { workCounter } from './internal/work-counter.js';
import { readFixtureGz } from '../test/fixtures.js';

const gpt2 = fromTokenizerJson(readFixtureGz('gpt2-tokenizer.json.gz'));
const utf8 = new TextEncoder();

// Well-formed Unicode with the hard cases mixed in: Hangul, ZWJ emoji, combining marks,
// controls, long words, whitespace runs.
const pieces = fc.constantFrom(
  '한국어',
  '안녕하세요',
  '\u1112\u1161\u11ab', // conjoining jamo
  '👨‍👩‍👧‍👦',
  '🏳️‍🌈',
  'e\u0301',
  'a\u0308\u0323',
  '\u0000\u0001\u001f\u007f\u0085',
  '\t\n\r\n',
  '   ',
  '\u3000\u00a0\ufeff',
  'x'.repeat(300),
  'ab'.repeat(100),
  "'s 're",
  '<|endoftext|>',
);
const text = fc
  .array(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), pieces), { maxLength: 8 })
  .map((a) => a.join(''));

function contains(hay: Uint8Array, needle: Uint8Array): boolean {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let j = 0; j < needle.length; j++) if (hay[i + j] !== needle[j]) continue outer;
    return true;
  }
  return needle.length === 0;
}
const tokenBytes = (tok: string): Uint8Array => {
  const bytes = gpt2.decode([gpt2.tokenToId(tok)!]);
  return utf8.encode(bytes); // only used when the token decodes to whole chars
};

describe('byte-level BPE properties (GPT-2 vocabulary)', () => {
  it('decode(encode(s)) === s for arbitrary well-formed Unicode, incl. the empty string', () => {
    expect(gpt2.decode(gpt2.encode('').ids)).toBe('');
    fc.assert(
      fc.property(text, (s) => {
        expect(gpt2.decode(gpt2.encode(s).ids)).toBe(s);
        expect(Array.from(gpt2.encodeIds(s))).toEqual(Array.from(gpt2.encode(s).ids));
      }),
      { seed: 20261122, numRuns: 300 },
    );
  });

  it('offsets slice back to the token: the original slice holds the token bytes, offsets are ordered', () => {
    const dec = new Map<string, Uint8Array>();
    fc.assert(
      fc.property(text, (s) => {
        const e = gpt2.encode(s);
        let last = 0;
        e.tokens.forEach((tok, i) => {
          const [a, b] = e.offsets[i]!;
          expect(a).toBeGreaterThanOrEqual(last);
          expect(b).toBeGreaterThanOrEqual(a);
          expect(b).toBeLessThanOrEqual(s.length);
          last = a;
          // token bytes: map the byte-level chars back
          let bytes = dec.get(tok);
          if (bytes === undefined) {
            const arr: number[] = [];
            for (const ch of tok) arr.push(byteOf(ch));
            bytes = Uint8Array.from(arr);
            dec.set(tok, bytes);
          }
          expect(contains(utf8.encode(s.slice(a, b)), bytes)).toBe(true);
        });
      }),
      { seed: 7, numRuns: 200 },
    );
    expect(tokenBytes('Ġworld').length).toBe(6);
  });

  it('char-level tokenizer: every offset slices back to exactly the token', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => {
        const chars = [...new Set([...s])];
        const tok = new Tokenizer({ model: charLevel({ vocab: new Map(chars.map((c, i) => [c, i])) }) });
        const e = tok.encode(s);
        e.tokens.forEach((t, i) => expect(s.slice(...e.offsets[i]!)).toBe(t));
        expect(e.tokens.join('')).toBe(s);
      }),
      { seed: 3, numRuns: 80 },
    );
  });
});

// the byte-level table inverse, written out here independently of the package
const BYTE_OF = (() => {
  const bs: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bs.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bs.push(b);
  for (let b = 0xae; b <= 0xff; b++) bs.push(b);
  const m = new Map<string, number>();
  for (const b of bs) m.set(String.fromCharCode(b), b);
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) m.set(String.fromCharCode(256 + n++), b);
  return m;
})();
function byteOf(ch: string): number {
  return BYTE_OF.get(ch)!;
}

/** String.prototype.toWellFormed (ES2024), written out: lone surrogates become U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');
}

describe('bad input', () => {
  it('truncated tokenizer.json: the error names where the text stops', () => {
    const json = readFixtureGz('gpt2-tokenizer.json.gz');
    const cut = json.slice(0, json.indexOf('"merges"') + 5000);
    expect(() => fromTokenizerJson(cut)).toThrow(/fromTokenizerJson: invalid JSON inside model\.merges\[\d+\]/);
    const cut2 = json.slice(0, json.indexOf('"vocab"') + 300);
    expect(() => fromTokenizerJson(cut2)).toThrow(/invalid JSON inside model\.vocab/);
  });
  it('malformed fields are named with the value found', () => {
    const base = { model: { type: 'WordLevel', vocab: { a: 0, '<unk>': 1 }, unk_token: '<unk>' } };
    expect(() => fromTokenizerJson({ ...base, model: { ...base.model, type: 'Wordy' } })).toThrow(
      /model\.type = "Wordy" is not a supported model \(BPE, WordPiece, WordLevel, Unigram, SentencePieceWord, SentencePieceChar\)/,
    );
    expect(() => fromTokenizerJson({ ...base, model: { ...base.model, type: 'Unigram' } })).toThrow(
      /model\.vocab must be an array, got object/,
    );
    expect(() => fromTokenizerJson({ ...base, model: { ...base.model, vocab: [1, 2] } })).toThrow(
      /model\.vocab must be an object, got an array/,
    );
    expect(() => fromTokenizerJson({ ...base, model: { ...base.model, vocab: { a: 'x', '<unk>': 1 } } })).toThrow(
      /model\.vocab\["a"\] must be an integer, got string "x"/,
    );
    expect(() => fromTokenizerJson({ normalizer: null })).toThrow(/fromTokenizerJson: model is missing/);
    expect(() => fromTokenizerJson({ ...base, normalizer: { type: 'Precompiled' } })).toThrow(
      /normalizer\.precompiled_charsmap must be a string, got nothing/,
    );
    expect(() =>
      fromTokenizerJson({ ...base, pre_tokenizer: { type: 'Split', pattern: { Regex: ' ' }, behavior: 'Sideways' } }),
    ).toThrow(/pre_tokenizer\.behavior: unknown split behavior "Sideways"/);
    expect(() => fromTokenizerJson({ ...base, added_tokens: [{ id: 'x', content: 'a' }] })).toThrow(
      /added_tokens\[0\]\.id must be an integer/,
    );
    expect(() => fromTokenizerJson({ model: { type: 'BPE', vocab: { a: 0, b: 1 }, merges: [['a', 'b']] } })).toThrow(
      /BPE: merges\[0\] = \["a","b"\]: merged token "ab" is not in the vocabulary/,
    );
    expect(() => fromTokenizerJson({ model: { type: 'BPE', vocab: { a: 0 }, merges: ['a b c'] } })).toThrow(
      /model\.merges\[0\] = "a b c" must be two tokens/,
    );
    expect(() => fromTokenizerJson('{"model": ')).toThrow(/invalid JSON inside model/);
  });
  it('legacy "a b" merges and pair merges load the same', () => {
    const vocab = { a: 0, b: 1, ab: 2 };
    const x = fromTokenizerJson({ model: { type: 'BPE', vocab, merges: ['a b'] } });
    const y = fromTokenizerJson({ model: { type: 'BPE', vocab, merges: [['a', 'b']] } });
    expect(Array.from(x.encode('ab').ids)).toEqual([2]);
    expect(Array.from(y.encode('ab').ids)).toEqual([2]);
  });
  it('unknown tokens without unk in the vocabulary are rejected at construction', () => {
    expect(() => new WordLevel({ vocab: new Map([['a', 0]]) })).toThrow(
      /WordLevel: unkToken "<unk>" is not in the vocabulary/,
    );
  });
  it('lone surrogates: byte-level encodes them as U+FFFD (EF BF BD) and never throws', () => {
    expect(wellFormed('a\ud800b\ud83d\ude00')).toBe('a\ufffdb\ud83d\ude00');
    for (const s of ['\ud800', 'a\udc00b', '\udbff\ud800', '😀\ud83d']) {
      const e = gpt2.encode(s);
      expect(gpt2.decode(e.ids)).toBe(wellFormed(s));
      expect(Array.from(gpt2.encodeIds(s))).toEqual(Array.from(e.ids));
    }
  });
  it('a 1 MB string with no spaces encodes in near-linear work (counted merge steps, not time)', () => {
    let seed = 12345;
    const rand = (): number => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 16) % 26;
    const big = Array.from({ length: 1 << 20 }, () => String.fromCharCode(97 + rand())).join('');
    const work = (s: string): number => {
      workCounter.count = 0;
      const n = gpt2.encodeIds(s).length;
      expect(n).toBeGreaterThan(s.length / 8);
      return workCounter.count;
    };
    const quarter = work(big.slice(0, 1 << 18));
    const full = work(big);
    // linear: ratio 4 (n log n: ~4.4); quadratic would be 16
    expect(full / quarter).toBeLessThan(5);
    // the general path (offsets, tokens) uses the same heap merge
    const e = gpt2.encode(big.slice(0, 1 << 14));
    expect(gpt2.decode(e.ids)).toBe(big.slice(0, 1 << 14));
    expect(new ByteLevel().preTokenize([NormalizedString.fromOriginal(big.slice(0, 1000))]).length).toBe(1);
  });
});
