/**
 * The Tokenizer: normalizer → pre-tokenizer → model → post-processor → decoder, plus added
 * and special tokens, truncation and padding (the shape of Hugging Face `tokenizers`).
 */
import { NormalizedString } from './normalized-string.js';
import type { Normalizer } from './normalizers.js';
import { ByteLevel, PreTokenizerSequence, Split, forEachIsolatedPiece, type PreTokenizer } from './pre-tokenizers.js';
import type { Model, ModelToken } from './model.js';
import { randomFn, type RandomSource } from './internal/rng.js';
import { BPE } from './bpe.js';
import { Unigram } from './unigram.js';
import { SentencePieceNormalizer } from './sentencepiece.js';
import { WordPiece } from './wordpiece.js';
import { trainBpeFromCounts, type BpeTrainerOptions } from './bpe-trainer.js';
import { countWords, type Corpus } from './corpus.js';
import { CL100K_PATTERN, scanCl100k, scanGpt2 } from './internal/gpt2-scanner.js';
import { IdBuffer } from './internal/id-buffer.js';
import type { PostProcessor } from './post-processors.js';
import { ByteLevelProcessing } from './post-processors.js';
import type { Decoder } from './decoders.js';
import { AddedVocabulary, type AddedTokenOptions, type AllowedSpecial } from './added-vocabulary.js';
import {
  emptyEnc,
  freeze,
  padEnc,
  concatEnc,
  truncatePair,
  type Enc,
  type Encoding,
  type TruncationOptions,
  type TruncationStrategy,
} from './encoding.js';

export type SpecialTokenRole = 'pad' | 'unk' | 'bos' | 'eos' | 'mask' | 'cls' | 'sep';
export const SPECIAL_TOKEN_ROLES: readonly SpecialTokenRole[] = ['pad', 'unk', 'bos', 'eos', 'mask', 'cls', 'sep'];
/** Role -> token text. */
export type SpecialTokens = Partial<Record<SpecialTokenRole, string>>;

export interface TokenizerOptions {
  model: Model;
  /** @default null */
  normalizer?: Normalizer | null;
  /** @default null — the whole (normalized) text is one word */
  preTokenizer?: PreTokenizer | null;
  /** @default null — no special tokens added */
  postProcessor?: PostProcessor | null;
  /** @default null — decode joins tokens with ' ' */
  decoder?: Decoder | null;
  /** Roles of special tokens (`{ pad: '[PAD]', cls: '[CLS]' }`); each is registered as a special added token. */
  specialTokens?: SpecialTokens;
}

export interface EncodeOptions {
  /** A second sequence (sentence pair: question + context, …). @default undefined — one sequence */
  pair?: string;
  /** @default true — let the post-processor add [CLS]/[SEP], <s>/</s>, … */
  addSpecialTokens?: boolean;
  /**
   * Which special tokens written in the input text are matched as special tokens.
   * @default 'none' — special-token text is plain text (tiktoken's safe default; pass 'all' for HF's behaviour)
   */
  allowedSpecial?: AllowedSpecial;
  /** Truncate (and produce overflowing windows) as in encodeBatch. @default undefined — no truncation */
  truncation?: TruncationOptions;
  /**
   * Subword regularization: a sampled segmentation instead of the best one (Unigram: `alpha`,
   * `nbestSize` as sentencepiece's SampleEncode; BPE: `dropout` as HF). Throws for models
   * without sampling (WordPiece, WordLevel).
   * @default undefined — deterministic encoding (a BPE with `dropout` in its file still drops)
   */
  sampling?: SamplingOptions;
}

/** Options of sampled encoding (`EncodeOptions.sampling`). */
export interface SamplingOptions {
  /** Unigram: p(segmentation) ∝ exp(alpha · score). @default 0.1 */
  alpha?: number;
  /** Unigram: < 0 whole lattice, 0 or 1 no sampling, > 1 among the n best. @default -1 */
  nbestSize?: number;
  /** BPE: merge-skip probability. @default the model's `dropout`, else 0.1 */
  dropout?: number;
  /** A seed (same seed, same segmentations) or a uniform [0, 1) source. @default unseeded */
  random?: RandomSource;
}

export type Padding = 'longest' | 'max_length' | false;

