/** Word-level model: each pre-tokenized word is one token, or the unknown token (HF `WordLevel`). */
import type { Model, ModelToken } from './model.js';
import { invertVocab } from './model.js';
import { mapToObject } from './wordpiece.js';

export interface WordLevelOptions {
  vocab: Map<string, number>;
  /** @default '<unk>' — HF's default; must be in the vocabulary */
  unkToken?: string;
}

export class WordLevel implements Model {
  readonly type = 'WordLevel';
  readonly vocab: Map<string, number>;
  readonly unkToken: string;
  private readonly ids: string[];
  private readonly unkId: number;

  constructor(options: WordLevelOptions) {
    this.vocab = options.vocab;
    this.unkToken = options.unkToken ?? '<unk>';
    this.ids = invertVocab(this.vocab, 'WordLevel');
    const unk = this.vocab.get(this.unkToken);
    if (unk === undefined)
      throw new Error(`WordLevel: unkToken ${JSON.stringify(this.unkToken)} is not in the vocabulary`);
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
    const id = this.vocab.get(word);
    if (id !== undefined) return [{ id, value: word, start: 0, end: word.length }];
    return [{ id: this.unkId, value: this.unkToken, start: 0, end: word.length }];
  }
  toJSON(): Record<string, unknown> {
    return { type: 'WordLevel', vocab: mapToObject(this.vocab), unk_token: this.unkToken };
  }
}
