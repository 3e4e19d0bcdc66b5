/**
 * Masks: from sequence lengths, causal (1 = may attend), and padding → attention masks.
 * Batch-first everywhere: `[B, T]`.
 *
 * The project's convention is 1/true = a real token, may attend (what {@link sequenceMask},
 * {@link causalMask}, the data package's collated `mask` and `attention()` use). PyTorch's `key_padding_mask` is the
 * opposite (true = padding), and a bool mask of either kind looks the same, so a mask passed
 * where the other convention is expected would silently attend only to padding. Masks made
 * here therefore carry their convention ({@link maskConvention}), and functions that take a
 * mask check it ({@link checkMaskConvention}) and throw, naming the convention they expect.
 */
import * as tf from '@tensorflow/tfjs-core';

export type MaskDtype = 'float32' | 'bool' | 'int32';

/** What a 1/true entry of a `[B, T]` mask means: `'real'` = a real token, `'padding'` = padding. */
export type MaskConvention = 'real' | 'padding';

// Tensors are objects: their convention rides along in a WeakMap (no leak, no tensor field).
const conventions = new WeakMap<tf.Tensor, MaskConvention>();

/** Records what 1/true means in `mask` (for masks built by hand or by other ops); returns `mask`. */
export function markMask<T extends tf.Tensor>(mask: T, convention: MaskConvention): T {
  if (convention !== 'real' && convention !== 'padding')
    throw new Error(`markMask: convention = ${String(convention)} must be 'real' or 'padding'`);
  conventions.set(mask, convention);
  return mask;
}

/**
 * The convention `mask` was made with: `'real'` for {@link sequenceMask} (and the data
 * package's collated masks), `'padding'` for {@link paddingMask}, or what {@link markMask}
 * recorded; `undefined` for any other tensor (including ones derived from a mask by an op).
 */
export function maskConvention(mask: tf.Tensor): MaskConvention | undefined {
  return conventions.get(mask);
}

const MEANING: Record<MaskConvention, string> = {
  real: '1/true = real token, may attend (sequenceMask, causalMask, a collated batch mask)',
  padding: "1/true = padding, masked out (PyTorch's key_padding_mask and bool attn_mask; paddingMask)",
};

/**
 * Throws when `mask` is known to follow the other convention than `expected`. Unmarked masks
 * pass (their meaning is the caller's word). For functions that take masks.
 * @param fn the function name for the message @param name the argument name
 * @param hint what to do instead, appended to the message (e.g. "pass it as keyMask")
 * @throws `${fn}: ${name} expects <expected>, but this mask was made with <other>; <hint>`
 */
export function checkMaskConvention(
  fn: string,
  name: string,
  mask: tf.Tensor,
  expected: MaskConvention,
  hint?: string,
): void {
  const got = conventions.get(mask);
  if (got === undefined || got === expected) return;
  throw new Error(
    `${fn}: ${name} expects ${MEANING[expected]}, but this mask was made with ${MEANING[got]}` +
      (hint ? `; ${hint}` : ''),
  );
}

/** Options of {@link sequenceMask} and {@link paddingMask}. */
export interface SequenceMaskOptions {
  /** T, the number of positions. @default max(lengths) */
  maxLen?: number;
  /** @default 'float32' (multiplies straight into losses and outputs) */
  dtype?: MaskDtype;
  /** Where the real tokens sit: `'right'` padding puts them first, `'left'` last. @default 'right' */
  padding?: 'right' | 'left';
  /** When given, the number of lengths must equal it (the batch size B). @default not checked */
  batchSize?: number;
  /** The function named in error messages. @default 'sequenceMask' / 'paddingMask' */
  caller?: string;
}

function lengthsArray(lengths: tf.Tensor | ArrayLike<number>, fn: string): ArrayLike<number> {
  if (lengths instanceof tf.Tensor) {
    if (lengths.rank !== 1) throw new Error(`${fn}: lengths must be 1-D, got shape [${lengths.shape.join(', ')}]`);
    return lengths.dataSync();
  }
  return lengths;
}

/** A typed array a mask's values are written into. */
export type MaskArray = Float32Array | Int32Array | Uint8Array;

/**
 * Checks the lengths and options, then writes the `[B, T]` mask into `out` (or a fresh array of
 * the dtype's type): `value` at the real tokens, the other at the padding. Returns the array and T.
 */