/** Options of `encode(text, options)` or of the deprecated `encode(text, pair, options)`. */
function encodeArgs(
  pairOrOptions: string | EncodeOptions | undefined,
  legacyOptions: EncodeOptions | undefined,
  where: string,
): EncodeOptions {
  if (typeof pairOrOptions === 'string' || (pairOrOptions === undefined && legacyOptions !== undefined)) {
    const o = legacyOptions ?? {};
    if (o.pair !== undefined)
      throw new Error(`${where}: the pair is given twice (as the second argument and as options.pair)`);
    return pairOrOptions === undefined ? o : { ...o, pair: pairOrOptions };
  }
  if (pairOrOptions === undefined) return {};
  if (typeof pairOrOptions !== 'object' || pairOrOptions === null || Array.isArray(pairOrOptions))
    throw new Error(`${where}: the second argument must be an options object, got ${typeof pairOrOptions}`);
  if (legacyOptions !== undefined)
    throw new Error(`${where}: pass one options object: encode(text, { pair, ...options })`);
  return pairOrOptions;
}

export interface EncodeBatchOptions extends Omit<EncodeOptions, 'truncation' | 'pair'> {
  /** @default false — 'longest' pads to the longest in the batch, 'max_length' to `maxLength` */
  padding?: Padding;
  /** Length for padding 'max_length' and the default truncation length. */
  maxLength?: number;
  /**
   * Truncation strategy, or false. With a strategy, `maxLength` is required.
   * @default false
   */
  truncation?: Partial<TruncationOptions> | TruncationStrategy | false;
  /** @default 0 — overlap of overflowing windows (with truncation) */
  stride?: number;
  /** @default undefined — round the padded length up to a multiple (8 for tensor cores) */
  padToMultipleOf?: number;
  /** @default 'right' */
  paddingSide?: 'right' | 'left';
  /** @default 0 */
  padTypeId?: number;
}

export interface BatchEncoding {
  encodings: Encoding[];
  ids: Int32Array[];
  attentionMask: Uint8Array[];
  typeIds: Uint8Array[];
  specialTokensMask: Uint8Array[];
}

export interface DecodeOptions {
  /** @default false — lossless by default; true drops special tokens (pads, [CLS], …) */
  skipSpecialTokens?: boolean;
}

export type EncodeInput = string | [string, string];

const utf8 = new TextEncoder();

/** Calls `piece(start, end)` for each pre-tokenizer piece of `text`, in order. */
type Scanner = (text: string, piece: (start: number, end: number) => void) => void;

const splitScanners = new WeakMap<Split, Scanner>();
function scannerFor(split: Split): Scanner {
  let f = splitScanners.get(split);
  if (f === undefined) {
    const re = split.re;
    // cl100k / Llama 3: a hand-written scanner (same pieces, no match objects)
    f =
      typeof split.pattern !== 'string' && split.pattern.regex === CL100K_PATTERN
        ? scanCl100k
        : (text, piece) => forEachIsolatedPiece(text, re, piece);
    splitScanners.set(split, f);
  }
  return f;
}

export class Tokenizer {
  model: Model;
  normalizer: Normalizer | null;
  preTokenizer: PreTokenizer | null;
  postProcessor: PostProcessor | null;
  decoder: Decoder | null;
  readonly addedVocabulary = new AddedVocabulary();
  /** Role -> token. Ids are looked up (`specialTokenId`), never assumed. */
  readonly specialTokens = new Map<SpecialTokenRole, string>();

  constructor(options: TokenizerOptions) {
    this.model = options.model;
    this.normalizer = options.normalizer ?? null;
    this.preTokenizer = options.preTokenizer ?? null;
    this.postProcessor = options.postProcessor ?? null;
    this.decoder = options.decoder ?? null;
    for (const role of SPECIAL_TOKEN_ROLES) {
      const t = options.specialTokens?.[role];
      if (t !== undefined) this.setSpecialToken(role, t);
    }
  }

