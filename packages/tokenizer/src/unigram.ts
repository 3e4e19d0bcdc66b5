/**
 * Unigram language-model tokenizer (Kudo 2018; sentencepiece `unigram_model.cc`, HF
 * `models/unigram`): the segmentation of highest total log-probability (Viterbi over the
 * lattice of vocabulary pieces), n-best segmentations (A* over the lattice) and sampled
 * segmentations (subword regularization: forward-filtering backward-sampling over the whole
 * lattice, or sampling among the n-best).
 *
 * Two flavours of arithmetic: a model read from a sentencepiece `.model` (with piece types)
 * computes in float32 exactly as sentencepiece does (so ties and near-ties break the same
 * way); a model from a tokenizer.json computes in float64 as HF does.
 */
import type { Model, ModelToken } from './model.js';
import { VocabError } from './model.js';
import { randomFn, type RandomSource } from './internal/rng.js';
import { IdBuffer } from './internal/id-buffer.js';

/** sentencepiece `ModelProto.SentencePiece.Type`. */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

export interface UnigramOptions {
  /** `[piece, score]` pairs; the index is the id (HF's `vocab`). */
  vocab: Array<[string, number]>;
  /** @default null — HF's `unk_id`; encoding an unknown char without one throws */
  unkId?: number | null;
  /** @default false — unknown chars become `<0xNN>` byte pieces (all 256 must be in the vocab) */
  byteFallback?: boolean;
  /**
   * sentencepiece piece types (PieceType), one per vocab entry. @default null — every piece
   * is matchable, as in HF. When given, only NORMAL, USER_DEFINED (with sentencepiece's bonus)
   * and UNUSED (skipped) pieces are in the lattice, and scores are float32 like sentencepiece's.
   */
  pieceTypes?: ArrayLike<number> | null;
}

/** Options of n-best and sampled encoding. */
export interface UnigramSampleOptions {
  /**
   * sentencepiece's `nbest_size`: < 0 samples from the whole lattice (forward-filtering
   * backward-sampling); 0 or 1 is plain Viterbi (no sampling); > 1 samples among the n best
   * segmentations with probability ∝ exp(alpha · score).
   * @default -1
   */
  nbestSize?: number;
  /** Smoothing (inverse temperature): p(segmentation) ∝ exp(alpha · score). @default 0.1 */
  alpha?: number;
  /** A seed or a uniform [0, 1) source. @default unseeded (Math.random seed) */
  random?: RandomSource;
}

/** One lattice node (a piece spanning chars [pos, pos + length)). */
interface LNode {
  id: number;
  pos: number;
  length: number;
  score: number;
  nodeId: number;
  backtrace: number;
  prev: LNode | null;
}

interface Hyp {
  node: LNode;
  next: Hyp | null;
  fx: number;
  gx: number;
}

const K_UNK_PENALTY = 10;
const FLT_MIN = 1.1754943508222875e-38;
const FLT_MAX = 3.4028234663852886e38;
const ident = (x: number): number => x;

/**
 * A trie over UTF-16 code units with its transitions in one open-addressing hash table
 * ((node, unit) -> child), which is several times faster than a Map per node, and the root's
 * children in a direct 64K table (the first step of every lookup costs one array read).
 */
