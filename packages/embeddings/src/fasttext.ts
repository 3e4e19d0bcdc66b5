/**
 * fastText subword vectors: character n-grams hashed into buckets exactly as Facebook's fastText
 * (`Dictionary::hash`, `Dictionary::computeSubwords`), and {@link FastTextKeyedVectors}, which
 * gives a vector to any word.
 *
 * References: P. Bojanowski, E. Grave, A. Joulin, T. Mikolov, *Enriching Word Vectors with
 * Subword Information* (TACL 2017); fastText 0.9.2 `src/dictionary.cc`, `src/fasttext.cc`
 * (`getWordVector`); gensim 4.2 `models/fasttext.py` (`ft_ngram_hashes`,
 * `FastTextKeyedVectors.get_vector`, `adjust_vectors`).
 */
import { KeyedVectors, type Neighbour, type Term } from './keyed-vectors.js';

const utf8 = new TextEncoder();

/**
 * fastText's hash: 32-bit FNV-1a over the UTF-8 bytes, where each byte is first sign-extended
 * as a C `int8_t` (fastText's `uint32_t(int8_t(c))`: bytes ≥ 0x80 are xored in as
 * `0xFFFFFF00 | b`). Returns an unsigned 32-bit integer. gensim 4's `ft_hash_bytes` is the same.
 */
export function ftHash(word: string | Uint8Array): number {
  const b = typeof word === 'string' ? utf8.encode(word) : word;
  return ftHashRange(b, 0, b.length);
}

function ftHashRange(b: Uint8Array, from: number, to: number): number {
  let h = 2166136261 | 0;
  for (let i = from; i < to; i++) {
    const c = b[i]!;
    h ^= c >= 0x80 ? c | 0xffffff00 : c;
    h = Math.imul(h, 16777619);
  }
  return h >>> 0;
}

/** n-gram settings (fastText's `-minn`, `-maxn`, `-bucket`). */
export interface NgramOptions {
  /** Shortest n-gram, in characters (Unicode code points). @default 3 — fastText and gensim. */
  minn?: number;
  /** Longest n-gram; `maxn < minn` (e.g. 0) means no n-grams. @default 6 — fastText and gensim. */
  maxn?: number;
  /** Hash buckets (rows of n-gram vectors). @default 2000000 — fastText and gensim. */
  bucket?: number;
}

function ngramArgs(fn: string, o: NgramOptions): { minn: number; maxn: number; bucket: number } {
  const minn = o.minn ?? 3;
  const maxn = o.maxn ?? 6;
  const bucket = o.bucket ?? 2_000_000;
  if (!Number.isInteger(minn) || minn < 1) throw new RangeError(`${fn}: minn must be an integer >= 1, got ${minn}`);
  if (!Number.isInteger(maxn) || maxn < 0) throw new RangeError(`${fn}: maxn must be an integer >= 0, got ${maxn}`);
  if (!Number.isInteger(bucket) || bucket < 0 || bucket > 2 ** 31 - 1) {
    throw new RangeError(`${fn}: bucket must be an integer in [0, 2^31 - 1], got ${bucket}`);
  }
  return { minn, maxn, bucket };
}

/**
 * Walks the n-grams of `<word>` in fastText's order (by start character, then length): code
 * points are whole UTF-8 sequences (continuation bytes never start an n-gram), lengths
 * `minn..maxn` characters, and a 1-character n-gram that is the `<` or `>` boundary alone is
 * skipped. Calls `visit(bytes, from, to)` for each.
 */
function walkNgrams(
  word: string,
  minn: number,
  maxn: number,
  visit: (b: Uint8Array, from: number, to: number) => void,
): void {
  const b = utf8.encode(`<${word}>`);
  const L = b.length;
  for (let i = 0; i < L; i++) {
    if ((b[i]! & 0xc0) === 0x80) continue;
    let j = i;
    for (let n = 1; j < L && n <= maxn; n++) {
      j++;
      while (j < L && (b[j]! & 0xc0) === 0x80) j++;
      if (n >= minn && !(n === 1 && (i === 0 || j === L))) visit(b, i, j);
    }
  }
}

const utf8d = new TextDecoder();

/**
 * The character n-grams of `word` as fastText computes them (with the `<`/`>` boundaries, in
 * fastText's order; fastText's `print-ngrams` lists the same strings).
 */