  /** Register `token` under `role` (adding it as a special token if it is new). */
  setSpecialToken(role: SpecialTokenRole, token: string): void {
    if (!SPECIAL_TOKEN_ROLES.includes(role))
      throw new Error(
        `setSpecialToken: unknown role ${JSON.stringify(role)} (one of ${SPECIAL_TOKEN_ROLES.join(', ')})`,
      );
    this.specialTokens.set(role, token);
    const existing = this.addedVocabulary.get(token);
    if (existing === undefined) this.addTokens([token], { special: true });
    else existing.special = true;
  }

  /** Id of the token registered for `role`; throws if none is registered. */
  specialTokenId(role: SpecialTokenRole): number {
    const tok = this.specialTokens.get(role);
    if (tok === undefined) {
      const have = [...this.specialTokens.keys()].join(', ') || 'none';
      throw new Error(
        `Tokenizer.specialTokenId: no '${role}' token is registered (registered: ${have}); call setSpecialToken('${role}', …)`,
      );
    }
    return this.tokenToId(tok)!;
  }

  /**
   * Add tokens that are matched before pre-tokenization and never split. Tokens already in
   * the model's vocabulary keep their id; new ones get ids after the vocabulary.
   * @returns how many tokens were new
   */
  addTokens(tokens: string[], options: AddedTokenOptions = {}): number {
    let added = 0;
    for (const content of tokens) {
      if (content.length === 0) throw new Error('Tokenizer.addTokens: an added token must not be empty');
      const special = options.special ?? false;
      const existing = this.addedVocabulary.get(content);
      let id = this.model.tokenToId(content) ?? existing?.id;
      if (id === undefined) {
        id = this.vocabSize;
        added++;
      }
      this.addedVocabulary.add({
        id,
        content,
        special,
        singleWord: options.singleWord ?? false,
        lstrip: options.lstrip ?? false,
        rstrip: options.rstrip ?? false,
        normalized: options.normalized ?? !special,
      });
    }
    return added;
  }

  /** Model vocabulary plus added tokens (largest id + 1). */
  get vocabSize(): number {
    let n = this.model.vocabSize;
    for (const t of this.addedVocabulary.tokens) if (t.id >= n) n = t.id + 1;
    return n;
  }

  tokenToId(token: string): number | undefined {
    return this.addedVocabulary.get(token)?.id ?? this.model.tokenToId(token);
  }

  idToToken(id: number): string | undefined {
    return this.addedVocabulary.getById(id)?.content ?? this.model.idToToken(id);
  }

  /** Vocabulary including added tokens. */
  getVocab(): Map<string, number> {
    const v = this.model.getVocab();
    for (const t of this.addedVocabulary.tokens) v.set(t.content, t.id);
    return v;
  }

  /** Encode one sequence (no post-processing). */
  private encodeSequence(
    text: string,
    typeId: number,
    seqId: number,
    allowed: AllowedSpecial,
    tokenizeWord: ((w: string) => ModelToken[]) | null = null,
  ): Enc {
    const e = emptyEnc();
    const push = (id: number, token: string, start: number, end: number): void => {
      e.ids.push(id);
      e.tokens.push(token);
      e.offsets.push([start, end]);
      e.special.push(0);
      e.attention.push(1);
      e.typeIds.push(typeId);
      e.seq.push(seqId);
    };
    const normalizer = this.normalizer;
    // with a normalizer, tokens added with normalized: true are matched after normalization (HF)
    const which = normalizer === null ? 'all' : 'raw';
    for (const seg of this.addedVocabulary.split(text, allowed, which)) {
      if (seg.id >= 0) {
        push(seg.id, this.idToToken(seg.id)!, seg.start, seg.end);
        continue;
      }
      if (seg.end === seg.start) continue;
      const scan = tokenizeWord === null ? this.byteLevelScanner() : null;
      if (scan !== null && !(this.preTokenizer instanceof ByteLevel && this.preTokenizer.addPrefixSpace)) {
        this.encodeByteLevelSegment(text, seg.start, seg.end, typeId, seqId, e, scan);
        continue;
      }
      const ns = new NormalizedString(text.slice(seg.start, seg.end), null, seg.start);
      // pieces of the normalized text: an added token (id >= 0) or text for the pre-tokenizer (-1)
      const parts: Array<{ ns: NormalizedString; id: number }> = [];
      if (normalizer !== null) {
        normalizer.normalize(ns);
        for (const sub of this.addedVocabulary.split(ns.normalized, allowed, 'normalized', this.normalizeContent))
          if (sub.end > sub.start) parts.push({ ns: ns.slice(sub.start, sub.end), id: sub.id });
      } else parts.push({ ns, id: -1 });
      for (const part of parts) {
        if (part.id >= 0) {
          const [o0, o1] = part.ns.originalRange(0, part.ns.length);
          push(part.id, this.idToToken(part.id)!, o0, o1);
          continue;
        }
        const words = this.preTokenizer === null ? [part.ns] : this.preTokenizer.preTokenize([part.ns]);
        for (const w of words) {
          if (w.length === 0) continue;
          for (const t of tokenizeWord === null ? this.model.tokenize(w.normalized) : tokenizeWord(w.normalized)) {
            const [o0, o1] = w.originalRange(t.start, t.end);
            push(t.id, t.value, o0, o1);
          }
        }
      }
    }
    return e;
  }

