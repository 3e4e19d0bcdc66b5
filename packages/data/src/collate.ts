/**
 * Collators: a list of examples → tensors ready for a model. Batch-first everywhere:
 * `ids [B, T] int32`, `lengths [B] int32`, `mask [B, T]` (1 = real token), labels.
 * References: PyTorch `pad_sequence` + `collate_fn`, `pack_padded_sequence(enforce_sorted=True)`
 * (hence `sortByLength` with the permutation and its inverse), Hugging Face
 * `DataCollatorWithPadding` (`pad_to_multiple_of`) and `DataCollatorForSeq2Seq`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { fillSequenceMask, markMask } from '@wordloom/core';
import { describe } from './internal/check.js';
import { checkSequence, padChecked, resolvePadOptions, type PadAlloc, type PadOptions, type Side } from './pad.js';
import { Staging } from './internal/staging.js';

/** dtype of a mask tensor. */
export type MaskDtype = 'float32' | 'int32' | 'bool';

/** One classification/tagging example: token ids and an optional label. */
export interface Example {
  ids: ArrayLike<number>;
  /** A class id (→ labels `[B]`) or a fixed-size vector (→ labels `[B, K]`). */
  label?: number | ArrayLike<number>;
}

/** Options of {@link padCollate}. */
export interface PadCollateOptions {
  /** The vocabulary's pad id (look it up, e.g. `tokenizer.tokenToId('<pad>')`). Required. */
  padId: number;
  /** @default 'right' — what packed RNNs expect */
  paddingSide?: Side;
  /** Truncate longer sequences to this many tokens (integer >= 1). */
  maxLength?: number;
  /** Which end truncation removes, or `'error'`. @default 'right' — keep the beginning */
  truncation?: Side | 'error';
  /** @default 'longest' — pad to the batch's longest sequence */
  padding?: 'longest' | 'maxLength';
  /** Round T up to a multiple of this. */
  padToMultipleOf?: number;
  /**
   * Reorder the batch by decreasing length (stable), as `pack_padded_sequence(enforce_sorted=True)`
   * needs; the batch then carries `sortIndices` and `unsortIndices`.
   * @default false
   */
  sortByLength?: boolean;
  /** @default 'float32' — multiplies losses and activations directly */
  maskDtype?: MaskDtype;
  /** @default 'int32' — class ids; use 'float32' for regression or soft targets */
  labelDtype?: 'int32' | 'float32';
  /**
   * Per-token labels (tagging): when set, each `label` is an array as long as its `ids`, and is
   * truncated, sorted and padded exactly like the ids, with this value at padded positions →
   * labels `[B, T]`. Unset, array labels must all have one length K → labels `[B, K]`.
   * @default undefined — sequence-level labels
   */
  labelPadValue?: number;
}

/** What {@link padCollate} returns. Dispose with `tf.dispose(batch)`. */
export type PaddedBatch = {
  /** `[B, T]` int32, padded with `padId`. */
  ids: tf.Tensor2D;
  /** `[B]` int32, real lengths (after truncation). */
  lengths: tf.Tensor1D;
  /** `[B, T]`, 1 at real tokens, 0 at padding. */
  mask: tf.Tensor2D;
  /** `[B]` or `[B, K]` if the examples have labels. */
  labels?: tf.Tensor;
  /** With `sortByLength`: row i of the batch is example `sortIndices[i]`. */
  sortIndices?: Int32Array;
  /** With `sortByLength`: example j is row `unsortIndices[j]` (`tf.gather(out, unsortIndices)` restores input order). */
  unsortIndices?: Int32Array;
};

function idsOf(fn: string, ex: unknown, i: number, key: string): ArrayLike<number> {
  if (Array.isArray(ex) || ArrayBuffer.isView(ex)) return checkSequence(fn, () => `examples[${i}]`, ex, true);
  if (ex === null || typeof ex !== 'object')
    throw new TypeError(`${fn}: examples[${i}] must be an object with ${key}, got ${describe(ex)}`);
  const v = (ex as Record<string, unknown>)[key];
  if (v === undefined) throw new TypeError(`${fn}: examples[${i}].${key} is missing`);
  return checkSequence(fn, () => `examples[${i}].${key}`, v, true);
}

