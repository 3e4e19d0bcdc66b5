/**
 * BPE trainer, incremental (Sennrich et al. 2016, with the bookkeeping of Hugging Face
 * `tokenizers`' `BpeTrainer`): pair counts are computed once, then each merge updates only
 * the words that contain the merged pair and the pairs that change there; the best pair
 * comes from a binary heap with lazy invalidation (an entry whose count is stale is
 * re-pushed with the current count when popped).
 *
 * Deterministic tie-break (HF's): the pair with the highest count wins; among equal counts
 * the pair with the smaller (left id, right id) wins. Ids are: special tokens first, then
 * the alphabet in code-point order, then (with a prefix/suffix) the prefixed/suffixed
 * symbols in first-seen word order, then merged tokens in creation order. With the same
 * word counts this reproduces HF's merges exactly (checked by the golden tests). The one
 * difference: HF creates prefixed/suffixed initial symbols in hash-map order, so with
 * `continuingSubwordPrefix`/`endOfWordSuffix` ties can break differently.
 */
import { countWords, type Corpus, type CountWordsOptions } from './corpus.js';

export interface TrainProgress {
  /** Merges done so far. */
  merges: number;
  /** Merges needed to reach vocabSize (an upper bound: training can stop early). */
  totalMerges: number;
  elapsedMs: number;
  /** Merges per second so far. */
  rate: number;
  /** Estimated time left, from the rate so far. */
  etaMs: number;
}

export interface BpeTrainerOptions {
  /** @default 30000 — HF's default; final size includes special tokens and the alphabet */
  vocabSize?: number;
  /** @default 0 — HF's default: merge until no pair occurs; 2 skips pairs seen once */
  minFrequency?: number;
  /** @default [] — added first, ids 0.. in this order */
  specialTokens?: string[];
  /** @default [] — chars always in the alphabet (byte-level: `byteLevelAlphabet()`) */
  initialAlphabet?: string[];
  /** @default null — keep only the most frequent chars (ties: lower code point kept) */
  limitAlphabet?: number | null;
  /** @default null — e.g. '##' */
  continuingSubwordPrefix?: string | null;
  /** @default null — e.g. '</w>' */
  endOfWordSuffix?: string | null;
  /** @default null — no limit on token length (in initial symbols) */
  maxTokenLength?: number | null;
  /** Called every `progressEvery` merges and at the end. */
  onProgress?: (p: TrainProgress) => void;
  /** @default 1000 */
  progressEvery?: number;
}

export interface BpeTrainingResult {
  vocab: Map<string, number>;
  merges: Array<[string, string]>;
  specialTokens: string[];
  continuingSubwordPrefix: string | null;
  endOfWordSuffix: string | null;
}

const NO_LENS = new Int32Array(0);

interface HeapEntry {
  count: number;
  a: number;
  b: number;
  pos: number[];
}

/** true when x should come out of the heap before y. */
function before(x: HeapEntry, y: HeapEntry): boolean {
  if (x.count !== y.count) return x.count > y.count;
  if (x.a !== y.a) return x.a < y.a;
  return x.b < y.b;
}

class Heap {
  private items: HeapEntry[] = [];
  get size(): number {
    return this.items.length;
  }
  push(e: HeapEntry): void {
    const h = this.items;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (!before(e, h[p]!)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }
  pop(): HeapEntry {
    const h = this.items;
    const top = h[0]!;
    const last = h.pop()!;
    if (h.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= h.length) break;
        const r = l + 1;
        const c = r < h.length && before(h[r]!, h[l]!) ? r : l;
        if (!before(h[c]!, last)) break;
        h[i] = h[c]!;
        i = c;
      }
      h[i] = last;
    }
    return top;
  }
}

/** Pair (a, b) -> slot, open addressing on typed arrays (a Map keyed by a*2^21+b is ~3x slower here). */
class PairCounts {
  keysA: Int32Array;
  keysB: Int32Array;
  counts: Float64Array;
  size = 0;
  private mask: number;
  constructor(cap = 1 << 16) {
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.counts = new Float64Array(cap);
    this.mask = cap - 1;
  }
  slot(a: number, b: number): number {
    if (this.size * 2 >= this.keysA.length) this.grow();
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & this.mask;
    while (this.keysA[h] !== -1 && (this.keysA[h] !== a || this.keysB[h] !== b)) h = (h + 1) & this.mask;
    if (this.keysA[h] === -1) {
      this.keysA[h] = a;
      this.keysB[h] = b;
      this.size++;
    }
    return h;
  }
  private grow(): void {
    const { keysA, keysB, counts } = this;
    const cap = keysA.length * 2;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.counts = new Float64Array(cap);
    this.mask = cap - 1;
    this.size = 0;
    for (let i = 0; i < keysA.length; i++) {
      if (keysA[i] === -1) continue;
      const s = this.slot(keysA[i]!, keysB[i]!);
      this.counts[s] = counts[i]!;
    }
  }
}