  /** Reused id buffer of the sentencepiece encodeIds path (copied out by toArray). */
  private readonly spmIds = new IdBuffer(256);
  /** The normalizer applied to an added token's content (for `normalized: true` tokens). */
  private readonly normalizeContent = (s: string): string => {
    if (this.normalizer === null) return s;
    // sentencepiece's user-defined symbols pass through its normalizer as they are (no dummy
    // prefix): a `.model` BPE's frozen symbols are matched in the normalized text as written
    if (this.normalizer instanceof SentencePieceNormalizer && this.normalizer.userDefinedSymbols.includes(s)) return s;
    const ns = NormalizedString.fromOriginal(s);
    this.normalizer.normalize(ns);
    return ns.normalized;
  };

  /**
   * The piece scanner when the pipeline is byte-level BPE (all 256 bytes in the vocabulary),
   * no normalizer, and either ByteLevel's GPT-2 regex split or a Split regex (isolated) then
   * ByteLevel without its regex (tiktoken-style files: cl100k, o200k, Llama 3); else null.
   */
  private byteLevelScanner(): Scanner | null {
    const model = this.model;
    const pre = this.preTokenizer;
    if (!(model instanceof BPE) || model.byteIds === null || this.normalizer !== null || model.dropout !== null)
      return null;
    if (pre instanceof ByteLevel) return pre.useRegex ? scanGpt2 : null;
    if (pre instanceof PreTokenizerSequence && pre.preTokenizers.length === 2) {
      const [split, bl] = pre.preTokenizers;
      if (
        split instanceof Split &&
        typeof split.pattern !== 'string' &&
        split.behavior === 'isolated' &&
        !split.invert &&
        bl instanceof ByteLevel &&
        !bl.useRegex &&
        !bl.addPrefixSpace
      )
        return scannerFor(split);
    }
    return null;
  }

  /**
   * The general path specialised for GPT-2 style pipelines: the same tokens and offsets
   * without building a NormalizedString per word (about 3x faster). Token byte lengths are
   * the lengths of their byte-level spellings; byte offsets map to the chars that hold them.
   */
  private encodeByteLevelSegment(
    text: string,
    start: number,
    end: number,
    typeId: number,
    seqId: number,
    e: Enc,
    scan: Scanner,
  ): void {
    const model = this.model as BPE;
    const s = start === 0 && end === text.length ? text : text.slice(start, end);
    const buf = new IdBuffer(64);
    scan(s, (a, b) => {
      buf.n = 0;
      model.encodeRangeInto(s, a, b, buf, utf8);
      const ids = buf.buf.subarray(0, buf.n);
      let ascii = true;
      for (let i = a; i < b; i++) {
        if (s.charCodeAt(i) >= 128) {
          ascii = false;
          break;
        }
      }
      // unitOfByte[k] = start unit (in s) of the char holding byte k of the piece; unitEnd likewise
      let unitOfByte: Int32Array | null = null;
      let unitEnd: Int32Array | null = null;
      if (!ascii) {
        const nBytes = utf8.encode(s.slice(a, b)).length;
        unitOfByte = new Int32Array(nBytes);
        unitEnd = new Int32Array(nBytes);
        let k = 0;
        for (let i = a; i < b;) {
          const cp = s.codePointAt(i)!;
          const units = cp > 0xffff ? 2 : 1;
          const lone = cp >= 0xd800 && cp <= 0xdfff;
          const bytes = lone ? 3 : cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
          for (let j = 0; j < bytes; j++) {
            unitOfByte[k] = i;
            unitEnd[k] = i + units;
            k++;
          }
          i += units;
        }
      }
      let pos = 0;
      for (const id of ids) {
        const tok = model.idToToken(id)!;
        const next = pos + tok.length;
        let o0: number;
        let o1: number;
        if (unitOfByte === null) {
          o0 = a + pos;
          o1 = a + next;
        } else {
          o0 = unitOfByte[pos]!;
          o1 = unitEnd![next - 1]!;
        }
        e.ids.push(id);
        e.tokens.push(tok);
        e.offsets.push([start + o0, start + o1]);
        e.special.push(0);
        e.attention.push(1);
        e.typeIds.push(typeId);
        e.seq.push(seqId);
        pos = next;
      }
    });
  }