export class UnitTrie {
  private keyNode = new Int32Array(1024).fill(-1);
  private keyUnit = new Int32Array(1024);
  private child = new Int32Array(1024);
  private mask = 1023;
  private used = 0;
  private readonly root = new Int32Array(0x10000).fill(-1);
  private values = new Int32Array(64).fill(-1);
  private nodes = 1;
  private slot(node: number, c: number): number {
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b)) & this.mask;
    for (;;) {
      const k = this.keyNode[h]!;
      if (k === -1 || (k === node && this.keyUnit[h] === c)) return h;
      h = (h + 1) & this.mask;
    }
  }
  private grow(): void {
    const oldNode = this.keyNode;
    const oldUnit = this.keyUnit;
    const oldChild = this.child;
    const size = oldNode.length * 2;
    this.keyNode = new Int32Array(size).fill(-1);
    this.keyUnit = new Int32Array(size);
    this.child = new Int32Array(size);
    this.mask = size - 1;
    for (let i = 0; i < oldNode.length; i++) {
      if (oldNode[i] === -1) continue;
      const h = this.slot(oldNode[i]!, oldUnit[i]!);
      this.keyNode[h] = oldNode[i]!;
      this.keyUnit[h] = oldUnit[i]!;
      this.child[h] = oldChild[i]!;
    }
  }
  private newNode(): number {
    if (this.nodes === this.values.length) {
      const v = new Int32Array(2 * this.nodes).fill(-1);
      v.set(this.values);
      this.values = v;
    }
    return this.nodes++;
  }
  insert(key: string, value: number): void {
    if (key.length === 0) throw new Error('UnitTrie: empty key');
    let node = this.root[key.charCodeAt(0)]!;
    if (node < 0) node = this.root[key.charCodeAt(0)] = this.newNode();
    for (let i = 1; i < key.length; i++) {
      const c = key.charCodeAt(i);
      let h = this.slot(node, c);
      if (this.keyNode[h] === -1) {
        if ((this.used + 1) * 2 > this.keyNode.length) {
          this.grow();
          h = this.slot(node, c);
        }
        this.keyNode[h] = node;
        this.keyUnit[h] = c;
        this.child[h] = this.newNode();
        this.used++;
      }
      node = this.child[h]!;
    }
    this.values[node] = value;
  }
  /** Child of the root by code unit `c`, or -1. */
  first(c: number): number {
    return this.root[c]!;
  }
  /** Child of `node` by code unit `c`, or -1 (node 0 is the root). */
  step(node: number, c: number): number {
    if (node === 0) return this.root[c]!;
    const mask = this.mask;
    const kn = this.keyNode;
    let h = (Math.imul(node, 0x9e3779b1) ^ Math.imul(c, 0x85ebca6b)) & mask;
    for (;;) {
      const k = kn[h]!;
      if (k === node && this.keyUnit[h] === c) return this.child[h]!;
      if (k === -1) return -1;
      h = (h + 1) & mask;
    }
  }
  /** The value stored at `node`, or -1. */
  value(node: number): number {
    return this.values[node]!;
  }
}

