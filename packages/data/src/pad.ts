/**
 * Padding of variable-length sequences into one `[B, T]` row-major buffer, on typed arrays.
 * Reference: PyTorch `torch.nn.utils.rnn.pad_sequence(batch_first=True, padding_value,
 * padding_side)` and the `padding`/`truncation`/`pad_to_multiple_of` options of Hugging Face
 * tokenizers. Golden fixtures: `tooling/golden/data/make_fixtures.py`.
 */
import { checkPositiveInt, describe } from './internal/check.js';

/** Which end of a row receives the padding (or loses tokens to truncation). */
export type Side = 'right' | 'left';

/** Options of {@link padSequences}. */
export interface PadOptions {
  /**
   * The value written at padded positions — the tokenizer's pad id. Required: pad ids come from
   * the vocabulary and are never assumed.
   */
  padValue: number;
  /**
   * Where padding goes. `'left'` is what decoder-only generation wants (the last real token at
   * the end of every row).
   * @default 'right' — PyTorch's `pad_sequence` default, what packed RNNs expect.
   */
  paddingSide?: Side;
  /** The longest row allowed; longer sequences are truncated (see `truncation`). Integer >= 1. */
  maxLength?: number;
  /**
   * Which end loses tokens when a sequence is longer than `maxLength`; `'error'` throws instead.
   * @default 'right' — keep the beginning of the text, the common choice for classification.
   */
  truncation?: Side | 'error';
  /**
   * `'longest'` pads to the longest sequence of the batch (after truncation); `'maxLength'`
   * always pads to `maxLength` (which is then required).
   * @default 'longest' — no work is wasted on padding beyond the batch's need.
   */
  padding?: 'longest' | 'maxLength';
  /** Round `T` up to a multiple of this (tensor cores and kernels like multiples of 8). */
  padToMultipleOf?: number;
  /**
   * Element type of the output.
   * @default 'int32' — token ids; values are checked to be int32 integers.
   */
  dtype?: 'int32' | 'float32';
}

/** The result of {@link padSequences}: a row-major `[B, T]` buffer and each row's real length. */
export interface PaddedSequences {
  /** Row-major `[B, T]`. */
  data: Int32Array | Float32Array;
  shape: [number, number];
  /** Real (unpadded, after truncation) length of each row, `[B]`. */
  lengths: Int32Array;
}

/** Checks that `seq` is a sequence of numbers (int32 integers if `integer`) and returns it. */
export function checkSequence(
  fn: string,
  name: string | (() => string),
  seq: unknown,
  integer: boolean,
): ArrayLike<number> {
  // `name` may be a function: the label is built only for an error message, not once per example.
  if (!(Array.isArray(seq) || (ArrayBuffer.isView(seq) && !(seq instanceof DataView)))) {
    throw new TypeError(
      `${fn}: ${typeof name === 'function' ? name() : name} must be an array or typed array of numbers, got ${describe(seq)}`,
    );
  }
  const s = seq as ArrayLike<number>;
  if (
    s instanceof Int32Array ||
    s instanceof Int16Array ||
    s instanceof Int8Array ||
    s instanceof Uint16Array ||
    s instanceof Uint8Array
  ) {
    return s;
  }
  for (let j = 0; j < s.length; j++) {
    const v = s[j];
    const bad = typeof v !== 'number' || (integer && (!Number.isInteger(v) || v < -2147483648 || v > 2147483647));
    if (bad) {
      throw new TypeError(
        `${fn}: ${typeof name === 'function' ? name() : name}[${j}] = ${String(v)} is not ${integer ? 'an int32 integer id' : 'a number'}`,
      );
    }
  }
  return s;
}

interface Resolved {
  padValue: number;
  left: boolean;
  maxLength: number;
  truncation: Side | 'error';
  padding: 'longest' | 'maxLength';
  multiple: number;
  dtype: 'int32' | 'float32';
}

export function resolvePadOptions(fn: string, opts: PadOptions | undefined): Resolved {
  if (opts === undefined || opts === null || typeof opts !== 'object') {
    throw new TypeError(
      `${fn}: options with padValue are required (pad ids come from the vocabulary), got ${String(opts)}`,
    );
  }
  const dtype = opts.dtype ?? 'int32';
  if (dtype !== 'int32' && dtype !== 'float32')
    throw new TypeError(`${fn}: dtype must be 'int32' or 'float32', got ${String(dtype)}`);
  const padValue = opts.padValue;
  if (typeof padValue !== 'number' || (dtype === 'int32' && !Number.isInteger(padValue))) {
    throw new TypeError(
      `${fn}: padValue must be ${dtype === 'int32' ? 'an integer id' : 'a number'}, got ${String(padValue)}`,
    );
  }
  const side = opts.paddingSide ?? 'right';
  if (side !== 'right' && side !== 'left')
    throw new TypeError(`${fn}: paddingSide must be 'right' or 'left', got ${String(side)}`);
  const truncation = opts.truncation ?? 'right';
  if (truncation !== 'right' && truncation !== 'left' && truncation !== 'error') {
    throw new TypeError(`${fn}: truncation must be 'right', 'left' or 'error', got ${String(truncation)}`);
  }
  const padding = opts.padding ?? 'longest';
  if (padding !== 'longest' && padding !== 'maxLength')
    throw new TypeError(`${fn}: padding must be 'longest' or 'maxLength', got ${String(padding)}`);
  let maxLength = Infinity;
  if (opts.maxLength !== undefined) maxLength = checkPositiveInt(fn, 'maxLength', opts.maxLength);
  if (padding === 'maxLength' && opts.maxLength === undefined)
    throw new TypeError(`${fn}: padding 'maxLength' needs maxLength`);
  const multiple =
    opts.padToMultipleOf === undefined ? 1 : checkPositiveInt(fn, 'padToMultipleOf', opts.padToMultipleOf);
  return { padValue, left: side === 'left', maxLength, truncation, padding, multiple, dtype };
}