/** Stable order by decreasing length; returns [sortIndices, unsortIndices]. */
export function sortByLengthDesc(lengths: ArrayLike<number>): [Int32Array, Int32Array] {
  const n = lengths.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => lengths[b] - lengths[a] || a - b);
  const sort = Int32Array.from(order);
  const unsort = new Int32Array(n);
  for (let i = 0; i < n; i++) unsort[sort[i]] = i;
  return [sort, unsort];
}

/** Reusable arrays for one collator's masks, one per dtype (see internal/staging.ts). */
export class MaskStaging {
  private readonly f32 = new Staging(Float32Array);
  private readonly i32 = new Staging(Int32Array);
  private readonly u8 = new Staging(Uint8Array);
  take(dtype: MaskDtype, n: number): { array: Float32Array | Int32Array | Uint8Array; reused: boolean } {
    return dtype === 'float32' ? this.f32.take(n) : dtype === 'int32' ? this.i32.take(n) : this.u8.take(n);
  }
}

/** A `[B, T]` mask marked 1 = real token, through core's `fillSequenceMask` into a staging array. */
export function maskFromLengths(
  lengths: Int32Array,
  T: number,
  left: boolean,
  dtype: MaskDtype,
  stage?: MaskStaging,
): tf.Tensor2D {
  const B = lengths.length;
  const m = stage
    ? stage.take(dtype, B * T).array
    : dtype === 'float32'
      ? new Float32Array(B * T)
      : dtype === 'int32'
        ? new Int32Array(B * T)
        : new Uint8Array(B * T);
  fillSequenceMask(m, lengths, { maxLen: T, padding: left ? 'left' : 'right', caller: 'collate' });
  // Marked 1 = real token, so a layer expecting PyTorch's 1 = padding refuses it (core's masks).
  return markMask(tf.tensor2d(m, [B, T], dtype), 'real');
}

/** A {@link PadAlloc} over a reusable int32 array. */
function int32Alloc(stage: Staging<Int32ArrayConstructor>): PadAlloc {
  return (n) => stage.take(n);
}

function checkMaskDtype(fn: string, d: unknown): MaskDtype {
  if (d !== 'float32' && d !== 'int32' && d !== 'bool')
    throw new TypeError(`${fn}: maskDtype must be 'float32', 'int32' or 'bool', got ${String(d)}`);
  return d;
}

function collectLabels(
  fn: string,
  examples: readonly unknown[],
  order: ArrayLike<number>,
  dtype: 'int32' | 'float32',
): tf.Tensor | undefined {
  const B = examples.length;
  const has = (ex: unknown) =>
    ex !== null &&
    typeof ex === 'object' &&
    !Array.isArray(ex) &&
    !ArrayBuffer.isView(ex) &&
    (ex as Example).label !== undefined;
  const first = has(examples[0]);
  for (let i = 1; i < B; i++) {
    if (has(examples[i]) !== first) {
      const missing = first ? i : 0;
      throw new TypeError(`${fn}: examples[${missing}].label is missing but other examples have labels`);
    }
  }
  if (!first) return undefined;
  const label0 = (examples[0] as Example).label!;
  const K = typeof label0 === 'number' ? 0 : label0.length;
  const out = dtype === 'int32' ? new Int32Array(B * Math.max(K, 1)) : new Float32Array(B * Math.max(K, 1));
  for (let r = 0; r < B; r++) {
    const i = order[r];
    const lab = (examples[i] as Example).label!;
    const check = (v: unknown, where: string): number => {
      if (typeof v !== 'number' || Number.isNaN(v) || (dtype === 'int32' && !Number.isInteger(v))) {
        throw new TypeError(
          `${fn}: ${where} = ${String(v)} is not ${dtype === 'int32' ? "an integer (set labelDtype: 'float32' for real-valued labels)" : 'a number'}`,
        );
      }
      return v;
    };
    if (K === 0) {
      if (typeof lab !== 'number')
        throw new TypeError(`${fn}: examples[${i}].label is ${describe(lab)}, examples[0].label is a number`);
      out[r] = check(lab, `examples[${i}].label`);
    } else {
      if (typeof lab === 'number' || lab.length !== K) {
        throw new TypeError(
          `${fn}: examples[${i}].label has ${typeof lab === 'number' ? 'a number' : `length ${lab.length}`}, examples[0].label has length ${K}`,
        );
      }
      for (let k = 0; k < K; k++) out[r * K + k] = check(lab[k], `examples[${i}].label[${k}]`);
    }
  }
  return K === 0 ? tf.tensor1d(out, dtype) : tf.tensor2d(out, [B, K], dtype);
}

