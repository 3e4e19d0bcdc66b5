import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { KeyedVectors, pearson, spearman } from './keyed-vectors.js';
import { loadWord2VecFormat } from './formats.js';
import { fixture } from '../test/fixture-path.js';

interface Golden {
  analogies: Array<{
    opts: Record<string, unknown>;
    result: { accuracy: number; sections: Array<{ section: string; correct: number; incorrect: number }> };
  }>;
  wordPairs: Array<{ opts: Record<string, unknown>; result: { pearson: number; spearman: number; oovRatio: number } }>;
  mostSimilar: Array<{
    opts: { positive: string[]; negative?: string[]; topn: number; restrictVocab?: number };
    result: Array<[string, number]>;
  }>;
  mostSimilarCosmul: Array<{
    opts: { positive: string[]; negative?: string[]; topn: number };
    result: Array<[string, number]>;
  }>;
  doesntMatch: Array<{ words: string[]; result: string }>;
  similarity: Array<{ a: string; b: string; result: number }>;
}

const golden = JSON.parse(readFileSync(fixture('gensim-eval.json'), 'utf8')) as Golden;
const kv = loadWord2VecFormat(fixture('eval-vectors.txt'));
// gensim computes in float32; ours in float64: similarity values agree to ~1e-6
const TOL = 1e-5;

describe('KeyedVectors vs gensim 4.2 on the committed vectors (fixtures/gensim-eval.json)', () => {
  it('evaluateAnalogies: same per-section correct/incorrect counts and accuracy', () => {
    for (const { opts, result } of golden.analogies) {
      const ours = kv.evaluateAnalogies({ path: fixture('questions-words.excerpt.txt') }, opts);
      expect(ours.sections.map((s) => ({ section: s.section, correct: s.correct, incorrect: s.incorrect }))).toEqual(
        result.sections,
      );
      expect(ours.accuracy).toBe(result.accuracy);
    }
  });

  it('evaluateWordPairs: same Pearson, Spearman and OOV ratio', () => {
    for (const { opts, result } of golden.wordPairs) {
      const ours = kv.evaluateWordPairs({ path: fixture('wordsim353.excerpt.tsv') }, opts);
      expect(ours.pearson).toBeCloseTo(result.pearson, 5);
      expect(ours.spearman).toBeCloseTo(result.spearman, 5);
      expect(ours.oovRatio).toBeCloseTo(result.oovRatio, 10);
    }
  });

  it('mostSimilar / mostSimilarCosmul / doesntMatch / similarity', () => {
    for (const { opts, result } of golden.mostSimilar) {
      const ours = kv.mostSimilar(opts);
      expect(ours.map((n) => n.word)).toEqual(result.map((r) => r[0]));
      ours.forEach((n, i) => expect(Math.abs(n.similarity - result[i]![1])).toBeLessThan(TOL));
    }
    for (const { opts, result } of golden.mostSimilarCosmul) {
      const ours = kv.mostSimilarCosmul(opts);
      expect(ours.map((n) => n.word)).toEqual(result.map((r) => r[0]));
      ours.forEach((n, i) => expect(Math.abs(n.similarity - result[i]![1])).toBeLessThan(TOL));
    }
    for (const { words, result } of golden.doesntMatch) expect(kv.doesntMatch(words)).toBe(result);
    for (const { a, b, result } of golden.similarity) expect(Math.abs(kv.similarity(a, b) - result)).toBeLessThan(TOL);
  });
});

describe('KeyedVectors', () => {
  const small = new KeyedVectors({
    words: ['a', 'b', 'c', 'd'],
    vectors: new Float32Array([1, 0, 0.9, 0.1, 0, 1, -1, 0]),
    dim: 2,
  });

  it('answers queries and hands weights to core Embedding', () => {
    expect(small.mostSimilar('a').map((n) => n.word)).toEqual(['b', 'c', 'd']);
    expect(small.mostSimilar({ positive: ['a'], topn: 1, restrictVocab: 3 })[0]!.word).toBe('b');
    expect(small.mostSimilar({ positive: [[0, 1]], topn: 1 })[0]!.word).toBe('c');
    expect(small.similarity('a', 'd')).toBeCloseTo(-1, 12);
    expect(Array.from(small.get('c', { norm: true }))).toEqual([0, 1]);
    const w = small.toEmbeddingWeights();
    expect(w).toEqual({ numEmbeddings: 4, embeddingDim: 2, weights: small.vectors });
    expect(w.weights).not.toBe(small.vectors);
  });

  it('pca2d: 2-D coordinates, centered', () => {
    const { words, coords } = small.pca2d(['a', 'b', 'd']);
    expect(words).toEqual(['a', 'b', 'd']);
    expect(coords.length).toBe(6);
    expect(coords[0]! + coords[2]! + coords[4]!).toBeCloseTo(0, 12);
    expect(() => small.pca2d(['a', 'nope'])).toThrow(
      'KeyedVectors.pca2d: word "nope" is not in the vocabulary (4 words)',
    );
  });

  it('names the OOV word in errors', () => {
    expect(() => small.get('zebra')).toThrow('KeyedVectors.get: word "zebra" is not in the vocabulary (4 words)');
    expect(() => small.mostSimilar({ positive: ['a'], negative: ['zebra'] })).toThrow(/mostSimilar: word "zebra"/);
    expect(() => small.similarity('a', 'zebra')).toThrow(/similarity: word "zebra"/);
    expect(() => small.doesntMatch(['x', 'y'])).toThrow(/none of \["x","y"\]/);
    expect(() => small.mostSimilar({})).toThrow(/both empty/);
  });

  it('validates its construction', () => {
    expect(() => new KeyedVectors({ words: ['a'], vectors: new Float32Array(3), dim: 2 })).toThrow(
      /vectors.length = 3/,
    );
    expect(() => new KeyedVectors({ words: ['a', 'a'], vectors: new Float32Array(2), dim: 1 })).toThrow(
      /duplicate word "a"/,
    );
  });

  it('analogy files: sections, malformed lines, missing header', () => {
    const text = ': s1\na b c d\nnot four words\n\n: s2\nb a d c\n';
    const kv4 = new KeyedVectors({
      words: ['a', 'b', 'c', 'd'],
      vectors: new Float32Array([1, 0, 1, 1, 0, 1, 0.1, 2]),
      dim: 2,
    });
    const r = kv4.evaluateAnalogies({ text });
    expect(r.questions).toBe(2);
    expect(r.sections.map((s) => s.section)).toEqual(['s1', 's2', 'Total accuracy']);
    expect(r.sections[2]!.correct + r.sections[2]!.incorrect).toBe(2);
    expect(() => kv4.evaluateAnalogies({ text: 'a b c d\n' })).toThrow(/missing section header before line #0/);
    expect(() => kv4.evaluateWordPairs({ text: '# only comments\n' })).toThrow(/no valid similarity judgements/);
  });

  it('pearson / spearman match hand-computed values (ties get average ranks)', () => {
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(0.9933992677987828, 12);
    // ranks of [1,2,2,3] = [1,2.5,2.5,4]; of [10,20,30,40] = [1,2,3,4]
    expect(spearman([1, 2, 2, 3], [10, 20, 30, 40])).toBeCloseTo(0.9486832980505138, 12);
  });
});
