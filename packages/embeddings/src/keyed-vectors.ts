/**
 * KeyedVectors: the trained artifact (words + one Float32Array row per word), its
 * similarity queries and gensim-compatible evaluations.
 *
 * References: gensim 4.2 `gensim/models/keyedvectors.py` — `most_similar` (3CosAdd),
 * `most_similar_cosmul` (3CosMul, Levy & Goldberg 2014 eq. 4 with footnote 7),
 * `doesnt_match`, `evaluate_word_analogies`, `evaluate_word_pairs`; Mikolov et al. 2013
 * (`compute-accuracy` of word2vec.c).
 */
import { nodeBuiltin } from './internal/node.js';
import { pca2d } from './svd.js';
import { linalg } from './internal/linalg-wasm.js';

/** One neighbour. */
export interface Neighbour {
  word: string;
  similarity: number;
}

/** A query term: a word, or a raw vector of length `dim`. */
export type Term = string | ArrayLike<number>;

/** Options of {@link KeyedVectors.mostSimilar} and {@link KeyedVectors.mostSimilarCosmul}. */
export interface MostSimilarOptions {
  /** Words (or vectors) that add. */
  positive?: Term[];
  /** Words (or vectors) that subtract. */
  negative?: Term[];
  /**
   * How many neighbours.
   * @default 10 — gensim's default.
   */
  topn?: number;
  /**
   * Search only the first `restrictVocab` words (the most frequent, ids are frequency-sorted).
   * @default undefined — the whole vocabulary.
   */
  restrictVocab?: number;
}

/** Where an evaluation file comes from: a path (read as UTF-8) or its text. */
export type EvalSource = { path: string } | { text: string };

/** Options of {@link KeyedVectors.evaluateAnalogies}. */
export interface EvaluateAnalogiesOptions {
  /**
   * Only the first `restrictVocab` words take part (questions with other words are OOV).
   * @default 300000 — gensim's default.
   */
  restrictVocab?: number;
  /**
   * Upper-case the vocabulary and the questions (the most frequent case variant wins), as gensim.
   * @default true — gensim's default.
   */
  caseInsensitive?: boolean;
  /**
   * Count questions with OOV words as wrong instead of skipping them.
   * @default false — gensim's default.
   */
  dummy4unknown?: boolean;
}

/** One section of an analogy evaluation. */
export interface AnalogySection {
  section: string;
  correct: number;
  incorrect: number;
  /** correct / (correct + incorrect), 0 when both are 0 (gensim). */
  accuracy: number;
}

/** Result of {@link KeyedVectors.evaluateAnalogies}. */
export interface AnalogyResult {
  /** Total accuracy (gensim's returned score). */
  accuracy: number;
  /** Per section, in file order; the last entry is `"Total accuracy"` as in gensim. */
  sections: AnalogySection[];
  /** Valid 4-word questions read. */
  questions: number;
  /** Questions with a word outside the (restricted) vocabulary. */
  oov: number;
  /** `oov / questions * 100` (gensim logs this). */
  oovRatio: number;
}

/** Options of {@link KeyedVectors.evaluateWordPairs}. */
export interface EvaluateWordPairsOptions {
  /**
   * Field delimiter.
   * @default '\t' — gensim's default (wordsim353.tsv).
   */
  delimiter?: string;
  /** @default 300000 — gensim's default. */
  restrictVocab?: number;
  /** @default true — gensim's default. */
  caseInsensitive?: boolean;
  /** Score OOV pairs as similarity 0 instead of skipping them. @default false — gensim's default. */
  dummy4unknown?: boolean;
}

/** Result of {@link KeyedVectors.evaluateWordPairs}. */
export interface WordPairsResult {
  pearson: number;
  spearman: number;
  /** OOV pairs in percent, as gensim computes it. */
  oovRatio: number;
  /** Pairs scored. */
  pairs: number;
  oov: number;
}

function norm(v: ArrayLike<number>, off: number, D: number): number {
  let s = 0;
  for (let k = 0; k < D; k++) {
    const x = v[off + k]!;
    s += x * x;
  }
  return Math.sqrt(s);
}

/** Python's `str.split()` (no argument): split on runs of whitespace, no empty strings. */
function pySplit(line: string): string[] {
  return line.split(/\s+/u).filter((t) => t.length > 0);
}