  private encodeEnc(
    text: string,
    pair: string | undefined,
    options: Omit<EncodeOptions, 'truncation'>,
    truncation: TruncationOptions | null,
  ): Enc {
    if (typeof text !== 'string') throw new Error(`Tokenizer.encode: text must be a string, got ${typeof text}`);
    if (pair !== undefined && typeof pair !== 'string')
      throw new Error(`Tokenizer.encode: pair must be a string, got ${typeof pair}`);
    const allowed = options.allowedSpecial ?? 'none';
    const addSpecial = options.addSpecialTokens ?? true;
    const tw = this.sampler(options.sampling);
    const a = this.encodeSequence(text, 0, 0, allowed, tw);
    const b = pair === undefined ? null : this.encodeSequence(pair, 1, 1, allowed, tw);
    if (truncation !== null) {
      const added = addSpecial && this.postProcessor !== null ? this.postProcessor.addedTokens(b !== null) : 0;
      const max = truncation.maxLength - added;
      if (max < 0)
        throw new Error(
          `Tokenizer.encode: maxLength = ${truncation.maxLength} is smaller than the ${added} special tokens the post-processor adds`,
        );
      truncatePair(a, b, max, truncation);
    }
    if (this.postProcessor !== null) return this.postProcessor.process(a, b, addSpecial);
    const out = concatEnc(b === null ? [a] : [a, b]);
    out.overflowing = [...a.overflowing, ...(b === null ? [] : b.overflowing)];
    return out;
  }

  private sampler(sampling: SamplingOptions | undefined): ((w: string) => ModelToken[]) | null {
    if (sampling === undefined) return null;
    const model = this.model;
    if (model.sample === undefined)
      throw new Error(`Tokenizer.encode: sampling needs a Unigram or BPE model; this one is ${model.type}`);
    const random = randomFn(sampling.random, 'Tokenizer.encode sampling.random');
    const opts = {
      alpha: sampling.alpha,
      nbestSize: sampling.nbestSize,
      dropout: sampling.dropout ?? (model instanceof BPE ? (model.dropout ?? 0.1) : undefined),
      random,
    };
    return (w) => model.sample!(w, opts);
  }

  /** Encode `text` (and an optional second sequence, `options.pair`). */
  encode(text: string, options?: EncodeOptions): Encoding;
  /**
   * @deprecated the pair moved into the options: write `encode(text, { pair, ...options })`
   * (one signature with `encodeIds`). This form keeps working.
   */
  encode(text: string, pair: string | undefined, options?: EncodeOptions): Encoding;
  encode(text: string, pairOrOptions?: string | EncodeOptions, legacyOptions?: EncodeOptions): Encoding {
    const options = encodeArgs(pairOrOptions, legacyOptions, 'Tokenizer.encode');
    return freeze(this.encodeEnc(text, options.pair, options, options.truncation ?? null));
  }

