/**
 * Decoders turn tokens back into text (HF `decoders/*.rs`, `decode_chain` semantics: each
 * decoder maps the token list, the tokenizer joins the result).
 */
import { CHAR_TO_BYTE } from './internal/byte-level.js';

export interface Decoder {
  readonly type: string;
  /** Map tokens to text pieces; the tokenizer joins them with ''. */
  decodeChain(tokens: string[]): string[];
  toJSON(): Record<string, unknown>;
}

// ignoreBOM: a leading U+FEFF is text (HF keeps it); TextDecoder drops it by default
const utf8Lossy = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });
const utf8Strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** GPT-2 byte-level: token chars -> bytes -> UTF-8 (invalid sequences become U+FFFD). */
export class ByteLevelDecoder implements Decoder {
  readonly type = 'ByteLevel';
  decodeChain(tokens: string[]): string[] {
    const bytes: number[] = [];
    for (const t of tokens) {
      let ok = true;
      const start = bytes.length;
      for (let i = 0; i < t.length; i++) {
        const c = t.charCodeAt(i);
        const b = c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c]! : -1;
        if (b < 0) {
          ok = false;
          break;
        }
        bytes.push(b);
      }
      if (!ok) {
        // a token that is not byte-level text (an added token) is kept as its UTF-8 bytes, as HF does
        bytes.length = start;
        for (const b of new TextEncoder().encode(t)) bytes.push(b);
      }
    }
    return [utf8Lossy.decode(Uint8Array.from(bytes))];
  }
  toJSON(): Record<string, unknown> {
    return { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  }
}

export interface WordPieceDecoderOptions {
  /** @default '##' */
  prefix?: string;
  /** @default true — BERT's clean-up of spaces before punctuation and contractions */
  cleanup?: boolean;
}

export function cleanupSpaces(s: string): string {
  return s
    .replaceAll(' .', '.')
    .replaceAll(' ?', '?')
    .replaceAll(' !', '!')
    .replaceAll(' ,', ',')
    .replaceAll(" ' ", "'")
    .replaceAll(" n't", "n't")
    .replaceAll(" 'm", "'m")
    .replaceAll(' do not', " don't")
    .replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve")
    .replaceAll(" 're", "'re");
}

export class WordPieceDecoder implements Decoder {
  readonly type = 'WordPiece';
  readonly prefix: string;
  readonly cleanup: boolean;
  constructor(options: WordPieceDecoderOptions = {}) {
    this.prefix = options.prefix ?? '##';
    this.cleanup = options.cleanup ?? true;
  }
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let s = t;
      if (i !== 0) s = s.startsWith(this.prefix) ? s.slice(this.prefix.length) : ' ' + s;
      return this.cleanup ? cleanupSpaces(s) : s;
    });
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, prefix: this.prefix, cleanup: this.cleanup };
  }
}

export interface MetaspaceDecoderOptions {
  /** @default '▁' */
  replacement?: string;
  /** @default 'always' — drop the space the pre-tokenizer prepended */
  prependScheme?: 'always' | 'first' | 'never';
  /** @default true */
  split?: boolean;
}

export class MetaspaceDecoder implements Decoder {
  readonly type = 'Metaspace';
  readonly replacement: string;
  readonly prependScheme: 'always' | 'first' | 'never';
  readonly split: boolean;
  constructor(options: MetaspaceDecoderOptions = {}) {
    this.replacement = options.replacement ?? '\u2581';
    this.prependScheme = options.prependScheme ?? 'always';
    this.split = options.split ?? true;
  }
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => {
      let s = t.replaceAll(this.replacement, ' ');
      if (i === 0 && this.prependScheme !== 'never' && s.startsWith(' ')) s = s.slice(1);
      return s;
    });
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, replacement: this.replacement, prepend_scheme: this.prependScheme, split: this.split };
  }
}

/** Original subword-nmt BPE: the end-of-word suffix becomes a space. */
export class BPEDecoder implements Decoder {
  readonly type = 'BPEDecoder';
  /** @default '</w>' */
  constructor(readonly suffix = '</w>') {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t, i) => t.replaceAll(this.suffix, i === tokens.length - 1 ? '' : ' '));
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, suffix: this.suffix };
  }
}

/** `<0xNN>` tokens back to bytes (Llama/sentencepiece byte fallback). */
export class ByteFallbackDecoder implements Decoder {
  readonly type = 'ByteFallback';
  decodeChain(tokens: string[]): string[] {
    const out: string[] = [];
    let pending: number[] = [];
    const flush = (): void => {
      if (pending.length === 0) return;
      const s = utf8Lossy.decode(Uint8Array.from(pending));
      let valid = true;
      try {
        utf8Strict.decode(Uint8Array.from(pending));
      } catch {
        valid = false;
      }
      if (valid) out.push(s);
      else for (let i = 0; i < pending.length; i++) out.push('\ufffd');
      pending = [];
    };
    for (const t of tokens) {
      const m = /^<0x([0-9A-F]{2})>$/.exec(t);
      if (m) pending.push(parseInt(m[1]!, 16));
      else {
        flush();
        out.push(t);
      }
    }
    flush();
    return out;
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

export class FuseDecoder implements Decoder {
  readonly type = 'Fuse';
  decodeChain(tokens: string[]): string[] {
    return [tokens.join('')];
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type };
  }
}

export class ReplaceDecoder implements Decoder {
  readonly type = 'Replace';
  constructor(
    readonly pattern: string,
    readonly content: string,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => t.replaceAll(this.pattern, this.content));
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, pattern: { String: this.pattern }, content: this.content };
  }
}

export class StripDecoder implements Decoder {
  readonly type = 'Strip';
  constructor(
    readonly content: string,
    readonly start: number,
    readonly stop: number,
  ) {}
  decodeChain(tokens: string[]): string[] {
    return tokens.map((t) => {
      let a = 0;
      let b = t.length;
      for (let i = 0; i < this.start && t.startsWith(this.content, a); i++) a += this.content.length;
      for (let i = 0; i < this.stop && b - this.content.length >= a && t.endsWith(this.content, b); i++)
        b -= this.content.length;
      return t.slice(a, b);
    });
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, content: this.content, start: this.start, stop: this.stop };
  }
}

export class DecoderSequence implements Decoder {
  readonly type = 'Sequence';
  constructor(readonly decoders: Decoder[]) {}
  decodeChain(tokens: string[]): string[] {
    let cur = tokens;
    for (const d of this.decoders) cur = d.decodeChain(cur);
    return cur;
  }
  toJSON(): Record<string, unknown> {
    return { type: this.type, decoders: this.decoders.map((d) => d.toJSON()) };
  }
}

export const decoders = {
  byteLevel: (): Decoder => new ByteLevelDecoder(),
  wordPiece: (options?: WordPieceDecoderOptions): Decoder => new WordPieceDecoder(options),
  metaspace: (options?: MetaspaceDecoderOptions): Decoder => new MetaspaceDecoder(options),
  bpe: (options: { suffix?: string } = {}): Decoder => new BPEDecoder(options.suffix),
  byteFallback: (): Decoder => new ByteFallbackDecoder(),
  fuse: (): Decoder => new FuseDecoder(),
  replace: (options: { pattern: string; content: string }): Decoder =>
    new ReplaceDecoder(options.pattern, options.content),
  strip: (options: { content: string; start: number; stop: number }): Decoder =>
    new StripDecoder(options.content, options.start, options.stop),
  sequence: (list: Decoder[]): Decoder => new DecoderSequence(list),
};
