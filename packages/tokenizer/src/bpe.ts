/**
 * Byte-pair-encoding model (Sennrich et al. 2016; GPT-2's byte-level variant, Radford et
 * al. 2019), with Hugging Face `tokenizers`' options: `unk_token`, `fuse_unk`,
 * `byte_fallback`, `continuing_subword_prefix`, `end_of_word_suffix`, `ignore_merges`.
 *
 * Merging: short words use the minbpe/tiktoken loop (find the lowest-rank pair, merge all
 * its occurrences left to right); words longer than LONG_WORD symbols use a binary heap of
 * (rank, position) over a linked list, as HF's `Word::merge_all`, so a 1 MB word with no
 * spaces costs O(n log n) instead of O(n^2). Both give the same result for any merge list
 * whose merged tokens only appear after their parts (every trained list).
 */
import type { Model, ModelSampleOptions, ModelToken } from './model.js';
import { randomFn } from './internal/rng.js';
import { invertVocab } from './model.js';
import { PairTable } from './internal/pair-table.js';
import { BYTE_TO_CHAR } from './internal/byte-level.js';
import { workCounter } from './internal/work-counter.js';
import { mapToObject } from './wordpiece.js';
import { WordCache } from './internal/word-cache.js';
import { PieceCache } from './internal/piece-cache.js';
import type { IdBuffer } from './internal/id-buffer.js';

// Module-level aliases: under vitest's SSR transform every use of an imported binding is a
// getter call on the module object, which dominated the merge loop in tests.
const work = workCounter;
const hashPiece = PieceCache.hash;

export interface BpeOptions {
  /** Token -> id. Ids need not be contiguous. */
  vocab: Map<string, number>;
  /** Merges in priority order, as pairs (`["Ġ", "t"]`). */
  merges: Array<[string, string]>;
  /** @default null — byte-level BPE has no unknowns; char-level BPE usually sets `<unk>` */
  unkToken?: string | null;
  /** @default null — e.g. `##` for WordPiece-style BPE */
  continuingSubwordPrefix?: string | null;
  /** @default null — e.g. `</w>` for the original subword-nmt BPE */
  endOfWordSuffix?: string | null;
  /** @default false — merge consecutive unknowns into one `unk` (sentencepiece does) */
  fuseUnk?: boolean;
  /** @default false — unknown chars become `<0xNN>` byte tokens when the vocab has them (Llama) */
  byteFallback?: boolean;
  /** @default false — a word that is itself in the vocab is emitted whole (Llama 3) */
  ignoreMerges?: boolean;
  /**
   * @default null — no dropout. BPE dropout (Provilkov et al. 2020) as HF: each merge popped
   * from the queue is skipped with this probability; every `tokenize` is then random (unseeded;
   * pass `sampling: { dropout, random: seed }` to `encode` for seeded dropout).
   */
  dropout?: number | null;
  /** @default 50000 — words cached (two-generation eviction; HF's is 10000 with no eviction). 0 disables */
  cacheCapacity?: number;
}

/** Words of more symbols than this use the heap merge. */
const LONG_WORD = 64;
/** Words longer than this (UTF-16 units) are not cached: they are rare and big. */
const MAX_CACHED_WORD = 256;

interface CacheEntry {
  ids: Int32Array;
  ends: Int32Array;
}

export class BPE implements Model {
  readonly type = 'BPE';
  readonly vocab: Map<string, number>;
  readonly merges: Array<[string, string]>;
  readonly unkToken: string | null;
  readonly continuingSubwordPrefix: string | null;
  readonly endOfWordSuffix: string | null;
  readonly fuseUnk: boolean;
  readonly byteFallback: boolean;
  readonly ignoreMerges: boolean;
  readonly cacheCapacity: number;
  readonly dropout: number | null;
  private readonly ids: string[];
  private rankMerged: Int32Array | null = null;
  private readonly table: PairTable;
  private readonly unkId: number;
  private readonly cache: WordCache<CacheEntry>;
  private readonly pieceCache: PieceCache;
  /** Byte -> id of its byte-level char, when the vocab holds all 256 (else null). */
  readonly byteIds: Int32Array | null;

