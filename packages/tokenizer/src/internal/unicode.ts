/**
 * Character classes used by the normalizers and pre-tokenizers, written to match the
 * Rust `char` predicates that Hugging Face `tokenizers` uses (so golden tests agree):
 * `char::is_whitespace` (Unicode White_Space), BERT's `is_control`, `is_punctuation`,
 * `is_chinese_char` (google-research/bert `tokenization.py`).
 */

/** Unicode White_Space, the set Rust's `char::is_whitespace` and Oniguruma's `\s` use. */
export const WHITESPACE_CLASS = '\\t-\\r \\x85\\xA0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const WS_RE = new RegExp(`^[${WHITESPACE_CLASS}]$`, 'u');

export function isWhitespace(ch: string): boolean {
  const c = ch.charCodeAt(0);
  if (c < 128) return c === 32 || (c >= 9 && c <= 13);
  return WS_RE.test(ch);
}

/** BERT: whitespace for the basic tokenizer (tab, newline, CR count as whitespace, not control). */
export function isBertWhitespace(ch: string): boolean {
  if (ch === ' ' || ch === '\t' || ch === '\n' || ch === '\r') return true;
  return /^\p{Zs}$/u.test(ch);
}

/**
 * BERT: control characters other than tab/newline/CR. HF's `is_control` is Rust's
 * `unicode_categories` `is_other`: Cc, Cf, Co, Cs — not Cn, so unassigned code points
 * (U+0378, U+FFFE, U+10FFFF) are kept (the WordPiece model then maps the word to [UNK]).
 */
export function isBertControl(ch: string): boolean {
  if (ch === '\t' || ch === '\n' || ch === '\r') return false;
  const c = ch.charCodeAt(0);
  if (c < 128) return c < 32 || c === 127;
  return /^[\p{Cc}\p{Cf}\p{Co}\p{Cs}]$/u.test(ch);
}

/** BERT: ASCII non-alphanumerics count as punctuation as well as Unicode P*. */
export function isBertPunctuation(ch: string): boolean {
  const c = ch.codePointAt(0)!;
  if ((c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126)) return true;
  return /^\p{P}$/u.test(ch);
}

/** CJK Unified Ideographs blocks, as BERT defines them (not Hangul, not kana). */
export function isChineseChar(c: number): boolean {
  return (
    (c >= 0x4e00 && c <= 0x9fff) ||
    (c >= 0x3400 && c <= 0x4dbf) ||
    (c >= 0x20000 && c <= 0x2a6df) ||
    (c >= 0x2a700 && c <= 0x2b73f) ||
    (c >= 0x2b740 && c <= 0x2b81f) ||
    (c >= 0x2b820 && c <= 0x2ceaf) ||
    (c >= 0xf900 && c <= 0xfaff) ||
    (c >= 0x2f800 && c <= 0x2fa1f)
  );
}

const MN_RE = /^\p{Mn}$/u;
export function isNonSpacingMark(ch: string): boolean {
  return ch.charCodeAt(0) >= 0x300 && MN_RE.test(ch);
}

/** Length in UTF-16 units of the code point starting at `s[i]`. */
export function cpLen(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  return 1;
}