function writeLengthsMask(
  out: MaskArray | null,
  lens: ArrayLike<number>,
  opts: SequenceMaskOptions,
  fn: string,
  value: 0 | 1,
): { array: MaskArray; B: number; T: number } {
  const B = lens.length;
  if (opts.batchSize !== undefined && B !== opts.batchSize)
    throw new Error(`${fn}: lengths has ${B} entries but the batch size is ${opts.batchSize}`);
  let max = 0;
  for (let b = 0; b < B; b++) {
    const l = lens[b];
    if (!Number.isInteger(l) || l < 0) throw new Error(`${fn}: lengths[${b}] = ${l} is not a non-negative integer`);
    if (l > max) max = l;
  }
  const T = opts.maxLen ?? max;
  if (!Number.isInteger(T) || T < 0) throw new Error(`${fn}: maxLen = ${T} is not a non-negative integer`);
  const side = opts.padding ?? 'right';
  if (side !== 'right' && side !== 'left')
    throw new Error(`${fn}: padding = ${String(side)} must be 'right' or 'left'`);
  let v: MaskArray;
  if (out === null) {
    const dtype = opts.dtype ?? 'float32';
    if (dtype !== 'float32' && dtype !== 'int32' && dtype !== 'bool')
      throw new Error(`${fn}: dtype = ${String(dtype)} must be 'float32', 'int32' or 'bool'`);
    v =
      dtype === 'float32' ? new Float32Array(B * T) : dtype === 'int32' ? new Int32Array(B * T) : new Uint8Array(B * T);
    if (value === 0) v.fill(1);
  } else {
    if (out.length < B * T) throw new Error(`${fn}: out has ${out.length} elements, fewer than B × T = ${B * T}`);
    v = out;
  }
  const fresh = out === null; // a fresh array already holds the padding value everywhere
  const other = value === 0 ? 1 : 0;
  for (let b = 0; b < B; b++) {
    const l = lens[b];
    if (l > T) throw new Error(`${fn}: lengths[${b}] = ${l} must be an integer in [0, T = ${T}]`);
    const row = b * T;
    const s = row + (side === 'left' ? T - l : 0);
    if (!fresh) {
      // One pass per row over a reused array: the padding part, then the real part.
      if (side === 'left') v.fill(other, row, s);
      else v.fill(other, s + l, row + T);
    }
    v.fill(value, s, s + l);
  }
  return { array: v, B, T };
}

function lengthsMask(
  lengths: tf.Tensor | ArrayLike<number>,
  opts: SequenceMaskOptions,
  fn: string,
  value: 0 | 1,
): tf.Tensor2D {
  const { array, B, T } = writeLengthsMask(null, lengthsArray(lengths, fn), opts, fn, value);
  return tf.tensor2d(array, [B, T], opts.dtype ?? 'float32');
}

/**
 * Writes the values of {@link sequenceMask} (1 at the real tokens, 0 at the padding) into the
 * first `B × T` elements of `out`, a plain typed array, with the same checks and the same options
 * (`dtype` is ignored: the array's type is the dtype). Returns T. For code that builds tensors
 * from arrays it reuses, as `@wordloom/data`'s collators do on the wasm backend; turn the result
 * into a mask with `markMask(tf.tensor2d(out.subarray(0, B * T), [B, T], dtype), 'real')`.
 * @throws as {@link sequenceMask}, and if `out` holds fewer than `B × T` elements
 */
export function fillSequenceMask(
  out: MaskArray,
  lengths: ArrayLike<number>,
  options: SequenceMaskOptions = {},
): number {
  return writeLengthsMask(out, lengths, options, options.caller ?? 'fillSequenceMask', 1).T;
}

/**
 * `[B, T]` mask with 1 at the real tokens: `t < lengths[b]` (or the last `lengths[b]`
 * positions with `padding: 'left'`). The project's mask convention; the inverse of PyTorch's
 * key-padding mask. The result is marked `'real'` ({@link maskConvention}).
 *
 * Two call forms: `sequenceMask(lengths, maxLen?, dtype?)` or `sequenceMask(lengths, options)`.
 * @param lengths one length per row
 * @throws if a length is negative, not an integer, or exceeds `maxLen`; if `batchSize` mismatches
 */