function readEval(fn: string, src: EvalSource): string[] {
  let text: string;
  if ('path' in src) {
    text = nodeBuiltin('node:fs', `${fn}({ path })`, 'in the browser fetch the file and pass { text }').readFileSync(
      src.path,
      'utf8',
    );
  } else if ('text' in src && typeof src.text === 'string') text = src.text;
  else throw new TypeError(`${fn}: source must be { path } or { text }`);
  // Python iterates lines keeping their ends; only '\n' separates lines here.
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function ranks(x: ArrayLike<number>): Float64Array {
  const n = x.length;
  const idx = Array.from({ length: n }, (_, i) => i).sort((a, b) => x[a]! - x[b]!);
  const r = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && x[idx[j + 1]!] === x[idx[i]!]) j++;
    const avg = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) r[idx[k]!] = avg;
    i = j + 1;
  }
  return r;
}

/** Pearson correlation coefficient (NaN when a side is constant). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  if (n !== b.length) throw new Error(`pearson: lengths differ (${n} vs ${b.length})`);
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Spearman rank correlation (average ranks for ties, as scipy.stats.spearmanr). */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return pearson(ranks(a), ranks(b));
}

/**
 * Word vectors: `vectors` holds row `i` (the vector of `words[i]`) at `i * dim`.
 * Words are expected frequency-sorted (id 0 = most frequent), as every trainer here produces
 * and as `restrictVocab` assumes.
 */
export class KeyedVectors {
  readonly words: string[];
  readonly vectors: Float32Array;
  readonly dim: number;
  readonly index: Map<string, number>;
  /** Corpus counts by id, when known. */
  readonly counts: Float64Array | undefined;
  private normsCache: Float64Array | undefined;

  constructor(opts: { words: string[]; vectors: Float32Array; dim: number; counts?: ArrayLike<number> }) {
    const { words, vectors, dim } = opts;
    if (!Number.isInteger(dim) || dim < 1)
      throw new RangeError(`KeyedVectors: dim must be an integer >= 1, got ${dim}`);
    if (vectors.length !== words.length * dim) {
      throw new RangeError(
        `KeyedVectors: vectors.length = ${vectors.length} but words.length * dim = ${words.length} * ${dim} = ${words.length * dim}`,
      );
    }
    this.words = words;
    this.vectors = vectors;
    this.dim = dim;
    this.index = new Map();
    for (let i = 0; i < words.length; i++) {
      if (this.index.has(words[i]!))
        throw new Error(`KeyedVectors: duplicate word ${JSON.stringify(words[i])} at row ${i}`);
      this.index.set(words[i]!, i);
    }
    if (opts.counts !== undefined) {
      if (opts.counts.length !== words.length) {
        throw new RangeError(`KeyedVectors: counts.length = ${opts.counts.length} but words.length = ${words.length}`);
      }
      this.counts = Float64Array.from(opts.counts);
    } else this.counts = undefined;
  }

  /** Number of words. */
  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  /**
   * Row index of `word`.
   * @throws naming the word if it is not in the vocabulary.
   */
  getIndex(word: string, fn = 'KeyedVectors.getIndex'): number {
    const i = this.index.get(word);
    if (i === undefined) {
      throw new Error(`${fn}: word ${JSON.stringify(word)} is not in the vocabulary (${this.size} words)`);
    }
    return i;
  }

  /** A copy of the vector of `word` (unit length with `norm: true`). @throws if `word` is OOV. */
  get(word: string, opts: { norm?: boolean } = {}): Float32Array {
    const i = this.getIndex(word, 'KeyedVectors.get');
    const v = this.vectors.slice(i * this.dim, (i + 1) * this.dim);
    if (opts.norm === true) {
      const n = this.norms()[i]!;
      if (n > 0) for (let k = 0; k < this.dim; k++) v[k] = v[k]! / n;
    }
    return v;
  }

  /** L2 norm of every row (cached; call {@link invalidateNorms} after editing `vectors`). */
  norms(): Float64Array {
    if (this.normsCache === undefined) {
      const n = new Float64Array(this.size);
      for (let i = 0; i < this.size; i++) n[i] = norm(this.vectors, i * this.dim, this.dim);
      this.normsCache = n;
    }
    return this.normsCache;
  }

