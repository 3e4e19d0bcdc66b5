/**
 * Added and special tokens (HF `AddedVocabulary`): they are matched in the raw input before
 * normalization and pre-tokenization, and never split. Special tokens are matched only when
 * the caller allows them (tiktoken's safe default: special-token text is plain text).
 */
import { escapeRegExp } from './normalizers.js';
import { isWhitespace } from './internal/unicode.js';

export interface AddedTokenOptions {
  /** @default false — special tokens are skipped by `decode({ skipSpecialTokens })` */
  special?: boolean;
  /** @default false — only match as a whole word */
  singleWord?: boolean;
  /** @default false — the match eats whitespace on its left (RoBERTa's `<mask>`) */
  lstrip?: boolean;
  /** @default false — the match eats whitespace on its right */
  rstrip?: boolean;
  /**
   * @default !special — true: matched in the normalized text, the token's content normalized
   * too (a lowercasing tokenizer then matches "Hello" for an added "hello"), as HF does;
   * false: matched in the raw input before normalization
   */
  normalized?: boolean;
}

export interface AddedToken {
  id: number;
  content: string;
  special: boolean;
  singleWord: boolean;
  lstrip: boolean;
  rstrip: boolean;
  normalized: boolean;
}

/** A piece of input text: either an added token (id >= 0) or text for the pipeline (id = -1). */
export interface Segment {
  start: number;
  end: number;
  id: number;
}

export type AllowedSpecial = 'all' | 'none' | Iterable<string>;

const WORD_CHAR = /[\p{L}\p{N}\p{M}_]/u;

export class AddedVocabulary {
  readonly tokens: AddedToken[] = [];
  private readonly byContent = new Map<string, AddedToken>();
  private readonly byId = new Map<number, AddedToken>();
  private reCache = new Map<string, Matcher | null>();

  get size(): number {
    return this.tokens.length;
  }

  add(token: AddedToken): void {
    const old = this.byContent.get(token.content);
    if (old !== undefined) {
      this.byId.delete(old.id);
      Object.assign(old, token);
      this.byId.set(old.id, old);
    } else {
      this.tokens.push(token);
      this.byContent.set(token.content, token);
      this.byId.set(token.id, token);
    }
    this.reCache.clear();
  }

  get(content: string): AddedToken | undefined {
    return this.byContent.get(content);
  }

  getById(id: number): AddedToken | undefined {
    return this.byId.get(id);
  }

  isSpecialId(id: number): boolean {
    return this.byId.get(id)?.special === true;
  }

  /**
   * Split `text` into added-token matches and plain segments. `which`: match all tokens,
   * only the raw ones (`normalized: false`), or only the normalized ones, whose contents
   * are first passed through `normalize`.
   */
  split(
    text: string,
    allowed: AllowedSpecial,
    which: 'all' | 'raw' | 'normalized' = 'all',
    normalize: (s: string) => string = (s) => s,
  ): Segment[] {
    const matcher = this.regexFor(allowed, which, normalize);
    if (matcher === null) return [{ start: 0, end: text.length, id: -1 }];
    const { re, byContent } = matcher;
    const out: Segment[] = [];
    let last = 0;
    re.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = re.exec(text)) !== null) {
      const tok = byContent.get(m[0])!;
      let a = m.index;
      let b = a + m[0].length;
      if (tok.singleWord) {
        const before = a > 0 ? text[a - 1]! : '';
        const after = b < text.length ? text[b]! : '';
        if ((before && WORD_CHAR.test(before)) || (after && WORD_CHAR.test(after))) continue;
      }
      if (tok.lstrip) while (a > last && isWhitespace(text[a - 1]!)) a--;
      if (tok.rstrip) while (b < text.length && isWhitespace(text[b]!)) b++;
      if (a > last) out.push({ start: last, end: a, id: -1 });
      out.push({ start: a, end: b, id: tok.id });
      last = b;
      re.lastIndex = b;
    }
    if (last < text.length || out.length === 0) out.push({ start: last, end: text.length, id: -1 });
    return out;
  }

  private regexFor(
    allowed: AllowedSpecial,
    which: 'all' | 'raw' | 'normalized',
    normalize: (s: string) => string,
  ): Matcher | null {
    let key: string;
    let allow: Set<string> | 'all' | 'none';
    if (allowed === 'all' || allowed === 'none') {
      key = allowed as string;
      allow = allowed as 'all' | 'none';
    } else {
      allow = new Set(allowed as Iterable<string>);
      key = JSON.stringify([...allow].sort());
    }
    key = `${which}:${key}`;
    const cached = this.reCache.get(key);
    if (cached !== undefined && (which !== 'normalized' || this.normalizeFn === normalize)) return cached;
    if (which === 'normalized') {
      if (this.normalizeFn !== normalize)
        for (const k of [...this.reCache.keys()]) if (k.startsWith('normalized:')) this.reCache.delete(k);
      this.normalizeFn = normalize;
    }
    const byContent = new Map<string, AddedToken>();
    for (const t of this.tokens) {
      if (t.content.length === 0) continue;
      if (t.special && allow !== 'all' && (allow === 'none' || !allow.has(t.content))) continue;
      if (which === 'raw' && t.normalized) continue;
      if (which === 'normalized' && !t.normalized) continue;
      const c = which === 'normalized' ? normalize(t.content) : t.content;
      if (c.length > 0 && !byContent.has(c)) byContent.set(c, t);
    }
    // longest first: alternation then behaves as leftmost-longest (HF uses Aho-Corasick LeftmostLongest)
    const contents = [...byContent.keys()].sort((x, y) => y.length - x.length);
    const m = contents.length === 0 ? null : { re: new RegExp(contents.map(escapeRegExp).join('|'), 'gu'), byContent };
    if (this.reCache.size > 16) this.reCache.clear();
    this.reCache.set(key, m);
    return m;
  }

  private normalizeFn: ((s: string) => string) | null = null;
}

interface Matcher {
  re: RegExp;
  byContent: Map<string, AddedToken>;
}
