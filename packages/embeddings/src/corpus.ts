/**
 * Token streams and the vocabulary built from them.
 *
 * References: word2vec.c (`LearnVocabFromTrainFile`, `SortVocab`), gensim 4.2
 * `Word2Vec.scan_vocab` / `prepare_vocab` (frequency-sorted ids, `min_count`,
 * `max_final_vocab`), gensim `LineSentence` (one sentence a line, split on whitespace,
 * at most 10,000 tokens a sentence).
 */
import { gzipProblem, nodeBuiltin } from './internal/node.js';

/**
 * A source of sentences:
 * - a file path (`string`; `.gz` is decompressed): one sentence a line, tokens split on whitespace;
 * - an iterable or async iterable of sentences, each a `string[]` of tokens or a `string`
 *   (split on whitespace).
 */
export type CorpusSource = string | Iterable<readonly string[] | string> | AsyncIterable<readonly string[] | string>;

/** Options for reading a corpus. */
export interface ReadCorpusOptions {
  /**
   * Lower-case every token (with `toLowerCase()`).
   * @default false — the tokens are used as given, like gensim.
   */
  lowercase?: boolean;
}

const WS = /\s+/u;

function splitLine(line: string): string[] {
  const toks = line.split(WS);
  // split on /\s+/ yields empty strings at the ends when the line starts/ends with space
  let a = 0;
  let b = toks.length;
  if (a < b && toks[a] === '') a++;
  if (b > a && toks[b - 1] === '') b--;
  return a === 0 && b === toks.length ? toks : toks.slice(a, b);
}

/** Iterates the sentences of a corpus source as token arrays. */
export async function* readSentences(source: CorpusSource, opts: ReadCorpusOptions = {}): AsyncGenerator<string[]> {
  const lower = opts.lowercase === true;
  if (typeof source === 'string') {
    const instead = 'in the browser pass an iterable of sentences (string[] or string each)';
    const fs = nodeBuiltin('node:fs', 'reading a corpus from a file path', instead);
    const zlib = nodeBuiltin('node:zlib', 'reading a corpus from a file path', instead);
    const readline = nodeBuiltin('node:readline', 'reading a corpus from a file path', instead);
    // readline does not pass on its input's errors: catch them on the streams, stop reading,
    // and throw one that names the file (zlib's "invalid block type" names nothing).
    const failed: { error: Error | null } = { error: null };
    const file = fs.createReadStream(source);
    let input: NodeJS.ReadableStream = file;
    const fail = (error: Error): void => {
      failed.error ??= error;
      reader.close();
    };
    file.on('error', (e) =>
      fail(new Error(`readSentences: cannot read ${JSON.stringify(source)}: ${e.message}`, { cause: e })),
    );
    if (source.endsWith('.gz')) {
      input = file.pipe(zlib.createGunzip());
      input.on('error', (e: Error) =>
        fail(new Error(`readSentences: ${JSON.stringify(source)}: ${gzipProblem(e)}`, { cause: e })),
      );
    }
    const reader = readline.createInterface({ input, crlfDelay: Infinity });
    // readline re-emits its input's error on itself: already recorded above.
    reader.on('error', () => {});
    try {
      for await (const line of reader) {
        if (failed.error != null) break;
        yield splitLine(lower ? line.toLowerCase() : line);
      }
    } finally {
      reader.close();
      file.destroy();
    }
    if (failed.error != null) throw failed.error;
    return;
  }
  if (source === null || typeof source !== 'object') {
    throw new TypeError(`readSentences: source must be a file path or an iterable of sentences, got ${String(source)}`);
  }
  for await (const s of source as AsyncIterable<readonly string[] | string>) {
    if (typeof s === 'string') {
      yield splitLine(lower ? s.toLowerCase() : s);
    } else if (Array.isArray(s)) {
      yield lower ? s.map((t: string) => t.toLowerCase()) : (s as string[]);
    } else {
      throw new TypeError(`readSentences: every sentence must be a string or a string[], got ${typeof s}`);
    }
  }
}

/** A frequency-sorted vocabulary: id 0 is the most frequent word. */
export class Vocab {
  /** Words by id. */
  readonly words: string[];
  /** Raw corpus counts by id. */
  readonly counts: Float64Array;
  /** word → id. */
  readonly index: Map<string, number>;
  /** Sum of `counts` (tokens of the corpus that are in the vocabulary). */
  readonly totalWords: number;

