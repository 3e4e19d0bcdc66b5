// Golden tests: our ids, tokens and offsets against Hugging Face `tokenizers`
// (fixtures by tooling/golden/tokenizer/make_fixtures.mjs). Exact equality, no tolerance.
// HF always matches special-token text in the input; ours only when allowed, so the
// comparisons pass `allowedSpecial: 'all'` (the default is tested on its own below).
import { describe, expect, it } from 'vitest';
import { fromTokenizerJson, fromBertVocab, fromGpt2Files, toTokenizerJson } from './index.js';
import { readFixtureGz } from '../test/fixtures.js';

interface Case {
  text: string;
  pair?: string;
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  trimmedOffsets?: Array<[number, number]>;
  typeIds?: number[];
  specialTokensMask?: number[];
  decoded?: string;
}

const HF = { allowedSpecial: 'all' } as const;
const gpt2Json = readFixtureGz('gpt2-tokenizer.json.gz');
const gpt2 = fromTokenizerJson(gpt2Json);
const gpt2Golden = JSON.parse(readFixtureGz('gpt2-golden.json.gz')) as { cases: Case[]; specialCase: Case };

describe('GPT-2 (HF tokenizer.json) matches Hugging Face tokenizers', () => {
  it(`ids, tokens, offsets and decode on ${gpt2Golden.cases.length} English, edge-case and Korean texts`, () => {
    let mismatches = 0;
    for (const c of gpt2Golden.cases) {
      const e = gpt2.encode(c.text, undefined, HF);
      const ok =
        JSON.stringify(Array.from(e.ids)) === JSON.stringify(c.ids) &&
        JSON.stringify(e.tokens) === JSON.stringify(c.tokens) &&
        JSON.stringify(e.offsets) === JSON.stringify(c.offsets);
      if (!ok) {
        mismatches++;
        expect({ text: c.text, ids: Array.from(e.ids), tokens: e.tokens, offsets: e.offsets }).toEqual({
          text: c.text,
          ids: c.ids,
          tokens: c.tokens,
          offsets: c.offsets,
        });
      }
      expect(Array.from(gpt2.encodeIds(c.text, HF))).toEqual(c.ids);
      expect(gpt2.decode(e.ids)).toBe(c.decoded);
    }
    expect(mismatches).toBe(0);
  });

  it('offsets with trim_offsets true', () => {
    const j = JSON.parse(gpt2Json);
    j.post_processor.trim_offsets = true;
    const t = fromTokenizerJson(j);
    for (const c of gpt2Golden.cases)
      expect([c.text, t.encode(c.text, undefined, HF).offsets]).toEqual([c.text, c.trimmedOffsets]);
  });

  it('special-token text is plain text unless allowed; allowed matches HF', () => {
    const c = gpt2Golden.specialCase;
    expect(Array.from(gpt2.encode(c.text, undefined, { allowedSpecial: 'all' }).ids)).toEqual(c.ids);
    expect(Array.from(gpt2.encodeIds(c.text, { allowedSpecial: ['<|endoftext|>'] }))).toEqual(c.ids);
    const plain = Array.from(gpt2.encode(c.text).ids);
    expect(plain).not.toContain(50256);
    expect(gpt2.decode(plain)).toBe(c.text);
  });

  it('vocab.json + merges.txt load gives the same tokenizer', () => {
    const j = JSON.parse(gpt2Json) as { model: { vocab: Record<string, number>; merges: Array<[string, string]> } };
    const merges = '#version: 0.2\n' + j.model.merges.map((m) => m.join(' ')).join('\n') + '\n';
    const t = fromGpt2Files({ vocab: JSON.stringify(j.model.vocab), merges });
    for (const c of gpt2Golden.cases) expect(Array.from(t.encode(c.text, undefined, HF).ids)).toEqual(c.ids);
    expect(t.specialTokenId('eos')).toBe(50256);
  });

  it('load → save → load keeps every encoding', () => {
    const again = fromTokenizerJson(toTokenizerJson(gpt2));
    for (const c of gpt2Golden.cases.slice(0, 20))
      expect(Array.from(again.encode(c.text, undefined, HF).ids)).toEqual(c.ids);
    const saved = JSON.parse(toTokenizerJson(gpt2));
    const orig = JSON.parse(gpt2Json);
    expect(saved.model.merges).toEqual(orig.model.merges);
    expect(saved.added_tokens).toEqual(orig.added_tokens);
  });
});

const bertGolden = JSON.parse(readFixtureGz('bert-golden.json.gz')) as { cases: Case[]; pairs: Case[] };
const bertFromJson = fromTokenizerJson(readFixtureGz('bert-base-uncased-tokenizer.json.gz'));
const bertFromVocab = fromBertVocab(readFixtureGz('bert-base-uncased-vocab.txt.gz'));

describe('BERT (bert-base-uncased) matches Hugging Face tokenizers', () => {
  for (const [name, bert] of [
    ['tokenizer.json', bertFromJson],
    ['vocab.txt', bertFromVocab],
  ] as const) {
    it(`${name}: ids, tokens, offsets, masks on ${bertGolden.cases.length} texts`, () => {
      for (const c of bertGolden.cases) {
        const e = bert.encode(c.text, undefined, HF);
        expect({
          text: c.text,
          ids: Array.from(e.ids),
          tokens: e.tokens,
          offsets: e.offsets,
          special: Array.from(e.specialTokensMask),
        }).toEqual({
          text: c.text,
          ids: c.ids,
          tokens: c.tokens,
          offsets: c.offsets,
          special: c.specialTokensMask,
        });
        expect(bert.decode(e.ids, { skipSpecialTokens: true })).toBe(c.decoded);
      }
    });
    it(`${name}: pairs with type ids`, () => {
      for (const c of bertGolden.pairs) {
        const e = bert.encode(c.text, c.pair, HF);
        expect([Array.from(e.ids), e.offsets, Array.from(e.typeIds)]).toEqual([c.ids, c.offsets, c.typeIds]);
      }
    });
  }
  it('load → save → load of the HF file', () => {
    const again = fromTokenizerJson(toTokenizerJson(bertFromJson));
    expect(JSON.parse(toTokenizerJson(again))).toEqual(JSON.parse(toTokenizerJson(bertFromJson)));
    for (const c of bertGolden.cases.slice(0, 10))
      expect(Array.from(again.encode(c.text, undefined, HF).ids)).toEqual(c.ids);
  });
});
