/**
 * Pre-tokenizers split normalized text into words before the model runs (HF
 * `pre_tokenizers/*.rs`). Each returns sub-strings that keep their alignment to the
 * original text. The GPT-2 pattern is openai/gpt-2 `encoder.py`'s, with `\s` spelled out
 * as Unicode White_Space (JavaScript's `\s` adds U+FEFF and lacks U+0085; HF's Oniguruma
 * `\s` is White_Space).
 */
import { NormalizedString } from './normalized-string.js';
import { BYTE_TO_CHAR } from './internal/byte-level.js';
import { WHITESPACE_CLASS, cpLen, isBertPunctuation, isWhitespace } from './internal/unicode.js';
import { escapeRegExp } from './normalizers.js';
import { compileHfPattern } from './hf-regex.js';

export interface PreTokenizer {
  readonly type: string;
  preTokenize(splits: NormalizedString[]): NormalizedString[];
  toJSON(): Record<string, unknown>;
}

const S = WHITESPACE_CLASS;
/** Rust regex's Unicode `\\w`. */
const W = '[\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}]';
/** GPT-2's split pattern (`'s|'t|… ?\p{L}+| ?\p{N}+|…`). */
export const GPT2_PATTERN = `'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^${S}\\p{L}\\p{N}]+|[${S}]+(?![^${S}])|[${S}]+`;

export type SplitBehavior = 'removed' | 'isolated' | 'mergedWithPrevious' | 'mergedWithNext' | 'contiguous';

/** Split `s` by the matches of `re` (a global regex), with HF's delimiter behaviours. */
export function splitBy(
  s: NormalizedString,
  re: RegExp,
  behavior: SplitBehavior,
  out: NormalizedString[],
  invert = false,
): void {
  const text = s.normalized;
  // ranges: [start, end, isMatch]
  const ranges: Array<[number, number, boolean]> = [];
  let last = 0;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const a = m.index;
    const b = a + m[0].length;
    if (a > last) ranges.push([last, a, invert]);
    // an empty match is still a split point (HF keeps it as a zero-length match; empty pieces are dropped)
    ranges.push([a, b, !invert]);
    last = b;
    // step over an empty match by a whole code point: with the u flag, exec from the middle
    // of a surrogate pair starts at the pair again, which would loop forever
    if (b === a) re.lastIndex = a + cpLen(text, a);
  }
  if (last < text.length) ranges.push([last, text.length, invert]);
  const first = out.length;
  splitRanges(s, ranges, behavior, out);
  // HF drops empty pieces (from empty matches and merges at the ends)
  let w = first;
  for (let r = first; r < out.length; r++) if (out[r]!.length > 0) out[w++] = out[r]!;
  out.length = w;
}

function splitRanges(
  s: NormalizedString,
  ranges: Array<[number, number, boolean]>,
  behavior: SplitBehavior,
  out: NormalizedString[],
): void {
  if (behavior === 'removed') {
    for (const [a, b, isMatch] of ranges) if (!isMatch) out.push(s.slice(a, b));
  } else if (behavior === 'isolated') {
    for (const [a, b] of ranges) out.push(s.slice(a, b));
  } else if (behavior === 'contiguous') {
    let cs = -1;
    let ce = -1;
    let cm = false;
    for (const [a, b, isMatch] of ranges) {
      if (cs >= 0 && isMatch && cm) ce = b;
      else {
        if (cs >= 0) out.push(s.slice(cs, ce));
        cs = a;
        ce = b;
        cm = isMatch;
      }
    }
    if (cs >= 0) out.push(s.slice(cs, ce));
  } else if (behavior === 'mergedWithPrevious') {
    let cs = -1;
    let ce = -1;
    for (const [a, b, isMatch] of ranges) {
      if (cs < 0) cs = a;
      ce = b;
      if (isMatch) {
        out.push(s.slice(cs, b));
        cs = -1;
      }
    }
    if (cs >= 0) out.push(s.slice(cs, ce));
  } else {
    // mergedWithNext: a delimiter starts the next piece
    let cs = -1;
    let ce = -1;
    for (const [a, b, isMatch] of ranges) {
      if (isMatch && cs >= 0) {
        out.push(s.slice(cs, a));
        cs = -1;
      }
      if (cs < 0) cs = a;
      ce = b;
    }
    if (cs >= 0) out.push(s.slice(cs, ce));
  }
}

function forEachSplit(
  splits: NormalizedString[],
  f: (s: NormalizedString, out: NormalizedString[]) => void,
): NormalizedString[] {
  const out: NormalizedString[] = [];
  for (const s of splits) f(s, out);
  return out;
}

/**
 * Calls `piece(start, end)` for each piece of `text` when split by `re` with the isolated
 * behaviour (matches and the text between them, in order, none empty): the fast paths'
 * version of `splitBy(…, 'isolated')` without NormalizedStrings.
 */