  constructor(words: string[], counts: ArrayLike<number>) {
    if (words.length !== counts.length) {
      throw new Error(`Vocab: words.length = ${words.length} but counts.length = ${counts.length}`);
    }
    this.words = words;
    this.counts = Float64Array.from(counts);
    this.index = new Map();
    let total = 0;
    for (let i = 0; i < words.length; i++) {
      if (this.index.has(words[i]!)) throw new Error(`Vocab: duplicate word ${JSON.stringify(words[i])} at id ${i}`);
      this.index.set(words[i]!, i);
      total += this.counts[i]!;
    }
    this.totalWords = total;
  }

  get size(): number {
    return this.words.length;
  }

  /** The id of `word`, or `undefined`. */
  id(word: string): number | undefined {
    return this.index.get(word);
  }
}

/** Options for building a vocabulary. */
export interface VocabOptions extends ReadCorpusOptions {
  /**
   * Ignore words with a total count below this.
   * @default 5 — gensim's and word2vec.c's default; rarer words get poor vectors and cost memory.
   */
  minCount?: number;
  /**
   * Keep at most this many words (the most frequent; ties broken by first appearance).
   * @default undefined — no limit (gensim `max_final_vocab=None`).
   */
  maxVocabSize?: number;
}

/** A corpus encoded against its vocabulary, ready for training. */
export interface EncodedCorpus {
  vocab: Vocab;
  /** Token ids of all sentences, concatenated (out-of-vocabulary tokens dropped). */
  ids: Int32Array;
  /** Sentence `s` is `ids[sentenceStarts[s] .. sentenceStarts[s+1])`; length = sentences + 1. */
  sentenceStarts: Int32Array;
  /** Tokens read, including those dropped as rare. */
  rawTokens: number;
}

/** Options for {@link encodeCorpus}. */
export interface EncodeCorpusOptions extends VocabOptions {
  /**
   * Sentences longer than this are cut into pieces of this length.
   * @default 10000 — gensim's `MAX_WORDS_IN_BATCH`, so long lines train as gensim trains them.
   */
  maxSentenceLength?: number;
}

class GrowInt32 {
  a = new Int32Array(1 << 16);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Int32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  take(): Int32Array {
    return this.a.slice(0, this.n);
  }
}

function checkMinCount(fn: string, minCount: number, maxVocabSize: number | undefined): void {
  if (!Number.isInteger(minCount) || minCount < 1) {
    throw new RangeError(`${fn}: minCount must be an integer >= 1, got ${minCount}`);
  }
  if (maxVocabSize !== undefined && (!Number.isInteger(maxVocabSize) || maxVocabSize < 1)) {
    throw new RangeError(`${fn}: maxVocabSize must be an integer >= 1, got ${maxVocabSize}`);
  }
}

/** Sorts raw (first-appearance) ids by count desc, ties by first appearance; returns raw→final map. */
function finalize(
  fn: string,
  rawWords: string[],
  rawCounts: number[],
  minCount: number,
  maxVocabSize: number | undefined,
  tokens: number,
): { vocab: Vocab; remap: Int32Array } {
  if (tokens === 0) throw new Error(`${fn}: the corpus is empty (no tokens)`);
  const keep: number[] = [];
  for (let i = 0; i < rawWords.length; i++) if (rawCounts[i]! >= minCount) keep.push(i);
  if (keep.length === 0) {
    let max = 0;
    for (const c of rawCounts) max = Math.max(max, c);
    throw new Error(
      `${fn}: every word is under minCount = ${minCount} (${rawWords.length} distinct words, the most frequent occurs ${max} times)`,
    );
  }
  keep.sort((a, b) => rawCounts[b]! - rawCounts[a]! || a - b);
  if (maxVocabSize !== undefined && keep.length > maxVocabSize) keep.length = maxVocabSize;
  const remap = new Int32Array(rawWords.length).fill(-1);
  const words: string[] = new Array(keep.length);
  const counts = new Float64Array(keep.length);
  for (let k = 0; k < keep.length; k++) {
    remap[keep[k]!] = k;
    words[k] = rawWords[keep[k]!]!;
    counts[k] = rawCounts[keep[k]!]!;
  }
  return { vocab: new Vocab(words, counts), remap };
}

/**
 * Reads a corpus once, builds its frequency-sorted vocabulary and encodes it as ids.
 * @throws if the corpus is empty or every word is under `minCount`.
 */
