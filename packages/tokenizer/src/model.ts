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
  /**
   * A sampled segmentation (subword regularization): Unigram sampling, BPE dropout. Absent
   * on models without one.
   */
  sample?(word: string, options: ModelSampleOptions): ModelToken[];
}

/** Subword-regularization options passed to `Model.sample` (see `EncodeOptions.sampling`). */
export interface ModelSampleOptions {
  /** Unigram: smoothing, p ∝ exp(alpha · score). */
  alpha?: number;
  /** Unigram: sentencepiece's nbest_size (< 0 whole lattice, 0/1 Viterbi, > 1 among the n best). */
  nbestSize?: number;
  /** BPE: probability of skipping each merge (HF's `dropout`). */
  dropout?: number;
  /** Uniform [0, 1) source. */
  random: () => number;
}

/**
 * A vocabulary's ids are unusable: out of range, repeated, or an added token colliding with
 * the model's vocabulary. Thrown when a model or a tokenizer.json is loaded.
 */
export class VocabError extends Error {
  override readonly name = 'VocabError';
}

/** Largest id allowed: ids are stored in Int32Arrays. */
export const MAX_TOKEN_ID = 0x7fffffff - 1;

/**
 * Build the id -> token table of a vocabulary. Ids must be integers in [0, 2^31 - 1), each
 * used once, and the table must be dense enough to be an array: the largest id may be at most
 * 2 x the number of tokens + 1024 (a file with one id of 2e9 would otherwise claim a
 * vocabulary of 2,000,000,001 tokens).
 */
export function invertVocab(vocab: Map<string, number>, where: string): string[] {
  const out: string[] = [];
  let max = -1;
  for (const [tok, id] of vocab) {
    if (!Number.isInteger(id) || id < 0 || id > MAX_TOKEN_ID)
      throw new VocabError(
        `${where}: vocab[${JSON.stringify(tok)}] = ${id} is out of range (ids are integers in [0, ${MAX_TOKEN_ID}])`,
      );
    if (id > max) {
      max = id;
      if (max > 2 * vocab.size + 1024)
        throw new VocabError(
          `${where}: vocab[${JSON.stringify(tok)}] = ${id} is out of range: ${vocab.size} tokens cannot have ids up to ${id} (at most 2 x tokens + 1024 = ${2 * vocab.size + 1024})`,
        );
    }
    const prev = out[id];
    if (prev !== undefined)
      throw new VocabError(
        `${where}: duplicate id ${id}: vocab[${JSON.stringify(prev)}] and vocab[${JSON.stringify(tok)}] both have it`,
      );
    out[id] = tok;
  }
  return out;
}