  invalidateNorms(): void {
    this.normsCache = undefined;
  }

  /** Cosine similarity of two words. @throws if a word is OOV. */
  similarity(a: string, b: string): number {
    const i = this.getIndex(a, 'KeyedVectors.similarity');
    const j = this.getIndex(b, 'KeyedVectors.similarity');
    return this.cosRows(i, j);
  }

  private cosRows(i: number, j: number): number {
    const D = this.dim;
    const v = this.vectors;
    let s = 0;
    for (let k = 0; k < D; k++) s += v[i * D + k]! * v[j * D + k]!;
    const n = this.norms();
    return s / (n[i]! * n[j]!);
  }

  private termVector(fn: string, t: Term, keyIndex: Map<string, number>): { vec: Float64Array; idx: number } {
    const D = this.dim;
    const out = new Float64Array(D);
    if (typeof t === 'string') {
      const i = keyIndex.get(t);
      if (i === undefined)
        throw new Error(`${fn}: word ${JSON.stringify(t)} is not in the vocabulary (${this.size} words)`);
      const n = this.norms()[i]!;
      for (let k = 0; k < D; k++) out[k] = n > 0 ? this.vectors[i * D + k]! / n : 0;
      return { vec: out, idx: i };
    }
    if (t.length !== D) throw new RangeError(`${fn}: a vector term has length ${t.length}, expected dim = ${D}`);
    for (let k = 0; k < D; k++) out[k] = t[k]!;
    return { vec: out, idx: -1 };
  }

  private clip(fn: string, restrictVocab: number | undefined): number {
    if (restrictVocab === undefined) return this.size;
    if (!Number.isInteger(restrictVocab) || restrictVocab < 1) {
      throw new RangeError(`${fn}: restrictVocab must be an integer >= 1, got ${restrictVocab}`);
    }
    return Math.min(restrictVocab, this.size);
  }

  /** Cosine of every row in [0, end) with `q` (q need not be unit). */
  private cosAll(q: Float64Array, end: number): Float64Array {
    const D = this.dim;
    const v = this.vectors;
    const n = this.norms();
    const out = new Float64Array(end);
    for (let i = 0; i < end; i++) {
      let s = 0;
      const o = i * D;
      for (let k = 0; k < D; k++) s += v[o + k]! * q[k]!;
      out[i] = n[i]! > 0 ? s / n[i]! : 0;
    }
    return out;
  }

  private static topk(scores: Float64Array | Float32Array, k: number, exclude: Set<number>): number[] {
    // partial selection: keep a sorted buffer of the k best
    const best: number[] = [];
    for (let i = 0; i < scores.length; i++) {
      if (exclude.has(i)) continue;
      const s = scores[i]!;
      if (best.length === k && !(s > scores[best[k - 1]!]!)) continue;
      let p = best.length === k ? k - 1 : best.length;
      if (best.length < k) best.push(i);
      while (p > 0 && scores[best[p - 1]!]! < s) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = i;
    }
    return best;
  }

  private mostSimilarWith(fn: string, opts: MostSimilarOptions, keyIndex: Map<string, number>): Neighbour[] {
    const topn = opts.topn ?? 10;
    if (!Number.isInteger(topn) || topn < 0) throw new RangeError(`${fn}: topn must be an integer >= 0, got ${topn}`);
    if (topn === 0) return [];
    const pos = opts.positive ?? [];
    const neg = opts.negative ?? [];
    if (pos.length + neg.length === 0) throw new Error(`${fn}: positive and negative are both empty`);
    const D = this.dim;
    const mean = new Float64Array(D);
    const exclude = new Set<number>();
    for (const [terms, w] of [
      [pos, 1],
      [neg, -1],
    ] as const) {
      for (const t of terms) {
        const { vec, idx } = this.termVector(fn, t, keyIndex);
        if (idx >= 0) exclude.add(idx);
        for (let k = 0; k < D; k++) mean[k] = mean[k]! + w * vec[k]!;
      }
    }
    const mn = norm(mean, 0, D);
    if (mn > 0) for (let k = 0; k < D; k++) mean[k] = mean[k]! / mn;
    const scores = this.cosAll(mean, this.clip(fn, opts.restrictVocab));
    return KeyedVectors.topk(scores, topn, exclude).map((i) => ({ word: this.words[i]!, similarity: scores[i]! }));
  }

