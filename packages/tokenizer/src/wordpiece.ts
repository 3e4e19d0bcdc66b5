/**
 * WordPiece (Schuster & Nakajima 2012; BERT, Devlin et al. 2019): greedy longest-match-first
 * over a word, continuation pieces carry `##`; a word with any unmatchable rest, or longer
 * than `maxInputCharsPerWord`, becomes a single `[UNK]` (google-research/bert
 * `WordpieceTokenizer`, HF `models/wordpiece`).
 */
import type { Model, ModelToken } from './model.js';
import { invertVocab } from './model.js';

export interface WordPieceOptions {
  vocab: Map<string, number>;
  /** @default '[UNK]' — BERT's */
  unkToken?: string;
  /** @default '##' — BERT's */
  continuingSubwordPrefix?: string;
  /** @default 100 — BERT's; longer words are one unknown */
  maxInputCharsPerWord?: number;
}

export class WordPiece implements Model {
  readonly type = 'WordPiece';
  readonly vocab: Map<string, number>;
  readonly unkToken: string;
  readonly continuingSubwordPrefix: string;
  readonly maxInputCharsPerWord: number;
  private readonly ids: string[];
  private readonly unkId: number;

  constructor(options: WordPieceOptions) {
    this.vocab = options.vocab;
    this.unkToken = options.unkToken ?? '[UNK]';
    this.continuingSubwordPrefix = options.continuingSubwordPrefix ?? '##';
    this.maxInputCharsPerWord = options.maxInputCharsPerWord ?? 100;
    this.ids = invertVocab(this.vocab, 'WordPiece');
    const unk = this.vocab.get(this.unkToken);
    if (unk === undefined)
      throw new Error(`WordPiece: unkToken ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
    this.unkId = unk;
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

  tokenize(word: string): ModelToken[] {
    if (word.length === 0) return [];
    // code point boundaries, in UTF-16 units
    const bounds: number[] = [0];
    for (let i = 0; i < word.length;) {
      const c = word.charCodeAt(i);
      i += c >= 0xd800 && c <= 0xdbff && i + 1 < word.length && (word.charCodeAt(i + 1) & 0xfc00) === 0xdc00 ? 2 : 1;
      bounds.push(i);
    }
    const nChars = bounds.length - 1;
    const unk = [{ id: this.unkId, value: this.unkToken, start: 0, end: word.length }];
    if (nChars > this.maxInputCharsPerWord) return unk;
    const out: ModelToken[] = [];
    let a = 0;
    while (a < nChars) {
      let b = nChars;
      let found = -1;
      let value = '';
      while (a < b) {
        let sub = word.slice(bounds[a], bounds[b]);
        if (a > 0) sub = this.continuingSubwordPrefix + sub;
        const id = this.vocab.get(sub);
        if (id !== undefined) {
          found = id;
          value = sub;
          break;
        }
        b--;
      }
      if (found < 0) return unk;
      out.push({ id: found, value, start: bounds[a]!, end: bounds[b]! });
      a = b;
    }
    return out;
  }

  toJSON(): Record<string, unknown> {
    return {
      type: 'WordPiece',
      unk_token: this.unkToken,
      continuing_subword_prefix: this.continuingSubwordPrefix,
      max_input_chars_per_word: this.maxInputCharsPerWord,
      vocab: mapToObject(this.vocab),
    };
  }
}

/** A plain object from a Map, keeping `__proto__` as an own key. */
export function mapToObject(m: Map<string, number>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [k, v] of m)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}