  constructor(options: BpeOptions) {
    this.vocab = options.vocab;
    this.merges = options.merges;
    this.unkToken = options.unkToken ?? null;
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? null;
    this.endOfWordSuffix = options.endOfWordSuffix ?? null;
    this.fuseUnk = options.fuseUnk ?? false;
    this.byteFallback = options.byteFallback ?? false;
    this.ignoreMerges = options.ignoreMerges ?? false;
    this.cacheCapacity = options.cacheCapacity ?? 50000;
    const d = options.dropout ?? null;
    if (d !== null && !(typeof d === 'number' && d >= 0 && d <= 1))
      throw new Error(`BPE: dropout must be a number in [0, 1], got ${String(d)}`);
    this.dropout = d === 0 ? null : d;
    this.cache = new WordCache(this.cacheCapacity);
    this.pieceCache = new PieceCache(Math.max(this.cacheCapacity, 1 << 17));
    this.ids = invertVocab(this.vocab, 'BPE');
    if (this.unkToken !== null && !this.vocab.has(this.unkToken)) {
      throw new Error(`BPE: unkToken ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    }
    this.unkId = this.unkToken === null ? -1 : this.vocab.get(this.unkToken)!;
    this.table = new PairTable(this.merges.length);
    const prefix = this.continuingSubwordPrefix;
    this.merges.forEach(([a, b], rank) => {
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      if (ia === undefined)
        throw new Error(
          `BPE: merges[${rank}] = ${JSON.stringify([a, b])}: ${JSON.stringify(a)} is not in the vocabulary`,
        );
      if (ib === undefined)
        throw new Error(
          `BPE: merges[${rank}] = ${JSON.stringify([a, b])}: ${JSON.stringify(b)} is not in the vocabulary`,
        );
      const merged = a + (prefix !== null && b.startsWith(prefix) ? b.slice(prefix.length) : b);
      const im = this.vocab.get(merged);
      if (im === undefined)
        throw new Error(
          `BPE: merges[${rank}] = ${JSON.stringify([a, b])}: merged token ${JSON.stringify(merged)} is not in the vocabulary`,
        );
      this.table.set(ia, ib, rank, im);
    });
    let byteIds: Int32Array | null = new Int32Array(256);
    for (let b = 0; b < 256; b++) {
      const id = this.vocab.get(BYTE_TO_CHAR[b]!);
      if (id === undefined) {
        byteIds = null;
        break;
      }
      byteIds[b] = id;
    }
    // HF writes "" for "no prefix/suffix" (GPT-2 files do): both mean none here
    this.byteIds = !prefix && !this.endOfWordSuffix ? byteIds : null;
  }

  get vocabSize(): number {
    return this.ids.length;
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.ids[id];
  }

  getVocab(): Map<string, number> {
    return new Map(this.vocab);
  }

  /** Drop cached words (call after changing nothing: the model is immutable; for memory). */
  clearCache(): void {
    this.cache.clear();
    this.pieceCache.clear();
  }

  tokenize(word: string): ModelToken[] {
    if (word.length === 0) return [];
    if (this.dropout !== null) return this.sample(word, { dropout: this.dropout, random: randomFn(undefined, 'BPE') });
    const entry = this.encodeWord(word);
    return this.toTokens(entry);
  }

  /**
   * BPE dropout (HF `Word::merge_all` with dropout): merges are popped by (rank, position);
   * each pop is skipped with probability `dropout` and the skipped ones go back into the queue
   * after the next pop that is not skipped. Not cached. `dropout` defaults to the model's.
   */
  sample(word: string, options: ModelSampleOptions): ModelToken[] {
    if (word.length === 0) return [];
    const dropout = options.dropout ?? this.dropout ?? 0;
    if (!(dropout >= 0 && dropout <= 1)) throw new Error(`BPE.sample: dropout must be in [0, 1], got ${dropout}`);
    if (dropout === 0) return this.toTokens(this.encodeWord(word));
    return this.toTokens(this.computeWord(word, (ids, ends) => this.mergeDropout(ids, ends, dropout, options.random)));
  }

  private toTokens(entry: CacheEntry): ModelToken[] {
    const out: ModelToken[] = new Array(entry.ids.length);
    let start = 0;
    for (let i = 0; i < entry.ids.length; i++) {
      const id = entry.ids[i]!;
      const end = entry.ends[i]!;
      out[i] = { id, value: this.ids[id]!, start, end };
      start = end;
    }
    return out;
  }

  /** Ids and end offsets of one word (cached). */
  encodeWord(word: string): CacheEntry {
    const hit = this.cache.get(word);
    if (hit !== undefined) return hit;
    const entry = this.computeWord(word);
    if (word.length <= MAX_CACHED_WORD) this.cache.set(word, entry);
    return entry;
  }

  /**
   * Fastest path: ids of `text.slice(a, b)` (raw text) pushed onto `out`, looked up in a
   * piece cache without slicing. Requires `byteIds`.
   */
  encodeRangeInto(text: string, a: number, b: number, out: IdBuffer, utf8: TextEncoder): void {
    if (this.cacheCapacity > 0 && b - a <= MAX_CACHED_WORD) {
      const h = hashPiece(text, a, b);
      let ids = this.pieceCache.get(text, a, b, h);
      if (ids === undefined) {
        const piece = text.slice(a, b);
        ids = this.rawPieceIds(piece, utf8);
        this.pieceCache.set(piece, h, ids);
      }
      out.append(ids);
      return;
    }
    out.append(this.rawPieceIds(text.slice(a, b), utf8));
  }

  /** Merged ids of a raw (not byte-mapped) piece, uncached. */
  rawPieceIds(piece: string, utf8: TextEncoder): Int32Array {
    const byteIds = this.byteIds!;
    let n = piece.length;
    let syms: Int32Array;
    let ascii = true;
    for (let i = 0; i < n; i++) {
      if (piece.charCodeAt(i) >= 128) {
        ascii = false;
        break;
      }
    }
    if (ascii) {
      syms = new Int32Array(n);
      for (let i = 0; i < n; i++) syms[i] = byteIds[piece.charCodeAt(i)]!;
    } else {
      const bytes = utf8.encode(piece);
      n = bytes.length;
      syms = new Int32Array(n);
      for (let i = 0; i < n; i++) syms[i] = byteIds[bytes[i]!]!;
    }
    let result: Int32Array;
    if (this.ignoreMerges) {
      const whole = this.vocab.get(byteLevelString(syms, this.ids));
      if (whole !== undefined) result = Int32Array.of(whole);
      else result = this.mergeIds(syms, null).ids;
    } else result = this.mergeIds(syms, null).ids;
    return result;
  }

  private computeWord(
    word: string,
    merge: (ids: Int32Array, ends: Int32Array) => CacheEntry = (i, e) => this.mergeIds(i, e),
  ): CacheEntry {
    if (this.ignoreMerges) {
      const id = this.vocab.get(word);
      if (id !== undefined) return { ids: Int32Array.of(id), ends: Int32Array.of(word.length) };
    }
    const prefix = this.continuingSubwordPrefix;
    const suffix = this.endOfWordSuffix;
    const ids: number[] = [];
    const ends: number[] = [];
    let unkEnd = -1; // pending fused unknown
    const flushUnk = (): void => {
      if (unkEnd >= 0) {
        ids.push(this.unkId);
        ends.push(unkEnd);
        unkEnd = -1;
      }
    };
    for (let i = 0; i < word.length;) {
      const c = word.charCodeAt(i);
      const len =
        c >= 0xd800 && c <= 0xdbff && i + 1 < word.length && (word.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      const end = i + len;
      let s = len === 1 ? word[i]! : word.slice(i, end);
      if (prefix !== null && i > 0) s = prefix + s;
      if (suffix !== null && end === word.length) s = s + suffix;
      const id = this.vocab.get(s);
      if (id !== undefined) {
        flushUnk();
        ids.push(id);
        ends.push(end);
      } else {
        let done = false;
        if (this.byteFallback) {
          const bytes = new TextEncoder().encode(s);
          const bids: number[] = [];
          for (const b of bytes) {
            const bid = this.vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
            if (bid === undefined) break;
            bids.push(bid);
          }
          if (bids.length === bytes.length) {
            flushUnk();
            for (const bid of bids) {
              ids.push(bid);
              ends.push(end);
            }
            done = true;
          }
        }
        if (!done && this.unkId >= 0) {
          if (unkEnd >= 0 && !this.fuseUnk) flushUnk();
          unkEnd = end;
        }
      }
      i = end;
    }
    flushUnk();
    return merge(Int32Array.from(ids), Int32Array.from(ends));
  }

  /** HF's merge loop with dropout (see `sample`). */
  private mergeDropout(ids: Int32Array, ends: Int32Array, dropout: number, random: () => number): CacheEntry {
    const n = ids.length;
    const table = this.table;
    if (this.rankMerged === null) {
      const rm = new Int32Array(this.merges.length);
      const prefix = this.continuingSubwordPrefix;
      this.merges.forEach(([a, b], r) => {
        rm[r] = this.vocab.get(a + (prefix !== null && b.startsWith(prefix) ? b.slice(prefix.length) : b))!;
      });
      this.rankMerged = rm;
    }
    const rankMerged = this.rankMerged;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    const alive = new Uint8Array(n).fill(1);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    // min-heap of rank * 2^31 + pos (HF orders merges by rank, then position)
    const heap: number[] = [];
    const TWO31 = 2147483648;
    const push = (key: number): void => {
      let i = heap.length;
      heap.push(key);
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! <= key) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap.pop()!;
      if (heap.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= heap.length) break;
          const r = l + 1;
          const c = r < heap.length && heap[r]! < heap[l]! ? r : l;
          if (heap[c]! >= last) break;
          heap[i] = heap[c]!;
          i = c;
        }
        heap[i] = last;
      }
      return top;
    };
    for (let i = 0; i + 1 < n; i++) {
      const r = table.rank(ids[i]!, ids[i + 1]!);
      if (r !== 0x7fffffff) push(r * TWO31 + i);
    }
    const skip: number[] = [];
    while (heap.length > 0) {
      const key = pop();
      if (random() < dropout) {
        skip.push(key);
        continue;
      }
      for (const k of skip) push(k);
      skip.length = 0;
      const rank = Math.floor(key / TWO31);
      const p = key - rank * TWO31;
      if (!alive[p]) continue;
      const q = next[p]!;
      if (q < 0) continue;
      const slot = table.find(ids[p]!, ids[q]!);
      if (slot < 0 || table.mergedAt(slot) !== rankMerged[rank]) continue; // expired entry
      ids[p] = rankMerged[rank]!;
      ends[p] = ends[q]!;
      alive[q] = 0;
      const nq = next[q]!;
      next[p] = nq;
      if (nq >= 0) prev[nq] = p;
      const pp = prev[p]!;
      if (pp >= 0) {
        const r = table.rank(ids[pp]!, ids[p]!);
        if (r !== 0x7fffffff) push(r * TWO31 + pp);
      }
      if (nq >= 0) {
        const r = table.rank(ids[p]!, ids[nq]!);
        if (r !== 0x7fffffff) push(r * TWO31 + p);
      }
    }
    const outIds: number[] = [];
    const outEnds: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]!) {
      outIds.push(ids[i]!);
      outEnds.push(ends[i]!);
    }
    return { ids: Int32Array.from(outIds), ends: Int32Array.from(outEnds) };
  }

  /** Apply merges to symbol ids (ends: end offsets per symbol, or null when not needed). */
  mergeIds(ids: Int32Array, ends: Int32Array | null): CacheEntry {
    const n = ids.length;
    if (n > LONG_WORD) return this.mergeHeap(ids, ends);
    const table = this.table;
    let len = n;
    const e = ends ?? new Int32Array(0);
    for (;;) {
      if (len < 2) break;
      let best = 0x7fffffff;
      let bestSlot = -1;
      let bestI = -1;
      for (let i = 0; i < len - 1; i++) {
        const slot = table.find(ids[i]!, ids[i + 1]!);
        if (slot >= 0) {
          const r = table.rankAt(slot);
          if (r < best) {
            best = r;
            bestSlot = slot;
            bestI = i;
          }
        }
      }
      work.count += len;
      if (bestSlot < 0) break;
      const merged = table.mergedAt(bestSlot);
      const a = ids[bestI]!;
      const b = ids[bestI + 1]!;
      let w = bestI;
      for (let i = bestI; i < len; i++) {
        if (i < len - 1 && ids[i] === a && ids[i + 1] === b) {
          ids[w] = merged;
          if (ends !== null) e[w] = e[i + 1]!;
          w++;
          i++;
        } else {
          ids[w] = ids[i]!;
          if (ends !== null) e[w] = e[i]!;
          w++;
        }
      }
      len = w;
    }
    return { ids: ids.slice(0, len), ends: ends === null ? new Int32Array(0) : e.slice(0, len) };
  }

  private mergeHeap(ids: Int32Array, ends: Int32Array | null): CacheEntry {
    const n = ids.length;
    const table = this.table;
    const next = new Int32Array(n);
    const prev = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
    }
    const alive = new Uint8Array(n).fill(1);
    // heap of keys rank * 2^31 + pos (exact in a double: rank < 2^21, pos < 2^31), in a
    // preallocated Float64Array: at most n - 1 initial pairs + 2 per merge (< n) are pushed
    const heap = new Float64Array(3 * n + 1);
    let size = 0;
    const push = (key: number): void => {
      let i = size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (heap[p]! <= key) break;
        heap[i] = heap[p]!;
        i = p;
      }
      heap[i] = key;
    };
    const pop = (): number => {
      const top = heap[0]!;
      const last = heap[--size]!;
      if (size > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= size) break;
          const r = l + 1;
          const c = r < size && heap[r]! < heap[l]! ? r : l;
          if (heap[c]! >= last) break;
          heap[i] = heap[c]!;
          i = c;
        }
        heap[i] = last;
      }
      return top;
    };
    const TWO31 = 2147483648;
    for (let i = 0; i + 1 < n; i++) {
      const r = table.rank(ids[i]!, ids[i + 1]!);
      if (r !== 0x7fffffff) push(r * TWO31 + i);
    }
    while (size > 0) {
      work.count++;
      const key = pop();
      const rank = Math.floor(key / TWO31);
      const p = key - rank * TWO31;
      if (!alive[p]) continue;
      const q = next[p]!;
      if (q < 0) continue;
      const slot = table.find(ids[p]!, ids[q]!);
      if (slot < 0 || table.rankAt(slot) !== rank) continue; // stale entry
      ids[p] = table.mergedAt(slot);
      if (ends !== null) ends[p] = ends[q]!;
      alive[q] = 0;
      const nq = next[q]!;
      next[p] = nq;
      if (nq >= 0) prev[nq] = p;
      const pp = prev[p]!;
      if (pp >= 0) {
        const r = table.rank(ids[pp]!, ids[p]!);
        if (r !== 0x7fffffff) push(r * TWO31 + pp);
      }
      if (nq >= 0) {
        const r = table.rank(ids[p]!, ids[nq]!);
        if (r !== 0x7fffffff) push(r * TWO31 + p);
      }
    }
    const outIds: number[] = [];
    const outEnds: number[] = [];
    for (let i = 0; i >= 0 && i < n; i = next[i]!) {
      outIds.push(ids[i]!);
      if (ends !== null) outEnds.push(ends[i]!);
    }
    return { ids: Int32Array.from(outIds), ends: Int32Array.from(outEnds) };
  }

  toJSON(): Record<string, unknown> {
    const vocab = mapToObject(this.vocab);
    return {
      type: 'BPE',
      dropout: this.dropout,
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      end_of_word_suffix: this.endOfWordSuffix,
      fuse_unk: this.fuseUnk,
      byte_fallback: this.byteFallback,
      ignore_merges: this.ignoreMerges,
      vocab,
      merges: this.merges.map(([a, b]) => [a, b]),
    };
  }
}

function byteLevelString(syms: Int32Array, ids: string[]): string {
  let s = '';
  for (let i = 0; i < syms.length; i++) s += ids[syms[i]!];
  return s;
}

export interface CharLevelOptions {
  /** Every character the model knows, token -> id. */
  vocab: Map<string, number>;
  /** @default null — characters outside the vocabulary are dropped when null */
  unkToken?: string | null;
}

/**
 * A character-level model: one token per code point, unknowns to `unkToken`. It is a BPE
 * with no merges, so it saves as a `tokenizer.json` that Hugging Face loads.
 */
export function charLevel(options: CharLevelOptions): BPE {
  return new BPE({ vocab: options.vocab, merges: [], unkToken: options.unkToken ?? null });
}