export function forEachIsolatedPiece(text: string, re: RegExp, piece: (start: number, end: number) => void): void {
  let last = 0;
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const a = m.index;
    const b = a + m[0].length;
    if (a > last) piece(last, a);
    if (b > a) piece(a, b);
    else re.lastIndex = a + cpLen(text, a);
    last = b;
  }
  if (last < text.length) piece(last, text.length);
}

/** `\w+|[^\w\s]+` (HF `Whitespace`). */
export class Whitespace implements PreTokenizer {
  readonly type = 'Whitespace';
  private readonly re = new RegExp(`${W}+|[^${W.slice(1, -1)}${S}]+`, 'gu');
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    return forEachSplit(splits, (s, out) => splitBy(s, this.re, 'removed', out, true));
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

/** Split on whitespace only (HF `WhitespaceSplit`). */
export class WhitespaceSplit implements PreTokenizer {
  readonly type = 'WhitespaceSplit';
  private readonly re = new RegExp(`[${S}]+`, 'gu');
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    return forEachSplit(splits, (s, out) => splitBy(s, this.re, 'removed', out));
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

/** Whitespace split, then every punctuation char is its own word (BERT's basic tokenizer). */
export class BertPreTokenizer implements PreTokenizer {
  readonly type = 'BertPreTokenizer';
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    return forEachSplit(splits, (s, out) => {
      const t = s.normalized;
      let start = -1;
      for (let i = 0; i < t.length;) {
        const cp = t.codePointAt(i)!;
        const len = cp > 0xffff ? 2 : 1;
        const ch = len === 1 ? t[i]! : t.slice(i, i + 2);
        if (isWhitespace(ch)) {
          if (start >= 0) out.push(s.slice(start, i));
          start = -1;
        } else if (isBertPunctuation(ch)) {
          if (start >= 0) out.push(s.slice(start, i));
          out.push(s.slice(i, i + len));
          start = -1;
        } else if (start < 0) start = i;
        i += len;
      }
      if (start >= 0) out.push(s.slice(start, t.length));
    });
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

export interface PunctuationOptions {
  /** @default 'isolated' — each punctuation char its own word, as BERT */
  behavior?: SplitBehavior;
}

export class Punctuation implements PreTokenizer {
  readonly type = 'Punctuation';
  readonly behavior: SplitBehavior;
  private readonly re = /[\p{P}!-/:-@[-`{-~]/gu;
  constructor(options: PunctuationOptions = {}) {
    this.behavior = options.behavior ?? 'isolated';
  }
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    return forEachSplit(splits, (s, out) => splitBy(s, this.re, this.behavior, out));
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, behavior: behaviorToJson(this.behavior) };
  }
}

export interface DigitsOptions {
  /** @default false — false keeps runs of digits together ("123"), true splits "1","2","3" */
  individualDigits?: boolean;
}

export class Digits implements PreTokenizer {
  readonly type = 'Digits';
  readonly individualDigits: boolean;
  private readonly re: RegExp;
  constructor(options: DigitsOptions = {}) {
    this.individualDigits = options.individualDigits ?? false;
    this.re = this.individualDigits ? /\p{Nd}/gu : /\p{Nd}+/gu;
  }
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    return forEachSplit(splits, (s, out) =>
      splitBy(s, this.re, this.individualDigits ? 'isolated' : 'contiguous', out),
    );
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, individual_digits: this.individualDigits };
  }
}

export interface SplitOptions {
  /** Literal string or `{ regex }`. */
  pattern: string | { regex: string };
  behavior: SplitBehavior;
  /** @default false */
  invert?: boolean;
}

/** HF `Split`: split on a pattern with a delimiter behaviour. */
export class Split implements PreTokenizer {
  readonly type = 'Split';
  readonly pattern: string | { regex: string };
  readonly behavior: SplitBehavior;
  readonly invert: boolean;
  /** The compiled pattern (global, `u`). */
  readonly re: RegExp;
  constructor(options: SplitOptions) {
    this.pattern = options.pattern;
    this.behavior = options.behavior;
    this.invert = options.invert ?? false;
    // a literal string, or a tokenizer.json regex with Oniguruma's semantics (see hf-regex.ts)
    this.re =
      typeof this.pattern === 'string'
        ? new RegExp(escapeRegExp(this.pattern), 'gu')
        : compileHfPattern(this.pattern.regex, 'Split');
  }
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    return forEachSplit(splits, (s, out) => splitBy(s, this.re, this.behavior, out, this.invert));
  }
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      pattern: typeof this.pattern === 'string' ? { String: this.pattern } : { Regex: this.pattern.regex },
      behavior: behaviorToJson(this.behavior),
      invert: this.invert,
    };
  }
}

export interface ByteLevelOptions {
  /** @default false — GPT-2 adds no space; RoBERTa's tokenizer.json says true */
  addPrefixSpace?: boolean;
  /** @default true — split with the GPT-2 pattern first */
  useRegex?: boolean;
  /** @default true — kept for tokenizer.json round trips (HF stores it here too) */
  trimOffsets?: boolean;
}

/**
 * GPT-2 byte-level: split with the GPT-2 pattern, then map each UTF-8 byte to a printable
 * char. Every byte of a char aligns to that whole char in the original text.
 */
export class ByteLevel implements PreTokenizer {
  readonly type = 'ByteLevel';
  readonly addPrefixSpace: boolean;
  readonly useRegex: boolean;
  readonly trimOffsets: boolean;
  readonly re = new RegExp(GPT2_PATTERN, 'gu');
  constructor(options: ByteLevelOptions = {}) {
    this.addPrefixSpace = options.addPrefixSpace ?? false;
    this.useRegex = options.useRegex ?? true;
    this.trimOffsets = options.trimOffsets ?? true;
  }
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    for (const s of splits) {
      if (this.addPrefixSpace && !s.normalized.startsWith(' ')) s.prepend(' ');
      if (this.useRegex) splitBy(s, this.re, 'isolated', out);
      else out.push(s);
    }
    for (const s of out) toByteLevelChars(s);
    return out;
  }
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      add_prefix_space: this.addPrefixSpace,
      trim_offsets: this.trimOffsets,
      use_regex: this.useRegex,
    };
  }
}

const utf8 = new TextEncoder();
export function toByteLevelChars(s: NormalizedString): void {
  s.mapCodePoints((ch) => {
    const c = ch.charCodeAt(0);
    if (c < 128) return BYTE_TO_CHAR[c]!;
    const bytes = utf8.encode(ch);
    let o = '';
    for (const b of bytes) o += BYTE_TO_CHAR[b];
    return o;
  });
}

export type PrependScheme = 'always' | 'first' | 'never';

export interface MetaspaceOptions {
  /** @default '▁' (U+2581), sentencepiece's */
  replacement?: string;
  /** @default 'always' — prepend the replacement to the first word, as sentencepiece does */
  prependScheme?: PrependScheme;
  /** @default true — split into words before each replacement char */
  split?: boolean;
}

/** Sentencepiece-style: spaces become `▁`, words start with it. */
export class Metaspace implements PreTokenizer {
  readonly type = 'Metaspace';
  readonly replacement: string;
  readonly prependScheme: PrependScheme;
  readonly split: boolean;
  constructor(options: MetaspaceOptions = {}) {
    this.replacement = options.replacement ?? '\u2581';
    this.prependScheme = options.prependScheme ?? 'always';
    this.split = options.split ?? true;
  }
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    const out: NormalizedString[] = [];
    const rep = this.replacement;
    const re = new RegExp(escapeRegExp(rep), 'gu');
    splits.forEach((s, idx) => {
      s.mapCodePoints((ch) => (ch === ' ' ? rep : ch));
      if (this.prependScheme === 'always' || (this.prependScheme === 'first' && idx === 0 && s.offset === 0)) {
        if (s.length > 0 && !s.normalized.startsWith(rep)) s.prepend(rep);
      }
      if (this.split) splitBy(s, re, 'mergedWithNext', out);
      else out.push(s);
    });
    return out;
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

export class PreTokenizerSequence implements PreTokenizer {
  readonly type = 'Sequence';
  constructor(readonly preTokenizers: PreTokenizer[]) {}
  preTokenize(splits: NormalizedString[]): NormalizedString[] {
    let cur = splits;
    for (const p of this.preTokenizers) cur = p.preTokenize(cur);
    return cur;
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, pretokenizers: this.preTokenizers.map((p) => p.toJSON()) };
  }
}

const BEHAVIOR_JSON: Record<SplitBehavior, string> = {
  removed: 'Removed',
  isolated: 'Isolated',
  mergedWithPrevious: 'MergedWithPrevious',
  mergedWithNext: 'MergedWithNext',
  contiguous: 'Contiguous',
};
export function behaviorToJson(b: SplitBehavior): string {
  return BEHAVIOR_JSON[b];
}
export function behaviorFromJson(s: unknown, where: string): SplitBehavior {
  for (const [k, v] of Object.entries(BEHAVIOR_JSON)) if (v === s) return k as SplitBehavior;
  throw new Error(
    `${where}: unknown split behavior ${JSON.stringify(s)} (expected one of ${Object.values(BEHAVIOR_JSON).join(', ')})`,
  );
}

export const preTokenizers = {
  whitespace: (): PreTokenizer => new Whitespace(),
  whitespaceSplit: (): PreTokenizer => new WhitespaceSplit(),
  bert: (): PreTokenizer => new BertPreTokenizer(),
  punctuation: (options?: PunctuationOptions): PreTokenizer => new Punctuation(options),
  digits: (options?: DigitsOptions): PreTokenizer => new Digits(options),
  split: (options: SplitOptions): PreTokenizer => new Split(options),
  byteLevel: (options?: ByteLevelOptions): PreTokenizer => new ByteLevel(options),
  metaspace: (options?: MetaspaceOptions): PreTokenizer => new Metaspace(options),
  sequence: (list: PreTokenizer[]): PreTokenizer => new PreTokenizerSequence(list),
};
