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
import { NormalizedString } from './normalized-string.js';
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
  private a = new Float64Array(64);
  private b = new Float64Array(64);
  private charIndex = new Int32Array(64);
  private charStart = new Int32Array(64);
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
    if (this.a.length < n + 1) {
      this.a = new Float64Array(2 * n + 2);
      this.b = new Float64Array(2 * n + 2);
    }
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
  /** Forward-backward: add freq × marginal of each node to expected; returns log Z. */
  marginal(freq: number, expected: Float64Array): number {
    const n = this.n;
    const m = this.m;
    const alpha = this.a;
    const beta = this.b;
    alpha.fill(-Infinity, 0, n + 1);
    beta.fill(-Infinity, 0, n + 1);
    alpha[0] = 0;
    beta[n] = 0;
    const { begin, len, score, ids } = this;
    for (let k = 0; k < m; k++) {
      const e = begin[k]! + len[k]!;
      alpha[e] = lse(alpha[e]!, alpha[begin[k]!]! + score[k]!);
    }
    for (let k = m - 1; k >= 0; k--) {
      const b = begin[k]!;
      beta[b] = lse(beta[b]!, beta[b + len[k]!]! + score[k]!);
    }
    const z = alpha[n]!;
    for (let k = 0; k < m; k++) {
      const id = ids[k]!;
      if (id < 0) continue;
      const b = begin[k]!;
      expected[id] += freq * Math.exp(alpha[b]! + score[k]! + beta[b + len[k]!]! - z);
    }
    return z;
  }
  /** Viterbi path as node indices. */
  viterbi(): number[] {
    const n = this.n;
    const best = this.a;
    best.fill(-Infinity, 0, n + 1);
    best[0] = 0;
    const back = new Int32Array(n + 1).fill(-1);
    for (let k = 0; k < this.m; k++) {
      const e = this.begin[k]! + this.len[k]!;
      const sc = best[this.begin[k]!]! + this.score[k]!;
      if (back[e] === -1 || sc > best[e]!) {
        best[e] = sc;
        back[e] = k;
      }
    }
    const path: number[] = [];
    for (let p = n; p > 0; p = this.begin[back[p]!]!) path.push(back[p]!);
    return path.reverse();
  }
  /** The two best paths (as id lists) for pruning: [best] or [best, second] (2-best Viterbi). */
  twoBest(): number[][] {
    const n = this.n;
    const s1 = new Float64Array(n + 1).fill(-Infinity);
    const s2 = new Float64Array(n + 1).fill(-Infinity);
    const b1 = new Int32Array(n + 1).fill(-1);
    const b2 = new Int32Array(n + 1).fill(-1);
    const r1 = new Int8Array(n + 1);
    const r2 = new Int8Array(n + 1);
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
    const ns = NormalizedString.fromOriginal(line);
    normalizer.normalize(ns);
    const s = ns.normalized;
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
  const seedChars = new Map<string, number>();
  for (const [s, f] of sentences)
    for (const ch of s) if (ch !== UNK_CHAR) seedChars.set(ch, (seedChars.get(ch) ?? 0) + f);
  // words of the distinct sentences, counted once per distinct sentence (as sentencepiece's suffix array)
  const wordOcc = new Map<string, number>();
  for (const [s] of sentences) for (const w of splitWords(s)) wordOcc.set(w, (wordOcc.get(w) ?? 0) + 1);
  const words: Array<[string, Int32Array, number]> = [];
  for (const [w, c] of wordOcc) {
    const cs: number[] = [];
    for (let u = 0; u < w.length;) {
      cs.push(u);
      const ch = w.charCodeAt(u);
      u += ch >= 0xd800 && ch <= 0xdbff && u + 1 < w.length && (w.charCodeAt(u + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
    }
    cs.push(w.length);
    words.push([w, Int32Array.from(cs), c]);
  }
  // level-wise substring counting: freq and "next char" branching. alive[w][i] says that the
  // substring of the previous length at position i repeats (apriori: only its extensions can).
  const substr: Array<[string, number]> = [];
  const alive = words.map(([, cs]) => new Uint8Array(cs.length - 1).fill(1));
  // per word and position: index of its substring in this level's tables (-1: not counted)
  const slots = words.map(([, cs]) => new Int32Array(cs.length - 1));
  for (let len = 2; len <= maxLen; len++) {
    checkAbort(signal);
    // substring -> index; counts, first next char and "branches" in typed arrays (no objects)
    const level = new Map<string, number>();
    let cap = 1024;
    let freqs = new Float64Array(cap);
    let nexts = new Int32Array(cap);
    let branch = new Uint8Array(cap);
    let any = false;
    for (let wi = 0; wi < words.length; wi++) {
      const [w, cs, c] = words[wi]!;
      const m = cs.length - 1;
      const sl = slots[wi]!;
      sl.fill(-1);
      if (m < len) continue;
      const al = alive[wi]!;
      for (let i = 0; i + len <= m; i++) {
        if (al[i] === 0) continue;
        const sub = w.slice(cs[i]!, cs[i + len]!);
        const next = i + len < m ? w.charCodeAt(cs[i + len]!) : 0x2581;
        let k = level.get(sub);
        if (k === undefined) {
          k = level.size;
          if (k >= cap) {
            cap *= 2;
            const f2 = new Float64Array(cap);
            f2.set(freqs);
            freqs = f2;
            const n2 = new Int32Array(cap);
            n2.set(nexts);
            nexts = n2;
            const b2 = new Uint8Array(cap);
            b2.set(branch);
            branch = b2;
          }
          level.set(sub, k);
          freqs[k] = c;
          nexts[k] = next;
        } else {
          freqs[k] += c;
          if (nexts[k] !== next) branch[k] = 1;
        }
        sl[i] = k;
      }
    }
    for (let wi = 0; wi < words.length; wi++) {
      const sl = slots[wi]!;
      const al = alive[wi]!;
      for (let i = 0; i < sl.length; i++) {
        const k = sl[i]!;
        al[i] = k >= 0 && freqs[k]! >= 2 ? 1 : 0;
        if (al[i] === 1) any = true;
      }
    }
    for (const [sub, k] of level) {
      if (freqs[k]! < 2 || branch[k] === 0) continue;
      if (
        validPiece(
          Array.from(sub, (ch) => ch.codePointAt(0)!),
          validOpts,
        )
      )
        substr.push([sub, freqs[k]! * len]);
    }
    if (!any) break;
    await tick();
  }
  // free the seed-stage tables before EM
  alive.length = 0;
  slots.length = 0;
  words.length = 0;
  wordOcc.clear();
  const seeds: Pieces = sortedDesc([...seedChars]);
  for (const [w, sc] of sortedDesc(substr)) {
    if (seeds.length >= seedSize) break;
    if (seedChars.has(w)) continue;
    seeds.push([w, sc]);
  }
  let sum = 0;
  for (const [, v] of seeds) sum += v;
  const logsum = Math.log(sum);
  let pieces: Pieces = seeds.map(([p, v]) => [p, Math.log(v) - logsum]);
  progress('seed', pieces.length);

  // EM data: words with frequencies
  const wordFreq = new Map<string, number>();
  for (const [s, f] of sentences) for (const w of splitWords(s)) wordFreq.set(w, (wordFreq.get(w) ?? 0) + f);
  const emWords = sortedDesc([...wordFreq]);
  let allFreq = 0;
  for (const [, f] of emWords) allFreq += f;
  const desired = Math.floor(vocabLeft * 1.1);
  const lat = new TrainLattice();

  const modelOf = (ps: Pieces): { index: UnitTrie; scores: Float64Array } => {
    const index = new UnitTrie();
    const scores = new Float64Array(ps.length);
    ps.forEach(([p, s], i) => {
      index.insert(p, i);
      scores[i] = s;
    });
    return { index, scores };
  };

  for (;;) {
    for (let it = 0; it < subIters; it++) {
      const { index, scores } = modelOf(pieces);
      const expected = new Float64Array(pieces.length);
      let obj = 0;
      for (let k = 0; k < emWords.length; k++) {
        if (k % 20000 === 0) {
          checkAbort(signal);
          await tick();
        }
        const [chars, f] = emWords[k]!;
        lat.build(chars, index, scores, maxLen);
        obj -= (f * lat.marginal(f, expected)) / allFreq;
      }
      // M step
      const next: Pieces = [];
      let total = 0;
      for (let i = 0; i < pieces.length; i++) {
        const e = expected[i]!;
        if (e < 0.5) continue;
        next.push([pieces[i]![0], e]);
        total += e;
      }
      const ls = digamma(total);
      pieces = next.map(([p, e]) => [p, digamma(e) - ls]);
      iteration++;
      progress('em', pieces.length, obj);
    }
    if (pieces.length <= desired) break;
    pieces = await prune(pieces);
    progress('prune', pieces.length);
  }

  async function prune(ps: Pieces): Promise<Pieces> {
    const { index, scores } = modelOf(ps);
    const alwaysKeep = new Uint8Array(ps.length).fill(1);
    const alternatives: number[][] = ps.map(() => []);
    for (let i = 0; i < ps.length; i++) {
      lat.build(ps[i]![0], index, scores, maxLen);
      const nb = lat.twoBest();
      if (nb.length === 1) alwaysKeep[i] = 1;
      else if (nb[0]!.length >= 2) alwaysKeep[i] = 0;
      else {
        alwaysKeep[i] = 1;
        alternatives[i] = nb[1]!;
      }
    }
    const freq = new Float64Array(ps.length);
    const inverted: number[][] = ps.map(() => []);
    let vsum = 0;
    for (let k = 0; k < emWords.length; k++) {
      if (k % 20000 === 0) {
        checkAbort(signal);
        await tick();
      }
      const [chars, f] = emWords[k]!;
      lat.build(chars, index, scores, maxLen);
      vsum += f;
      for (const node of lat.viterbi()) {
        const id = lat.ids[node]!;
        if (id >= 0) {
          freq[id] += f;
          inverted[id]!.push(k);
        }
      }
    }
    let fsum = 0;
    for (const v of freq) fsum += v;
    const logsumF = Math.log(fsum);
    const candidates: Array<[number, number]> = [];
    const out: Pieces = [];
    for (let i = 0; i < ps.length; i++) {
      if (freq[i] === 0 || !alwaysKeep[i]) continue;
      if (alternatives[i]!.length === 0) {
        out.push(ps[i]!);
        continue;
      }
      let F = 0;
      for (const n of inverted[i]!) F += emWords[n]![1];
      F /= vsum;
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
      out.push(ps[i]!);
    }
    return out;
  }

  // 5. finalize
  const sp = new Map(pieces);
  let minScore = Infinity;
  for (const [, s] of pieces) if (s < minScore) minScore = s;
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
  for (const [p, s] of sortedDesc(pieces)) {
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
    sentences: sentences.length,
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
