/**
 * Language-model batching.
 * - {@link bpttBatches}: PyTorch's `examples/word_language_model` `batchify` + `get_batch`,
 *   batch-first: the token stream is cut into B contiguous rows, and chunk i holds columns
 *   [i·T, i·T + T) of every row, so row b of chunk i+1 continues row b of chunk i — the order
 *   truncated BPTT needs to carry the hidden state across chunks.
 * - {@link packSequences} / {@link packCollate}: concatenate short documents into rows of a fixed
 *   length (as GPT-style pretraining does) and keep the boundaries: segment ids, per-document
 *   positions, targets that never cross a boundary, and a block-diagonal (causal) attention mask.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Dataset } from './dataset.js';
import { checkInt32, checkPositiveInt, describe } from './internal/check.js';
import { checkSequence } from './pad.js';

/** Options of {@link bpttBatches}. */
export interface BpttOptions {
  /** Number of parallel streams B (rows), integer >= 1. */
  batchSize: number;
  /** Time steps T per chunk (the BPTT length), integer >= 1. The last chunk may be shorter. */
  seqLen: number;
}

/** One truncated-BPTT chunk: `input[b, t] = stream[b·L + s + t]`, `target` the next token. */
export interface LmChunk {
  /** Row-major `[B, t]` int32. */
  input: Int32Array;
  /** Row-major `[B, t]` int32, `input` shifted by one token. */
  target: Int32Array;
  /** `[B, t]` (t = seqLen except possibly in the last chunk). */
  shape: [number, number];
}

/**
 * Cuts a token stream into truncated-BPTT chunks (a {@link Dataset} of {@link LmChunk}). The
 * stream is trimmed to `L · B` tokens with `L = floor(n / B)` (the tail that does not fill a row is
 * dropped, as PyTorch's `batchify` does); there are `ceil((L - 1) / seqLen)` chunks.
 * Use {@link lmChunkTensors} to make tensors of a chunk.
 */
export function bpttBatches(tokens: ArrayLike<number>, opts: BpttOptions): Dataset<LmChunk> {
  const fn = 'bpttBatches';
  const B = checkPositiveInt(fn, 'batchSize', opts?.batchSize);
  const T = checkPositiveInt(fn, 'seqLen', opts.seqLen);
  const stream = Int32Array.from(checkSequence(fn, 'tokens', tokens, true));
  const L = Math.floor(stream.length / B);
  if (L < 2)
    throw new RangeError(
      `${fn}: ${stream.length} tokens give ${L} per row for batchSize ${B}; need at least 2 (an input and its target)`,
    );
  const n = Math.ceil((L - 1) / T);
  return {
    length: n,
    get(i: number): LmChunk {
      if (!Number.isInteger(i) || i < 0 || i >= n)
        throw new RangeError(`${fn}.get: index ${String(i)} out of range [0, ${n})`);
      const s = i * T;
      const t = Math.min(T, L - 1 - s);
      const input = new Int32Array(B * t);
      const target = new Int32Array(B * t);
      for (let b = 0; b < B; b++) {
        const off = b * L + s;
        input.set(stream.subarray(off, off + t), b * t);
        target.set(stream.subarray(off + 1, off + 1 + t), b * t);
      }
      return { input, target, shape: [B, t] };
    },
  };
}

/** `{ input, target }` int32 tensors `[B, t]` of a chunk; the caller disposes them. */
export function lmChunkTensors(chunk: LmChunk): { input: tf.Tensor2D; target: tf.Tensor2D } {
  return {
    input: tf.tensor2d(chunk.input, chunk.shape, 'int32'),
    target: tf.tensor2d(chunk.target, chunk.shape, 'int32'),
  };
}

/** Options of {@link packSequences} and {@link packCollate}. */
export interface PackOptions {
  /** Row length L, integer >= 1. */
  maxLength: number;
  /** The vocabulary's pad id (fills the end of each row). Required. */
  padId: number;
  /**
   * A document longer than `maxLength`: `'split'` into consecutive pieces (each its own segment),
   * `'truncate'` to its first `maxLength` tokens, or `'error'`.
   * @default 'split' — no token is lost.
   */
  overflow?: 'split' | 'truncate' | 'error';
  /**
   * Value of `targets` where there is nothing to predict (a document's last token, padding).
   * @default -100 — PyTorch's `ignore_index` default.
   */
  ignoreIndex?: number;
}