export function fastTextNgrams(word: string, opts: Omit<NgramOptions, 'bucket'> = {}): string[] {
  const { minn, maxn } = ngramArgs('fastTextNgrams', opts);
  const out: string[] = [];
  walkNgrams(word, minn, maxn, (b, i, j) => out.push(utf8d.decode(b.subarray(i, j))));
  return out;
}

/**
 * Bucket ids (`ftHash(ngram) % bucket`, in [0, bucket)) of the n-grams of `word`, in fastText's
 * order; the n-gram vector of bucket `h` is row `nwords + h` of fastText's input matrix. Empty
 * when `bucket` is 0. gensim's `ft_ngram_hashes` gives the same ids (in another order).
 */
export function fastTextNgramHashes(word: string, opts: NgramOptions = {}): Int32Array {
  const { minn, maxn, bucket } = ngramArgs('fastTextNgramHashes', opts);
  return ngramHashes(word, minn, maxn, bucket);
}

/** @internal */
export function ngramHashes(word: string, minn: number, maxn: number, bucket: number): Int32Array {
  if (bucket === 0) return new Int32Array(0);
  const out: number[] = [];
  walkNgrams(word, minn, maxn, (b, i, j) => out.push(ftHashRange(b, i, j) % bucket));
  return Int32Array.from(out);
}

/** fastText's end-of-sentence token: it never gets n-grams (`Dictionary::initNgrams`, `getSubwords`). */
export const EOS = '</s>';

function eosNgrams(w: string, minn: number, maxn: number, bucket: number): Int32Array {
  return w === EOS ? new Int32Array(0) : ngramHashes(w, minn, maxn, bucket);
}

/** Options of the {@link FastTextKeyedVectors} constructor. */
export interface FastTextKeyedVectorsInit {
  /** Vocabulary words (already transformed by `wordTransform`, if any). */
  words: string[];
  /** Word rows (fastText input rows 0..V−1), V×dim. */
  vectorsVocab: Float32Array;
  /** n-gram rows (fastText input rows V..V+bucket−1), bucket×dim. */
  vectorsNgrams: Float32Array;
  dim: number;
  /** @default 3 */
  minn?: number;
  /** @default 6 */
  maxn?: number;
  /** Corpus counts by word id. */
  counts?: ArrayLike<number>;
  /**
   * Applied to every word looked up (and, by the trainer, to every corpus token) before the
   * vocabulary lookup and the n-grams: e.g. a Hangul→jamo decomposition. Not saved in files.
   * @default undefined — words are used as given.
   */
  wordTransform?: (word: string) => string;
}

/**
 * What {@link FastTextKeyedVectors} and `CompactFastTextKeyedVectors` (a compact file, rows
 * decoded on lookup) share: a vector for any word from its word row and its n-gram rows, however
 * those rows are stored. Subclasses say how to read one row.
 *
 * - In the vocabulary: the mean of the word's own row and its n-gram rows (fastText's
 *   `getWordVector`, gensim's `adjust_vectors`).
 * - Not in it: the mean of its n-gram rows.
 * - `</s>` (fastText's end-of-line token) has no n-grams, as in fastText (gensim gives it n-grams).
 * - A word with no n-gram (e.g. `maxn` = 0, or too short for `minn`) and not in the vocabulary
 *   has the zero vector, as fastText and gensim return; `get` then throws instead (a zero vector
 *   has no direction), and `getRaw` returns the zeros.
 *
 * Queries over the vocabulary (`mostSimilar`, evaluations) use `kv`, a {@link KeyedVectors} of
 * the in-vocabulary vectors; the query terms themselves may be any words.
 */
export abstract class SubwordKeyedVectors {
  readonly words: string[];
  readonly dim: number;
  readonly minn: number;
  readonly maxn: number;
  readonly bucket: number;
  readonly wordTransform: ((word: string) => string) | undefined;
  /** The in-vocabulary vectors (word + n-grams, averaged) as a {@link KeyedVectors}. */
  abstract readonly kv: KeyedVectors;
  /** The class name in error messages (survives minification). */
  private readonly fn: string;