  /**
   * The `topn` words closest (cosine) to the mean of the unit vectors of `positive` minus
   * those of `negative` (3CosAdd, gensim `most_similar`). Input words are never returned.
   * @throws naming the word when a word is OOV; when both lists are empty.
   */
  mostSimilar(opts: MostSimilarOptions | string): Neighbour[] {
    const o = typeof opts === 'string' ? { positive: [opts] } : opts;
    return this.mostSimilarWith('KeyedVectors.mostSimilar', o, this.index);
  }

  /**
   * 3CosMul (Levy & Goldberg 2014): score(w) = Π_pos (1+cos)/2 / (Π_neg (1+cos)/2 + 1e-6),
   * as gensim `most_similar_cosmul`.
   * @throws naming the word when a word is OOV; when `positive` is empty.
   */
  mostSimilarCosmul(opts: MostSimilarOptions): Neighbour[] {
    const fn = 'KeyedVectors.mostSimilarCosmul';
    const topn = opts.topn ?? 10;
    if (!Number.isInteger(topn) || topn < 0) throw new RangeError(`${fn}: topn must be an integer >= 0, got ${topn}`);
    if (topn === 0) return [];
    const pos = opts.positive ?? [];
    const neg = opts.negative ?? [];
    if (pos.length === 0) throw new Error(`${fn}: positive is empty (cannot compute similarity with no input)`);
    const end = this.clip(fn, opts.restrictVocab);
    const exclude = new Set<number>();
    const posS: Float64Array[] = [];
    const negS: Float64Array[] = [];
    for (const t of pos) {
      const { vec, idx } = this.termVector(fn, t, this.index);
      if (idx >= 0) exclude.add(idx);
      posS.push(this.cosAll(vec, end));
    }
    for (const t of neg) {
      const { vec, idx } = this.termVector(fn, t, this.index);
      if (idx >= 0) exclude.add(idx);
      negS.push(this.cosAll(vec, end));
    }
    const scores = new Float64Array(end);
    for (let i = 0; i < end; i++) {
      let p = 1;
      for (const s of posS) p *= (1 + s[i]!) / 2;
      let q = 1;
      for (const s of negS) q *= (1 + s[i]!) / 2;
      scores[i] = p / (q + 0.000001);
    }
    return KeyedVectors.topk(scores, topn, exclude).map((i) => ({ word: this.words[i]!, similarity: scores[i]! }));
  }

  /**
   * The word furthest from the mean of the others' unit vectors (gensim `doesnt_match`;
   * OOV words are ignored, as gensim ignores them with a warning).
   * @throws if no word is in the vocabulary.
   */
  doesntMatch(words: string[]): string {
    const used = words.filter((w) => this.index.has(w));
    if (used.length === 0) {
      throw new Error(`KeyedVectors.doesntMatch: none of ${JSON.stringify(words)} is in the vocabulary`);
    }
    const D = this.dim;
    const vecs = used.map((w) => this.termVector('KeyedVectors.doesntMatch', w, this.index).vec);
    const mean = new Float64Array(D);
    for (const v of vecs) for (let k = 0; k < D; k++) mean[k] = mean[k]! + v[k]! / vecs.length;
    const mn = norm(mean, 0, D);
    let bestWord = used[0]!;
    let bestDist = Infinity;
    vecs.forEach((v, i) => {
      let s = 0;
      for (let k = 0; k < D; k++) s += v[k]! * mean[k]!;
      const d = mn > 0 ? s / mn : 0;
      // gensim: sorted(zip(dists, words))[0] — ties broken by the word
      if (d < bestDist || (d === bestDist && used[i]! < bestWord)) {
        bestDist = d;
        bestWord = used[i]!;
      }
    });
    return bestWord;
  }

  private okVocab(restrictVocab: number, caseInsensitive: boolean): Map<string, number> {
    const end = Math.min(restrictVocab, this.size);
    const ok = new Map<string, number>();
    // gensim: {k.upper(): index for k in reversed(ok_keys)} — the most frequent variant wins
    for (let i = end - 1; i >= 0; i--) ok.set(caseInsensitive ? this.words[i]!.toUpperCase() : this.words[i]!, i);
    return ok;
  }

