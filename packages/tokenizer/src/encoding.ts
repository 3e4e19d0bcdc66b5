/**
 * The result of encoding, and the truncation and padding rules of Hugging Face
 * `tokenizers` (`tokenizer/encoding.rs`, `utils/truncation.rs`, `utils/padding.rs`).
 */

export interface Encoding {
  /** Token ids. */
  ids: Int32Array;
  /** Token strings (the vocabulary's spelling, e.g. `Ġworld`, `##ing`). */
  tokens: string[];
  /** [start, end) of each token in the ORIGINAL input, in UTF-16 code units (JS string indices); [0, 0] for added specials and pads. */
  offsets: Array<[number, number]>;
  /** 1 where the post-processor added a special token (or padding). */
  specialTokensMask: Uint8Array;
  /** 1 for real tokens, 0 for padding. */
  attentionMask: Uint8Array;
  /** Segment ids (0 for the first sequence, 1 for the pair in BERT templates). */
  typeIds: Uint8Array;
  /** Which input each token came from: 0, 1, or -1 for added specials and pads. */
  sequenceIds: Int8Array;
  /** Windows cut off by truncation (only when truncation made them). */
  overflowing: Encoding[];
}

/** Mutable working form. */
export interface Enc {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  special: number[];
  attention: number[];
  typeIds: number[];
  seq: number[];
  overflowing: Enc[];
}

export function emptyEnc(): Enc {
  return { ids: [], tokens: [], offsets: [], special: [], attention: [], typeIds: [], seq: [], overflowing: [] };
}

export function freeze(e: Enc): Encoding {
  return {
    ids: Int32Array.from(e.ids),
    tokens: e.tokens,
    offsets: e.offsets,
    specialTokensMask: Uint8Array.from(e.special),
    attentionMask: Uint8Array.from(e.attention),
    typeIds: Uint8Array.from(e.typeIds),
    sequenceIds: Int8Array.from(e.seq),
    overflowing: e.overflowing.map(freeze),
  };
}

function sliceEnc(e: Enc, a: number, b: number): Enc {
  return {
    ids: e.ids.slice(a, b),
    tokens: e.tokens.slice(a, b),
    offsets: e.offsets.slice(a, b),
    special: e.special.slice(a, b),
    attention: e.attention.slice(a, b),
    typeIds: e.typeIds.slice(a, b),
    seq: e.seq.slice(a, b),
    overflowing: [],
  };
}

export type TruncationDirection = 'right' | 'left';

/**
 * Cut `e` to `maxLength` tokens; the rest becomes overflowing windows of `maxLength` tokens
 * that overlap the previous window by `stride` tokens (HF `Encoding::truncate`).
 */
export function truncateEnc(e: Enc, maxLength: number, stride: number, direction: TruncationDirection): void {
  const n = e.ids.length;
  if (n <= maxLength) return;
  if (maxLength === 0) {
    const whole = sliceEnc(e, 0, n);
    Object.assign(e, sliceEnc(e, 0, 0));
    e.overflowing = [whole];
    return;
  }
  if (stride >= maxLength)
    throw new Error(`truncate: stride = ${stride} must be smaller than maxLength = ${maxLength}`);
  const step = maxLength - stride;
  const parts: Array<[number, number]> = [];
  if (direction === 'right') {
    for (let start = 0; ; start += step) {
      const stop = Math.min(start + maxLength, n);
      parts.push([start, stop]);
      if (stop === n) break;
    }
  } else {
    for (let stop = n; ; stop -= step) {
      const start = Math.max(stop - maxLength, 0);
      parts.push([start, stop]);
      if (start === 0) break;
    }
  }
  const pieces = parts.map(([a, b]) => sliceEnc(e, a, b));
  const first = pieces.shift()!;
  Object.assign(e, first);
  e.overflowing = pieces;
}

export type TruncationStrategy = 'longest_first' | 'only_first' | 'only_second';