/**
 * Returns a collate function for {@link DataLoader}: examples `{ ids, label? }` (or bare id
 * arrays) → {@link PaddedBatch}. Errors name the example and position of bad input.
 */
export function padCollate(
  opts: PadCollateOptions,
): (examples: readonly (Example | ArrayLike<number>)[]) => PaddedBatch {
  const fn = 'padCollate';
  if (opts === undefined || opts === null || typeof opts !== 'object')
    throw new TypeError(`${fn}: options with padId are required`);
  const pad = resolvePadOptions(fn, { ...toPadOptions(opts), padValue: opts.padId, dtype: 'int32' });
  const maskDtype = checkMaskDtype(fn, opts.maskDtype ?? 'float32');
  const labelDtype = opts.labelDtype ?? 'int32';
  if (labelDtype !== 'int32' && labelDtype !== 'float32')
    throw new TypeError(`${fn}: labelDtype must be 'int32' or 'float32', got ${String(labelDtype)}`);
  const sort = opts.sortByLength ?? false;
  const labelPad = opts.labelPadValue;
  // Each collator reuses its own arrays where the backend copies tensor values (wasm).
  const idsAlloc = int32Alloc(new Staging(Int32Array));
  const maskStage = new MaskStaging();
  const labelStage = labelDtype === 'int32' ? new Staging(Int32Array) : new Staging(Float32Array);
  const labelAlloc: PadAlloc = (n) => labelStage.take(n);
  if (
    labelPad !== undefined &&
    (typeof labelPad !== 'number' || (labelDtype === 'int32' && !Number.isInteger(labelPad)))
  ) {
    throw new TypeError(
      `${fn}: labelPadValue must be ${labelDtype === 'int32' ? 'an integer' : 'a number'}, got ${String(labelPad)}`,
    );
  }
  return (examples) => {
    if (!Array.isArray(examples)) throw new TypeError(`${fn}: examples must be an array, got ${describe(examples)}`);
    if (examples.length === 0) throw new RangeError(`${fn}: cannot collate an empty batch (0 examples)`);
    let seqs = examples.map((ex, i) => idsOf(fn, ex, i, 'ids'));
    let sortIndices: Int32Array | undefined;
    let unsortIndices: Int32Array | undefined;
    if (sort) {
      const lens = seqs.map((s) => Math.min(s.length, pad.maxLength));
      [sortIndices, unsortIndices] = sortByLengthDesc(lens);
      const si = sortIndices;
      seqs = Array.from(si, (i) => seqs[i]);
    }
    const order = sortIndices ?? identityOrder(examples.length);
    // Everything that can throw runs before the first tensor is made, so a bad batch leaks nothing.
    const p = padChecked(fn, seqs, pad, idsAlloc);
    const labels =
      labelPad === undefined
        ? collectLabels(fn, examples, order, labelDtype)
        : tokenLabels(fn, examples, order, seqs, pad, labelPad, labelDtype, p.shape, labelAlloc);
    const [B, T] = p.shape;
    const batch: PaddedBatch = {
      ids: tf.tensor2d(p.data as Int32Array, [B, T], 'int32'),
      lengths: tf.tensor1d(p.lengths, 'int32'),
      mask: maskFromLengths(p.lengths, T, pad.left, maskDtype, maskStage),
    };
    if (labels) batch.labels = labels;
    if (sortIndices) {
      batch.sortIndices = sortIndices;
      batch.unsortIndices = unsortIndices;
    }
    return batch;
  };
}