  /**
   * Ids only: the fast path for byte-level BPE (GPT-2 style) skips offsets and token strings
   * and caches ids by raw word. Same ids as `encode(text).ids`.
   */
  encodeIds(text: string, options: EncodeOptions = {}): Int32Array {
    if (options.pair !== undefined || options.truncation !== undefined || options.sampling !== undefined)
      return this.encode(text, options).ids;
    const model = this.model;
    const pre = this.preTokenizer;
    const post = this.postProcessor;
    const scan = this.byteLevelScanner();
    if (scan !== null && (post === null || post instanceof ByteLevelProcessing)) {
      const bpe = model as BPE;
      const prefix = pre instanceof ByteLevel && pre.addPrefixSpace;
      const out = new IdBuffer(text.length >> 2);
      for (const seg of this.addedVocabulary.split(text, options.allowedSpecial ?? 'none')) {
        if (seg.id >= 0) {
          out.push(seg.id);
          continue;
        }
        let s = seg.start === 0 && seg.end === text.length ? text : text.slice(seg.start, seg.end);
        if (s.length === 0) continue;
        if (prefix && !s.startsWith(' ')) s = ' ' + s;
        const piece = s;
        scan(piece, (a, b) => bpe.encodeRangeInto(piece, a, b, out, utf8));
      }
      return out.toArray();
    }
    if (
      model instanceof Unigram &&
      this.normalizer instanceof SentencePieceNormalizer &&
      pre === null &&
      post === null &&
      (options.allowedSpecial ?? 'none') === 'none' &&
      this.addedVocabulary.tokens.every((t) => t.special)
    ) {
      // sentencepiece pipeline: normalized code units in a reused buffer + Viterbi ids, no
      // alignment, strings or token objects
      const norm = this.normalizer;
      const n = norm.normalizeUnits(text);
      const out = this.spmIds;
      out.n = 0;
      model.encodeUnitsInto(norm.units, n, out);
      return out.toArray();
    }
    return this.encode(text, options).ids;
  }

  /** Encode many inputs (strings or [text, pair]) with padding and truncation. */
  encodeBatch(inputs: EncodeInput[], options: EncodeBatchOptions = {}): BatchEncoding {
    const padding = options.padding ?? false;
    let truncation: TruncationOptions | null = null;
    if (options.truncation !== undefined && options.truncation !== false) {
      const t: Partial<TruncationOptions> =
        typeof options.truncation === 'string' ? { strategy: options.truncation } : options.truncation;
      const maxLength = t.maxLength ?? options.maxLength;
      if (maxLength === undefined) throw new Error('Tokenizer.encodeBatch: truncation needs maxLength');
      truncation = { ...t, maxLength, stride: t.stride ?? options.stride ?? 0 };
    }
    if (padding === 'max_length' && options.maxLength === undefined)
      throw new Error("Tokenizer.encodeBatch: padding 'max_length' needs maxLength");
    if (options.sampling !== undefined) {
      // one random stream for the whole batch (a seed per input would repeat the same draws)
      const random = randomFn(options.sampling.random, 'Tokenizer.encodeBatch sampling.random');
      options = { ...options, sampling: { ...options.sampling, random } };
    }
    const encs = inputs.map((inp, i) => {
      if (Array.isArray(inp)) {
        if ((inp as unknown[]).length !== 2)
          throw new Error(
            `Tokenizer.encodeBatch: inputs[${i}] must be a string or [text, pair], got an array of ${(inp as unknown[]).length}`,
          );
        return this.encodeEnc(inp[0], inp[1], options, truncation);
      }
      return this.encodeEnc(inp, undefined, options, truncation);
    });
    if (padding !== false) {
      let len = padding === 'longest' ? encs.reduce((m, e) => Math.max(m, e.ids.length), 0) : options.maxLength!;
      const m = options.padToMultipleOf;
      if (m !== undefined && m > 0 && len % m !== 0) len += m - (len % m);
      const padToken = this.specialTokens.get('pad');
      if (padToken === undefined)
        throw new Error("Tokenizer.encodeBatch: padding needs a 'pad' special token; call setSpecialToken('pad', …)");
      const spec = {
        length: len,
        padId: this.tokenToId(padToken)!,
        padToken,
        padTypeId: options.padTypeId ?? 0,
        side: options.paddingSide ?? 'right',
      } as const;
      for (const e of encs) padEnc(e, spec);
    }
    const encodings = encs.map(freeze);
    return {
      encodings,
      ids: encodings.map((e) => e.ids),
      attentionMask: encodings.map((e) => e.attentionMask),
      typeIds: encodings.map((e) => e.typeIds),
      specialTokensMask: encodings.map((e) => e.specialTokensMask),
    };
  }

