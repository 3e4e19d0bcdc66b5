/**
 * Unigram trainer in the sentencepiece way (`unigram_model_trainer.cc`, Kudo 2018):
 *
 * 1. Normalize every line as sentencepiece does (charsmap, whitespace, `▁` prefix), count
 *    characters and keep the most frequent ones up to `characterCoverage` (the rest become
 *    an unknown char that no piece may contain).
 * 2. Seed pieces: every kept character, plus frequent substrings scored by frequency × length.
 *    sentencepiece takes the internal nodes of a suffix tree (esaxx); we count substrings of
 *    the whitespace-separated words (length 2 … maxPieceLength, occurring at least twice,
 *    level by level so only extensions of repeated substrings are counted) and keep those
 *    followed by at least two different characters — the same set when words are separated
 *    by `▁`, counted over the distinct sentences as sentencepiece counts them.
 * 3. EM: the E step computes expected piece counts by forward-backward over each word's
 *    lattice, the M step drops pieces with expected count < 0.5 and sets
 *    score = digamma(count) − digamma(total) (Bayesian EM, a sparse prior).
 * 4. After `numSubIterations` EM steps, prune: each piece's loss is the drop in likelihood
 *    when its occurrences are re-segmented by its second-best segmentation; keep the best
 *    max(1.1 × vocabSize, shrinkingFactor × size) pieces. Repeat until ≤ 1.1 × vocabSize.
 * 5. Final: required characters, then the highest-scored pieces up to vocabSize, after the
 *    meta pieces (`<unk>`, `<s>`, `</s>`, user-defined and control symbols).
 *
 * Single-threaded (sentencepiece uses threads). Piece validity follows sentencepiece's
 * `IsValidSentencePiece` (▁ only as a prefix, one Unicode script per piece, digits apart).
 */
import { corpusSequences, type Corpus } from './corpus.js';
import { SentencePieceNormalizer, sentencePieceTokenizer, type SentencePieceModelProto } from './sentencepiece.js';
import { PieceType, UnitTrie } from './unigram.js';
import type { Tokenizer } from './tokenizer.js';

const UNK_CHAR = '\u2047';

export interface UnigramTrainerOptions {
  /** @default 8000 */
  vocabSize?: number;
  /** Fraction of characters (by count) the kept alphabet covers. @default 0.9995 (sentencepiece's; use 1 for small alphabets) */
  characterCoverage?: number;
  /** @default 16 */
  maxPieceLength?: number;
  /** @default 0.75 */
  shrinkingFactor?: number;
  /** @default 2 */
  numSubIterations?: number;
  /** @default 1000000 */
  seedSize?: number;
  /** Lines longer than this many UTF-8 bytes are skipped. @default 4192 */
  maxSentenceLength?: number;
  /** @default true */
  splitByUnicodeScript?: boolean;
  /** @default true — digits do not join other characters */
  splitByNumber?: boolean;
  /** @default false — every digit its own piece */
  splitDigits?: boolean;
  /**
   * A sentencepiece precompiled charsmap (e.g. `parseSentencePieceModel(bytes).normalizerSpec.precompiledCharsmap`
   * of any model trained with the default `nmt_nfkc` rule). @default null — no charsmap (`identity`)
   */
  charsmap?: Uint8Array | null;
  /** @default true */
  addDummyPrefix?: boolean;
  /** @default true */
  removeExtraWhitespaces?: boolean;
  /** Pieces always in the vocabulary, matched before normalization (ids after the meta pieces). @default [] */
  userDefinedSymbols?: string[];
  /** Control symbols (never produced by encoding; for post-processors). @default [] */
  controlSymbols?: string[];
  /** Characters always kept, whatever their count. @default '' */
  requiredChars?: string;
  /** @default '<unk>' */
  unkPiece?: string;
  /** @default '<s>'; null for none */
  bosPiece?: string | null;
  /** @default '</s>'; null for none */
  eosPiece?: string | null;
  /** @default null — e.g. '<pad>' */
  padPiece?: string | null;
  /** Add the 256 `<0xNN>` byte pieces and encode unknown characters as bytes. @default false */
  byteFallback?: boolean;
  /** Called after each EM step and each pruning. */
  onProgress?: (p: UnigramTrainProgress) => void;
  /** Abort training (rejects with the signal's reason). */
  signal?: AbortSignal;
}

export interface UnigramTrainProgress {
  stage: 'load' | 'seed' | 'em' | 'prune' | 'done';
  /** Pieces in the current model. */
  pieces: number;
  /** EM step number (counts all sub-iterations). */
  iteration: number;
  /** Negative log-likelihood per sentence (E step), NaN elsewhere. */
  objective: number;
  elapsedMs: number;
}

export interface UnigramTrainingResult {
  tokenizer: Tokenizer;
  /** Pieces with scores, in id order (meta pieces first, score 0). */
  pieces: Array<{ piece: string; score: number; type: number }>;
  /** The trained model as a sentencepiece ModelProto (`writeSentencePieceModel(model)` writes its `.model` file). */
  model: SentencePieceModelProto;
  /** Distinct sentences and words used for EM. */
  sentences: number;
  words: number;
  requiredChars: number;
}

type Pieces = Array<[string, number]>;

function digamma(x: number): number {
  let result = 0;
  for (; x < 7; ++x) result -= 1 / x;
  x -= 0.5;
  const xx = 1 / x;
  const xx2 = xx * xx;
  const xx4 = xx2 * xx2;
  result += Math.log(x) + xx2 / 24 - (7 / 960) * xx4 + (31 / 8064) * xx4 * xx2 - (127 / 30720) * xx4 * xx4;
  return result;
}

