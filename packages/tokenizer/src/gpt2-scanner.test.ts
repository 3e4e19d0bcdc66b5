// The hand-written GPT-2 scanner must split exactly as the regex does.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { scanGpt2 } from './internal/gpt2-scanner.js';
import { GPT2_PATTERN } from './pre-tokenizers.js';
import { readFixture } from '../test/fixtures.js';

const regexPieces = (s: string): string[] => Array.from(s.matchAll(new RegExp(GPT2_PATTERN, 'gu')), (m) => m[0]);
const scanPieces = (s: string): string[] => {
  const out: string[] = [];
  scanGpt2(s, (a, b) => out.push(s.slice(a, b)));
  return out;
};

describe('GPT-2 scanner', () => {
  it('equals the regex on the fixture texts', () => {
    for (const name of ['english.txt', 'nsmc-50.txt', 'train-corpus.txt', 'edge-cases.json']) {
      const t = readFixture(name);
      expect(scanPieces(t)).toEqual(regexPieces(t));
    }
  });
  it('equals the regex on random Unicode and whitespace/apostrophe soup', () => {
    const soup = fc
      .array(
        fc.constantFrom(
          ' ',
          '  ',
          '\n',
          '\t',
          "'",
          "'s",
          "'ll",
          "'re",
          "'S",
          'a',
          'Z',
          '1',
          '٣',
          '!',
          '\u00a0',
          '\u3000',
          '\u0085',
          '한',
          '😀',
          '𝐀',
          '\ud800',
          'é',
        ),
        { maxLength: 30 },
      )
      .map((a) => a.join(''));
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }), soup), (s) => {
        expect(scanPieces(s)).toEqual(regexPieces(s));
      }),
      { seed: 99, numRuns: 150 },
    );
  });
});