  /** Ids back to text. Unknown ids throw. */
  decode(ids: ArrayLike<number>, options: DecodeOptions = {}): string {
    const skip = options.skipSpecialTokens ?? false;
    const tokens: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      const tok = this.idToToken(id);
      if (tok === undefined)
        throw new Error(`Tokenizer.decode: ids[${i}] = ${id} is not in the vocabulary (size ${this.vocabSize})`);
      if (skip && this.addedVocabulary.isSpecialId(id)) continue;
      tokens.push(tok);
    }
    if (this.decoder === null) return tokens.join(' ');
    return this.decoder.decodeChain(tokens).join('');
  }

  decodeBatch(batch: Array<ArrayLike<number>>, options: DecodeOptions = {}): string[] {
    return batch.map((ids) => this.decode(ids, options));
  }

  /**
   * Train this tokenizer's model on a corpus with its own normalizer and pre-tokenizer (HF
   * `Tokenizer.train`): a BPE model gets new merges, a WordPiece model a new vocabulary
   * (BPE training with the `##` prefix). Special tokens are registered as added tokens.
   * Other model types cannot be trained.
   */
  async train(corpus: Corpus, options: BpeTrainerOptions = {}): Promise<void> {
    const old = this.model;
    const counts = await countWords(corpus, { normalizer: this.normalizer, preTokenizer: this.preTokenizer });
    const specialTokens = options.specialTokens ?? [];
    if (old instanceof WordPiece) {
      const prefix = options.continuingSubwordPrefix ?? old.continuingSubwordPrefix;
      const r = trainBpeFromCounts(counts, { ...options, continuingSubwordPrefix: prefix });
      if (!r.vocab.has(old.unkToken)) {
        throw new Error(
          `Tokenizer.train: the WordPiece unkToken ${JSON.stringify(old.unkToken)} must be one of specialTokens (got ${JSON.stringify(specialTokens)})`,
        );
      }
      this.model = new WordPiece({
        vocab: r.vocab,
        unkToken: old.unkToken,
        continuingSubwordPrefix: prefix,
        maxInputCharsPerWord: old.maxInputCharsPerWord,
      });
    } else if (old instanceof BPE) {
      const r = trainBpeFromCounts(counts, {
        ...options,
        continuingSubwordPrefix: options.continuingSubwordPrefix ?? old.continuingSubwordPrefix,
        endOfWordSuffix: options.endOfWordSuffix ?? old.endOfWordSuffix,
      });
      const unk = old.unkToken !== null && r.vocab.has(old.unkToken) ? old.unkToken : null;
      if (old.unkToken !== null && unk === null) {
        throw new Error(
          `Tokenizer.train: the BPE unkToken ${JSON.stringify(old.unkToken)} must be one of specialTokens (got ${JSON.stringify(specialTokens)})`,
        );
      }
      this.model = new BPE({
        vocab: r.vocab,
        merges: r.merges,
        unkToken: unk,
        continuingSubwordPrefix: r.continuingSubwordPrefix,
        endOfWordSuffix: r.endOfWordSuffix,
        fuseUnk: old.fuseUnk,
        byteFallback: old.byteFallback,
        ignoreMerges: old.ignoreMerges,
        cacheCapacity: old.cacheCapacity,
      });
    } else {
      throw new Error(`Tokenizer.train: cannot train a ${old.type} model (BPE and WordPiece can be trained)`);
    }
    this.addTokens(specialTokens, { special: true });
  }

  /** The Hugging Face `tokenizer.json` object. */
  toJSON(): Record<string, unknown> {
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.addedVocabulary.tokens]
        .sort((x, y) => x.id - y.id)
        .map((t) => ({
          id: t.id,
          content: t.content,
          single_word: t.singleWord,
          lstrip: t.lstrip,
          rstrip: t.rstrip,
          normalized: t.normalized,
          special: t.special,
        })),
      normalizer: this.normalizer?.toJSON() ?? null,
      pre_tokenizer: this.preTokenizer?.toJSON() ?? null,
      post_processor: this.postProcessor?.toJSON() ?? null,
      decoder: this.decoder?.toJSON() ?? null,
      model: this.model.toJSON(),
    };
  }
}
