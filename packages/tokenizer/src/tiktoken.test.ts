import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import cl100k from 'js-tiktoken/ranks/cl100k_base';
import o200k from 'js-tiktoken/ranks/o200k_base';
import { fromTiktoken } from './tiktoken.js';
import { BPE } from './bpe.js';
import { fromTokenizerJson, toTokenizerJson } from './tokenizer-json.js';
import { readJson } from '../test/fixtures.js';

interface TiktokenGolden {
  reference: string;
  texts: string[];
  encodings: Record<
    string,
    {
      pattern: string;
      vocab: number;
      merges: number;
      mergesSha256: string;
      ids: number[][];
      special: { text: string; tiktoken: number[]; tokenizers: number[] };
    }
  >;
}

/** js-tiktoken's compressed ranks -> `.tiktoken` text (the golden script does the same). */
function tiktokenText(ranks: { bpe_ranks: string }): string {
  const lines: string[] = [];
  for (const line of ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...toks] = line.split(' ');
    toks.forEach((t, i) => lines.push(`${t} ${Number(offset) + i}`));
  }
  return lines.join('\n') + '\n';
}

const g = readJson<TiktokenGolden>('tiktoken-golden.json');
const RANKS = { cl100k_base: cl100k, o200k_base: o200k } as const;

describe.each(Object.keys(RANKS) as Array<keyof typeof RANKS>)('fromTiktoken %s (golden: HF tokenizers)', (name) => {
  const enc = g.encodings[name]!;
  const ranks = RANKS[name];
  const tok = fromTiktoken({ ranks: tiktokenText(ranks), pattern: enc.pattern, specialTokens: ranks.special_tokens });

  it('builds the merges HF’s TikTokenConverter builds (count and hash)', () => {
    const merges = (tok.model as BPE).merges;
    expect(tok.model.vocabSize).toBe(enc.vocab);
    expect(merges.length).toBe(enc.merges);
    expect(createHash('sha256').update(JSON.stringify(merges)).digest('hex')).toBe(enc.mergesSha256);
  });

  it(`encodeIds and encode give HF's ids on ${g.texts.length} English, Korean, code and emoji texts`, () => {
    const bad: number[] = [];
    g.texts.forEach((t, i) => {
      const want = enc.ids[i]!;
      // HF matches special-token text in input; ours only when allowed
      const ids = Array.from(tok.encodeIds(t, { allowedSpecial: 'all' }));
      const full = Array.from(tok.encode(t, { allowedSpecial: 'all' }).ids);
      if (JSON.stringify(ids) !== JSON.stringify(want) || JSON.stringify(full) !== JSON.stringify(want)) bad.push(i);
    });
    expect(bad).toEqual([]);
  });

  it('special tokens keep the ids of the file (as tiktoken; HF renumbers them after the vocabulary)', () => {
    const { text, tiktoken, tokenizers } = enc.special;
    expect(Array.from(tok.encodeIds(text, { allowedSpecial: 'all' }))).toEqual(tiktoken);
    expect(tokenizers).not.toEqual(tiktoken);
  });
});

// one round trip (o200k's file is twice cl100k's)
describe('fromTiktoken cl100k_base through tokenizer.json', () => {
  const name = 'cl100k_base';
  const enc = g.encodings[name]!;
  const tok = fromTiktoken({ ranks: tiktokenText(cl100k), pattern: enc.pattern, specialTokens: cl100k.special_tokens });
  it('round-trips through tokenizer.json and decodes back to the text', () => {
    const again = fromTokenizerJson(toTokenizerJson(tok));
    g.texts.slice(0, 40).forEach((t, i) => {
      expect(Array.from(again.encodeIds(t, { allowedSpecial: 'all' })), `text ${i}`).toEqual(enc.ids[i]);
      expect(tok.decode(tok.encodeIds(t))).toBe(t);
    });
  });
});

describe('fromTiktoken errors', () => {
  it('names bad rank lines, repeated ranks and special-token collisions', () => {
    expect(() => fromTiktoken({ ranks: 'YQ== 0\nYg==\n', pattern: '.' })).toThrow(/^fromTiktoken: ranks line 2/);
    expect(() => fromTiktoken({ ranks: 'YQ== 0\nYg== 0\n', pattern: '.' })).toThrow(/rank 0 is given to two tokens/);
    expect(() => fromTiktoken({ ranks: 'YQ== 0\nYQ== 1\n', pattern: '.' })).toThrow(/repeats rank 0/);
    expect(() => fromTiktoken({ ranks: 'Y!== 0\n', pattern: '.' })).toThrow(/is not base64/);
    expect(() => fromTiktoken({ ranks: 'YQ== 0\n', pattern: '.', specialTokens: { '<s>': 0 } })).toThrow(
      /collides with the token of rank 0/,
    );
  });
});
