/**
 * sentencepiece's `word` and `char` model types (`word_model.cc`, `char_model.cc`,
 * `model_interface.cc` and `SentencePieceProcessor::PopulateSentencePieceText`, 0.1.97):
 *
 * - `word`: the normalized text split into words before each `▁` (`SplitIntoWords`), each
 *   word one piece or unknown;
 * - `char`: one piece per character, or per user-defined symbol (longest match first).
 *
 * Ids as `PieceToId`: control, unknown and byte pieces first, then normal, user-defined and
 * unused pieces, else the unknown id. As the processor does, a run of unknown pieces becomes
 * one unknown token, or with byte fallback each unknown piece becomes its UTF-8 bytes
 * (`<0xNN>` pieces). A piece that spells a control symbol has no surface in sentencepiece
 * (its encode then fails a consistency check): here it is an error naming the piece.
 *
 * Both serialize as wordloom extension types (`SentencePieceWord`, `SentencePieceChar`) in
 * tokenizer.json; HF has no equivalent of sentencepiece's pipeline for them.
 */
import type { Model, ModelToken } from './model.js';
import { VocabError } from './model.js';
import { PieceType } from './unigram.js';

export interface SentencePieceWordCharOptions {
  /** `[piece, score]` pairs; the index is the id. */
  vocab: Array<[string, number]>;
  /** sentencepiece piece types (PieceType), one per vocab entry. */
  pieceTypes: ArrayLike<number>;
  /** @default false — unknown pieces become their `<0xNN>` bytes */
  byteFallback?: boolean;
}

const utf8 = new TextEncoder();

abstract class SentencePieceSplitModel implements Model {
  abstract readonly type: string;
  readonly vocab: Array<[string, number]>;
  readonly pieceTypes: Uint8Array;
  readonly byteFallback: boolean;
  readonly unkId: number;
  private readonly reserved = new Map<string, number>();
  private readonly pieces = new Map<string, number>();
  /** User-defined symbols, longest first (the char model's PrefixMatcher). */
  protected readonly userSymbols: string[] = [];
  private readonly byteIds: Int32Array | null;