/** Packed rows on typed arrays (all row-major `[R, L]`). */
export interface PackedSequences {
  ids: Int32Array;
  /** 0 at padding, 1, 2, ... for the documents of a row, in order. */
  segmentIds: Int32Array;
  /** Position within its document (restarts at 0 at each boundary; 0 at padding). */
  positions: Int32Array;
  /** Next token of the same document, `ignoreIndex` at a document's last token and at padding. */
  targets: Int32Array;
  shape: [number, number];
}

/**
 * Greedy packing in input order: documents are appended to the current row while they fit, and a
 * new row starts when the next one does not (no reordering, so the result is deterministic).
 */
export function packSequences(seqs: ArrayLike<ArrayLike<number>>, opts: PackOptions): PackedSequences {
  const fn = 'packSequences';
  return packImpl(fn, seqs, opts);
}

function packImpl(fn: string, seqs: ArrayLike<unknown>, opts: PackOptions): PackedSequences {
  if (opts === undefined || opts === null || typeof opts !== 'object')
    throw new TypeError(`${fn}: options with maxLength and padId are required`);
  const L = checkPositiveInt(fn, 'maxLength', opts.maxLength);
  const padId = checkInt32(fn, 'padId', opts.padId);
  const ignore = checkInt32(fn, 'ignoreIndex', opts.ignoreIndex ?? -100);
  const overflow = opts.overflow ?? 'split';
  if (overflow !== 'split' && overflow !== 'truncate' && overflow !== 'error') {
    throw new TypeError(`${fn}: overflow must be 'split', 'truncate' or 'error', got ${String(overflow)}`);
  }
  if (seqs === null || typeof seqs !== 'object' || typeof seqs.length !== 'number')
    throw new TypeError(`${fn}: seqs must be an array, got ${describe(seqs)}`);
  if (seqs.length === 0) throw new RangeError(`${fn}: cannot pack an empty batch (0 sequences)`);
  // Pieces of at most L tokens.
  const pieces: ArrayLike<number>[] = [];
  for (let i = 0; i < seqs.length; i++) {
    const item = seqs[i];
    const s =
      item !== null && typeof item === 'object' && !Array.isArray(item) && !ArrayBuffer.isView(item)
        ? (() => {
            const ids = (item as { ids?: unknown }).ids;
            if (ids === undefined) throw new TypeError(`${fn}: examples[${i}].ids is missing`);
            return checkSequence(fn, `examples[${i}].ids`, ids, true);
          })()
        : checkSequence(fn, `seqs[${i}]`, item, true);
    if (s.length <= L) {
      if (s.length > 0) pieces.push(s);
      continue;
    }
    if (overflow === 'error')
      throw new RangeError(`${fn}: seqs[${i}] has length ${s.length} > maxLength ${L} and overflow is 'error'`);
    const a = Int32Array.from(s);
    if (overflow === 'truncate') pieces.push(a.subarray(0, L));
    else for (let o = 0; o < a.length; o += L) pieces.push(a.subarray(o, o + L));
  }
  // Assign pieces to rows.
  const rowOf: number[] = [];
  let rows = 0;
  let used = L; // forces a new row for the first piece
  for (const p of pieces) {
    if (used + p.length > L) {
      rows++;
      used = 0;
    }
    rowOf.push(rows - 1);
    used += p.length;
  }
  const R = Math.max(rows, 1);
  const ids = new Int32Array(R * L).fill(padId);
  const segmentIds = new Int32Array(R * L);
  const positions = new Int32Array(R * L);
  const targets = new Int32Array(R * L).fill(ignore);
  let row = -1;
  let col = 0;
  let seg = 0;
  pieces.forEach((p, k) => {
    if (rowOf[k] !== row) {
      row = rowOf[k];
      col = 0;
      seg = 0;
    }
    seg++;
    const base = row * L + col;
    for (let j = 0; j < p.length; j++) {
      ids[base + j] = p[j];
      segmentIds[base + j] = seg;
      positions[base + j] = j;
      if (j + 1 < p.length) targets[base + j] = p[j + 1];
    }
    col += p.length;
  });
  return { ids, segmentIds, positions, targets, shape: [R, L] };
}

