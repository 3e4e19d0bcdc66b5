import { describe, expect, it } from 'vitest';
import { CL100K_PATTERN, scanCl100k } from './internal/gpt2-scanner.js';
import { compileHfPattern } from './hf-regex.js';
import { forEachIsolatedPiece } from './pre-tokenizers.js';
import { readJson } from '../test/fixtures.js';

const re = compileHfPattern(CL100K_PATTERN, 'test');
const viaRegex = (t: string): number[] => {
  const out: number[] = [];
  forEachIsolatedPiece(t, re, (a, b) => out.push(a, b));
  return out;
};
const viaScanner = (t: string): number[] => {
  const out: number[] = [];
  scanCl100k(t, (a, b) => out.push(a, b));
  return out;
};

describe('scanCl100k = the cl100k regex (Oniguruma semantics)', () => {
  it('on the golden texts', () => {
    const { texts } = readJson<{ texts: string[] }>('tiktoken-golden.json');
    for (const t of texts) expect(viaScanner(t), JSON.stringify(t.slice(0, 40))).toEqual(viaRegex(t));
  });
  it('on 3000 random strings of tricky characters', () => {
    const pool = [
      ...`'sStTmMdDrReEvVlLſkK aZé가1٣²½_-!?.(\t\n\r\u000b\u0085\u00a0\u2028\u3000\u200d\ufeff`,
      '😀',
      '𝟘',
      '\ud800',
      '\udc00',
      "'re",
      "'LL",
      '  ',
      '\r\n',
    ];
    let seed = 12345;
    const rnd = (n: number): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    for (let k = 0; k < 3000; k++) {
      let t = '';
      for (let j = rnd(14); j > 0; j--) t += pool[rnd(pool.length)];
      expect(viaScanner(t), JSON.stringify(t)).toEqual(viaRegex(t));
    }
  });
});
