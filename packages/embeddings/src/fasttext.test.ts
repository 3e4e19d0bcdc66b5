import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  FastTextKeyedVectors,
  fastTextNgramHashes,
  fastTextNgrams,
  ftHash,
  readFastTextBin,
  readWord2VecFormat,
  writeFastTextBin,
  writeFastTextVec,
} from './index.js';
import { fixture } from '../test/fixture-path.js';

interface NgramFixture {
  words: string[];
  settings: Array<{
    minn: number;
    maxn: number;
    bucket: number;
    words: Record<string, { hashes: number[]; ngrams: string[] }>;
  }>;
  fasttextPrintNgrams: { minn: number; maxn: number; bucket: number; words: Record<string, string[]> };
}
const ngramFix = JSON.parse(readFileSync(fixture('ft-ngrams.json'), 'utf8')) as NgramFixture;
const sorted = (a: ArrayLike<number>): number[] => Array.from(a).sort((x, y) => x - y);

describe('fastText n-grams and hashing', () => {
  it('ftHash is FNV-1a with fastText’s int8 sign extension', () => {
    // FNV-1a of "" is the offset basis; of "a" (ASCII: no sign extension) the textbook value
    expect(ftHash('')).toBe(2166136261);
    expect(ftHash('a')).toBe(0xe40c292c);
    // a byte >= 0x80 is xored in as 0xFFFFFF00 | b, so it differs from plain FNV-1a
    const plain = (bytes: number[]): number => {
      let h = 2166136261;
      for (const b of bytes) h = Math.imul(h ^ b, 16777619) >>> 0;
      return h;
    };
    expect(ftHash(new Uint8Array([0xc3, 0xa9]))).not.toBe(plain([0xc3, 0xa9]));
    expect(ftHash(new Uint8Array([0x61, 0x62]))).toBe(plain([0x61, 0x62]));
  });

  for (const s of ngramFix.settings) {
    it(`equals gensim’s ft_ngram_hashes and n-grams for minn ${s.minn}, maxn ${s.maxn}, bucket ${s.bucket}`, () => {
      for (const w of ngramFix.words) {
        const g = s.words[w]!;
        const ours = fastTextNgramHashes(w, s);
        // gensim lists them by length then position, fastText by position then length
        expect(sorted(ours), w).toEqual(sorted(g.hashes));
        expect(fastTextNgrams(w, s).sort(), w).toEqual([...g.ngrams].sort());
      }
    });
  }

  it('lists n-grams in the order of fastText’s print-ngrams', () => {
    const f = ngramFix.fasttextPrintNgrams;
    for (const [w, list] of Object.entries(f.words)) {
      // print-ngrams puts the word itself first when it is in the vocabulary
      const ngrams = list[0] === w ? list.slice(1) : list;
      expect(fastTextNgrams(w, f), w).toEqual(ngrams);
    }
  });

  it('rejects bad n-gram options', () => {
    expect(() => fastTextNgramHashes('a', { minn: 0 })).toThrow(/minn must be an integer >= 1, got 0/);
    expect(() => fastTextNgramHashes('a', { bucket: -1 })).toThrow(/bucket must be/);
    expect(fastTextNgramHashes('abc', { bucket: 0 })).toHaveLength(0);
  });
});

