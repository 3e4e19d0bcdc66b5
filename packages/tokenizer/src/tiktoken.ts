/**
 * tiktoken encodings (cl100k_base, o200k_base, Llama 3's) as a Tokenizer. A `.tiktoken` rank
 * file lists byte strings by rank; it becomes a byte-level BPE the way Hugging Face's
 * `TikTokenConverter` does it (transformers `convert_slow_tokenizer.py`): the vocabulary is
 * each token's GPT-2 byte-level spelling, and every split of a token into two tokens is a
 * merge ranked by the token's rank (ties by the ranks of the halves). With `ignoreMerges`
 * (a piece that is a token is emitted whole, as tiktoken does) the result saves as a
 * `tokenizer.json` that HF loads with the same ids.
 */
import { Tokenizer } from './tokenizer.js';
import { BPE } from './bpe.js';
import { ByteLevel, PreTokenizerSequence, Split } from './pre-tokenizers.js';
import { ByteLevelProcessing } from './post-processors.js';
import { ByteLevelDecoder } from './decoders.js';
import { BYTE_TO_CHAR } from './internal/byte-level.js';

export interface TiktokenOptions {
  /**
   * The rank file: `.tiktoken` text (a line per token, `base64-bytes rank`), or
   * `[bytes, rank]` pairs.
   */
  ranks: string | Iterable<[Uint8Array, number]>;
  /** The split regex (tiktoken's `pat_str`), in the tokenizer.json dialect (`(?i:…)` is fine). */
  pattern: string;
  /** Special tokens, text -> id (`{ '<|endoftext|>': 100257 }`). @default none */
  specialTokens?: Record<string, number> | Map<string, number>;
}

const FN = 'fromTiktoken';

function decodeBase64(s: string, line: number): Uint8Array {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 !== 0)
    throw new Error(`${FN}: ranks line ${line}: ${JSON.stringify(s.slice(0, 40))} is not base64`);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

function parseRanks(ranks: TiktokenOptions['ranks']): Array<[Uint8Array, number]> {
  if (typeof ranks !== 'string') return [...ranks];
  const out: Array<[Uint8Array, number]> = [];
  ranks.split('\n').forEach((raw, i) => {
    const l = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (l.length === 0) return;
    const sp = l.indexOf(' ');
    const rank = Number(l.slice(sp + 1));
    if (sp < 0 || !Number.isInteger(rank))
      throw new Error(`${FN}: ranks line ${i + 1} = ${JSON.stringify(l.slice(0, 60))} must be "base64 rank"`);
    out.push([decodeBase64(l.slice(0, sp), i + 1), rank]);
  });
  return out;
}

/** Build a Tokenizer from a tiktoken encoding (see the module comment). */
export function fromTiktoken(options: TiktokenOptions): Tokenizer {
  const pairs = parseRanks(options.ranks);
  const vocab = new Map<string, number>();
  const byRank: string[] = [];
  for (const [bytes, rank] of pairs) {
    if (!Number.isInteger(rank) || rank < 0 || rank > 0x7fffffff)
      throw new Error(`${FN}: rank ${rank} is not an integer in [0, 2^31)`);
    // a flat string (fromCharCode, not +=): the merge loop below slices and hashes it many times
    const codes = new Array<number>(bytes.length);
    for (let i = 0; i < bytes.length; i++) codes[i] = BYTE_TO_CHAR[bytes[i]!]!.charCodeAt(0);
    const s = String.fromCharCode.apply(null, codes);
    if (s.length === 0) throw new Error(`${FN}: rank ${rank} has an empty token`);
    if (vocab.has(s)) throw new Error(`${FN}: the token of rank ${rank} repeats rank ${vocab.get(s)}`);
    if (byRank[rank] !== undefined) throw new Error(`${FN}: rank ${rank} is given to two tokens`);
    vocab.set(s, rank);
    byRank[rank] = s;
  }
  // every split of a token into two tokens, ordered by (rank of token, rank of left, rank of right)
  const merges: Array<[string, string]> = [];
  const local: Array<[number, number, string, string]> = [];
  for (let rank = 0; rank < byRank.length; rank++) {
    const t = byRank[rank];
    if (t === undefined || t.length < 2) continue;
    local.length = 0;
    for (let i = 1; i < t.length; i++) {
      const l = t.slice(0, i);
      const rl = vocab.get(l);
      if (rl === undefined) continue;
      const r = t.slice(i);
      const rr = vocab.get(r);
      if (rr !== undefined) local.push([rl, rr, l, r]);
    }
    local.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
    for (const [, , l, r] of local) merges.push([l, r]);
  }
  const tok = new Tokenizer({
    model: new BPE({ vocab, merges, ignoreMerges: true }),
    preTokenizer: new PreTokenizerSequence([
      new Split({ pattern: { regex: options.pattern }, behavior: 'isolated' }),
      new ByteLevel({ addPrefixSpace: false, useRegex: false, trimOffsets: true }),
    ]),
    postProcessor: new ByteLevelProcessing({ trimOffsets: false, addPrefixSpace: false }),
    decoder: new ByteLevelDecoder(),
  });
  const specials =
    options.specialTokens instanceof Map ? options.specialTokens : new Map(Object.entries(options.specialTokens ?? {}));
  for (const [content, id] of specials) {
    if (!Number.isInteger(id) || id < 0 || id > 0x7fffffff)
      throw new Error(`${FN}: specialTokens[${JSON.stringify(content)}] = ${id} is not an integer id in [0, 2^31)`);
    if (byRank[id] !== undefined)
      throw new Error(
        `${FN}: specialTokens[${JSON.stringify(content)}] = ${id} collides with the token of rank ${id} in the ranks`,
      );
    tok.addedVocabulary.add({
      id,
      content,
      special: true,
      singleWord: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
    });
  }
  if (specials.has('<|endoftext|>')) {
    tok.specialTokens.set('bos', '<|endoftext|>');
    tok.specialTokens.set('eos', '<|endoftext|>');
  }
  return tok;
}