  /**
   * Word-analogy accuracy, with gensim 4.2 `evaluate_word_analogies` semantics: sections start
   * with `": "`; lines that do not split into 4 words are skipped; a question with a word not
   * among the first `restrictVocab` words is OOV (skipped, or wrong with `dummy4unknown`);
   * the answer is the first of the 5 nearest (3CosAdd over the first `restrictVocab` words) that
   * is not one of the 3 question words.
   * @throws if a question line comes before any section line.
   */
  evaluateAnalogies(source: EvalSource, opts: EvaluateAnalogiesOptions = {}): AnalogyResult {
    const fn = 'KeyedVectors.evaluateAnalogies';
    const restrictVocab = opts.restrictVocab ?? 300000;
    const ci = opts.caseInsensitive ?? true;
    const dummy = opts.dummy4unknown ?? false;
    const ok = this.okVocab(restrictVocab, ci);
    const end = Math.min(restrictVocab, this.size);
    const lines = readEval(fn, source);
    const sections: AnalogySection[] = [];
    let section: AnalogySection | null = null;
    let oov = 0;
    let questions = 0;
    // Collect answerable questions first, then score them in blocks (cache-friendly).
    interface Q {
      sec: AnalogySection;
      ia: number;
      ib: number;
      ic: number;
      words: [string, string, string, string];
    }
    const qs: Q[] = [];
    lines.forEach((line, lineNo) => {
      if (line.startsWith(': ')) {
        if (section) sections.push(section);
        section = { section: line.replace(/^[: ]+/u, '').trim(), correct: 0, incorrect: 0, accuracy: 0 };
        return;
      }
      if (!section) throw new Error(`${fn}: missing section header before line #${lineNo}`);
      const parts = pySplit(line);
      if (parts.length !== 4) return;
      const [a, b, c, e] = (ci ? parts.map((w) => w.toUpperCase()) : parts) as [string, string, string, string];
      questions++;
      if (!ok.has(a) || !ok.has(b) || !ok.has(c) || !ok.has(e)) {
        oov++;
        if (dummy) section.incorrect++;
        return;
      }
      qs.push({ sec: section, ia: ok.get(a)!, ib: ok.get(b)!, ic: ok.get(c)!, words: [a, b, c, e] });
    });
    if (section) sections.push(section);

    // Score in blocks of B questions: unit rows · unit means with f32x4 SIMD (linalg-simd.wat;
    // float32 like gensim's BLAS call), ~10x the plain-JS loop.
    const D = this.dim;
    const n = this.norms();
    const V = this.vectors;
    const B = 32;
    const dp = Math.ceil(D / 8) * 8;
    const oRows = 0;
    const oQ = end * dp * 4;
    const oOut = oQ + B * dp * 4;
    const { memory, ex } = linalg(fn, oOut + B * end * 4);
    const rows = new Float32Array(memory.buffer, oRows, end * dp);
    for (let i = 0; i < end; i++) {
      const inv = n[i]! > 0 ? 1 / n[i]! : 0;
      for (let k = 0; k < D; k++) rows[i * dp + k] = V[i * D + k]! * inv;
    }
    const means = new Float32Array(memory.buffer, oQ, B * dp);
    const scores = new Float32Array(memory.buffer, oOut, B * end);
    const m = new Float64Array(D);
    for (let q0 = 0; q0 < qs.length; q0 += B) {
      const nb = Math.min(B, qs.length - q0);
      for (let t = 0; t < nb; t++) {
        const q = qs[q0 + t]!;
        for (let k = 0; k < D; k++) {
          m[k] = V[q.ib * D + k]! / n[q.ib]! + V[q.ic * D + k]! / n[q.ic]! - V[q.ia * D + k]! / n[q.ia]!;
        }
        const mn = norm(m, 0, D);
        for (let k = 0; k < D; k++) means[t * dp + k] = m[k]! / mn;
      }
      ex.mscore(oRows, end, dp, oQ, nb, oOut);
      for (let t = 0; t < nb; t++) {
        const q = qs[q0 + t]!;
        const sc = scores.subarray(t * end, (t + 1) * end);
        const top = KeyedVectors.topk(sc, 5, new Set([q.ia, q.ib, q.ic]));
        const ignore = new Set(q.words.slice(0, 3));
        const expected = q.words[3];
        let predicted: string | null = null;
        for (const i of top) {
          predicted = ci ? this.words[i]!.toUpperCase() : this.words[i]!;
          if (ok.has(predicted) && !ignore.has(predicted)) break;
        }
        if (predicted === expected) q.sec.correct++;
        else q.sec.incorrect++;
      }
    }
    let c = 0;
    let w = 0;
    for (const s of sections) {
      s.accuracy = s.correct + s.incorrect === 0 ? 0 : s.correct / (s.correct + s.incorrect);
      c += s.correct;
      w += s.incorrect;
    }
    const total: AnalogySection = {
      section: 'Total accuracy',
      correct: c,
      incorrect: w,
      accuracy: c + w === 0 ? 0 : c / (c + w),
    };
    sections.push(total);
    return {
      accuracy: total.accuracy,
      sections,
      questions,
      oov,
      oovRatio: questions === 0 ? NaN : (oov / questions) * 100,
    };
  }

