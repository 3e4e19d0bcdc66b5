// sentencepiece golden tests: our encode of .model files trained by spm_train 0.1.97 equals
// spm_encode id for id (fixtures by tooling/golden/tokenizer/sentencepiece/make_spm_fixtures.py).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  Unigram,
  fromTokenizerJson,
  parseSentencePieceModel,
  readSentencePieceModel,
  sentencePieceToTokenizerJson,
  toTokenizerJson,
} from './index.js';
import { fixturesDir } from '../test/fixtures.js';

const dir = join(fixturesDir, 'sentencepiece');
const model = (name: string): Uint8Array => new Uint8Array(readFileSync(join(dir, `${name}.model`)));
interface Golden {
  lines: string[];
  ids: number[][];
  nbestLines?: string[];
  nbest?: number[][][];
}
const golden = (name: string): Golden => JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8')) as Golden;

describe.each(['ko-unigram', 'ko-bpe', 'en-unigram', 'en-bpe', 'en-bpe-user'])('%s.model', (name) => {
  const tok = readSentencePieceModel(model(name));
  const g = golden(name);
  it(`encodes ${g.lines.length} held-out and edge-case lines as spm_encode, id for id`, () => {
    expect(spmMismatches(tok, g)).toEqual([]);
  });
  it('encodeIds (the ids-only fast path) gives the same ids', () => {
    g.lines.forEach((line, i) => expect(Array.from(tok.encodeIds(line))).toEqual(g.ids[i]));
  });
  it('decodes back to the normalized text', () => {
    const line = g.lines[0]!;
    const ids = tok.encode(line).ids;
    expect(tok.decode(ids)).toBe(tok.decode(g.ids[0]!));
    expect(tok.decode(ids).length).toBeGreaterThan(0);
  });
  if (g.nbest !== undefined) {
    it(`n-best lists (8) equal sentencepiece's nbest_encode_as_ids on ${g.nbestLines!.length} lines`, () => {
      const m = tok.model as Unigram;
      const norm = tok.normalizer!;
      let bad = 0;
      g.nbestLines!.forEach((line, i) => {
        const ns = { normalized: line } as { normalized: string };
        void ns;
        const text = normalizeText(norm, line);
        const ours = m.nbest(text, 8).map((r) => r.tokens.map((t) => t.id));
        if (JSON.stringify(ours) !== JSON.stringify(g.nbest![i])) bad++;
      });
      expect(bad).toBe(0);
    });
  }
});

import { NormalizedString } from './normalized-string.js';
import type { Normalizer } from './normalizers.js';
import { SentencePieceNormalizer, type SentencePieceNormalizerOptions } from './sentencepiece.js';
import { Rng } from './internal/rng.js';
import { spmMismatches } from './testdata/spm-golden.js';
function normalizeText(n: Normalizer, text: string): string {
  const s = NormalizedString.fromOriginal(text);
  n.normalize(s);
  return s.normalized;
}