/** Pads (and truncates) sequences into one `[B, T]` buffer; see {@link PadOptions}. */
export function padSequences(seqs: ArrayLike<ArrayLike<number>>, opts: PadOptions): PaddedSequences {
  const fn = 'padSequences';
  const o = resolvePadOptions(fn, opts);
  if (seqs === null || typeof seqs !== 'object' || typeof seqs.length !== 'number') {
    throw new TypeError(`${fn}: seqs must be an array of sequences, got ${describe(seqs)}`);
  }
  const checked: ArrayLike<number>[] = [];
  for (let i = 0; i < seqs.length; i++) checked.push(checkSequence(fn, `seqs[${i}]`, seqs[i], o.dtype === 'int32'));
  return padChecked(fn, checked, o);
}

/** Where {@link padChecked} writes: a fresh zeroed array, or a reused one holding stale values. */
export type PadAlloc = (n: number) => { array: Int32Array | Float32Array; reused: boolean };

/**
 * The padding loop on already-checked sequences (shared with the collators). `alloc` gives the
 * output array (the collators pass a reusable staging array; see internal/staging.ts); by
 * default a fresh one of `o.dtype`.
 */
export function padChecked(fn: string, seqs: ArrayLike<number>[], o: Resolved, alloc?: PadAlloc): PaddedSequences {
  const B = seqs.length;
  if (B === 0) throw new RangeError(`${fn}: cannot pad an empty batch (0 sequences)`);
  const lengths = new Int32Array(B);
  let longest = 0;
  for (let i = 0; i < B; i++) {
    let n = seqs[i].length;
    if (n > o.maxLength) {
      if (o.truncation === 'error') {
        throw new RangeError(
          `${fn}: sequence ${i} has length ${n} > maxLength ${o.maxLength} and truncation is 'error'`,
        );
      }
      n = o.maxLength;
    }
    lengths[i] = n;
    if (n > longest) longest = n;
  }
  let T = o.padding === 'maxLength' ? o.maxLength : longest;
  if (o.multiple > 1) T = Math.ceil(T / o.multiple) * o.multiple;
  const { array: data, reused } = alloc
    ? alloc(B * T)
    : { array: o.dtype === 'int32' ? new Int32Array(B * T) : new Float32Array(B * T), reused: false };
  // A fresh array is already 0: only a reused one, or another pad value, needs the pad cells written.
  const writePad = reused || o.padValue !== 0;
  for (let i = 0; i < B; i++) {
    const s = seqs[i];
    const n = lengths[i];
    const srcStart = n < s.length && o.truncation === 'left' ? s.length - n : 0;
    const dst = i * T + (o.left ? T - n : 0);
    if (writePad) {
      if (o.left) data.fill(o.padValue, i * T, dst);
      else data.fill(o.padValue, dst + n, (i + 1) * T);
    }
    if (ArrayBuffer.isView(s) && (s as Int32Array).subarray) {
      // Whole rows (the usual case) copy without making a subarray view per row.
      data.set(n === s.length ? (s as Int32Array) : (s as Int32Array).subarray(srcStart, srcStart + n), dst);
    } else {
      for (let j = 0; j < n; j++) data[dst + j] = s[srcStart + j];
    }
  }
  return { data, shape: [B, T], lengths };
}

/** Options of {@link unpadSequences}. */
export interface UnpadOptions {
  /** The side the padding was put on. @default 'right' */
  paddingSide?: Side;
}

/** Inverse of {@link padSequences}: each row's real tokens, as copies. */
export function unpadSequences(padded: PaddedSequences, opts: UnpadOptions = {}): Array<Int32Array | Float32Array> {
  const fn = 'unpadSequences';
  const [B, T] = padded.shape;
  if (padded.data.length !== B * T)
    throw new RangeError(`${fn}: data has ${padded.data.length} elements, shape [${B}, ${T}] needs ${B * T}`);
  if (padded.lengths.length !== B)
    throw new RangeError(`${fn}: lengths has ${padded.lengths.length} entries, B = ${B}`);
  const left = (opts.paddingSide ?? 'right') === 'left';
  const out: Array<Int32Array | Float32Array> = [];
  for (let i = 0; i < B; i++) {
    const n = padded.lengths[i];
    if (n < 0 || n > T) throw new RangeError(`${fn}: lengths[${i}] = ${n} outside [0, ${T}]`);
    const start = i * T + (left ? T - n : 0);
    out.push(padded.data.slice(start, start + n));
  }
  return out;
}