/** Per-token labels padded like the ids (same truncation, side and T). */
function tokenLabels(
  fn: string,
  examples: readonly unknown[],
  order: ArrayLike<number>,
  seqs: ArrayLike<number>[],
  pad: ReturnType<typeof resolvePadOptions>,
  padValue: number,
  dtype: 'int32' | 'float32',
  shape: [number, number],
  alloc: PadAlloc,
): tf.Tensor2D {
  const labs: ArrayLike<number>[] = [];
  for (let r = 0; r < order.length; r++) {
    const i = order[r];
    const ex = examples[i] as Example;
    const lab =
      ex !== null && typeof ex === 'object' && !Array.isArray(ex) && !ArrayBuffer.isView(ex) ? ex.label : undefined;
    if (lab === undefined)
      throw new TypeError(`${fn}: examples[${i}].label is missing (labelPadValue is set: per-token labels expected)`);
    const l = checkSequence(fn, `examples[${i}].label`, lab, dtype === 'int32');
    if (l.length !== seqs[r].length) {
      throw new RangeError(`${fn}: examples[${i}].label has length ${l.length}, its ids have length ${seqs[r].length}`);
    }
    labs.push(l);
  }
  const p = padChecked(fn, labs, { ...pad, padValue, dtype }, alloc);
  return tf.tensor2d(p.data, shape, dtype);
}

function identityOrder(n: number): Int32Array {
  const a = new Int32Array(n);
  for (let i = 0; i < n; i++) a[i] = i;
  return a;
}

function toPadOptions(o: {
  paddingSide?: Side;
  maxLength?: number;
  truncation?: Side | 'error';
  padding?: 'longest' | 'maxLength';
  padToMultipleOf?: number;
}): Omit<PadOptions, 'padValue'> {
  return {
    paddingSide: o.paddingSide,
    maxLength: o.maxLength,
    truncation: o.truncation,
    padding: o.padding,
    padToMultipleOf: o.padToMultipleOf,
  };
}

/** A translation/summarization example: source ids and target ids (no bos/eos; the collator adds them). */
export interface PairExample {
  source: ArrayLike<number>;
  target: ArrayLike<number>;
}

/** Options of {@link seq2seqCollate}. */
export interface Seq2SeqCollateOptions {
  /** The vocabulary's pad id. Required. */
  padId: number;
  /** Begin-of-sequence id, prepended to the decoder input. Required. */
  bosId: number;
  /** End-of-sequence id, appended to the decoder target. Required. */
  eosId: number;
  /** Truncate sources to this many tokens. */
  sourceMaxLength?: number;
  /** Decoder input/target length cap (counting the added bos/eos), integer >= 1. */
  targetMaxLength?: number;
  /** @default 'right' */
  truncation?: Side | 'error';
  /** Round both T_src and T_tgt up to a multiple of this. */
  padToMultipleOf?: number;
  /** Sort by decreasing source length (for a packed encoder); adds `sortIndices`/`unsortIndices`. @default false */
  sortByLength?: boolean;
  /** @default 'float32' */
  maskDtype?: MaskDtype;
}

/** What {@link seq2seqCollate} returns (all right-padded). Dispose with `tf.dispose(batch)`. */
export type Seq2SeqBatch = {
  /** `[B, S]` int32 source ids. */
  sourceIds: tf.Tensor2D;
  /** `[B]` int32. */
  sourceLengths: tf.Tensor1D;
  /** `[B, S]`, 1 = real. */
  sourceMask: tf.Tensor2D;
  /** `[B, U]` int32: `bos, y1 ... yn` (teacher forcing input). */
  decoderInput: tf.Tensor2D;
  /** `[B, U]` int32: `y1 ... yn, eos` (what the decoder must predict). */
  decoderTarget: tf.Tensor2D;
  /** `[B]` int32: n + 1 for each row. */
  targetLengths: tf.Tensor1D;
  /** `[B, U]`, 1 = a real target position (use it to mask the loss). */
  targetMask: tf.Tensor2D;
  sortIndices?: Int32Array;
  unsortIndices?: Int32Array;
};

/**
 * Returns a collate function for source/target pairs: pads sources, and builds the decoder input
 * (`bos` + target) and decoder target (target + `eos`) shifted by one, as teacher forcing needs.
 */
