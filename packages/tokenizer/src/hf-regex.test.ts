import { describe, expect, it } from 'vitest';
import { NormalizedString } from './normalized-string.js';
import { Split, type SplitBehavior } from './pre-tokenizers.js';
import { UnsafePatternError, UnsupportedPatternError, compileHfPattern, translateHfPattern } from './hf-regex.js';
import { readJson } from '../test/fixtures.js';

interface RegexGolden {
  reference: string;
  patterns: Array<{ name: string; pattern: string; behavior: string; invert: boolean }>;
  texts: string[];
  pieces: number[][][];
}

const BEHAVIOR: Record<string, SplitBehavior> = {
  Removed: 'removed',
  Isolated: 'isolated',
  MergedWithPrevious: 'mergedWithPrevious',
  MergedWithNext: 'mergedWithNext',
  Contiguous: 'contiguous',
};

function ourPieces(split: Split, text: string): number[] {
  return split.preTokenize([NormalizedString.fromOriginal(text)]).flatMap((w) => {
    const [a, b] = w.originalRange(0, w.length);
    return [a, b];
  });
}

describe('tokenizer.json regexes with Oniguruma semantics (golden: HF tokenizers)', () => {
  const g = readJson<RegexGolden>('regex-golden.json');
  g.patterns.forEach((p, i) => {
    it(`${p.name}: ${p.pattern.length > 60 ? p.pattern.slice(0, 60) + '…' : p.pattern}`, () => {
      const split = new Split({ pattern: { regex: p.pattern }, behavior: BEHAVIOR[p.behavior]!, invert: p.invert });
      const bad: string[] = [];
      g.texts.forEach((text, j) => {
        const ours = ourPieces(split, text);
        if (JSON.stringify(ours) !== JSON.stringify(g.pieces[i]![j]))
          bad.push(`${JSON.stringify(text)}: ours ${JSON.stringify(ours)} HF ${JSON.stringify(g.pieces[i]![j])}`);
      });
      expect(bad).toEqual([]);
    });
  });
});

describe('translateHfPattern', () => {
  it('makes \\w, \\d, \\s and \\b Unicode-aware ("Góra" is one word)', () => {
    const re = compileHfPattern(String.raw`\w+|[^\w\s]+`, 'test');
    expect('Góra x²'.match(re)).toEqual(['Góra', 'x²']);
    expect('٣٤ 12'.match(compileHfPattern(String.raw`\d+`, 'test'))).toEqual(['٣٤', '12']);
    expect('a\u3000b'.match(compileHfPattern(String.raw`\s`, 'test'))).toEqual(['\u3000']);
    expect('ó²'.replace(compileHfPattern(String.raw`\b`, 'test'), '|')).toBe('|ó²|');
  });

  it('expands (?i:…) by simple case folding (Node 20 has no regexp modifiers)', () => {
    const re = compileHfPattern(String.raw`(?i:'s|k)x`, 'test');
    expect("'sx 'Sx 'ſx kx Kx \u212ax 'sX".match(re)).toEqual(["'sx", "'Sx", "'ſx", 'kx', 'Kx', '\u212ax']);
    expect(translateHfPattern(String.raw`(?i:'s)`, 'test')).toBe("(?:'[Ssſ])");
  });

  it('refuses nested unbounded quantifiers with a named error; (a+)+$ does not hang', () => {
    const t0 = Date.now();
    let err: unknown;
    try {
      new Split({ pattern: { regex: '(a+)+$' }, behavior: 'isolated' }).preTokenize([
        NormalizedString.fromOriginal('a'.repeat(30) + 'b'),
      ]);
    } catch (e) {
      err = e;
    }
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(UnsafePatternError);
    expect((err as Error).name).toBe('UnsafePatternError');
    expect((err as Error).message).toMatch(/^Split: .*catastrophic backtracking/);
    for (const p of ['(?:\\s*x*)*', '(a*b?)+', '((ab)+c)*', '(?:a|b+){2,}'])
      expect(() => translateHfPattern(p, 'test'), p).toThrow(UnsafePatternError);
    // not nested, atomic, possessive or bounded: accepted
    for (const p of ['a+b+', '(?>a+)+$', '(a++)+$', '(a+){1,3}', '\\s+(?!\\S)|\\s+', '(a+)?'])
      expect(() => translateHfPattern(p, 'test'), p).not.toThrow();
  });

  it('names unsupported syntax', () => {
    for (const p of ['(?x) a', '[a-z&&[^e]]', '[[:alpha:]]', '\\G', 'a\\K', '\\p{NoSuchProperty}', '(a', 'a)'])
      expect(() => translateHfPattern(p, 'Split'), p).toThrow(UnsupportedPatternError);
    expect(() => translateHfPattern('\\p{NoSuchProperty}', 'Split')).toThrow(/^Split: unknown Unicode property/);
  });
});

describe('case folding of ASCII letters', () => {
  it('the ASCII shortcut gives what a JS `iu` regex matches, over the BMP and the cased SMP blocks', () => {
    const letters = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';
    for (const ch of letters) {
      const js = new RegExp(`^${ch}$`, 'iu');
      const ours = new RegExp(`^(?:${translateHfPattern(`(?i:${ch})`, 'test')})$`, 'u');
      const want: number[] = [];
      const got: number[] = [];
      for (let x = 0; x < 0x1e944; x++) {
        if (x >= 0xd800 && x <= 0xdfff) continue;
        const s = String.fromCodePoint(x);
        if (js.test(s)) want.push(x);
        if (ours.test(s)) got.push(x);
      }
      expect(got, ch).toEqual(want);
    }
  });
});