  /**
   * Correlation of cosine similarities with human scores, with gensim 4.2
   * `evaluate_word_pairs` semantics (lines starting with `#` are comments; lines that do not
   * split into 3 fields with a numeric third are skipped; OOV pairs skipped or scored 0).
   * @throws if no pair could be scored.
   */
  evaluateWordPairs(source: EvalSource, opts: EvaluateWordPairsOptions = {}): WordPairsResult {
    const fn = 'KeyedVectors.evaluateWordPairs';
    const delimiter = opts.delimiter ?? '\t';
    const ci = opts.caseInsensitive ?? true;
    const dummy = opts.dummy4unknown ?? false;
    const ok = this.okVocab(opts.restrictVocab ?? 300000, ci);
    const gold: number[] = [];
    const model: number[] = [];
    let oov = 0;
    for (const line of readEval(fn, source)) {
      if (line.startsWith('#')) continue;
      const parts = line.split(delimiter);
      if (parts.length !== 3) continue;
      const [a, b] = ci ? [parts[0]!.toUpperCase(), parts[1]!.toUpperCase()] : [parts[0]!, parts[1]!];
      const simText = parts[2]!.trim();
      // Python float(): rejects empty strings and trailing junk
      if (simText === '' || !/^[+-]?(\d+\.?\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|inf(inity)?|nan)$/iu.test(simText))
        continue;
      const sim = Number(simText.replace(/^([+-]?)inf(inity)?$/iu, '$1Infinity'));
      if (!ok.has(a) || !ok.has(b)) {
        oov++;
        if (dummy) {
          model.push(0);
          gold.push(sim);
        }
        continue;
      }
      gold.push(sim);
      model.push(this.cosRows(ok.get(a)!, ok.get(b)!));
    }
    if (gold.length === 0) {
      throw new Error(
        `${fn}: no valid similarity judgements found: either invalid format or all are out of vocabulary`,
      );
    }
    return {
      pearson: pearson(gold, model),
      spearman: spearman(gold, model),
      oovRatio: dummy ? (oov / gold.length) * 100 : (oov / (gold.length + oov)) * 100,
      pairs: gold.length,
      oov,
    };
  }

  /**
   * 2-D coordinates of `words` (default: every word) on their first two principal components,
   * for plotting. @throws naming an OOV word.
   */
  pca2d(words?: string[]): { words: string[]; coords: Float64Array } {
    const ws = words ?? this.words;
    const D = this.dim;
    const X = new Float64Array(ws.length * D);
    ws.forEach((w, r) => {
      const i = this.getIndex(w, 'KeyedVectors.pca2d');
      for (let k = 0; k < D; k++) X[r * D + k] = this.vectors[i * D + k]!;
    });
    return { words: ws.slice(), coords: pca2d(X, ws.length, D) };
  }

  /**
   * Hand-off to `@wordloom/core`'s `Embedding`:
   * `new Embedding({ ...kv.toEmbeddingWeights(), freeze: true })`. Row `i` is `words[i]`.
   */
  toEmbeddingWeights(): { numEmbeddings: number; embeddingDim: number; weights: Float32Array } {
    return { numEmbeddings: this.size, embeddingDim: this.dim, weights: this.vectors.slice() };
  }
}