  constructor(options: SentencePieceWordCharOptions, where: string) {
    this.vocab = options.vocab;
    const types = options.pieceTypes;
    if (types.length !== this.vocab.length)
      throw new VocabError(`${where}: pieceTypes has ${types.length} entries but the vocab has ${this.vocab.length}`);
    this.pieceTypes = Uint8Array.from(types);
    this.byteFallback = options.byteFallback ?? false;
    let unk = -1;
    this.vocab.forEach((entry, id) => {
      if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string' || typeof entry[1] !== 'number')
        throw new VocabError(`${where}: vocab[${id}] must be [piece, score], got ${JSON.stringify(entry)}`);
      const piece = entry[0];
      if (piece.length === 0) throw new VocabError(`${where}: vocab[${id}] is an empty piece`);
      const t = this.pieceTypes[id]!;
      if (t < 1 || t > 6) throw new VocabError(`${where}: pieceTypes[${id}] = ${t} is not a sentencepiece type (1-6)`);
      const normal = t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED;
      const table = normal ? this.pieces : this.reserved;
      const prev = table.get(piece);
      if (prev !== undefined)
        throw new VocabError(`${where}: piece ${JSON.stringify(piece)} appears twice (ids ${prev} and ${id})`);
      table.set(piece, id);
      if (t === PieceType.USER_DEFINED) this.userSymbols.push(piece);
      if (t === PieceType.UNKNOWN) {
        if (unk >= 0) throw new VocabError(`${where}: two UNKNOWN pieces (ids ${unk} and ${id})`);
        unk = id;
      }
    });
    if (unk < 0) throw new VocabError(`${where}: no piece has type UNKNOWN`);
    this.unkId = unk;
    this.userSymbols.sort((a, b) => b.length - a.length);
    let byteIds: Int32Array | null = null;
    if (this.byteFallback) {
      byteIds = new Int32Array(256);
      for (let b = 0; b < 256; b++) {
        const name = `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
        const id = this.reserved.get(name);
        if (id === undefined || this.pieceTypes[id] !== PieceType.BYTE)
          throw new VocabError(`${where}: byteFallback is on but the vocab has no ${name} byte piece`);
        byteIds[b] = id;
      }
    }
    this.byteIds = byteIds;
  }

  get vocabSize(): number {
    return this.vocab.length;
  }
  get unkToken(): string {
    return this.vocab[this.unkId]![0];
  }
  tokenToId(token: string): number | undefined {
    return this.reserved.get(token) ?? this.pieces.get(token);
  }
  idToToken(id: number): string | undefined {
    return this.vocab[id]?.[0];
  }
  getVocab(): Map<string, number> {
    const out = new Map<string, number>();
    this.vocab.forEach(([p], i) => out.set(p, i));
    return out;
  }

  /** sentencepiece's PieceToId. */
  protected pieceId(piece: string): number {
    return this.reserved.get(piece) ?? this.pieces.get(piece) ?? this.unkId;
  }

  /** The pieces of a normalized text as [start, end) code-unit ranges. */
  protected abstract split(text: string): number[];

  tokenize(text: string): ModelToken[] {
    const out: ModelToken[] = [];
    if (text.length === 0) return out;
    const bounds = this.split(text);
    let prevUnk = false;
    for (let k = 0; k < bounds.length; k += 2) {
      const s = bounds[k]!;
      const e = bounds[k + 1]!;
      const piece = text.slice(s, e);
      const id = this.pieceId(piece);
      const t = this.pieceTypes[id]!;
      if (t === PieceType.CONTROL)
        throw new Error(
          `${this.type}: the piece ${JSON.stringify(piece)} at ${s} spells the control symbol with id ${id}; sentencepiece fails on it too ("all normalized characters are not consumed")`,
        );
      const isUnk = id === this.unkId;
      if (isUnk && this.byteIds !== null) {
        for (const b of utf8.encode(piece)) {
          const bid = this.byteIds[b]!;
          out.push({ id: bid, value: this.vocab[bid]![0], start: s, end: e });
        }
      } else if (isUnk && prevUnk) out[out.length - 1]!.end = e;
      else out.push({ id, value: isUnk ? this.vocab[id]![0] : piece, start: s, end: e });
      prevUnk = isUnk;
    }
    return out;
  }

  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      vocab: this.vocab.map(([p, s]) => [p, s]),
      piece_types: Array.from(this.pieceTypes),
      byte_fallback: this.byteFallback,
    };
  }
}

/** sentencepiece's `word` model: one piece per word (a word starts at the text's start and at each `▁`). */
export class SentencePieceWord extends SentencePieceSplitModel {
  readonly type = 'SentencePieceWord';
  constructor(options: SentencePieceWordCharOptions) {
    super(options, 'SentencePieceWord');
  }
  protected split(text: string): number[] {
    const out: number[] = [];
    let start = 0;
    for (let i = 1; i < text.length; i++) {
      if (text.charCodeAt(i) === 0x2581) {
        out.push(start, i);
        start = i;
      }
    }
    out.push(start, text.length);
    return out;
  }
}

/** sentencepiece's `char` model: one piece per character, or per user-defined symbol (longest first). */
export class SentencePieceChar extends SentencePieceSplitModel {
  readonly type = 'SentencePieceChar';
  constructor(options: SentencePieceWordCharOptions) {
    super(options, 'SentencePieceChar');
  }
  protected split(text: string): number[] {
    const out: number[] = [];
    const users = this.userSymbols;
    for (let i = 0; i < text.length;) {
      let len = 0;
      for (const u of users) {
        if (text.startsWith(u, i)) {
          len = u.length;
          break;
        }
      }
      if (len === 0) {
        const c = text.charCodeAt(i);
        len = c >= 0xd800 && c <= 0xdbff && i + 1 < text.length && (text.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      }
      out.push(i, i + len);
      i += len;
    }
    return out;
  }
}