/** Train BPE merges from word counts (see `countWords`). */
export function trainBpeFromCounts(
  wordCounts: Map<string, number>,
  options: BpeTrainerOptions = {},
): BpeTrainingResult {
  const vocabSize = options.vocabSize ?? 30000;
  const minFrequency = options.minFrequency ?? 0;
  const specialTokens = options.specialTokens ?? [];
  const prefix = options.continuingSubwordPrefix ?? null;
  const suffix = options.endOfWordSuffix ?? null;
  const maxLen = options.maxTokenLength ?? Infinity;
  const progressEvery = options.progressEvery ?? 1000;
  if (!Number.isInteger(vocabSize) || vocabSize < 1)
    throw new Error(`trainBpe: vocabSize = ${vocabSize} must be a positive integer`);
  if (wordCounts.size === 0)
    throw new Error('trainBpe: the corpus is empty (no words after normalization and pre-tokenization)');

  const w2id = new Map<string, number>();
  const id2w: string[] = [];
  const addToken = (t: string): number => {
    let id = w2id.get(t);
    if (id === undefined) {
      id = id2w.length;
      id2w.push(t);
      w2id.set(t, id);
    }
    return id;
  };
  for (const t of specialTokens) addToken(t);

  // alphabet
  const alphabet = new Map<string, number>();
  for (const [w, c] of wordCounts) for (const ch of w) alphabet.set(ch, (alphabet.get(ch) ?? 0) + c);
  for (const ch of options.initialAlphabet ?? []) {
    if ([...ch].length !== 1)
      throw new Error(`trainBpe: initialAlphabet entry ${JSON.stringify(ch)} must be one character`);
    alphabet.set(ch, Number.MAX_SAFE_INTEGER);
  }
  let kept = [...alphabet.entries()];
  const limit = options.limitAlphabet ?? null;
  if (limit !== null && kept.length > limit) {
    kept.sort((x, y) => x[1] - y[1] || y[0].codePointAt(0)! - x[0].codePointAt(0)!);
    kept = kept.slice(kept.length - limit);
  }
  kept.sort((x, y) => x[0].codePointAt(0)! - y[0].codePointAt(0)!);
  for (const [ch] of kept) addToken(ch);
  const initialSize = id2w.length;
  if (vocabSize < initialSize) {
    throw new Error(
      `trainBpe: vocabSize = ${vocabSize} is smaller than the ${specialTokens.length} special tokens + ${kept.length} alphabet chars = ${initialSize}; raise vocabSize or set limitAlphabet`,
    );
  }

  // words as symbol ids
  const words: Int32Array[] = [];
  const wlen: number[] = [];
  const slen: Int32Array[] = []; // symbol lengths in initial chars (for maxTokenLength)
  const counts: number[] = [];
  for (const [w, c] of wordCounts) {
    const chars = [...w];
    const syms: number[] = [];
    chars.forEach((ch, i) => {
      if (!w2id.has(ch)) return; // outside the (limited) alphabet: dropped, as HF does
      let s = ch;
      if (prefix !== null && i > 0) s = prefix + s;
      if (suffix !== null && i === chars.length - 1) s = s + suffix;
      syms.push(addToken(s));
    });
    words.push(Int32Array.from(syms));
    wlen.push(syms.length);
    // symbol lengths are only needed for maxTokenLength; share one empty array otherwise
    slen.push(maxLen === Infinity ? NO_LENS : new Int32Array(syms.length).fill(1));
    counts.push(c);
  }

  // initial pair counts and where they occur
  const pc = new PairCounts();
  let where = new Map<number, number[]>();
  // slots move when the table grows, so key positions by pair value until counting is done
  const initial = new Map<number, { a: number; b: number; pos: number[] }>();
  for (let wi = 0; wi < words.length; wi++) {
    const s = words[wi]!;
    for (let i = 0; i + 1 < s.length; i++) {
      const a = s[i]!;
      const b = s[i + 1]!;
      const slot = pc.slot(a, b);
      pc.counts[slot] += counts[wi]!;
      const key = a * 2097152 + b;
      let e = initial.get(key);
      if (e === undefined) initial.set(key, (e = { a, b, pos: [] }));
      if (e.pos[e.pos.length - 1] !== wi) e.pos.push(wi);
    }
  }
  const heap = new Heap();
  for (const e of initial.values()) {
    const c = pc.counts[pc.slot(e.a, e.b)]!;
    if (c > 0) heap.push({ count: c, a: e.a, b: e.b, pos: e.pos });
  }
  initial.clear();

  const merges: Array<[number, number]> = [];
  const t0 = Date.now();
  const totalMerges = Math.max(0, vocabSize - id2w.length);
  const report = (): void => {
    if (options.onProgress === undefined) return;
    const elapsedMs = Date.now() - t0;
    const rate = elapsedMs > 0 ? (merges.length * 1000) / elapsedMs : 0;
    const left = Math.max(0, totalMerges - merges.length);
    options.onProgress({
      merges: merges.length,
      totalMerges,
      elapsedMs,
      rate,
      etaMs: rate > 0 ? (left / rate) * 1000 : 0,
    });
  };

  // per-merge bookkeeping: pair key -> word indices where the pair appeared (change > 0)
  const change = (a: number, b: number, delta: number, wi: number): void => {
    const slot = pc.slot(a, b);
    pc.counts[slot] += delta * counts[wi]!;
    if (delta > 0) {
      const key = a * 2097152 + b;
      let list = where.get(key);
      if (list === undefined) where.set(key, (list = []));
      if (list[list.length - 1] !== wi) list.push(wi);
    }
  };

  while (w2id.size < vocabSize && heap.size > 0) {
    const top = heap.pop();
    const current = pc.counts[pc.slot(top.a, top.b)]!;
    if (top.count !== current) {
      top.count = current;
      heap.push(top);
      continue;
    }
    if (top.count < 1 || minFrequency > top.count) break;
    const partA = id2w[top.a]!;
    let partB = id2w[top.b]!;
    if (prefix !== null && partB.startsWith(prefix)) partB = partB.slice(prefix.length);
    const newId = addToken(partA + partB);
    merges.push([top.a, top.b]);
    const { a, b } = top;
    for (const wi of top.pos) {
      const s = words[wi]!;
      const lens = slen[wi]!;
      const track = lens !== NO_LENS;
      const n = wlen[wi]!;
      let r = 0;
      let w = 0;
      while (r < n) {
        if (s[r] === a && r + 1 < n && s[r + 1] === b) {
          const newLen = track ? lens[r]! + lens[r + 1]! : 0;
          if (w > 0) {
            const prev = s[w - 1]!;
            change(prev, a, -1, wi);
            if (!track || lens[w - 1]! + newLen < maxLen) change(prev, newId, 1, wi);
          }
          if (r + 2 < n) {
            const next = s[r + 2]!;
            change(b, next, -1, wi);
            if (!track || lens[r + 2]! + newLen < maxLen) change(newId, next, 1, wi);
          }
          s[w] = newId;
          if (track) lens[w] = newLen;
          w++;
          r += 2;
        } else {
          s[w] = s[r]!;
          if (track) lens[w] = lens[r]!;
          w++;
          r++;
        }
      }
      wlen[wi] = w;
    }
    for (const [key, pos] of where) {
      const pa = Math.floor(key / 2097152);
      const pb = key - pa * 2097152;
      const c = pc.counts[pc.slot(pa, pb)]!;
      if (c > 0) heap.push({ count: c, a: pa, b: pb, pos });
    }
    where = new Map();
    if (merges.length % progressEvery === 0) report();
  }
  report();

  return {
    vocab: w2id,
    merges: merges.map(([x, y]) => [id2w[x]!, id2w[y]!]),
    specialTokens: [...specialTokens],
    continuingSubwordPrefix: prefix,
    endOfWordSuffix: suffix,
  };
}

