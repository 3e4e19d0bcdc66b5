/** The model stage: turns one pre-tokenized word into tokens (HF `Model` trait). */

/** A token produced by a model, with offsets local to the word it came from (UTF-16 units). */
export interface ModelToken {
  id: number;
  value: string;
  start: number;
  end: number;
}

export interface Model {
  readonly type: string;
  /** Tokens of one word. */
  tokenize(word: string): ModelToken[];
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
  /** Number of entries in the model's vocabulary (largest id + 1). */
  readonly vocabSize: number;
  /** A copy of the vocabulary. */
  getVocab(): Map<string, number>;
  /** The unknown token, if the model has one. */
  readonly unkToken: string | null;
  toJSON(): Record<string, unknown>;
}

/** Build the id -> token table of a vocabulary, checking ids are non-negative integers. */
export function invertVocab(vocab: Map<string, number>, where: string): string[] {
  const out: string[] = [];
  for (const [tok, id] of vocab) {
    if (!Number.isInteger(id) || id < 0)
      throw new Error(`${where}: vocab[${JSON.stringify(tok)}] = ${id} is not a non-negative integer`);
    out[id] = tok;
  }
  return out;
}