const query = readFileSync(fixture('ft-query-words.txt'), 'utf8').trim().split('\n');
const cliVectors = new Map(
  readFileSync(fixture('ft-tiny-vectors.txt'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => {
      const parts = l.trim().split(' ');
      return [parts[0]!, parts.slice(1).map(Number)] as const;
    }),
);
const gensimFix = JSON.parse(readFileSync(fixture('ft-gensim.json'), 'utf8')) as {
  vocabSize: number;
  vectors: Record<string, number[]>;
  inVocab: Record<string, boolean>;
};

/**
 * fastText prints 5 significant digits (its Vector operator<< sets precision 5; trailing zeros
 * dropped): our float32 must round to the printed value, i.e. lie within half a
 * unit of its last printed digit (plus float32 rounding).
 */
function closeToPrinted(ours: ArrayLike<number>, printed: number[]): boolean {
  for (let k = 0; k < printed.length; k++) {
    const p = printed[k]!;
    const ulp = p === 0 ? 1e-6 : 10 ** (Math.floor(Math.log10(Math.abs(p))) - 4);
    if (Math.abs(ours[k]! - p) > 0.5 * ulp + 1e-7 * Math.abs(p)) return false;
  }
  return true;
}

describe('fastText .bin', () => {
  const bytes = readFileSync(fixture('ft-tiny.bin'));
  const model = readFastTextBin(bytes);

  it('reads a model the fastText CLI wrote: args, dictionary, matrices', () => {
    expect(model.args).toMatchObject({
      dim: 8,
      bucket: 4000,
      minn: 2,
      maxn: 4,
      model: 'skipgram',
      loss: 'ns',
      epoch: 2,
    });
    expect(model.wv.size).toBe(gensimFix.vocabSize);
    expect(model.wv.words.slice(0, 2)).toEqual(['the', '</s>']); // fastText counts a line end as </s>
    expect(model.outputRows).toBe(model.wv.size);
  });

  it('gives every query word (in-vocabulary and OOV) fastText’s and gensim’s vector', () => {
    for (const w of query) {
      const ours = model.wv.getRaw(w);
      expect(model.wv.has(w), w).toBe(gensimFix.inVocab[w]);
      const g = gensimFix.vectors[w]!;
      // fastText gives </s> no n-grams; gensim does (it does not special-case it): fastText wins
      if (w !== '</s>')
        for (let k = 0; k < 8; k++) expect(Math.abs(ours[k]! - g[k]!), `${w}[${k}] vs gensim`).toBeLessThan(1e-6);
      expect(closeToPrinted(ours, cliVectors.get(w)!), `${w} vs print-word-vectors`).toBe(true);
    }
    // the OOV ones really are OOV, and differ from each other
    expect(model.wv.has('vilage')).toBe(false);
    expect(model.wv.similarity('village', 'vilage')).toBeGreaterThan(0.5);
  });

  it('writes the .vec text file: the in-vocabulary vectors in word2vec text format', () => {
    const back = readWord2VecFormat(writeFastTextVec(model.wv));
    expect(back.words).toEqual(model.wv.words);
    expect(Array.from(back.get('village'))).toEqual(Array.from(model.wv.get('village')));
  });

  it('writes a .bin that reads back to the same bytes and vectors', () => {
    const again = writeFastTextBin(model.wv, {
      args: model.args,
      counts: model.counts,
      ntokens: model.ntokens,
      output: model.output,
    });
    expect(Buffer.from(again).equals(bytes)).toBe(true);
  });

  it('rejects malformed, truncated, quantized and supervised files with clear errors', () => {
    expect(() => readFastTextBin(bytes.subarray(0, 3))).toThrow(/ends early.*magic number/);
    const bad = Uint8Array.from(bytes);
    bad[0] = 1;
    expect(() => readFastTextBin(bad)).toThrow(/not a fastText \.bin model \(magic number/);
    expect(() => readFastTextBin(bytes.subarray(0, bytes.length - 10))).toThrow(
      /output matrix claims .* but only .* bytes follow \(truncated file\)/,
    );
    expect(() => readFastTextBin(bytes.subarray(0, 200))).toThrow(/ends (early|inside)/);
    // supervised: model id 3 at byte 8 + 7*4
    const sup = Uint8Array.from(bytes);
    new DataView(sup.buffer).setInt32(8 + 7 * 4, 3, true);
    expect(() => readFastTextBin(sup)).toThrow(/supervised .* not supported/);
    // quant flag: right after the dictionary; find it by writing a model and flipping that byte
    const w = writeFastTextBin(model.wv, { args: model.args, counts: model.counts, output: model.output });
    const inBytes = (model.wv.size + 4000) * 8 * 4 + 16;
    const outBytes = model.outputRows * 8 * 4 + 16 + 1;
    const q = Uint8Array.from(w);
    q[w.length - outBytes - inBytes - 1] = 1;
    expect(() => readFastTextBin(q)).toThrow(/quantized models \(\.ftz.*not supported/);
    // a lying dictionary size
    const lie = Uint8Array.from(bytes);
    new DataView(lie.buffer).setInt32(8 + 12 * 4 + 8, 1e8, true);
    expect(() => readFastTextBin(lie)).toThrow(/malformed dictionary header|ends early/);
  });
});

describe('a .bin we write, read by the fastText CLI and gensim', () => {
  // ft-ours.bin: trained and written by us (tooling/golden/embeddings/write_ours_fasttext.mjs);
  // ft-reads-ours.json: what `fasttext print-word-vectors` and gensim's load_facebook_model read
  const ours = readFastTextBin(readFileSync(fixture('ft-ours.bin')));
  const reads = JSON.parse(readFileSync(fixture('ft-reads-ours.json'), 'utf8')) as {
    fasttextPrintWordVectors: string;
    gensim: Record<string, number[]>;
    gensimVocabSize: number;
  };
  const cli = new Map(
    reads.fasttextPrintWordVectors
      .trim()
      .split('\n')
      .map((l) => {
        const parts = l.trim().split(' ');
        return [parts[0]!, parts.slice(1).map(Number)] as const;
      }),
  );
  it('both read the same vectors as we do, in-vocabulary and OOV', () => {
    expect(reads.gensimVocabSize).toBe(ours.wv.size);
    let inVocab = 0;
    for (const w of query) {
      const v = ours.wv.getRaw(w);
      if (ours.wv.has(w)) inVocab++;
      if (w !== '</s>') {
        const g = reads.gensim[w]!;
        for (let k = 0; k < 8; k++) expect(Math.abs(v[k]! - g[k]!), `${w}[${k}] vs gensim`).toBeLessThan(1e-6);
      }
      expect(closeToPrinted(v, cli.get(w)!), `${w} vs print-word-vectors`).toBe(true);
    }
    expect(inVocab).toBeGreaterThan(3);
  });
});

describe('FastTextKeyedVectors', () => {
  const model = readFastTextBin(readFileSync(fixture('ft-tiny.bin')));
  it('OOV without n-grams: getRaw gives zeros (fastText), get throws', () => {
    const wv = new FastTextKeyedVectors({
      words: ['ab'],
      vectorsVocab: new Float32Array([1, 2]),
      vectorsNgrams: new Float32Array(4 * 2).fill(0.5),
      dim: 2,
      minn: 5,
      maxn: 6,
    });
    expect(Array.from(wv.getRaw('xy'))).toEqual([0, 0]);
    expect(() => wv.get('xy')).toThrow(/"xy" is not in the vocabulary and has no character n-grams of 5\.\.6/);
    expect(Array.from(wv.get('ab'))).toEqual([1, 2]); // "<ab>" has 4 chars < minn: just the word row
  });

  it('mostSimilar accepts any word, never returns an in-vocabulary input', () => {
    const n = model.wv.mostSimilar({ positive: ['vilage'], topn: 3 });
    expect(n).toHaveLength(3);
    const m = model.wv.mostSimilar('village');
    expect(m.some((x) => x.word === 'village')).toBe(false);
  });

  it('wordTransform is applied to looked-up words', () => {
    // a jamo-like transform of the test's own: split every Hangul syllable into three code points
    const split = (w: string): string =>
      Array.from(w, (ch) => {
        const c = ch.codePointAt(0)! - 0xac00;
        if (c < 0 || c > 11171) return ch;
        const l = Math.floor(c / 588);
        const v = Math.floor((c % 588) / 28);
        const t = c % 28;
        return String.fromCodePoint(0x1100 + l, 0x1161 + v, t === 0 ? 0x2205 : 0x11a7 + t);
      }).join('');
    const words = [split('영화'), 'x'];
    const wv = new FastTextKeyedVectors({
      words,
      vectorsVocab: new Float32Array([1, 0, 0, 1]),
      vectorsNgrams: new Float32Array(10 * 2).fill(1),
      dim: 2,
      minn: 7, // no n-grams: the vectors are the word rows
      wordTransform: split,
    });
    expect(wv.has('영화')).toBe(true);
    expect(wv.has('영')).toBe(false);
    expect(Array.from(wv.get('영화'))).toEqual([1, 0]);
  });
});