export async function encodeCorpus(source: CorpusSource, opts: EncodeCorpusOptions = {}): Promise<EncodedCorpus> {
  const minCount = opts.minCount ?? 5;
  const maxLen = opts.maxSentenceLength ?? 10000;
  checkMinCount('encodeCorpus', minCount, opts.maxVocabSize);
  if (!Number.isInteger(maxLen) || maxLen < 1) {
    throw new RangeError(`encodeCorpus: maxSentenceLength must be an integer >= 1, got ${maxLen}`);
  }
  const rawIndex = new Map<string, number>();
  const rawWords: string[] = [];
  const rawCounts: number[] = [];
  const rawIds = new GrowInt32();
  const lens = new GrowInt32();
  for await (const sent of readSentences(source, opts)) {
    for (const tok of sent) {
      let id = rawIndex.get(tok);
      if (id === undefined) {
        id = rawWords.length;
        rawIndex.set(tok, id);
        rawWords.push(tok);
        rawCounts.push(0);
      }
      rawCounts[id]!++;
      rawIds.push(id);
    }
    lens.push(sent.length);
  }
  const { vocab, remap } = finalize('encodeCorpus', rawWords, rawCounts, minCount, opts.maxVocabSize, rawIds.n);
  const raw = rawIds.a;
  const ids = new Int32Array(rawIds.n);
  const starts = new GrowInt32();
  let n = 0;
  let p = 0;
  starts.push(0);
  for (let s = 0; s < lens.n; s++) {
    const end = p + lens.a[s]!;
    let inSent = 0;
    for (; p < end; p++) {
      const id = remap[raw[p]!]!;
      if (id < 0) continue;
      ids[n++] = id;
      if (++inSent === maxLen) {
        starts.push(n);
        inSent = 0;
      }
    }
    if (inSent > 0) starts.push(n);
  }
  return { vocab, ids: ids.slice(0, n), sentenceStarts: starts.take(), rawTokens: rawIds.n };
}

/**
 * Builds a frequency-sorted vocabulary from a corpus (ids: most frequent first, ties by first
 * appearance).
 * @throws if the corpus is empty or every word is under `minCount`.
 */
export async function buildVocab(source: CorpusSource, opts: VocabOptions = {}): Promise<Vocab> {
  const minCount = opts.minCount ?? 5;
  checkMinCount('buildVocab', minCount, opts.maxVocabSize);
  const rawIndex = new Map<string, number>();
  const rawWords: string[] = [];
  const rawCounts: number[] = [];
  let tokens = 0;
  for await (const sent of readSentences(source, opts)) {
    for (const tok of sent) {
      const id = rawIndex.get(tok);
      if (id === undefined) {
        rawIndex.set(tok, rawWords.length);
        rawWords.push(tok);
        rawCounts.push(1);
      } else rawCounts[id]!++;
    }
    tokens += sent.length;
  }
  return finalize('buildVocab', rawWords, rawCounts, minCount, opts.maxVocabSize, tokens).vocab;
}

/**
 * Integer subsampling thresholds, exactly as gensim 4.2 `prepare_vocab` computes them
 * (word2vec.c's formula): with `t = sample * retained` when `sample < 1`, or
 * `t = floor(sample * (3 + sqrt 5) / 2)` when `sample >= 1` (gensim's shorthand), a word of
 * count `v` is kept with probability `p = (sqrt(v / t) + 1) * t / v` (capped at 1), stored as
 * `uint32(p * (2^32 - 1))` (truncated); a token is kept when its threshold is `>=` a uniform
 * 32-bit draw. `sample = 0` disables subsampling.
 */
export function subsampleThresholds(counts: ArrayLike<number>, sample: number): Uint32Array {
  if (!(sample >= 0)) throw new RangeError(`subsampleThresholds: sample must be >= 0, got ${sample}`);
  const out = new Uint32Array(counts.length);
  let retained = 0;
  for (let i = 0; i < counts.length; i++) retained += counts[i]!;
  const t = sample === 0 ? retained : sample < 1 ? sample * retained : Math.floor((sample * (3 + Math.sqrt(5))) / 2);
  for (let i = 0; i < counts.length; i++) {
    const v = counts[i]!;
    let p = (Math.sqrt(v / t) + 1) * (t / v);
    if (!(p < 1)) p = 1;
    out[i] = Math.floor(p * (2 ** 32 - 1));
  }
  return out;
}

/**
 * gensim's negative-sampling cumulative table: `table[i] = round(Σ_{j<=i} count_j^e / Σ count^e * (2^31 - 1))`.
 * A draw `r` uniform in `[0, table[V-1])` picks the first `i` with `table[i] > r`.
 * @param nsExponent @default 0.75 (Mikolov et al. 2013)
 */
export function negativeCumTable(counts: ArrayLike<number>, nsExponent = 0.75): Uint32Array {
  const V = counts.length;
  const domain = 2 ** 31 - 1;
  let total = 0;
  for (let i = 0; i < V; i++) total += counts[i]! ** nsExponent;
  const table = new Uint32Array(V);
  let cum = 0;
  for (let i = 0; i < V; i++) {
    cum += counts[i]! ** nsExponent;
    table[i] = Math.round((cum / total) * domain);
  }
  return table;
}
