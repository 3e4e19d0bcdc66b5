// Subword regularization: Unigram sampling against sentencepiece's measured frequencies
// (fixture en-unigram.samples.json: 20,000 python3-sentencepiece 0.1.97 samples per case), the
// alpha -> Viterbi limit, and BPE dropout (HF semantics).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BPE, Tokenizer, fromTokenizerJson, readSentencePieceModel, toTokenizerJson } from './index.js';
import { fixturesDir } from '../test/fixtures.js';

const dir = join(fixturesDir, 'sentencepiece');
const tok = readSentencePieceModel(new Uint8Array(readFileSync(join(dir, 'en-unigram.model'))));
interface SampleCase {
  word: string;
  nbestSize: number;
  alpha: number;
  n: number;
  counts: Record<string, number>;
}
const cases = JSON.parse(readFileSync(join(dir, 'en-unigram.samples.json'), 'utf8')) as Record<string, SampleCase>;

/** Upper quantile of chi-square(df) at p = 0.001 (Wilson-Hilferty). */
function chi2Critical(df: number): number {
  const z = 3.090232;
  const a = 2 / (9 * df);
  return df * Math.pow(1 - a + z * Math.sqrt(a), 3);
}

/** Two-sample chi-square test of homogeneity; cells with expected < 5 pooled. */
function chi2Homogeneity(a: Map<string, number>, b: Map<string, number>): { stat: number; df: number } {
  const na = [...a.values()].reduce((x, y) => x + y, 0);
  const nb = [...b.values()].reduce((x, y) => x + y, 0);
  const keys = new Set([...a.keys(), ...b.keys()]);
  const cells: Array<[number, number]> = [];
  let poolA = 0;
  let poolB = 0;
  for (const k of keys) {
    const x = a.get(k) ?? 0;
    const y = b.get(k) ?? 0;
    const tot = x + y;
    if ((tot * Math.min(na, nb)) / (na + nb) < 5) {
      poolA += x;
      poolB += y;
    } else cells.push([x, y]);
  }
  if (poolA + poolB > 0) cells.push([poolA, poolB]);
  let stat = 0;
  for (const [x, y] of cells) {
    const tot = x + y;
    const ea = (tot * na) / (na + nb);
    const eb = (tot * nb) / (na + nb);
    stat += (x - ea) ** 2 / ea + (y - eb) ** 2 / eb;
  }
  return { stat, df: cells.length - 1 };
}

describe('Unigram sampling matches sentencepiece SampleEncode', () => {
  it.each(Object.keys(cases))('%s: chi-square homogeneity vs sentencepiece, p > 0.001 (fixed seed)', (key) => {
    const c = cases[key]!;
    const ours = new Map<string, number>();
    const n = 10000;
    // one seeded stream for all draws (a function source), as one process would
    let s = 0x2545f491;
    const rand = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return (s >>> 0) / 4294967296;
    };
    for (let i = 0; i < n; i++) {
      const ids = tok.encode(c.word, { sampling: { alpha: c.alpha, nbestSize: c.nbestSize, random: rand } }).ids;
      const k = Array.from(ids).join(' ');
      ours.set(k, (ours.get(k) ?? 0) + 1);
    }
    const spm = new Map(Object.entries(c.counts));
    const { stat, df } = chi2Homogeneity(ours, spm);
    expect(df).toBeGreaterThan(2);
    expect(stat).toBeLessThan(chi2Critical(df));
  });
  it('a wrong alpha is detected (the test can fail)', () => {
    const c = cases['unbelievable|-1|0.5']!;
    const ours = new Map<string, number>();
    for (let i = 0; i < 10000; i++) {
      const k = Array.from(tok.encode(c.word, { sampling: { alpha: 0.25, nbestSize: -1, random: i } }).ids).join(' ');
      ours.set(k, (ours.get(k) ?? 0) + 1);
    }
    const { stat, df } = chi2Homogeneity(ours, new Map(Object.entries(c.counts)));
    expect(stat).toBeGreaterThan(chi2Critical(df));
  });
  it('alpha -> large gives the Viterbi segmentation; nbestSize 0 and 1 do not sample', () => {
    for (const w of ['unbelievable', 'international relations', 'the quick brown fox']) {
      const best = Array.from(tok.encode(w).ids);
      for (const nbestSize of [-1, 5, 0, 1])
        for (let seed = 0; seed < 5; seed++)
          expect(Array.from(tok.encode(w, { sampling: { alpha: 1e4, nbestSize, random: seed } }).ids)).toEqual(best);
      for (let seed = 0; seed < 5; seed++)
        expect(Array.from(tok.encode(w, { sampling: { alpha: 0.1, nbestSize: 1, random: seed } }).ids)).toEqual(best);
    }
  });
  it('encodeBatch uses one stream for the batch: seeded, reproducible, not the same draws per input', () => {
    const w = Array.from({ length: 20 }, () => 'international relations');
    const a = tok.encodeBatch(w, { sampling: { alpha: 0.1, random: 7 } }).ids.map((x) => Array.from(x).join(' '));
    const b = tok.encodeBatch(w, { sampling: { alpha: 0.1, random: 7 } }).ids.map((x) => Array.from(x).join(' '));
    expect(a).toEqual(b);
    expect(new Set(a).size).toBeGreaterThan(1);
  });
  it('is reproducible with a seed and decodes to the same text', () => {
    const w = 'international relations';
    const a = tok.encode(w, { sampling: { alpha: 0.1, random: 42 } }).ids;
    const b = tok.encode(w, { sampling: { alpha: 0.1, random: 42 } }).ids;
    expect(Array.from(a)).toEqual(Array.from(b));
    for (let seed = 0; seed < 20; seed++)
      expect(tok.decode(tok.encode(w, { sampling: { alpha: 0.1, random: seed } }).ids)).toBe(w);
  });
});