export function sequenceMask(lengths: tf.Tensor1D | ArrayLike<number>, maxLen?: number, dtype?: MaskDtype): tf.Tensor2D;
export function sequenceMask(lengths: tf.Tensor1D | ArrayLike<number>, options: SequenceMaskOptions): tf.Tensor2D;
export function sequenceMask(
  lengths: tf.Tensor1D | ArrayLike<number>,
  maxLenOrOptions?: number | SequenceMaskOptions,
  dtype?: MaskDtype,
): tf.Tensor2D {
  const opts: SequenceMaskOptions =
    typeof maxLenOrOptions === 'object' && maxLenOrOptions !== null
      ? maxLenOrOptions
      : { maxLen: maxLenOrOptions, dtype };
  return markMask(lengthsMask(lengths, opts, opts.caller ?? 'sequenceMask', 1), 'real');
}

/**
 * `[B, T]` mask with 1 at the padding positions (PyTorch's `key_padding_mask` convention,
 * what `MultiHeadAttention`'s `keyPaddingMask` takes): the complement of
 * {@link sequenceMask} with the same options. The result is marked `'padding'`.
 * @throws as {@link sequenceMask}
 */
export function paddingMask(lengths: tf.Tensor1D | ArrayLike<number>, options: SequenceMaskOptions = {}): tf.Tensor2D {
  return markMask(lengthsMask(lengths, options, options.caller ?? 'paddingMask', 0), 'padding');
}

/**
 * `[T, T]` mask with 1 where key j may be seen from query i, i.e. j <= i; marked `'real'` (1 = may attend).
 * @param dtype @default 'float32'
 */
export function causalMask(T: number, dtype: MaskDtype = 'float32'): tf.Tensor2D {
  if (!Number.isInteger(T) || T < 0) throw new Error(`causalMask: T = ${T} is not a non-negative integer`);
  const v = dtype === 'float32' ? new Float32Array(T * T) : new Int32Array(T * T);
  for (let i = 0; i < T; i++) v.fill(1, i * T, i * T + i + 1);
  if (dtype === 'bool')
    return markMask(
      tf.tidy(() => tf.cast(tf.tensor2d(v, [T, T], 'int32'), 'bool')),
      'real',
    );
  return markMask(tf.tensor2d(v, [T, T], dtype), 'real');
}

export interface AttentionMaskOptions {
  /** Also forbid attending to later positions (decoder self-attention; needs Tq = Tk). @default false */
  causal?: boolean;
  /** Tq, the number of queries. @default Tk (self-attention) */
  queryLength?: number;
  /**
   * Return an additive mask (0 where allowed, this value where not) to add to attention
   * scores before the softmax, instead of a 1/0 mask. @default none (1/0 float32 mask)
   */
  additive?: number;
}

/**
 * Padding mask `[B, Tk]` (1 = real key) → attention mask `[B, 1, Tq, Tk]` that broadcasts
 * over heads: 1 where query i may attend to key j (or 0 / `additive` when additive).
 * @throws when `keyMask` was made by {@link paddingMask} (1 = padding): this takes 1 = real key
 */
export function paddingToAttentionMask(keyMask: tf.Tensor, opts: AttentionMaskOptions = {}): tf.Tensor4D {
  const fn = 'paddingToAttentionMask';
  if (keyMask.rank !== 2) throw new Error(`${fn}: keyMask must be [B, Tk], got shape [${keyMask.shape.join(', ')}]`);
  checkMaskConvention(fn, 'keyMask', keyMask, 'real', 'pass sequenceMask(lengths) instead');
  const [B, Tk] = keyMask.shape;
  const Tq = opts.queryLength ?? Tk;
  if (!Number.isInteger(Tq) || Tq < 0) throw new Error(`${fn}: queryLength = ${Tq} is not a non-negative integer`);
  if (opts.causal && Tq !== Tk)
    throw new Error(`${fn}: causal needs queryLength = Tk, got queryLength = ${Tq}, Tk = ${Tk}`);
  return tf.tidy(() => {
    let m = tf.reshape(tf.cast(tf.notEqual(keyMask, 0), 'float32'), [B, 1, 1, Tk]);
    m = tf.mul(m, tf.ones([B, 1, Tq, Tk]));
    if (opts.causal) m = tf.mul(m, tf.reshape(causalMask(Tk), [1, 1, Tk, Tk]));
    if (opts.additive !== undefined) m = tf.mul(tf.sub(1, m), opts.additive);
    return m as tf.Tensor4D;
  });
}