  protected constructor(
    fn: string,
    init: { words: string[]; dim: number; minn?: number; maxn?: number; wordTransform?: (word: string) => string },
    bucket: number,
  ) {
    const { minn, maxn } = ngramArgs(fn, { minn: init.minn, maxn: init.maxn });
    this.words = init.words;
    this.dim = init.dim;
    this.minn = minn;
    this.maxn = maxn;
    this.bucket = bucket;
    this.wordTransform = init.wordTransform;
    this.fn = fn;
  }

  /** `acc` = word row `id` (float64 copy of its values). */
  protected abstract setWordRow(id: number, acc: Float64Array): void;
  /** `acc` += n-gram row `b`. */
  protected abstract addNgramRow(b: number, acc: Float64Array): void;
  /** Vocabulary word → id. */
  protected abstract vocabIndex(): Map<string, number>;

  /** Number of vocabulary words. */
  get size(): number {
    return this.words.length;
  }

  /** Whether `word` (after `wordTransform`) is in the vocabulary (every word has a vector anyway). */
  has(word: string): boolean {
    return this.vocabIndex().has(this.key(word));
  }

  protected key(word: string): string {
    return this.wordTransform === undefined ? word : this.wordTransform(word);
  }

  /** Input-matrix row ids of `word` (transformed), fastText's `getSubwords`: [id] + V + buckets, or buckets only. */
  subwordRows(word: string): Int32Array {
    const w = this.key(word);
    const id = this.vocabIndex().get(w);
    const h = eosNgrams(w, this.minn, this.maxn, this.bucket);
    const V = this.words.length;
    const out = new Int32Array(h.length + (id === undefined ? 0 : 1));
    let p = 0;
    if (id !== undefined) out[p++] = id;
    for (let i = 0; i < h.length; i++) out[p++] = V + h[i]!;
    return out;
  }

  /** Mean of word row (id ≥ 0) and n-gram rows into acc (float64); returns the number of rows. */
  protected compose(w: string, id: number, acc: Float64Array): number {
    const D = this.dim;
    acc.fill(0);
    let n = 0;
    if (id >= 0) {
      this.setWordRow(id, acc);
      n = 1;
    }
    const h = eosNgrams(w, this.minn, this.maxn, this.bucket);
    for (let i = 0; i < h.length; i++) this.addNgramRow(h[i]!, acc);
    n += h.length;
    if (n > 0) for (let k = 0; k < D; k++) acc[k] = acc[k]! / n;
    return n;
  }

  /** The composed vectors of every vocabulary word (V × dim), the rows of `kv`. */
  protected composeVocab(): Float32Array {
    const V = this.words.length;
    const D = this.dim;
    const vecs = new Float32Array(V * D);
    const acc = new Float64Array(D);
    for (let i = 0; i < V; i++) {
      this.compose(this.words[i]!, i, acc);
      for (let k = 0; k < D; k++) vecs[i * D + k] = acc[k]!;
    }
    return vecs;
  }

  /** The in-vocabulary vector of word `id` (a fresh copy; the same values as row `id` of `kv`). */
  protected vocabVector(id: number): Float32Array {
    const acc = new Float64Array(this.dim);
    this.compose(this.words[id]!, id, acc);
    return Float32Array.from(acc);
  }

  /**
   * The vector of any word, as fastText's `print-word-vectors` (zeros when the word is out of
   * the vocabulary and has no n-gram).
   */
  getRaw(word: string): Float32Array {
    const w = this.key(word);
    const id = this.vocabIndex().get(w);
    if (id !== undefined) return this.vocabVector(id);
    const acc = new Float64Array(this.dim);
    this.compose(w, -1, acc);
    return Float32Array.from(acc);
  }

  /**
   * The vector of any word (unit length with `norm: true`).
   * @throws when the word is out of the vocabulary and has no n-gram of `minn..maxn` characters.
   */
  get(word: string, opts: { norm?: boolean } = {}): Float32Array {
    const w = this.key(word);
    const id = this.vocabIndex().get(w);
    let v: Float32Array;
    if (id !== undefined) v = this.vocabVector(id);
    else {
      const acc = new Float64Array(this.dim);
      if (this.compose(w, -1, acc) === 0) {
        throw new Error(
          `${this.fn}.get: word ${JSON.stringify(word)} is not in the vocabulary and has no character ` +
            `n-grams of ${this.minn}..${this.maxn} characters (with bucket = ${this.bucket}), so it has no vector`,
        );
      }
      v = Float32Array.from(acc);
    }
    if (opts.norm === true) {
      // the arithmetic of KeyedVectors.get({ norm: true }): float64 norm of the float32 values
      let s = 0;
      for (let k = 0; k < this.dim; k++) s += v[k]! * v[k]!;
      const n = Math.sqrt(s);
      if (n > 0) for (let k = 0; k < this.dim; k++) v[k] = v[k]! / n;
    }
    return v;
  }