/** Options of {@link packCollate}. */
export interface PackCollateOptions extends PackOptions {
  /**
   * Attention mask `[R, L, L]` (1 = may attend): `'causal'` — same document and j <= i;
   * `'bidirectional'` — same document; `'none'` — not built (it is L² per row).
   * @default 'causal' — packing is for language-model training.
   */
  attention?: 'causal' | 'bidirectional' | 'none';
  /** @default 'float32' */
  maskDtype?: 'float32' | 'int32' | 'bool';
}

/** What {@link packCollate} returns. Dispose with `tf.dispose(batch)`. */
export type PackedBatch = {
  /** `[R, L]` int32. */
  ids: tf.Tensor2D;
  /** `[R, L]` int32, 0 = padding, 1.. = document within the row. */
  segmentIds: tf.Tensor2D;
  /** `[R, L]` int32, position within the document. */
  positions: tf.Tensor2D;
  /** `[R, L]` int32, next token within the document or `ignoreIndex`. */
  targets: tf.Tensor2D;
  /** `[R, L]`, 1 = real token. */
  mask: tf.Tensor2D;
  /** `[R, L, L]` document-boundary attention mask, unless `attention: 'none'`. */
  attentionMask?: tf.Tensor3D;
};

/** Returns a collate function that packs a batch of documents into `[R, maxLength]` rows; see {@link packSequences}. */
export function packCollate(
  opts: PackCollateOptions,
): (examples: readonly ({ ids: ArrayLike<number> } | ArrayLike<number>)[]) => PackedBatch {
  const fn = 'packCollate';
  const attention = opts?.attention ?? 'causal';
  if (attention !== 'causal' && attention !== 'bidirectional' && attention !== 'none') {
    throw new TypeError(`${fn}: attention must be 'causal', 'bidirectional' or 'none', got ${String(attention)}`);
  }
  const maskDtype = opts.maskDtype ?? 'float32';
  if (maskDtype !== 'float32' && maskDtype !== 'int32' && maskDtype !== 'bool')
    throw new TypeError(`${fn}: maskDtype must be 'float32', 'int32' or 'bool', got ${String(maskDtype)}`);
  checkPositiveInt(fn, 'maxLength', opts.maxLength);
  const mk = (n: number) =>
    maskDtype === 'float32' ? new Float32Array(n) : maskDtype === 'int32' ? new Int32Array(n) : new Uint8Array(n);
  return (examples) => {
    const p = packImpl(fn, examples, opts);
    const [R, L] = p.shape;
    const mask = mk(R * L);
    for (let i = 0; i < mask.length; i++) if (p.segmentIds[i] !== 0) mask[i] = 1;
    const out: PackedBatch = {
      ids: tf.tensor2d(p.ids, [R, L], 'int32'),
      segmentIds: tf.tensor2d(p.segmentIds, [R, L], 'int32'),
      positions: tf.tensor2d(p.positions, [R, L], 'int32'),
      targets: tf.tensor2d(p.targets, [R, L], 'int32'),
      mask: tf.tensor2d(mask, [R, L], maskDtype),
    };
    if (attention !== 'none') {
      const a = mk(R * L * L);
      for (let r = 0; r < R; r++) {
        for (let i = 0; i < L; i++) {
          const si = p.segmentIds[r * L + i];
          if (si === 0) continue;
          const jEnd = attention === 'causal' ? i : L - 1;
          for (let j = 0; j <= jEnd; j++) if (p.segmentIds[r * L + j] === si) a[(r * L + i) * L + j] = 1;
        }
      }
      out.attentionMask = tf.tensor3d(a, [R, L, L], maskDtype);
    }
    return out;
  };
}