export interface TruncationOptions {
  /** Maximum total length including the special tokens the post-processor adds. */
  maxLength: number;
  /** @default 'longest_first' — HF's default: shortens the longer of a pair first */
  strategy?: TruncationStrategy;
  /** @default 0 — overlap between overflowing windows */
  stride?: number;
  /** @default 'right' — cut the end */
  direction?: TruncationDirection;
}

/** HF `truncate_encodings`. `maxLength` here excludes the post-processor's added tokens. */
export function truncatePair(a: Enc, b: Enc | null, maxLength: number, opts: TruncationOptions): void {
  const strategy = opts.strategy ?? 'longest_first';
  const stride = opts.stride ?? 0;
  const dir = opts.direction ?? 'right';
  const total = a.ids.length + (b === null ? 0 : b.ids.length);
  if (total <= maxLength) return;
  const toRemove = total - maxLength;
  if (strategy === 'longest_first') {
    if (b === null) {
      truncateEnc(a, maxLength, stride, dir);
      return;
    }
    let n1 = a.ids.length;
    let n2 = b.ids.length;
    let swap = false;
    if (n1 > n2) {
      swap = true;
      [n1, n2] = [n2, n1];
    }
    if (n1 > maxLength) n2 = n1;
    else n2 = Math.max(n1, maxLength - n1);
    if (n1 + n2 > maxLength) {
      n1 = Math.floor(maxLength / 2);
      n2 = n1 + (maxLength % 2);
    }
    if (swap) [n1, n2] = [n2, n1];
    truncateEnc(a, n1, stride, dir);
    truncateEnc(b, n2, stride, dir);
    return;
  }
  const target = strategy === 'only_first' ? a : b;
  if (target === null)
    throw new Error(`truncate: strategy 'only_second' needs a pair, but only one sequence was given`);
  if (target.ids.length <= toRemove) {
    throw new Error(
      `truncate: strategy '${strategy}' must remove ${toRemove} tokens but that sequence has only ${target.ids.length}; use 'longest_first' or a larger maxLength`,
    );
  }
  truncateEnc(target, target.ids.length - toRemove, stride, dir);
}

export interface PadSpec {
  length: number;
  padId: number;
  padToken: string;
  padTypeId: number;
  side: 'right' | 'left';
}

export function padEnc(e: Enc, p: PadSpec): void {
  for (const o of e.overflowing) padEnc(o, p);
  const k = p.length - e.ids.length;
  if (k <= 0) return;
  const fill = <T>(arr: T[], v: T): void => {
    const pad = new Array<T>(k).fill(v);
    const joined = p.side === 'right' ? arr.concat(pad) : pad.concat(arr);
    arr.length = 0;
    for (let i = 0; i < joined.length; i++) arr.push(joined[i]!);
  };
  fill(e.ids, p.padId);
  fill(e.tokens, p.padToken);
  const offs = Array.from({ length: k }, (): [number, number] => [0, 0]);
  e.offsets = p.side === 'right' ? e.offsets.concat(offs) : offs.concat(e.offsets);
  fill(e.special, 1);
  fill(e.attention, 0);
  fill(e.typeIds, p.padTypeId);
  fill(e.seq, -1);
}

/** Concatenate encodings (HF `Encoding::merge` without growing offsets). */
export function concatEnc(list: Enc[]): Enc {
  if (list.length === 1) return { ...list[0]!, overflowing: [] };
  // concat, not push(...xs): spreading a million-token array overflows the call stack
  const out = emptyEnc();
  out.ids = out.ids.concat(...list.map((e) => e.ids));
  out.tokens = out.tokens.concat(...list.map((e) => e.tokens));
  out.offsets = out.offsets.concat(...list.map((e) => e.offsets));
  out.special = out.special.concat(...list.map((e) => e.special));
  out.attention = out.attention.concat(...list.map((e) => e.attention));
  out.typeIds = out.typeIds.concat(...list.map((e) => e.typeIds));
  out.seq = out.seq.concat(...list.map((e) => e.seq));
  return out;
}