  /** Cosine similarity of any two words. @throws as {@link get}. */
  similarity(a: string, b: string): number {
    const x = this.get(a);
    const y = this.get(b);
    let s = 0;
    let nx = 0;
    let ny = 0;
    for (let k = 0; k < this.dim; k++) {
      s += x[k]! * y[k]!;
      nx += x[k]! * x[k]!;
      ny += y[k]! * y[k]!;
    }
    return s / Math.sqrt(nx * ny);
  }

  private term(t: Term): Term {
    if (typeof t !== 'string') return t;
    const w = this.key(t);
    // gensim: an out-of-vocabulary word enters as its unit vector, as in-vocabulary words do
    return this.vocabIndex().has(w) ? w : this.get(t, { norm: true });
  }

  /**
   * Nearest vocabulary words (3CosAdd, as {@link KeyedVectors.mostSimilar}); terms may be any
   * words (out-of-vocabulary ones are composed from their n-grams, as gensim's FastText).
   */
  mostSimilar(
    opts: { positive?: Term[]; negative?: Term[]; topn?: number; restrictVocab?: number } | string,
  ): Neighbour[] {
    const o = typeof opts === 'string' ? { positive: [opts] } : opts;
    const positive = (o.positive ?? []).map((t) => this.term(t));
    const negative = (o.negative ?? []).map((t) => this.term(t));
    return this.kv.mostSimilar({ ...o, positive, negative });
  }
}

function checkInit(init: FastTextKeyedVectorsInit): number {
  const fn = 'FastTextKeyedVectors';
  const { words, vectorsVocab, vectorsNgrams, dim } = init;
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`${fn}: dim must be an integer >= 1, got ${dim}`);
  if (vectorsVocab.length !== words.length * dim) {
    throw new RangeError(
      `${fn}: vectorsVocab.length = ${vectorsVocab.length} but words.length * dim = ${words.length * dim}`,
    );
  }
  if (vectorsNgrams.length % dim !== 0) {
    throw new RangeError(`${fn}: vectorsNgrams.length = ${vectorsNgrams.length} is not a multiple of dim = ${dim}`);
  }
  return vectorsNgrams.length / dim;
}

/**
 * fastText word vectors in float32 arrays: a vector for any word (see {@link SubwordKeyedVectors}
 * for how), the in-vocabulary ones composed at construction into `kv`.
 */
export class FastTextKeyedVectors extends SubwordKeyedVectors {
  readonly vectorsVocab: Float32Array;
  readonly vectorsNgrams: Float32Array;
  override readonly kv: KeyedVectors;

  constructor(init: FastTextKeyedVectorsInit) {
    super('FastTextKeyedVectors', init, checkInit(init));
    this.vectorsVocab = init.vectorsVocab;
    this.vectorsNgrams = init.vectorsNgrams;
    this.kv = new KeyedVectors({ words: this.words, vectors: this.composeVocab(), dim: this.dim, counts: init.counts });
  }

  protected override setWordRow(id: number, acc: Float64Array): void {
    const D = this.dim;
    const X = this.vectorsVocab;
    for (let k = 0; k < D; k++) acc[k] = X[id * D + k]!;
  }

  protected override addNgramRow(b: number, acc: Float64Array): void {
    const D = this.dim;
    const G = this.vectorsNgrams;
    const o = b * D;
    for (let k = 0; k < D; k++) acc[k] = acc[k]! + G[o + k]!;
  }

  protected override vocabIndex(): Map<string, number> {
    return this.kv.index;
  }

  protected override vocabVector(id: number): Float32Array {
    return this.kv.vectors.slice(id * this.dim, (id + 1) * this.dim);
  }
}