describe('readSentencePieceModel: malformed input', () => {
  const good = model('en-bpe');
  it('truncated files are a clear error', () => {
    for (const cut of [1, 7, 100, good.length - 3]) {
      expect(() => readSentencePieceModel(good.subarray(0, cut))).toThrow(/malformed model file|no pieces/);
    }
  });
  it('empty, garbage and wrong-type input', () => {
    expect(() => readSentencePieceModel(new Uint8Array(0))).toThrow(/empty/);
    expect(() => readSentencePieceModel(new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/bytes are left/);
    expect(() => readSentencePieceModel(new Uint8Array([0x07]))).toThrow(/wire type|field number/);
    expect(() => readSentencePieceModel('abc' as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
  it('reads the specs', () => {
    const p = parseSentencePieceModel(model('en-unigram'));
    expect(p.trainerSpec.modelType).toBe('unigram');
    expect(p.trainerSpec.byteFallback).toBe(true);
    expect(p.pieces.length).toBe(1000);
    expect(p.normalizerSpec.name).toBe('nmt_nfkc');
    const b = parseSentencePieceModel(model('en-bpe'));
    expect(b.normalizerSpec.removeExtraWhitespaces).toBe(false);
    expect(b.normalizerSpec.precompiledCharsmap.length).toBe(0);
  });
});

describe('tokenizer.json round trip of sentencepiece tokenizers', () => {
  it.each(['ko-unigram', 'en-unigram', 'en-bpe', 'en-bpe-user'])('%s saves and reloads with identical ids', (name) => {
    const tok = readSentencePieceModel(model(name));
    const json = toTokenizerJson(tok);
    const back = fromTokenizerJson(json);
    const g = golden(name);
    for (let i = 0; i < g.lines.length; i += 7) expect(Array.from(back.encode(g.lines[i]!).ids)).toEqual(g.ids[i]);
    expect(toTokenizerJson(back)).toBe(json);
  });
  it('a plain HF Unigram tokenizer.json (no piece types) loads and encodes', () => {
    const tok = fromTokenizerJson({
      model: {
        type: 'Unigram',
        unk_id: 0,
        vocab: [
          ['<unk>', 0],
          ['▁a', -1],
          ['b', -2],
          ['▁ab', -2.5],
          ['a', -3],
        ],
      },
      pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'always', split: true },
    });
    expect(tok.encode('ab ab').tokens).toEqual(['▁ab', '▁ab']); // -2.5 beats ▁a + b = -3
    expect(tok.encode('ab c').tokens).toEqual(['▁ab', '<unk>']); // ▁ and c unknown: one fused unk
    expect(tok.encode('aab').tokens).toEqual(['▁a', 'a', 'b']);
    expect(tok.encode('ccc').tokens).toEqual(['<unk>']);
  });
  it('bad Unigram fields are clear errors', () => {
    expect(() => fromTokenizerJson({ model: { type: 'Unigram', unk_id: 5, vocab: [['a', 0]] } })).toThrow(
      /unkId 5 is out of range/,
    );
    expect(() => fromTokenizerJson({ model: { type: 'Unigram', vocab: [['a', 'x']] } })).toThrow(
      /vocab\[0\]\[1\] must be a finite number/,
    );
    expect(() =>
      fromTokenizerJson({
        model: {
          type: 'Unigram',
          vocab: [
            ['a', 0],
            ['a', -1],
          ],
        },
      }),
    ).toThrow(/appears twice/);
  });
});

describe('sentencePieceToTokenizerJson (converter) vs Hugging Face tokenizers', () => {
  interface Summary {
    models: Record<
      string,
      { lines: number; hfEqualsSpm: number; oursFromConvertedEqualsHf: number; hfIds?: number[][] }
    >;
  }
  const summary = JSON.parse(readFileSync(join(dir, 'hf-convert-summary.json'), 'utf8')) as Summary;
  it.each(['ko-unigram', 'en-bpe'])('%s: our conversion is the committed file HF loaded', (name) => {
    const ours = JSON.stringify(sentencePieceToTokenizerJson(model(name)));
    expect(ours).toBe(readFileSync(join(dir, `${name}.hf-tokenizer.json`), 'utf8'));
  });
  it.each(['ko-unigram', 'en-bpe'])('%s: the converted file encodes as HF did on all but <= 1 line', (name) => {
    const tok = fromTokenizerJson(readFileSync(join(dir, `${name}.hf-tokenizer.json`), 'utf8'));
    const g = golden(name);
    const hf = summary.models[name]!.hfIds!;
    let same = 0;
    g.lines.forEach((line, i) => {
      if (JSON.stringify(Array.from(tok.encode(line, { allowedSpecial: 'all' }).ids)) === JSON.stringify(hf[i])) same++;
    });
    expect(same).toBeGreaterThanOrEqual(g.lines.length - 1);
    // and HF itself agreed with spm_encode on nearly every line (differences: README)
    expect(summary.models[name]!.hfEqualsSpm).toBeGreaterThanOrEqual(g.lines.length - 6);
  });
});

describe('the ids-only fast path (normalizeUnits + encodeUnitsInto) agrees with the aligned pipeline', () => {
  // random text over the characters where sentencepiece's normalizer has cases: spaces and tabs,
  // literal ▁, fullwidth forms, ligatures, NBSP/U+3000, combining marks, emoji and ZWJ, lone
  // surrogates, user-defined symbols (en-unigram has <sep>, [MASK], http), spelled control pieces
  const alphabet = [
    ' ',
    ' ',
    '  ',
    '\t',
    '\u2581',
    'a',
    'b',
    'ht',
    'tp',
    'http',
    'Ａ',
    'ｶ',
    'ﬁ',
    '\u00a0',
    '\u3000',
    'e\u0301',
    '가',
    '나',
    '한국',
    '\u1100\u1161',
    '😀',
    '\u200d',
    '\ud800',
    '\udc00',
    '<s>',
    '[MASK]',
    '<sep>',
    '1',
    '.',
    '\u0000',
    'Ω',
    '㍿',
  ];
  const rng = new Rng(20261203);
  const texts = Array.from({ length: 400 }, () => {
    let s = '';
    const len = rng.nextU32() % 12;
    for (let i = 0; i < len; i++) s += alphabet[rng.nextU32() % alphabet.length];
    return s;
  }).concat(['', '\u2581', ' \u2581 ', '\u2581\u2581a\u2581\u2581', '\u3000\u3000', 'a  b', ' \t x']);
  const ko = parseSentencePieceModel(model('ko-unigram')).normalizerSpec.precompiledCharsmap;
  const variants: Array<[string, SentencePieceNormalizerOptions]> = [
    ['defaults + nmt_nfkc', { charsmap: ko }],
    ['identity', {}],
    ['identity, keep whitespace', { removeExtraWhitespaces: false }],
    ['no dummy prefix, user symbols', { charsmap: ko, addDummyPrefix: false, userDefinedSymbols: ['http', '[MASK]'] }],
    ['whitespace as suffix', { charsmap: ko, treatWhitespaceAsSuffix: true }],
    ['no escaping', { charsmap: ko, escapeWhitespaces: false }],
    [
      'suffix, no escaping, keep whitespace',
      { treatWhitespaceAsSuffix: true, escapeWhitespaces: false, removeExtraWhitespaces: false },
    ],
  ];
  it.each(variants)('normalizeUnits = normalize (%s)', (_, opts) => {
    const norm = new SentencePieceNormalizer(opts);
    for (const t of texts) {
      const n = norm.normalizeUnits(t);
      expect(String.fromCharCode(...norm.units.subarray(0, n))).toBe(normalizeText(norm, t));
      expect(norm.normalizeString(t)).toBe(normalizeText(norm, t));
    }
  });
  it.each(['ko-unigram', 'en-unigram'])('%s: encodeIds = encode(...).ids on random text', (name) => {
    const tok = readSentencePieceModel(model(name));
    for (const t of texts) expect(Array.from(tok.encodeIds(t))).toEqual(Array.from(tok.encode(t).ids));
  });
});