/** sentencepiece's `Sorted`: by value descending, then key ascending (byte order of UTF-8 ≈ code point order). */
function sortedDesc<K extends string | number>(entries: Array<[K, number]>): Array<[K, number]> {
  return entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

const SCRIPTS = [
  'Latin',
  'Hangul',
  'Han',
  'Hiragana',
  'Katakana',
  'Cyrillic',
  'Greek',
  'Arabic',
  'Hebrew',
  'Thai',
  'Devanagari',
  'Bengali',
  'Tamil',
  'Georgian',
  'Armenian',
  'Ethiopic',
  'Khmer',
  'Lao',
  'Myanmar',
  'Tibetan',
  'Inherited',
  'Common',
].map((s) => [s, new RegExp(`^\\p{Script=${s}}$`, 'u')] as const);
const scriptCache = new Map<number, number>();

/** Script class of a code point: index in SCRIPTS (Hiragana/Katakana/ー merged into Han), or a unique id. */
function scriptOf(cp: number): number {
  let s = scriptCache.get(cp);
  if (s !== undefined) return s;
  const ch = String.fromCodePoint(cp);
  s = -1;
  for (let i = 0; i < SCRIPTS.length; i++)
    if (SCRIPTS[i]![1].test(ch)) {
      s = i;
      break;
    }
  if (s === 3 || s === 4 || cp === 0x30fc) s = 2;
  if (s === -1) s = 1000 + (cp >> 7); // other scripts: approximate by 128-code-point block
  scriptCache.set(cp, s);
  return s;
}
const INHERITED = SCRIPTS.findIndex(([n]) => n === 'Inherited');
const isDigit = (cp: number): boolean => /^\p{Nd}$/u.test(String.fromCodePoint(cp));

function validPiece(
  cps: number[],
  o: { maxLen: number; byScript: boolean; byNumber: boolean; splitDigits: boolean },
): boolean {
  if (cps.length === 0 || cps.length > o.maxLen) return false;
  let prev = -2; // any
  for (let pos = 0; pos < cps.length; pos++) {
    const c = cps[pos]!;
    if (c === 0x2047 || c === 0 || c === 0x20) return false;
    if (c === 0x2581) {
      if (pos > 0) return false;
      continue;
    }
    let s = scriptOf(c);
    if (s === INHERITED) s = prev;
    const digit = isDigit(c);
    if (!o.byNumber && digit) s = -2;
    if (o.splitDigits && digit && cps.length > 1) return false;
    if (o.byScript && s !== -2 && prev !== -2 && prev !== s) return false;
    prev = s;
  }
  return true;
}

/**
 * A lattice over one word for training, in flat typed arrays. Nodes are added in order of
 * their begin position, so forward passes run over nodes in order and backward passes in
 * reverse order (no per-position lists).
 */
class TrainLattice {
  ids = new Int32Array(256);
  begin = new Int32Array(256);
  len = new Int32Array(256);
  score = new Float64Array(256);
  m = 0;
  n = 0;
  private charIndex = new Int32Array(64);
  private charStart = new Int32Array(64);
  private s1 = new Float64Array(32);
  private s2 = new Float64Array(32);
  private b1 = new Int32Array(32);
  private b2 = new Int32Array(32);
  private r1 = new Int8Array(32);
  private r2 = new Int8Array(32);
  build(word: string, trie: UnitTrie, scores: Float64Array, maxLen: number): void {
    if (this.charIndex.length < word.length + 1) {
      this.charIndex = new Int32Array(2 * word.length + 2);
      this.charStart = new Int32Array(2 * word.length + 2);
    }
    const ci = this.charIndex;
    const cs = this.charStart;
    let n = 0;
    for (let u = 0; u < word.length;) {
      ci[u] = n;
      cs[n++] = u;
      const c = word.charCodeAt(u);
      if (c >= 0xd800 && c <= 0xdbff && u + 1 < word.length && (word.charCodeAt(u + 1) & 0xfc00) === 0xdc00) {
        ci[u + 1] = -1;
        u += 2;
      } else u += 1;
    }
    ci[word.length] = n;
    this.n = n;
    this.m = 0;
    const unk = unkScoreOf(scores);
    for (let b = 0; b < n; b++) {
      let node = 0;
      let single = false;
      for (let u = cs[b]!; u < word.length; u++) {
        node = trie.step(node, word.charCodeAt(u));
        if (node < 0) break;
        const e = ci[u + 1]!;
        if (e < 0) continue; // inside a surrogate pair
        const l = e - b;
        if (l > maxLen) break;
        const id = trie.value(node);
        if (id < 0) continue;
        this.add(id, b, l, scores[id]!);
        if (l === 1) single = true;
      }
      if (!single) this.add(-1, b, 1, unk);
    }
  }
  private add(id: number, b: number, l: number, sc: number): void {
    const k = this.m++;
    if (k >= this.ids.length) {
      const grow = <T extends Int32Array | Float64Array>(x: T): T => {
        const y = new (x.constructor as new (n: number) => T)(2 * x.length);
        y.set(x);
        return y;
      };
      this.ids = grow(this.ids);
      this.begin = grow(this.begin);
      this.len = grow(this.len);
      this.score = grow(this.score);
    }
    this.ids[k] = id;
    this.begin[k] = b;
    this.len[k] = l;
    this.score[k] = sc;
  }
  /** The two best paths (as id lists) for pruning: [best] or [best, second] (2-best Viterbi). */
  twoBest(): number[][] {
    const n = this.n;
    if (this.s1.length < n + 1) {
      this.s1 = new Float64Array(2 * n + 2);
      this.s2 = new Float64Array(2 * n + 2);
      this.b1 = new Int32Array(2 * n + 2);
      this.b2 = new Int32Array(2 * n + 2);
      this.r1 = new Int8Array(2 * n + 2);
      this.r2 = new Int8Array(2 * n + 2);
    }
    // scratch reused across calls (pruning calls this once per piece: 300k small lattices)
    const { s1, s2, b1, b2, r1, r2 } = this;
    s1.fill(-Infinity, 0, n + 1);
    s2.fill(-Infinity, 0, n + 1);
    b1.fill(-1, 0, n + 1);
    b2.fill(-1, 0, n + 1);
    r1.fill(0, 0, n + 1);
    r2.fill(0, 0, n + 1);
    s1[0] = 0;
    for (let k = 0; k < this.m; k++) {
      const b = this.begin[k]!;
      const p = b + this.len[k]!;
      for (let r = 0; r < 2; r++) {
        const prev = r === 0 ? s1[b]! : s2[b]!;
        if (prev === -Infinity) continue;
        const sc = prev + this.score[k]!;
        if (sc > s1[p]!) {
          s2[p] = s1[p]!;
          b2[p] = b1[p]!;
          r2[p] = r1[p]!;
          s1[p] = sc;
          b1[p] = k;
          r1[p] = r;
        } else if (sc > s2[p]!) {
          s2[p] = sc;
          b2[p] = k;
          r2[p] = r;
        }
      }
    }
    const trace = (rank: number): number[] => {
      const ids: number[] = [];
      let p = n;
      let r = rank;
      while (p > 0) {
        const k = r === 0 ? b1[p]! : b2[p]!;
        const nr = r === 0 ? r1[p]! : r2[p]!;
        ids.push(this.ids[k]!);
        p = this.begin[k]!;
        r = nr;
      }
      return ids.reverse();
    };
    const out = [trace(0)];
    if (s2[n]! > -Infinity) out.push(trace(1));
    return out;
  }
}

/**
 * The lattices of all EM words in flat arrays, built once (a trie walk per word over the seed
 * pieces) and afterwards only filtered when pieces are dropped (`compact`): the set of pieces
 * only shrinks during training, so a word's lattice under the current pieces is its seed
 * lattice without the dropped pieces' nodes, plus an unknown-char node where no single-char
 * piece is left — the nodes and their order a fresh trie walk gives. Rebuilding every lattice
 * at every EM step and pruning was half the trainer's time (profiled on 150k NSMC reviews,
 * vocab 8k: 6.1 M seed-lattice nodes over 358k words). 10 bytes a node, in chunks of 2^20
 * nodes (a word's nodes within one chunk), so that growing never copies.
 */
class LatticeCache {
  private static readonly CHUNK = 1 << 20;
  /** Per word: its chunk, its first node in it and one past its last, its length in chars. */
  private readonly chunk: Int32Array;
  private readonly start: Int32Array;
  private readonly end: Int32Array;
  private readonly chars: Int32Array;
  private readonly pieces: Int32Array[] = [];
  private readonly begins: Int32Array[] = [];
  private readonly lens: Uint16Array[] = [];
  private a = new Float64Array(64);
  private b = new Float64Array(64);
  private p = new Float64Array(256);
  private back = new Int32Array(64);
  readonly words: number;
  /** Nodes in the cache. */
  nodes = 0;

  constructor(words: Array<[string, number]>, lat: TrainLattice, trie: UnitTrie, scores: Float64Array, maxLen: number) {
    if (maxLen > 0xffff) throw new Error(`trainUnigram: maxPieceLength ${maxLen} is too large (at most 65535)`);
    const n = words.length;
    this.words = n;
    this.chunk = new Int32Array(n);
    this.start = new Int32Array(n);
    this.end = new Int32Array(n);
    this.chars = new Int32Array(n);
    let c = -1;
    let used = 0;
    let cap = 0;
    for (let w = 0; w < n; w++) {
      lat.build(words[w]![0], trie, scores, maxLen);
      const m = lat.m;
      if (c < 0 || used + m > cap) {
        cap = Math.max(LatticeCache.CHUNK, m);
        this.pieces.push(new Int32Array(cap));
        this.begins.push(new Int32Array(cap));
        this.lens.push(new Uint16Array(cap));
        c++;
        used = 0;
      }
      this.chunk[w] = c;
      this.start[w] = used;
      this.end[w] = used + m;
      this.chars[w] = lat.n;
      this.pieces[c]!.set(lat.ids.subarray(0, m), used);
      this.begins[c]!.set(lat.begin.subarray(0, m), used);
      const len = this.lens[c]!;
      for (let k = 0; k < m; k++) len[used + k] = lat.len[k]!;
      used += m;
      this.nodes += m;
    }
  }

  /**
   * Keep the nodes of pieces still in the model (`remap[old]` = new index, or −1 when
   * dropped), in place; at each begin position without a single-char piece left, an
   * unknown-char node after the others (as `TrainLattice.build` adds it).
   */
  compact(remap: Int32Array): void {
    let c = -1;
    let w = 0;
    let piece = this.pieces[0]!;
    let begin = this.begins[0]!;
    let len = this.lens[0]!;
    this.nodes = 0;
    for (let i = 0; i < this.words; i++) {
      if (this.chunk[i] !== c) {
        c = this.chunk[i]!;
        piece = this.pieces[c]!;
        begin = this.begins[c]!;
        len = this.lens[c]!;
        w = 0;
      }
      const e = this.end[i]!;
      let k = this.start[i]!;
      this.start[i] = w;
      while (k < e) {
        const b = begin[k]!;
        let single = false;
        for (; k < e && begin[k] === b; k++) {
          const id = piece[k]!;
          if (id < 0) continue;
          const nid = remap[id]!;
          if (nid < 0) continue;
          const l = len[k]!;
          piece[w] = nid;
          begin[w] = b;
          len[w] = l;
          if (l === 1) single = true;
          w++;
        }
        if (!single) {
          piece[w] = -1;
          begin[w] = b;
          len[w] = 1;
          w++;
        }
      }
      this.end[i] = w;
      this.nodes += w - this.start[i]!;
    }
  }

  private scratch(n: number, m: number): void {
    if (this.a.length < n + 1) {
      this.a = new Float64Array(2 * n + 2);
      this.b = new Float64Array(2 * n + 2);
      this.back = new Int32Array(2 * n + 2);
    }
    if (this.p.length < m) this.p = new Float64Array(Math.max(m, 2 * this.p.length));
  }

  /**
   * Forward-backward over word `w`: add freq × marginal of each node to expected; returns
   * log Z. In probability space (`prob[id]` = exp(score), `probUnk` = exp(unk score)): a
   * product and a sum per node instead of sentencepiece's log-sum-exp (an exp and a log per
   * node in each direction, plus an exp per marginal). Every score is < 0, so each path's
   * probability is in (0, 1]; a word whose Z falls below 1e-250 (hundreds of characters: the
   * products could lose precision in subnormals) is redone in log space. The two agree to
   * rounding (≈1e-15 relative), not bit for bit (sentencepiece's own threads sum expected
   * counts in a thread-dependent order too).
   */
  marginal(
    w: number,
    freq: number,
    expected: Float64Array,
    prob: Float64Array,
    probUnk: number,
    scores: Float64Array,
    unk: number,
  ): number {
    const z = this.forwardBackward(w, freq, expected, prob, probUnk, false);
    return Number.isNaN(z) ? this.forwardBackward(w, freq, expected, scores, unk, true) : z;
  }

  /**
   * The one lattice walk of the E step, in one of two semirings: probability space (`log`
   * false: `weight` = exp(score), ⊕ = +, ⊗ = ×) or log space (`log` true: `weight` = score,
   * ⊕ = log-sum-exp, ⊗ = +; sentencepiece's arithmetic). Forward (α), then — unless a
   * probability-space Z is out of range, when it returns NaN and adds nothing — backward (β)
   * and freq × α·w·β / Z into `expected`; returns log Z. The semiring is a loop-invariant
   * branch in each loop, with the same arithmetic in each space as the two separate walks it
   * replaced (identical pieces and scores). Cost of the branch, loaded machine (load ~9–10 on 2
   * cores), 8k pieces on 20k/50k NSMC reviews, old and new interleaved: E-step CPU time +8 % /
   * +20 % (noisy), whole training within noise; to re-measure on a quiet machine.
   */
  private forwardBackward(
    w: number,
    freq: number,
    expected: Float64Array,
    weight: Float64Array,
    weightUnk: number,
    log: boolean,
  ): number {
    const s = this.start[w]!;
    const e = this.end[w]!;
    const n = this.chars[w]!;
    const c = this.chunk[w]!;
    const piece = this.pieces[c]!;
    const begin = this.begins[c]!;
    const len = this.lens[c]!;
    this.scratch(n, e - s);
    const { a: A, b: B, p } = this;
    A.fill(log ? -Infinity : 0, 0, n + 1);
    B.fill(log ? -Infinity : 0, 0, n + 1);
    A[0] = log ? 0 : 1;
    B[n] = log ? 0 : 1;
    for (let k = s; k < e; k++) {
      const id = piece[k]!;
      const pk = id >= 0 ? weight[id]! : weightUnk;
      p[k - s] = pk;
      const b = begin[k]!;
      const end = b + len[k]!;
      A[end] = log ? lse(A[end]!, A[b]! + pk) : A[end]! + A[b]! * pk;
    }
    const z = A[n]!;
    if (!log && !(z > 1e-250 && z < Infinity)) return NaN;
    for (let k = e - 1; k >= s; k--) {
      const b = begin[k]!;
      const end = b + len[k]!;
      B[b] = log ? lse(B[b]!, B[end]! + p[k - s]!) : B[b]! + B[end]! * p[k - s]!;
    }
    const f = freq / z;
    for (let k = s; k < e; k++) {
      const id = piece[k]!;
      if (id < 0) continue;
      const b = begin[k]!;
      const end = b + len[k]!;
      expected[id] += log ? freq * Math.exp(A[b]! + p[k - s]! + B[end]! - z) : f * A[b]! * p[k - s]! * B[end]!;
    }
    return log ? z : Math.log(z);
  }

  /** Add f to freq[id] for each piece on word w's Viterbi path (ties: the first node found). */
  viterbiCount(w: number, f: number, freq: Float64Array, scores: Float64Array, unk: number): void {
    const s = this.start[w]!;
    const e = this.end[w]!;
    const n = this.chars[w]!;
    const c = this.chunk[w]!;
    const piece = this.pieces[c]!;
    const begin = this.begins[c]!;
    const len = this.lens[c]!;
    this.scratch(n, e - s);
    const { a: best, back } = this;
    best.fill(-Infinity, 0, n + 1);
    back.fill(-1, 0, n + 1);
    best[0] = 0;
    for (let k = s; k < e; k++) {
      const b = begin[k]!;
      const end = b + len[k]!;
      const id = piece[k]!;
      const v = best[b]! + (id >= 0 ? scores[id]! : unk);
      if (back[end] === -1 || v > best[end]!) {
        best[end] = v;
        back[end] = k;
      }
    }
    for (let q = n; q > 0; q = begin[back[q]!]!) {
      const id = piece[back[q]!]!;
      if (id >= 0) freq[id] += f;
    }
  }
}

let unkScoreValue = 0;
let unkScoreFor: Float64Array | null = null;
function unkScoreOf(scores: Float64Array): number {
  if (unkScoreFor !== scores) {
    let min = Infinity;
    for (const s of scores) if (s < min) min = s;
    unkScoreValue = min - 10;
    unkScoreFor = scores;
  }
  return unkScoreValue;
}

function lse(x: number, y: number): number {
  if (x === -Infinity) return y;
  if (y === -Infinity) return x;
  const hi = Math.max(x, y);
  const lo = Math.min(x, y);
  if (hi > lo + 50) return hi;
  return hi + Math.log(Math.exp(lo - hi) + 1);
}

function checkAbort(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason ?? new Error('trainUnigram: aborted');
}

const tick = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

/** Train a Unigram tokenizer (see the module comment for the algorithm). */
export async function trainUnigram(
  corpus: Corpus,
  options: UnigramTrainerOptions = {},
): Promise<UnigramTrainingResult> {
  const FN = 'trainUnigram';
  const vocabSize = options.vocabSize ?? 8000;
  const coverage = options.characterCoverage ?? 0.9995;
  const maxLen = options.maxPieceLength ?? 16;
  const shrink = options.shrinkingFactor ?? 0.75;
  const subIters = options.numSubIterations ?? 2;
  const seedSize = options.seedSize ?? 1000000;
  const maxSentence = options.maxSentenceLength ?? 4192;
  if (!Number.isInteger(vocabSize) || vocabSize < 1)
    throw new Error(`${FN}: vocabSize must be a positive integer, got ${vocabSize}`);
  if (!(coverage > 0 && coverage <= 1)) throw new Error(`${FN}: characterCoverage must be in (0, 1], got ${coverage}`);
  if (!(shrink > 0 && shrink < 1)) throw new Error(`${FN}: shrinkingFactor must be in (0, 1), got ${shrink}`);
  if (!Number.isInteger(maxLen) || maxLen < 1)
    throw new Error(`${FN}: maxPieceLength must be a positive integer, got ${maxLen}`);
  const validOpts = {
    maxLen,
    byScript: options.splitByUnicodeScript ?? true,
    byNumber: options.splitByNumber ?? true,
    splitDigits: options.splitDigits ?? false,
  };
  const t0 = Date.now();
  let iteration = 0;
  const progress = (stage: UnigramTrainProgress['stage'], pieces: number, objective = NaN): void =>
    options.onProgress?.({ stage, pieces, iteration, objective, elapsedMs: Date.now() - t0 });
  const signal = options.signal;

  // meta pieces
  const unkPiece = options.unkPiece ?? '<unk>';
  const meta: Array<{ piece: string; type: number }> = [{ piece: unkPiece, type: PieceType.UNKNOWN }];
  const bos = options.bosPiece === undefined ? '<s>' : options.bosPiece;
  const eos = options.eosPiece === undefined ? '</s>' : options.eosPiece;
  const pad = options.padPiece ?? null;
  if (bos !== null) meta.push({ piece: bos, type: PieceType.CONTROL });
  if (eos !== null) meta.push({ piece: eos, type: PieceType.CONTROL });
  if (pad !== null) meta.push({ piece: pad, type: PieceType.CONTROL });
  for (const c of options.controlSymbols ?? []) meta.push({ piece: c, type: PieceType.CONTROL });
  const userSymbols = options.userDefinedSymbols ?? [];
  for (const u of userSymbols) meta.push({ piece: u, type: PieceType.USER_DEFINED });
  const seen = new Set<string>();
  for (const m of meta) {
    if (m.piece.length === 0) throw new Error(`${FN}: empty special or user-defined symbol`);
    if (seen.has(m.piece)) throw new Error(`${FN}: symbol ${JSON.stringify(m.piece)} is given twice`);
    seen.add(m.piece);
  }
  const byteFallback = options.byteFallback ?? false;
  const byteCount = byteFallback ? 256 : 0;
  const vocabLeft = vocabSize - meta.length - byteCount;
  if (vocabLeft <= 0)
    throw new Error(`${FN}: vocabSize ${vocabSize} leaves no room after ${meta.length + byteCount} meta/byte pieces`);

  // 1. load + normalize
  const normalizer = new SentencePieceNormalizer({
    charsmap: options.charsmap ?? null,
    addDummyPrefix: options.addDummyPrefix ?? true,
    removeExtraWhitespaces: options.removeExtraWhitespaces ?? true,
    userDefinedSymbols: userSymbols,
  });
  const sentenceCounts = new Map<string, number>();
  const enc = new TextEncoder();
  let lineNo = 0;
  for await (let line of corpusSequences(corpus)) {
    if (line.endsWith('\n')) line = line.slice(0, line.endsWith('\r\n') ? -2 : -1);
    if (++lineNo % 20000 === 0) {
      checkAbort(signal);
      await tick();
    }
    if (line.length === 0 || enc.encode(line).length > maxSentence) continue;
    const s = normalizer.normalizeString(line); // = normalize(NormalizedString) without the alignment
    if (s.length === 0) continue;
    sentenceCounts.set(s, (sentenceCounts.get(s) ?? 0) + 1);
  }
  if (sentenceCounts.size === 0) throw new Error(`${FN}: the corpus has no non-empty line`);
  progress('load', 0);

  // character coverage
  const charCounts = new Map<string, number>();
  let allChars = 0;
  for (const [s, f] of sentenceCounts) {
    for (const ch of s) {
      if (ch === ' ' || ch === '\0') continue;
      charCounts.set(ch, (charCounts.get(ch) ?? 0) + f);
      allChars += f;
    }
  }
  const required = new Map<string, number>();
  for (const ch of options.requiredChars ?? '') required.set(ch, charCounts.get(ch) ?? 0);
  let acc = 0;
  for (const [ch, c] of sortedDesc([...charCounts])) {
    if (acc / allChars >= coverage) break;
    acc += c;
    required.set(ch, c);
  }
  if (required.size > vocabLeft)
    throw new Error(
      `${FN}: vocabSize ${vocabSize} is too small: characterCoverage ${coverage} keeps ${required.size} characters, and ${vocabSize - vocabLeft} ids go to meta/byte pieces (sentencepiece refuses this too)`,
    );
  // replace rare chars with the unknown char
  const sentences: Array<[string, number]> = [];
  for (const [s, f] of sentenceCounts) {
    let t = s;
    for (const ch of s) {
      if (!required.has(ch)) {
        t = Array.from(s, (c) => (required.has(c) ? c : UNK_CHAR)).join('');
        break;
      }
    }
    sentences.push([t, f]);
  }

  // 2. seeds
  checkAbort(signal);
  const nSentences = sentences.length;
  const seedChars = new Map<string, number>();
  for (const [s, f] of sentences)
    for (const ch of s) if (ch !== UNK_CHAR) seedChars.set(ch, (seedChars.get(ch) ?? 0) + f);
  // the words of the distinct sentences: occurrences over the distinct sentences (seed counts, as
  // sentencepiece's suffix array counts) and frequencies over all sentences (EM)
  const wordIndex = new Map<string, number>();
  const wordList: string[] = [];
  const wordOcc: number[] = [];
  const wordFreq: number[] = [];
  for (const [s, f] of sentences) {
    for (const w of splitWords(s)) {
      let i = wordIndex.get(w);
      if (i === undefined) {
        i = wordList.length;
        wordIndex.set(w, i);
        wordList.push(w);
        wordOcc.push(0);
        wordFreq.push(0);
      }
      wordOcc[i]! += 1;
      wordFreq[i]! += f;
    }
  }
  // the sentences are not needed any more: free them before the seed tables
  wordIndex.clear();
  sentences.length = 0;
  sentenceCounts.clear();
  charCounts.clear();
  const substr = await countSubstrings(wordList, wordOcc, maxLen, (cps) => validPiece(cps, validOpts), signal);
  const seeds: Pieces = sortedDesc([...seedChars]);
  for (const [w, sc] of sortedDesc(substr)) {
    if (seeds.length >= seedSize) break;
    if (seedChars.has(w)) continue;
    seeds.push([w, sc]);
  }
  substr.length = 0;
  let sum = 0;
  for (const [, v] of seeds) sum += v;
  const logsum = Math.log(sum);
  // the current model as parallel arrays (no [piece, score] tuple per piece and EM step: fewer
  // objects for the garbage collector, a lower peak RSS)
  let pieces: string[] = seeds.map(([p]) => p);
  let scores = Float64Array.from(seeds, ([, v]) => Math.log(v) - logsum);
  seeds.length = 0;
  progress('seed', pieces.length);

  // EM data: words with frequencies
  const emWords = sortedDesc(wordList.map((w, i): [string, number] => [w, wordFreq[i]!]));
  wordList.length = 0;
  let allFreq = 0;
  for (const [, f] of emWords) allFreq += f;
  const desired = Math.floor(vocabLeft * 1.1);
  const lat = new TrainLattice();

  const trieOf = (ps: string[]): UnitTrie => {
    const index = new UnitTrie();
    ps.forEach((p, i) => index.insert(p, i));
    return index;
  };

  let cache: LatticeCache | null = null;
  for (;;) {
    for (let it = 0; it < subIters; it++) {
      // the seed pieces' lattices, built once; later steps filter them (LatticeCache)
      cache ??= new LatticeCache(emWords, lat, trieOf(pieces), scores, maxLen);
      const expected = new Float64Array(pieces.length);
      const prob = scores.map(Math.exp);
      const unk = unkScoreOf(scores);
      const probUnk = Math.exp(unk);
      let obj = 0;
      for (let k = 0; k < emWords.length; k++) {
        if (k % 20000 === 0) {
          checkAbort(signal);
          await tick();
        }
        const f = emWords[k]![1];
        obj -= (f * cache.marginal(k, f, expected, prob, probUnk, scores, unk)) / allFreq;
      }
      // M step
      const remap = new Int32Array(pieces.length).fill(-1);
      let total = 0;
      let kept = 0;
      for (let i = 0; i < pieces.length; i++) {
        const e = expected[i]!;
        if (e < 0.5) continue;
        remap[i] = kept++;
        total += e;
      }
      if (kept < pieces.length) cache.compact(remap);
      const ls = digamma(total);
      const next: string[] = [];
      const nextScores = new Float64Array(kept);
      for (let i = 0; i < pieces.length; i++) {
        if (remap[i]! < 0) continue;
        nextScores[next.length] = digamma(expected[i]!) - ls;
        next.push(pieces[i]!);
      }
      pieces = next;
      scores = nextScores;
      iteration++;
      progress('em', pieces.length, obj);
    }
    if (pieces.length <= desired) break;
    const order = await prune(pieces, scores, cache!);
    const remap = new Int32Array(pieces.length).fill(-1);
    order.forEach((i, j) => (remap[i] = j));
    const ps = pieces;
    const pscores = scores;
    pieces = order.map((i) => ps[i]!);
    scores = Float64Array.from(order, (i) => pscores[i]!);
    cache!.compact(remap);
    progress('prune', pieces.length);
  }

  /** The pieces kept by pruning, as indices into `ps` in their new order. */
  async function prune(ps: string[], scores: Float64Array, cache: LatticeCache): Promise<number[]> {
    const index = trieOf(ps);
    const alwaysKeep = new Uint8Array(ps.length).fill(1);
    const none: number[] = [];
    const alternatives: number[][] = new Array<number[]>(ps.length).fill(none);
    for (let i = 0; i < ps.length; i++) {
      lat.build(ps[i]!, index, scores, maxLen);
      const nb = lat.twoBest();
      if (nb.length === 1) alwaysKeep[i] = 1;
      else if (nb[0]!.length >= 2) alwaysKeep[i] = 0;
      else {
        alwaysKeep[i] = 1;
        alternatives[i] = nb[1]!;
      }
    }
    const freq = new Float64Array(ps.length);
    const unk = unkScoreOf(scores);
    let vsum = 0;
    for (let k = 0; k < emWords.length; k++) {
      if (k % 20000 === 0) {
        checkAbort(signal);
        await tick();
      }
      const f = emWords[k]![1];
      vsum += f;
      cache.viterbiCount(k, f, freq, scores, unk);
    }
    let fsum = 0;
    for (const v of freq) fsum += v;
    const logsumF = Math.log(fsum);
    const candidates: Array<[number, number]> = [];
    const out: number[] = [];
    for (let i = 0; i < ps.length; i++) {
      if (freq[i] === 0 || !alwaysKeep[i]) continue;
      if (alternatives[i]!.length === 0) {
        out.push(i);
        continue;
      }
      // sentencepiece sums the frequencies of the words whose Viterbi path has piece i, once per
      // occurrence (its `inverted` lists): that is freq[i] itself (integers, so exactly)
      const F = freq[i]! / vsum;
      const logprobSp = Math.log(freq[i]!) - logsumF;
      // sentencepiece 0.1.97 writes `alternatives.size()` here (the number of pieces, not of
      // this piece's alternatives); kept for the same pruning order
      const logsumAlt = Math.log(fsum + freq[i]! * (ps.length - 1));
      let logprobAlt = 0;
      // an alternative may be an unknown-char node (id -1, when M steps dropped a rare char):
      // it has no frequency of its own (sentencepiece reads freq[-1] there, undefined behaviour)
      for (const n of alternatives[i]!) logprobAlt += Math.log((n >= 0 ? freq[n]! : 0) + freq[i]!) - logsumAlt;
      candidates.push([i, F * (logprobSp - logprobAlt)]);
    }
    const prunedSize = Math.max(desired, Math.trunc(shrink * ps.length));
    for (const [i] of sortedDesc(candidates)) {
      if (out.length === prunedSize) break;
      out.push(i);
    }
    return out;
  }

  // 5. finalize
  const model: Pieces = pieces.map((p, i) => [p, scores[i]!]);
  const sp = new Map(model);
  let minScore = Infinity;
  for (const s of scores) if (s < minScore) minScore = s;
  const final = new Map<string, number>();
  let penalty = 0;
  for (const [ch] of sortedDesc([...required])) {
    const s = sp.get(ch);
    if (s !== undefined) final.set(ch, s);
    else {
      final.set(ch, minScore + penalty);
      penalty += 0.0001;
    }
  }
  for (const [p, s] of sortedDesc(model)) {
    if (final.has(p)) continue;
    if (final.size >= vocabLeft) break;
    if (seen.has(p)) continue;
    final.set(p, s);
  }
  const out: Array<{ piece: string; score: number; type: number }> = meta.map((m) => ({ ...m, score: 0 }));
  if (byteFallback)
    for (let b = 0; b < 256; b++)
      out.push({ piece: `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, score: 0, type: PieceType.BYTE });
  for (const [p, s] of sortedDesc([...final])) out.push({ piece: p, score: Math.fround(s), type: PieceType.NORMAL });
  progress('done', out.length);
  const proto: SentencePieceModelProto = {
    pieces: out,
    trainerSpec: {
      modelType: 'unigram',
      vocabSize,
      byteFallback,
      unkId: 0,
      bosId: bos === null ? -1 : 1,
      eosId: eos === null ? -1 : bos === null ? 1 : 2,
      padId: pad === null ? -1 : meta.findIndex((m) => m.piece === pad),
      treatWhitespaceAsSuffix: false,
      splitByWhitespace: true,
      maxSentencepieceLength: maxLen,
      characterCoverage: coverage,
    },
    normalizerSpec: {
      name: options.charsmap ? 'custom' : 'identity',
      precompiledCharsmap: options.charsmap ?? new Uint8Array(0),
      addDummyPrefix: options.addDummyPrefix ?? true,
      removeExtraWhitespaces: options.removeExtraWhitespaces ?? true,
      escapeWhitespaces: true,
    },
  };
  return {
    tokenizer: sentencePieceTokenizer(proto),
    pieces: out,
    model: proto,
    sentences: nSentences,
    words: emWords.length,
    requiredChars: required.size,
  };
}

/** sentencepiece's SplitIntoWords: a new word at each `▁` (kept as the word's prefix). */
function splitWords(s: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = 1; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x2581) {
      out.push(s.slice(start, i));
      start = i;
    }
  }
  if (s.length > 0) out.push(s.slice(start));
  return out;
}

/** A hash table from a pair of non-negative ints to a dense index 0, 1, 2, … (grows). */
class PairIndex {
  private ka: Int32Array;
  private kb: Int32Array;
  private val: Int32Array;
  private mask: number;
  size = 0;
  constructor(capacity = 1 << 16) {
    let cap = 1024;
    while (cap < 2 * capacity) cap <<= 1;
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.mask = cap - 1;
  }
  /** Empty the table, keeping its capacity (one table serves every substring length). */
  clear(): void {
    this.ka.fill(-1);
    this.size = 0;
  }
  /** Index of (a, b); a new pair gets the next index. */
  index(a: number, b: number): number {
    let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(b, 0x85ebca77)) >>> 0;
    h = (h ^ (h >>> 15)) & this.mask;
    const ka = this.ka;
    for (;;) {
      const k = ka[h]!;
      if (k === -1) break;
      if (k === a && this.kb[h] === b) return this.val[h]!;
      h = (h + 1) & this.mask;
    }
    if (2 * (this.size + 1) > this.ka.length) {
      this.grow();
      return this.index(a, b);
    }
    ka[h] = a;
    this.kb[h] = b;
    this.val[h] = this.size;
    return this.size++;
  }
  private grow(): void {
    const { ka, kb, val } = this;
    const cap = 2 * ka.length;
    this.ka = new Int32Array(cap).fill(-1);
    this.kb = new Int32Array(cap);
    this.val = new Int32Array(cap);
    this.mask = cap - 1;
    for (let i = 0; i < ka.length; i++) {
      const a = ka[i]!;
      if (a === -1) continue;
      let h = (Math.imul(a, 0x9e3779b1) ^ Math.imul(kb[i]!, 0x85ebca77)) >>> 0;
      h = (h ^ (h >>> 15)) & this.mask;
      while (this.ka[h] !== -1) h = (h + 1) & this.mask;
      this.ka[h] = a;
      this.kb[h] = kb[i]!;
      this.val[h] = val[i]!;
    }
  }
}

function growF64(x: Float64Array<ArrayBuffer>, n: number): Float64Array<ArrayBuffer> {
  if (n <= x.length) return x;
  const y = new Float64Array(Math.max(n, 2 * x.length));
  y.set(x);
  return y;
}
function growI32(x: Int32Array<ArrayBuffer>, n: number): Int32Array<ArrayBuffer> {
  if (n <= x.length) return x;
  const y = new Int32Array(Math.max(n, 2 * x.length));
  y.set(x);
  return y;
}
function growU8(x: Uint8Array<ArrayBuffer>, n: number): Uint8Array<ArrayBuffer> {
  if (n <= x.length) return x;
  const y = new Uint8Array(Math.max(n, 2 * x.length));
  y.set(x);
  return y;
}

/**
 * Seed substrings of the words (length 2 … maxLen in chars, occurring at least twice, followed
 * by at least two different characters), each with score freq × length, counted level by
 * level: only extensions of substrings that repeated at the previous length are counted
 * (apriori). `counts[i]`: occurrences of `words[i]` over the distinct sentences.
 *
 * Everything lives in flat typed arrays over all words' characters (no per-word arrays, no
 * substring strings until a substring is kept): a substring of length L at a position is
 * identified by (its id at length L − 1 at the same position, its last code point), a pair
 * looked up in an integer hash table. The earlier version (a Map of sliced strings per level
 * and three typed arrays per word) was most of the trainer's 850 MB peak RSS on 150k NSMC
 * reviews (vocab 8k).
 */
async function countSubstrings(
  words: string[],
  counts: number[],
  maxLen: number,
  valid: (cps: number[]) => boolean,
  signal: AbortSignal | undefined,
): Promise<Array<[string, number]>> {
  // flat layout: the chars of every word, word after word; wordStart[i] is word i's first char
  let nUnits = 0;
  for (const w of words) nUnits += w.length;
  const units = new Uint16Array(nUnits);
  const wordStart = new Int32Array(words.length + 1);
  // per char: its first code unit (+ one past the last word's end) and its code point
  const unitAt = new Int32Array(nUnits + 1);
  const cpAt = new Int32Array(nUnits);
  let u = 0;
  let p = 0;
  for (let wi = 0; wi < words.length; wi++) {
    const w = words[wi]!;
    wordStart[wi] = p;
    for (let i = 0; i < w.length;) {
      const ch = w.charCodeAt(i);
      unitAt[p] = u + i;
      if (ch >= 0xd800 && ch <= 0xdbff && i + 1 < w.length && (w.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        cpAt[p] = 0x10000 + ((ch - 0xd800) << 10) + (w.charCodeAt(i + 1) - 0xdc00);
        i += 2;
      } else {
        cpAt[p] = ch;
        i += 1;
      }
      p++;
    }
    for (let i = 0; i < w.length; i++) units[u + i] = w.charCodeAt(i);
    u += w.length;
  }
  const nPos = p;
  wordStart[words.length] = nPos;
  unitAt[nPos] = u;
  // slot[p]: id of the substring starting at p at the previous length (length 1: its code point);
  // alive[p]: that substring repeats, so its extensions are counted
  const slot = cpAt.slice(0, nPos);
  const alive = new Uint8Array(nPos).fill(1);
  const out: Array<[string, number]> = [];
  let freqs = new Float64Array(1 << 16);
  let nexts = new Int32Array(1 << 16);
  let branch = new Uint8Array(1 << 16);
  let first = new Int32Array(1 << 16);
  const cps: number[] = [];
  const table = new PairIndex(1 << 16);
  for (let len = 2; len <= maxLen; len++) {
    checkAbort(signal);
    table.clear();
    let any = false;
    for (let wi = 0; wi < words.length; wi++) {
      const s = wordStart[wi]!;
      const e = wordStart[wi + 1]!;
      const c = counts[wi]!;
      for (let q = s; q < e; q++) {
        if (e - q < len || alive[q] === 0) {
          slot[q] = -1;
          continue;
        }
        // the char after the substring: its first code unit, or ▁ at the word's end
        const next = e - q > len ? units[unitAt[q + len]!]! : 0x2581;
        const size = table.size;
        const k = table.index(slot[q]!, cpAt[q + len - 1]!);
        if (k === size) {
          if (k >= freqs.length) {
            freqs = growF64(freqs, k + 1);
            nexts = growI32(nexts, k + 1);
            branch = growU8(branch, k + 1);
            first = growI32(first, k + 1);
          }
          freqs[k] = c;
          nexts[k] = next;
          branch[k] = 0;
          first[k] = q;
        } else {
          freqs[k] += c;
          if (nexts[k] !== next) branch[k] = 1;
        }
        slot[q] = k;
      }
    }
    for (let q = 0; q < nPos; q++) {
      const k = slot[q]!;
      const a = k >= 0 && freqs[k]! >= 2 ? 1 : 0;
      alive[q] = a;
      if (a === 1) any = true;
    }
    for (let k = 0; k < table.size; k++) {
      if (freqs[k]! < 2 || branch[k] === 0) continue;
      const q = first[k]!;
      cps.length = 0;
      for (let j = 0; j < len; j++) cps.push(cpAt[q + j]!);
      if (valid(cps)) out.push([String.fromCharCode(...units.subarray(unitAt[q]!, unitAt[q + len]!)), freqs[k]! * len]);
    }
    if (!any) break;
    await tick();
  }
  return out;
}
