/**
 * Normalizers: the first stage of the pipeline. Each is a small object with a `type` tag
 * that serializes as in Hugging Face `tokenizer.json` (`normalizers/*.rs` in
 * huggingface/tokenizers). Alignment to the original text is kept (see NormalizedString).
 */
import { NormalizedString } from './normalized-string.js';
import { compileHfPattern } from './hf-regex.js';
import { cpLen, isBertControl, isChineseChar, isNonSpacingMark, isWhitespace } from './internal/unicode.js';

export interface Normalizer {
  readonly type: string;
  /** Normalize in place, keeping the alignment to the original text. */
  normalize(s: NormalizedString): void;
  /** The `tokenizer.json` object of this normalizer. */
  toJSON(): Record<string, unknown>;
}

export type UnicodeForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

const HANGUL_VT = (c: number): boolean => (c >= 0x1160 && c <= 0x11ff) || (c >= 0xd7b0 && c <= 0xd7ff);

/**
 * Unicode normalization applied cluster by cluster (a starter plus the combining marks
 * and Hangul medial/final jamo after it), so each output char aligns to its cluster.
 * Hangul: NFD splits a syllable into conjoining jamo; NFC rejoins L+V(+T) because the V
 * and T jamo stay in the L's cluster.
 */
export function unicodeNormalize(s: NormalizedString, form: UnicodeForm): void {
  const text = s.normalized;
  if (text.normalize(form) === text) return;
  // Only clusters that change become chunks; unchanged runs stay one chunk each (keeps the
  // alignment array and the garbage small: a 1 MB text with a few accents makes a few chunks).
  const outs: string[] = [];
  const bounds: number[] = [];
  let runStart = 0;
  let clusterStart = 0;
  const endCluster = (end: number): void => {
    if (end <= clusterStart) return;
    if (!(end - clusterStart === 1 && text.charCodeAt(clusterStart) < 0x80)) {
      const src = text.slice(clusterStart, end);
      const out = src.normalize(form);
      if (out !== src) {
        if (clusterStart > runStart) {
          outs.push(text.slice(runStart, clusterStart));
          bounds.push(runStart);
        }
        outs.push(out);
        bounds.push(clusterStart);
        runStart = end;
      }
    }
    clusterStart = end;
  };
  for (let i = 0; i < text.length;) {
    const c = text.charCodeAt(i);
    if (c < 0x80) {
      endCluster(i);
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const len = cp > 0xffff ? 2 : 1;
    const joins = joinsPrevious(cp, form);
    if (!joins) endCluster(i);
    i += len;
  }
  endCluster(text.length);
  if (outs.length === 0) return;
  if (runStart < text.length) {
    outs.push(text.slice(runStart));
    bounds.push(runStart);
  }
  bounds.push(text.length);
  s.rebuild(outs, bounds);
}

const MARK = /^\p{M}$/u;

/** Per BMP code unit and form family (0 = NFC/NFD, 1 = NFKC/NFKD): 0 unknown, 1 joins, 2 starts a cluster. */
const JOIN_CACHE = [new Uint8Array(0x10000), new Uint8Array(0x10000)];

/**
 * Whether `cp` belongs to the cluster of the char before it: a combining mark or a Hangul
 * medial/final jamo — also after decomposition, so compatibility jamo (ㅚ, U+315A, whose
 * NFKD is U+116C) join the jamo before them and NFKC composes ㅊㅚ into 최 as
 * `String.prototype.normalize` and HF do.
 */
function joinsPrevious(cp: number, form: UnicodeForm): boolean {
  const k = form === 'NFKC' || form === 'NFKD' ? 1 : 0;
  const cache = JOIN_CACHE[k]!;
  if (cp < 0x10000 && cache[cp] !== 0) return cache[cp] === 1;
  const ch = String.fromCodePoint(cp);
  const d = ch.normalize(k === 1 ? 'NFKD' : 'NFD');
  const first = d.codePointAt(0)!;
  const joins = HANGUL_VT(cp) || MARK.test(ch) || HANGUL_VT(first) || MARK.test(String.fromCodePoint(first));
  if (cp < 0x10000) cache[cp] = joins ? 1 : 2;
  return joins;
}

export class UnicodeNormalizer implements Normalizer {
  constructor(readonly type: UnicodeForm) {}
  normalize(s: NormalizedString): void {
    unicodeNormalize(s, this.type);
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

/** Lower-case each code point on its own (as HF does, so final sigma becomes σ). */
export class Lowercase implements Normalizer {
  readonly type = 'Lowercase';
  normalize(s: NormalizedString): void {
    if (s.normalized.toLowerCase() === s.normalized) return;
    s.mapCodePoints((ch) => ch.toLowerCase());
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

/** Remove non-spacing marks (Mn). Apply after NFD/NFKD to strip accents from é etc. */
export class StripAccents implements Normalizer {
  readonly type = 'StripAccents';
  normalize(s: NormalizedString): void {
    s.mapCodePoints((ch) => (isNonSpacingMark(ch) ? '' : ch));
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

export interface ReplaceOptions {
  /** A literal string (`{ String: … }` in tokenizer.json) or a regex source (`{ Regex: … }`). */
  pattern: string | { regex: string };
  content: string;
}

export class Replace implements Normalizer {
  readonly type = 'Replace';
  readonly pattern: string | { regex: string };
  readonly content: string;
  private readonly re: RegExp;
  constructor(options: ReplaceOptions) {
    this.pattern = options.pattern;
    this.content = options.content;
    this.re =
      typeof this.pattern === 'string'
        ? new RegExp(escapeRegExp(this.pattern), 'gu')
        : compileHfPattern(this.pattern.regex, 'Replace');
  }
  normalize(s: NormalizedString): void {
    replaceIn(s, this.re, this.content);
  }
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      pattern: typeof this.pattern === 'string' ? { String: this.pattern } : { Regex: this.pattern.regex },
      content: this.content,
    };
  }
}

export function replaceIn(s: NormalizedString, re: RegExp, content: string): void {
  const text = s.normalized;
  re.lastIndex = 0;
  const outs: string[] = [];
  const bounds: number[] = [];
  let last = 0;
  let m: RegExpExecArray | null;
  let changed = false;
  while ((m = re.exec(text)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex = m.index + cpLen(text, m.index); // a whole code point (see splitBy)
      continue;
    }
    if (m.index > last) {
      outs.push(text.slice(last, m.index));
      bounds.push(last);
    }
    outs.push(content);
    bounds.push(m.index);
    last = m.index + m[0].length;
    changed = true;
  }
  if (!changed) return;
  if (last < text.length) {
    outs.push(text.slice(last));
    bounds.push(last);
  }
  bounds.push(text.length);
  s.rebuild(outs, bounds);
}

export function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}

/** Prepend a string (sentencepiece-style `▁`) to non-empty input. */
export class Prepend implements Normalizer {
  readonly type = 'Prepend';
  constructor(readonly prepend: string) {}
  normalize(s: NormalizedString): void {
    if (s.length > 0) s.prepend(this.prepend);
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, prepend: this.prepend };
  }
}

export interface StripOptions {
  /** @default true — strip leading whitespace */
  left?: boolean;
  /** @default true — strip trailing whitespace */
  right?: boolean;
}

export class Strip implements Normalizer {
  readonly type = 'Strip';
  readonly left: boolean;
  readonly right: boolean;
  constructor(options: StripOptions = {}) {
    this.left = options.left ?? true;
    this.right = options.right ?? true;
  }
  normalize(s: NormalizedString): void {
    const t = s.normalized;
    let a = 0;
    let b = t.length;
    if (this.left) while (a < b && isWhitespace(t[a]!)) a++;
    if (this.right) while (b > a && isWhitespace(t[b - 1]!)) b--;
    if (a === 0 && b === t.length) return;
    const outs = [t.slice(0, a), t.slice(a, b), t.slice(b)];
    const bounds = [0, a, b, t.length];
    outs[0] = '';
    outs[2] = '';
    s.rebuild(outs, bounds);
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, strip_left: this.left, strip_right: this.right };
  }
}

export interface BertNormalizerOptions {
  /** @default true — remove control chars, map whitespace to ' ' (BERT's `_clean_text`) */
  cleanText?: boolean;
  /** @default true — put spaces around CJK ideographs so each becomes a word */
  handleChineseChars?: boolean;
  /** @default null — null means "follow lowercase", as in BERT (uncased strips accents) */
  stripAccents?: boolean | null;
  /** @default true — bert-base-uncased */
  lowercase?: boolean;
}

const PRINTABLE_ASCII = /^[\t\n\r\x20-\x7e]*$/;

/** BERT's basic-tokenizer normalization (google-research/bert `BasicTokenizer`). */
export class BertNormalizer implements Normalizer {
  readonly type = 'BertNormalizer';
  readonly cleanText: boolean;
  readonly handleChineseChars: boolean;
  readonly stripAccents: boolean | null;
  readonly lowercase: boolean;
  constructor(options: BertNormalizerOptions = {}) {
    this.cleanText = options.cleanText ?? true;
    this.handleChineseChars = options.handleChineseChars ?? true;
    this.stripAccents = options.stripAccents ?? null;
    this.lowercase = options.lowercase ?? true;
  }
  normalize(s: NormalizedString): void {
    // Printable ASCII (+ tab/newline) has no controls, no other whitespace, no CJK and no
    // accents: only the whitespace mapping and lowercase apply (BERT on English: ~3x faster).
    if (PRINTABLE_ASCII.test(s.normalized)) {
      if (this.cleanText && /[\t\n\r]/.test(s.normalized))
        s.mapCodePoints((ch) => (ch === '\t' || ch === '\n' || ch === '\r' ? ' ' : ch));
      if (this.lowercase && s.normalized.toLowerCase() !== s.normalized) s.mapCodePoints((ch) => ch.toLowerCase());
      return;
    }
    if (this.cleanText) {
      s.mapCodePoints((ch) => {
        const c = ch.codePointAt(0)!;
        if (c === 0 || c === 0xfffd || isBertControl(ch)) return '';
        if (isWhitespace(ch)) return ' ';
        return ch;
      });
    }
    if (this.handleChineseChars) {
      s.mapCodePoints((ch) => (isChineseChar(ch.codePointAt(0)!) ? ` ${ch} ` : ch));
    }
    const strip = this.stripAccents ?? this.lowercase;
    if (strip) {
      unicodeNormalize(s, 'NFD');
      s.mapCodePoints((ch) => (isNonSpacingMark(ch) ? '' : ch));
    }
    if (this.lowercase && s.normalized.toLowerCase() !== s.normalized) s.mapCodePoints((ch) => ch.toLowerCase());
  }
  toJSON(): Record<string, unknown> {
    return {
      type: this.type,
      clean_text: this.cleanText,
      handle_chinese_chars: this.handleChineseChars,
      strip_accents: this.stripAccents,
      lowercase: this.lowercase,
    };
  }
}

export class NormalizerSequence implements Normalizer {
  readonly type = 'Sequence';
  constructor(readonly normalizers: Normalizer[]) {}
  normalize(s: NormalizedString): void {
    for (const n of this.normalizers) n.normalize(s);
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, normalizers: this.normalizers.map((n) => n.toJSON()) };
  }
}

/** Factories in the style of HF's Python API. */
export const normalizers = {
  nfc: (): Normalizer => new UnicodeNormalizer('NFC'),
  nfd: (): Normalizer => new UnicodeNormalizer('NFD'),
  nfkc: (): Normalizer => new UnicodeNormalizer('NFKC'),
  nfkd: (): Normalizer => new UnicodeNormalizer('NFKD'),
  lowercase: (): Normalizer => new Lowercase(),
  stripAccents: (): Normalizer => new StripAccents(),
  replace: (options: ReplaceOptions): Normalizer => new Replace(options),
  prepend: (prepend: string): Normalizer => new Prepend(prepend),
  strip: (options?: StripOptions): Normalizer => new Strip(options),
  bert: (options?: BertNormalizerOptions): Normalizer => new BertNormalizer(options),
  sequence: (list: Normalizer[]): Normalizer => new NormalizerSequence(list),
};