function isHighSurrogatePair(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (isHighSurrogatePair(s, i)) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const utf8 = new TextEncoder();

export class Unigram implements Model {
  readonly type = 'Unigram';
  readonly vocab: Array<[string, number]>;
  readonly unkId: number | null;
  readonly byteFallback: boolean;
  readonly pieceTypes: Uint8Array | null;
  private readonly index = new Map<string, number>();
  private readonly trie = new UnitTrie();
  private readonly f: (x: number) => number;
  private readonly scores: Float64Array;
  /** Per id: 1 user-defined, 2 unused, 0 otherwise. */
  private readonly kind: Uint8Array;
  /** Per id: UTF-8 byte length (user-defined bonus in the fast Viterbi) and char length. */
  private readonly byteLen: Int32Array;
  private readonly charLen: Int32Array;
  readonly minScore: number;
  readonly maxScore: number;
  private readonly unkScore: number;
  private readonly byteIds: Int32Array | null;
  private bufBest = new Float64Array(256);
  private bufStarts = new Int32Array(256);
  private bufIds = new Int32Array(256);

  constructor(options: UnigramOptions) {
    this.vocab = options.vocab;
    this.unkId = options.unkId ?? null;
    this.byteFallback = options.byteFallback ?? false;
    const types = options.pieceTypes ?? null;
    if (types !== null && types.length !== this.vocab.length)
      throw new VocabError(`Unigram: pieceTypes has ${types.length} entries but the vocab has ${this.vocab.length}`);
    this.pieceTypes = types === null ? null : Uint8Array.from(types);
    const spm = types !== null;
    this.f = spm ? Math.fround : ident;
    const n = this.vocab.length;
    if (n === 0) throw new VocabError('Unigram: the vocabulary is empty');
    this.scores = new Float64Array(n);
    this.kind = new Uint8Array(n);
    this.byteLen = new Int32Array(n);
    this.charLen = new Int32Array(n);
    let min = spm ? FLT_MAX : Infinity;
    let max = spm ? FLT_MIN : -Infinity;
    this.vocab.forEach((entry, id) => {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'number')
        throw new VocabError(`Unigram: vocab[${id}] must be [piece, score], got ${JSON.stringify(entry)}`);
      const [piece, score] = entry;
      if (piece.length === 0) throw new VocabError(`Unigram: vocab[${id}] is an empty piece`);
      if (!Number.isFinite(score))
        throw new VocabError(`Unigram: vocab[${id}] (${JSON.stringify(piece)}) has score ${score}`);
      const prev = this.index.get(piece);
      if (prev !== undefined)
        throw new VocabError(`Unigram: piece ${JSON.stringify(piece)} appears twice (ids ${prev} and ${id})`);
      this.index.set(piece, id);
      const s = this.f(score);
      this.scores[id] = s;
      this.byteLen[id] = utf8Length(piece);
      let chars = 0;
      for (let i = 0; i < piece.length; i++, chars++) if (isHighSurrogatePair(piece, i)) i++;
      this.charLen[id] = chars;
      const t = types === null ? PieceType.NORMAL : types[id]!;
      if (t < 1 || t > 6) throw new VocabError(`Unigram: pieceTypes[${id}] = ${t} is not a sentencepiece type (1-6)`);
      if (t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED) {
        this.trie.insert(piece, id);
        if (t === PieceType.USER_DEFINED) this.kind[id] = 1;
        if (t === PieceType.UNUSED) this.kind[id] = 2;
      } else if (types === null) this.trie.insert(piece, id);
      // sentencepiece: min/max over NORMAL pieces; HF: over every piece
      if (t === PieceType.NORMAL || !spm) {
        if (s < min) min = s;
        if (s > max) max = s;
      }
    });
    if (this.unkId !== null) {
      if (!Number.isInteger(this.unkId) || this.unkId < 0 || this.unkId >= n)
        throw new VocabError(`Unigram: unkId ${this.unkId} is out of range (vocab of ${n})`);
    }
    this.minScore = min;
    this.maxScore = max;
    this.unkScore = this.f(min - K_UNK_PENALTY);
    let byteIds: Int32Array | null = null;
    if (this.byteFallback) {
      byteIds = new Int32Array(256);
      for (let b = 0; b < 256; b++) {
        const id = this.index.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
        if (id === undefined) {
          if (spm)
            throw new VocabError(
              `Unigram: byteFallback is on but the vocab has no <0x${b.toString(16).toUpperCase().padStart(2, '0')}> piece`,
            );
          byteIds = null;
          break;
        }
        byteIds[b] = id;
      }
    }
    this.byteIds = byteIds;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }
  get unkToken(): string | null {
    return this.unkId === null ? null : this.vocab[this.unkId]![0];
  }
  tokenToId(token: string): number | undefined {
    return this.index.get(token);
  }
  idToToken(id: number): string | undefined {
    return this.vocab[id]?.[0];
  }
  getVocab(): Map<string, number> {
    return new Map(this.index);
  }
  /** Score (log-probability) of a piece id. */
  score(id: number): number {
    return this.scores[id]!;
  }

  /** Code units of the word being segmented (reused). */
  private bufUnits = new Uint16Array(256);
  private bufPath = new Int32Array(256);

  private requireUnk(u: Uint16Array, i: number, n: number): number {
    if (this.unkId === null)
      throw new Error(
        `Unigram: ${JSON.stringify(String.fromCharCode(...u.subarray(i, Math.min(n, i + 2))))} at ${i} is not in the vocabulary and the model has no unk_id`,
      );
    return this.unkId;
  }

  /**
   * sentencepiece's optimized Viterbi over the code units `u[0, n)`: the best path ending at
   * each position, candidates in order of start then length. Leaves, per end position e of
   * the best path, its start in `bufStarts[e]` and its piece in `bufIds[e]`; returns the
   * number of pieces on the path. Allocates nothing once the buffers are large enough.
   */
  private viterbiUnits(u: Uint16Array, n: number): number {
    if (this.bufBest.length < n + 1) {
      const size = Math.max(n + 1, 2 * this.bufBest.length);
      this.bufBest = new Float64Array(size);
      this.bufStarts = new Int32Array(size);
      this.bufIds = new Int32Array(size);
    }
    const best = this.bufBest;
    const startsAt = this.bufStarts;
    const bestId = this.bufIds;
    const spm = this.pieceTypes !== null;
    const scores = this.scores;
    const kind = this.kind;
    const trie = this.trie;
    best[0] = 0;
    startsAt.fill(-1, 0, n + 1);
    for (let s = 0; s < n;) {
      const c0 = u[s]!;
      const mblen = c0 >= 0xd800 && c0 <= 0xdbff && s + 1 < n && (u[s + 1]! & 0xfc00) === 0xdc00 ? 2 : 1;
      const till = best[s]!;
      let hasSingle = false;
      let node = trie.first(c0);
      for (let k = s; node >= 0;) {
        const id = trie.value(node);
        if (id >= 0) {
          const kd = kind[id]!;
          if (kd !== 2) {
            const end = k + 1;
            if (spm) {
              // user-defined: sentencepiece's bonus length * max_score - 0.1 (length in UTF-8
              // bytes here). sentencepiece's `score` is a double there (the ?: mixes float and
              // double), so the candidate is a double compared with the stored float, and
              // rounded when stored.
              const cand = kd === 1 ? Math.fround(this.byteLen[id]! * this.maxScore) - 0.1 + till : scores[id]! + till;
              if (startsAt[end] === -1 || cand > best[end]!) {
                best[end] = Math.fround(cand);
                startsAt[end] = s;
                bestId[end] = id;
              }
            } else {
              const cand = scores[id]! + till;
              if (startsAt[end] === -1 || cand > best[end]!) {
                best[end] = cand;
                startsAt[end] = s;
                bestId[end] = id;
              }
            }
            if (end - s === mblen) hasSingle = true;
          }
        }
        if (++k >= n) break;
        node = trie.step(node, u[k]!);
      }
      if (!hasSingle) {
        const end = s + mblen;
        const cand = spm ? Math.fround(this.unkScore + till) : this.unkScore + till;
        if (startsAt[end] === -1 || cand > best[end]!) {
          best[end] = cand;
          startsAt[end] = s;
          bestId[end] = this.requireUnk(u, s, n);
        }
      }
      s += mblen;
    }
    let count = 0;
    for (let e = n; e > 0; e = startsAt[e]!) count++;
    return count;
  }

  /** The code units of `word` in `bufUnits`. */
  private unitsOf(word: string): Uint16Array {
    const n = word.length;
    if (this.bufUnits.length < n) this.bufUnits = new Uint16Array(Math.max(n, 2 * this.bufUnits.length));
    const u = this.bufUnits;
    for (let i = 0; i < n; i++) u[i] = word.charCodeAt(i);
    return u;
  }

  /** Best segmentation as [start, end, id] triples (see viterbiUnits). */
  viterbi(word: string): Int32Array {
    const n = word.length;
    const count = this.viterbiUnits(this.unitsOf(word), n);
    const startsAt = this.bufStarts;
    const bestId = this.bufIds;
    const out = new Int32Array(3 * count);
    let j = count;
    for (let e = n; e > 0; e = startsAt[e]!) {
      j--;
      out[3 * j] = startsAt[e]!;
      out[3 * j + 1] = e;
      out[3 * j + 2] = bestId[e]!;
    }
    return out;
  }

  /**
   * Tokens of a segmentation given as [start, end, id] triples: unknown runs fused into one
   * unk (sentencepiece and HF), or split into `<0xNN>` byte pieces with byte fallback.
   */
  private finish(word: string, seg: Int32Array | number[]): ModelToken[] {
    const out: ModelToken[] = [];
    let prevUnk = false;
    for (let k = 0; k < seg.length; k += 3) {
      const s = seg[k]!;
      const e = seg[k + 1]!;
      const id = seg[k + 2]!;
      const isUnk = id === this.unkId;
      if (isUnk && this.byteIds !== null) {
        for (const b of utf8.encode(word.slice(s, e))) {
          const bid = this.byteIds[b]!;
          out.push({ id: bid, value: this.vocab[bid]![0], start: s, end: e });
        }
      } else if (isUnk && prevUnk) {
        out[out.length - 1]!.end = e;
      } else {
        out.push({ id, value: this.vocab[id]![0], start: s, end: e });
      }
      prevUnk = isUnk;
    }
    return out;
  }

  tokenize(word: string): ModelToken[] {
    if (word.length === 0) return [];
    return this.finish(word, this.viterbi(word));
  }

  /** Ids of the best segmentation (what `tokenize` gives, without token objects), appended to `out`. */
  encodeIdsInto(word: string, out: number[]): void {
    const ids = new IdBuffer(word.length + 4);
    this.encodeUnitsInto(this.unitsOf(word), word.length, ids);
    for (let i = 0; i < ids.n; i++) out.push(ids.buf[i]!);
  }

  /**
   * Ids of the best segmentation of the code units `u[0, n)` appended to `out` (the
   * allocation-free path of `Tokenizer.encodeIds`: `SentencePieceNormalizer.normalizeUnits`
   * writes the units, this reads them). Unknown runs fused, or `<0xNN>` bytes with byte fallback.
   */
  encodeUnitsInto(u: Uint16Array, n: number, out: IdBuffer): void {
    if (n === 0) return;
    const count = this.viterbiUnits(u, n);
    const startsAt = this.bufStarts;
    const bestId = this.bufIds;
    if (this.bufPath.length < count) this.bufPath = new Int32Array(Math.max(count, 2 * this.bufPath.length));
    const path = this.bufPath;
    let j = count;
    for (let e = n; e > 0; e = startsAt[e]!) path[--j] = e;
    const unk = this.unkId;
    let prevUnk = false;
    for (let k = 0; k < count; k++) {
      const e = path[k]!;
      const id = bestId[e]!;
      const isUnk = id === unk;
      if (isUnk && this.byteIds !== null) {
        const s = startsAt[e]!;
        for (const b of utf8.encode(String.fromCharCode(...u.subarray(s, e)))) out.push(this.byteIds[b]!);
      } else if (!(isUnk && prevUnk)) out.push(id);
      prevUnk = isUnk;
    }
  }

  /** The lattice of `word`: chars, nodes by begin and end char position (sentencepiece's). */
  private lattice(word: string): {
    surface: number[];
    begin: LNode[][];
    end: LNode[][];
    nodes: LNode[];
    bos: LNode;
    eos: LNode;
  } {
    const surface: number[] = [];
    for (let i = 0; i < word.length; i += isHighSurrogatePair(word, i) ? 2 : 1) surface.push(i);
    const len = surface.length;
    surface.push(word.length);
    const begin: LNode[][] = [];
    const end: LNode[][] = [];
    for (let i = 0; i <= len; i++) {
      begin.push([]);
      end.push([]);
    }
    const nodes: LNode[] = [];
    const mk = (id: number, pos: number, length: number, score: number): LNode => {
      const node: LNode = { id, pos, length, score, nodeId: nodes.length, backtrace: 0, prev: null };
      nodes.push(node);
      return node;
    };
    const bos = mk(-1, 0, 0, 0);
    end[0]!.push(bos);
    const eos = mk(-1, len, 0, 0);
    begin[len]!.push(eos);
    const f = this.f;
    const spm = this.pieceTypes !== null;
    // char index of each UTF-16 offset
    const charAt = new Int32Array(word.length + 1);
    for (let c = 0; c <= len; c++) charAt[surface[c]!] = c;
    for (let b = 0; b < len; b++) {
      const s = surface[b]!;
      let node = 0;
      let hasSingle = false;
      for (let k = s; k < word.length; k++) {
        node = this.trie.step(node, word.charCodeAt(k));
        if (node < 0) break;
        const id = this.trie.value(node);
        if (id < 0 || this.kind[id] === 2) continue;
        const e = k + 1;
        const length = charAt[e]! - b;
        const score = this.kind[id] === 1 && spm ? f(length * this.maxScore - 0.1) : this.scores[id]!;
        const nd = mk(id, b, length, score);
        begin[b]!.push(nd);
        end[b + length]!.push(nd);
        if (length === 1) hasSingle = true;
      }
      if (!hasSingle) {
        const nd = mk(this.unkId ?? this.requireUnk(this.unitsOf(word), s, word.length), b, 1, this.unkScore);
        begin[b]!.push(nd);
        end[b + 1]!.push(nd);
      }
    }
    return { surface, begin, end, nodes, bos, eos };
  }

  private latticeViterbi(lat: ReturnType<Unigram['lattice']>): void {
    const f = this.f;
    for (let pos = 0; pos < lat.begin.length; pos++) {
      for (const r of lat.begin[pos]!) {
        r.prev = null;
        let best = 0;
        let bestNode: LNode | null = null;
        for (const l of lat.end[pos]!) {
          const sc = f(l.backtrace + r.score);
          if (bestNode === null || sc > best) {
            bestNode = l;
            best = sc;
          }
        }
        r.prev = bestNode;
        r.backtrace = best;
      }
    }
  }

  private toSeg(lat: ReturnType<Unigram['lattice']>, path: LNode[]): number[] {
    const seg: number[] = [];
    for (const nd of path) seg.push(lat.surface[nd.pos]!, lat.surface[nd.pos + nd.length]!, nd.id);
    return seg;
  }

  /**
   * The `nbestSize` best segmentations (sentencepiece's `NBestEncode`: A* from the end of the
   * lattice with the Viterbi scores as the exact heuristic), best first, each with its score.
   * nbestSize is clamped to [1, 1024]; 1 gives the Viterbi segmentation with score 0, as
   * sentencepiece does.
   */
  nbest(word: string, nbestSize: number): Array<{ tokens: ModelToken[]; score: number }> {
    if (word.length === 0) return [{ tokens: [], score: 0 }];
    const n = Math.max(1, Math.min(Math.trunc(nbestSize), 1024));
    if (n <= 1) return [{ tokens: this.tokenize(word), score: 0 }];
    const lat = this.lattice(word);
    this.latticeViterbi(lat);
    const f = this.f;
    const heap = new StdHeap();
    heap.push({ node: lat.eos, next: null, fx: lat.eos.backtrace, gx: 0 });
    const results: Array<{ tokens: ModelToken[]; score: number }> = [];
    while (heap.size > 0) {
      const top = heap.pop();
      const node = top.node;
      if (node === lat.bos) {
        const path: LNode[] = [];
        for (let h = top.next!; h.next !== null; h = h.next) path.push(h.node);
        results.push({ tokens: this.finish(word, this.toSeg(lat, path)), score: top.fx });
        if (results.length === n) break;
        continue;
      }
      for (const l of lat.end[node.pos]!) {
        heap.push({ node: l, next: top, gx: f(l.score + top.gx), fx: f(l.backtrace + top.gx) });
      }
      if (heap.size >= 10000) heap.shrink(Math.min(512, n * 10));
    }
    return results;
  }

  /**
   * A sampled segmentation (subword regularization), as sentencepiece's `SampleEncode`:
   * see UnigramSampleOptions for `nbestSize` and `alpha`.
   */
  sample(word: string, options: UnigramSampleOptions = {}): ModelToken[] {
    const nbestSize = options.nbestSize ?? -1;
    const alpha = options.alpha ?? 0.1;
    if (!Number.isFinite(alpha)) throw new Error(`Unigram.sample: alpha must be a finite number, got ${alpha}`);
    if (nbestSize > 512)
      throw new Error(`Unigram.sample: nbestSize must be <= 512 (sentencepiece's limit), got ${nbestSize}`);
    const rand = randomFn(options.random, 'Unigram.sample');
    if (word.length === 0) return [];
    if (nbestSize === 0 || nbestSize === 1) return this.tokenize(word);
    if (nbestSize > 1) {
      const list = this.nbest(word, nbestSize);
      const w = list.map((x) => Math.exp(alpha * x.score));
      return list[pickWeighted(w, rand)]!.tokens;
    }
    return this.finish(word, this.sampleLattice(word, alpha, rand));
  }

  /** Forward-filtering backward-sampling over the whole lattice (sentencepiece's `Lattice::Sample`). */
  private sampleLattice(word: string, theta: number, rand: () => number): number[] {
    const lat = this.lattice(word);
    const alpha = this.forward(lat, theta);
    const path: LNode[] = [];
    let node = lat.eos;
    let z = alpha[node.nodeId]!;
    const w: number[] = [];
    for (;;) {
      const ends = lat.end[node.pos]!;
      w.length = 0;
      for (const l of ends) w.push(Math.exp(alpha[l.nodeId]! + theta * l.score - z));
      node = ends[pickWeighted(w, rand)]!;
      if (node === lat.bos) break;
      z = alpha[node.nodeId]!;
      path.push(node);
    }
    path.reverse();
    return this.toSeg(lat, path);
  }

  /** log of the summed exp(theta · score) of all paths from BOS to the start of each node. */
  private forward(lat: ReturnType<Unigram['lattice']>, theta: number): Float64Array {
    const alpha = new Float64Array(lat.nodes.length);
    for (let pos = 0; pos < lat.begin.length; pos++) {
      const ends = lat.end[pos]!;
      for (const r of lat.begin[pos]!) {
        let acc = 0;
        for (let i = 0; i < ends.length; i++) {
          const l = ends[i]!;
          const y = theta * l.score + alpha[l.nodeId]!;
          acc = i === 0 ? y : logSumExp(acc, y);
        }
        alpha[r.nodeId] = acc;
      }
    }
    return alpha;
  }

  /**
   * HF's Unigram fields; a model with sentencepiece piece types also writes `piece_types`
   * (a wordloom extension HF ignores) so that it reloads with the same encoding.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      type: 'Unigram',
      unk_id: this.unkId,
      vocab: this.vocab.map(([p, s]) => [p, s]),
      byte_fallback: this.byteFallback,
    };
    if (this.pieceTypes !== null) out.piece_types = Array.from(this.pieceTypes);
    return out;
  }
}

function logSumExp(x: number, y: number): number {
  const lo = Math.min(x, y);
  const hi = Math.max(x, y);
  if (hi > lo + 50) return hi;
  return hi + Math.log(Math.exp(lo - hi) + 1);
}

/** Index drawn with probability ∝ weights[i] (std::discrete_distribution semantics). */
export function pickWeighted(weights: number[], rand: () => number): number {
  let total = 0;
  for (const w of weights) total += w;
  if (!(total > 0)) return 0;
  let u = rand() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i]!;
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/**
 * A max-heap on `fx` laid out and sifted exactly as libstdc++'s `std::priority_queue`
 * (push_heap / pop_heap), so hypotheses of equal score come out in sentencepiece's order.
 */
class StdHeap {
  private a: Hyp[] = [];
  get size(): number {
    return this.a.length;
  }
  push(h: Hyp): void {
    this.a.push(h);
    this.siftUp(this.a.length - 1, 0, h);
  }
  private siftUp(hole: number, top: number, value: Hyp): void {
    const a = this.a;
    let parent = (hole - 1) >> 1;
    while (hole > top && a[parent]!.fx < value.fx) {
      a[hole] = a[parent]!;
      hole = parent;
      parent = (hole - 1) >> 1;
    }
    a[hole] = value;
  }
  pop(): Hyp {
    const a = this.a;
    const top = a[0]!;
    const len = a.length - 1;
    if (len > 0) {
      const value = a[len]!;
      a[len] = top;
      // __adjust_heap(first, 0, len, value)
      let hole = 0;
      let second = 0;
      while (second < (len - 1) >> 1) {
        second = 2 * (second + 1);
        if (a[second]!.fx < a[second - 1]!.fx) second--;
        a[hole] = a[second]!;
        hole = second;
      }
      if ((len & 1) === 0 && second === Math.trunc((len - 2) / 2)) {
        second = 2 * (second + 1);
        a[hole] = a[second - 1]!;
        hole = second - 1;
      }
      this.siftUp(hole, 0, value);
    }
    a.pop();
    return top;
  }
  /** Keep the best `k` hypotheses (sentencepiece's agenda shrinking). */
  shrink(k: number): void {
    const kept: Hyp[] = [];
    for (let i = 0; i < k && this.a.length > 0; i++) kept.push(this.pop());
    this.a = [];
    for (const h of kept) this.push(h);
  }
}