export function seq2seqCollate(opts: Seq2SeqCollateOptions): (examples: readonly PairExample[]) => Seq2SeqBatch {
  const fn = 'seq2seqCollate';
  if (opts === undefined || opts === null || typeof opts !== 'object')
    throw new TypeError(`${fn}: options with padId, bosId, eosId are required`);
  for (const k of ['bosId', 'eosId'] as const) {
    if (!Number.isInteger(opts[k])) throw new TypeError(`${fn}: ${k} must be an integer id, got ${String(opts[k])}`);
  }
  const src = resolvePadOptions(fn, {
    padValue: opts.padId,
    maxLength: opts.sourceMaxLength,
    truncation: opts.truncation,
    padToMultipleOf: opts.padToMultipleOf,
  });
  const tgt = resolvePadOptions(fn, {
    padValue: opts.padId,
    maxLength: opts.targetMaxLength,
    truncation: opts.truncation,
    padToMultipleOf: opts.padToMultipleOf,
  });
  const maskDtype = checkMaskDtype(fn, opts.maskDtype ?? 'float32');
  const { bosId, eosId } = opts;
  // Reused arrays where the backend copies tensor values (wasm); see internal/staging.ts.
  const srcAlloc = int32Alloc(new Staging(Int32Array));
  const inAlloc = int32Alloc(new Staging(Int32Array));
  const outAlloc = int32Alloc(new Staging(Int32Array));
  const maskStage = new MaskStaging();
  return (examples) => {
    if (!Array.isArray(examples)) throw new TypeError(`${fn}: examples must be an array, got ${describe(examples)}`);
    if (examples.length === 0) throw new RangeError(`${fn}: cannot collate an empty batch (0 examples)`);
    let sources = examples.map((ex, i) => idsOf(fn, ex, i, 'source'));
    let targets = examples.map((ex, i) => idsOf(fn, ex, i, 'target'));
    let sortIndices: Int32Array | undefined;
    let unsortIndices: Int32Array | undefined;
    if (opts.sortByLength) {
      [sortIndices, unsortIndices] = sortByLengthDesc(sources.map((s) => Math.min(s.length, src.maxLength)));
      const si = sortIndices;
      sources = Array.from(si, (i) => sources[i]);
      targets = Array.from(si, (i) => targets[i]);
    }
    // Truncate targets first so that bos/eos survive truncation: keep maxLength - 1 target tokens.
    const keep = tgt.maxLength - 1;
    const tgtTokens = targets.map((t) => {
      if (t.length <= keep) return t;
      if (tgt.truncation === 'error') {
        throw new RangeError(
          `${fn}: target of length ${t.length} + 1 exceeds targetMaxLength ${tgt.maxLength} and truncation is 'error'`,
        );
      }
      const a = Array.from(t);
      return tgt.truncation === 'left' ? a.slice(a.length - keep) : a.slice(0, keep);
    });
    const decIn = tgtTokens.map((t) => {
      const a = new Int32Array(t.length + 1);
      a[0] = bosId;
      a.set(t, 1);
      return a;
    });
    const decOut = tgtTokens.map((t) => {
      const a = new Int32Array(t.length + 1);
      a.set(t, 0);
      a[t.length] = eosId;
      return a;
    });
    const ps = padChecked(fn, sources, src, srcAlloc);
    const pin = padChecked(fn, decIn, tgt, inAlloc);
    const pout = padChecked(fn, decOut, tgt, outAlloc);
    const [B, S] = ps.shape;
    const U = pin.shape[1];
    const batch: Seq2SeqBatch = {
      sourceIds: tf.tensor2d(ps.data as Int32Array, [B, S], 'int32'),
      sourceLengths: tf.tensor1d(ps.lengths, 'int32'),
      sourceMask: maskFromLengths(ps.lengths, S, false, maskDtype, maskStage),
      decoderInput: tf.tensor2d(pin.data as Int32Array, [B, U], 'int32'),
      decoderTarget: tf.tensor2d(pout.data as Int32Array, [B, U], 'int32'),
      targetLengths: tf.tensor1d(pin.lengths, 'int32'),
      targetMask: maskFromLengths(pin.lengths, U, false, maskDtype, maskStage),
    };
    if (sortIndices) {
      batch.sortIndices = sortIndices;
      batch.unsortIndices = unsortIndices;
    }
    return batch;
  };
}