describe('BPE dropout (HF semantics)', () => {
  const vocab = new Map(['a', 'b', 'c', 'ab', 'abc'].map((t, i) => [t, i]));
  const merges: Array<[string, string]> = [
    ['a', 'b'],
    ['ab', 'c'],
  ];
  it('dropout 0 is deterministic, 1 merges nothing, p gives P(merge) = 1 - p per pop', () => {
    const bpe = new BPE({ vocab, merges });
    const tk = new Tokenizer({ model: bpe });
    expect(tk.encode('abc', { sampling: { dropout: 0, random: 1 } }).tokens).toEqual(['abc']);
    expect(tk.encode('abc', { sampling: { dropout: 1, random: 1 } }).tokens).toEqual(['a', 'b', 'c']);
    let merged = 0;
    const n = 20000;
    let full = 0;
    for (let i = 0; i < n; i++) {
      const t = tk.encode('abc', { sampling: { dropout: 0.3, random: i } }).tokens;
      if (t[0] !== 'a') merged++;
      if (t.length === 1) full++;
    }
    // one pop of a+b: kept with 0.7; then ab+c: kept with 0.7 -> 0.49 full
    expect(Math.abs(merged / n - 0.7)).toBeLessThan(4 * Math.sqrt((0.7 * 0.3) / n));
    expect(Math.abs(full / n - 0.49)).toBeLessThan(4 * Math.sqrt((0.49 * 0.51) / n));
  });
  it('dropout from tokenizer.json is kept, saved, and used when encoding', () => {
    const tk = new Tokenizer({ model: new BPE({ vocab, merges, dropout: 0.5 }) });
    const json = toTokenizerJson(tk);
    expect(JSON.parse(json).model.dropout).toBe(0.5);
    const back = fromTokenizerJson(json);
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) seen.add(back.encode('abc').tokens.join(' '));
    expect(seen.size).toBe(3);
    expect(() => fromTokenizerJson({ model: { ...JSON.parse(json).model, dropout: 2 } })).toThrow(
      /model\.dropout must be null or a number in \[0, 1\]/,
    );
  });
  it('sampling on a model without it is an error', () => {
    const wl = fromTokenizerJson({ model: { type: 'WordLevel', vocab: { a: 0, '<unk>': 1 }, unk_token: '<unk>' } });
    expect(() => wl.encode('a', { sampling: {} })).toThrow(/sampling needs a Unigram or BPE model/);
  });
});