export interface TrainBpeOptions extends BpeTrainerOptions, CountWordsOptions {}

/**
 * Train BPE on a corpus: count words with the given normalizer and pre-tokenizer, then
 * merge. Returns plain data (vocab Map and merges); build a model with `new BPE(result)`.
 */
export async function trainBpe(corpus: Corpus, options: TrainBpeOptions = {}): Promise<BpeTrainingResult> {
  const counts = await countWords(corpus, options);
  return trainBpeFromCounts(counts, options);
}

export interface WordPieceTrainingResult {
  vocab: Map<string, number>;
  specialTokens: string[];
  continuingSubwordPrefix: string;
}

export interface WordPieceTrainerOptions extends Omit<BpeTrainerOptions, 'continuingSubwordPrefix'> {
  /** @default '##' */
  continuingSubwordPrefix?: string;
}

/**
 * WordPiece vocabulary trainer, as HF's `WordPieceTrainer`: a BPE trainer with the `##`
 * continuation prefix whose vocabulary becomes the WordPiece vocabulary.
 */
export function trainWordPieceFromCounts(
  wordCounts: Map<string, number>,
  options: WordPieceTrainerOptions = {},
): WordPieceTrainingResult {
  const prefix = options.continuingSubwordPrefix ?? '##';
  const r = trainBpeFromCounts(wordCounts, { ...options, continuingSubwordPrefix: prefix });
  return { vocab: r.vocab, specialTokens: r.specialTokens, continuingSubwordPrefix: prefix };
}

export interface TrainWordPieceOptions extends WordPieceTrainerOptions, CountWordsOptions {}

export async function trainWordPiece(
  corpus: Corpus,
  options: TrainWordPieceOptions = {},
): Promise<WordPieceTrainingResult> {
  return trainWordPieceFromCounts(await countWords(corpus, options), options);
}
