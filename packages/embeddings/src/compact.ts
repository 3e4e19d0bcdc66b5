/**
 * Compact vectors for shipping to a browser: float16 (2 bytes a value) or 8-bit with one
 * float32 scale per row (1 byte a value + 4 bytes a row). A loaded file keeps its bytes and
 * decodes a row only when it is looked up; `mostSimilar` scans the encoded rows directly.
 *
 * File layout (little-endian, our own format — no reference tool reads it): bytes 0–3 `WLKV`,
 * u8 version (1), u8 dtype (1 float16, 2 int8), u16 0, u32 words V, u32 dim D, u32 byte length
 * L of the words block; the words, UTF-8, each followed by `\n` (L bytes); zero padding to a
 * multiple of 4; float16: V·D u16 (IEEE half, round to nearest even); int8: V float32 scales
 * then V·D int8, row i = scale[i] · q[i] with scale = max|x| / 127 and q = round(x / scale).
 */
import { KeyedVectors, type Neighbour } from './keyed-vectors.js';
import { FastTextKeyedVectors, SubwordKeyedVectors } from './fasttext.js';
import { nodeBuiltin } from './internal/node.js';

/** Storage of a compact file. */
export type CompactDtype = 'float16' | 'int8';

const MAGIC = [0x57, 0x4c, 0x4b, 0x56]; // "WLKV"
const HEADER = 20;

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 → IEEE half bits, round to nearest even (overflow → ±Infinity, NaN kept). */
export function toFloat16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let m = mant >>> shift;
    if (rest > half || (rest === half && (m & 1) === 1)) m++;
    return sign | m;
  }
  const rest = mant & 0x1fff;
  let m = mant >>> 13;
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1) === 1)) {
    m++;
    if (m === 0x400) {
      m = 0;
      e++;
      if (e >= 0x1f) return sign | 0x7c00;
    }
  }
  return sign | (e << 10) | m;
}

let halfTable: Float32Array | undefined;

/** IEEE half bits → number (a 256 kB table, built on first use). */
export function fromFloat16Bits(h: number): number {
  if (halfTable === undefined) {
    halfTable = new Float32Array(65536);
    for (let i = 0; i < 65536; i++) {
      const s = i & 0x8000 ? -1 : 1;
      const e = (i >>> 10) & 0x1f;
      const m = i & 0x3ff;
      halfTable[i] =
        e === 0 ? s * m * 2 ** -24 : e === 0x1f ? (m !== 0 ? NaN : s * Infinity) : s * (1 + m / 1024) * 2 ** (e - 15);
    }
  }
  return halfTable[h & 0xffff]!;
}

/** Options of {@link writeCompactVectors}. */
export interface WriteCompactOptions {
  /** @default 'int8' — the smaller; 'float16' loses less. */
  dtype?: CompactDtype;
}

/** Encodes `kv` as a compact file (see the module comment for the layout). */
export function writeCompactVectors(kv: KeyedVectors, opts: WriteCompactOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? 'int8';
  if (dtype !== 'float16' && dtype !== 'int8') {
    throw new RangeError(`writeCompactVectors: dtype must be 'float16' or 'int8', got ${JSON.stringify(dtype)}`);
  }
  const V = kv.size;
  const D = kv.dim;
  for (const w of kv.words) {
    if (w.includes('\n')) throw new Error(`writeCompactVectors: word ${JSON.stringify(w)} contains a newline`);
  }
  const words = new TextEncoder().encode(kv.words.map((w) => `${w}\n`).join(''));
  const pad = (4 - ((HEADER + words.length) % 4)) % 4;
  const dataStart = HEADER + words.length + pad;
  const size = dataStart + (dtype === 'float16' ? V * D * 2 : V * 4 + V * D);
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(MAGIC, 0);
  out[4] = 1;
  out[5] = dtype === 'float16' ? 1 : 2;
  dv.setUint32(8, V, true);
  dv.setUint32(12, D, true);
  dv.setUint32(16, words.length, true);
  out.set(words, HEADER);
  const x = kv.vectors;
  if (dtype === 'float16') {
    for (let i = 0; i < V * D; i++) dv.setUint16(dataStart + 2 * i, toFloat16Bits(x[i]!), true);
  } else {
    const q = new Int8Array(out.buffer, dataStart + V * 4, V * D);
    for (let i = 0; i < V; i++) {
      let m = 0;
      for (let k = 0; k < D; k++) m = Math.max(m, Math.abs(x[i * D + k]!));
      const scale = m / 127;
      dv.setFloat32(dataStart + 4 * i, scale, true);
      const inv = scale > 0 ? 1 / scale : 0;
      for (let k = 0; k < D; k++) q[i * D + k] = Math.round(x[i * D + k]! * inv);
    }
  }
  return out;
}

/**
 * Word vectors backed by a compact file's bytes: rows are decoded when looked up (`get`,
 * `similarity`) and scanned in place by `mostSimilar`; `toKeyedVectors()` decodes all of them
 * (for evaluation, or anything else of {@link KeyedVectors}).
 */
export class CompactKeyedVectors {
  readonly words: string[];
  readonly dim: number;
  readonly dtype: CompactDtype;
  readonly index: Map<string, number>;
  /** Bytes of the file (the encoded rows are views into them). */
  readonly byteLength: number;
  private readonly half: Uint16Array | undefined;
  private readonly q: Int8Array | undefined;
  private readonly scales: Float32Array | undefined;
  private normsCache: Float32Array | undefined;

  constructor(bytes: Uint8Array) {
    const fn = 'readCompactVectors';
    if (bytes.length < HEADER || MAGIC.some((m, i) => bytes[i] !== m)) {
      throw new Error(`${fn}: not a compact vectors file (no "WLKV" magic)`);
    }
    if (bytes[4] !== 1) throw new Error(`${fn}: version ${bytes[4]} is not supported (1 is)`);
    const dt = bytes[5];
    if (dt !== 1 && dt !== 2) throw new Error(`${fn}: unknown dtype code ${dt} (1 float16, 2 int8)`);
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const V = dv.getUint32(8, true);
    const D = dv.getUint32(12, true);
    const L = dv.getUint32(16, true);
    if (D < 1) throw new Error(`${fn}: dim ${D} must be >= 1`);
    const pad = (4 - ((HEADER + L) % 4)) % 4;
    const dataStart = HEADER + L + pad;
    const need = dataStart + (dt === 1 ? V * D * 2 : V * 4 + V * D);
    if (need !== bytes.length) {
      throw new Error(
        `${fn}: the header claims ${V} words of dim ${D} (${need} bytes in all) but the file has ${bytes.length} bytes`,
      );
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(HEADER, HEADER + L));
    } catch {
      throw new Error(`${fn}: the words block is not valid UTF-8`);
    }
    const words = text.split('\n');
    if (words.pop() !== '' || words.length !== V) {
      throw new Error(`${fn}: the words block holds ${words.length} words, the header says ${V}`);
    }
    this.words = words;
    this.dim = D;
    this.dtype = dt === 1 ? 'float16' : 'int8';
    this.byteLength = bytes.length;
    this.index = new Map();
    for (let i = 0; i < V; i++) {
      if (this.index.has(words[i]!)) throw new Error(`${fn}: duplicate word ${JSON.stringify(words[i])} at row ${i}`);
      this.index.set(words[i]!, i);
    }
    // aligned copies only when the caller's bytes are misaligned; otherwise views (no decoding)
    const abs = bytes.byteOffset + dataStart;
    const src = abs % 4 === 0 ? bytes : bytes.slice();
    const base = abs % 4 === 0 ? abs : dataStart;
    if (dt === 1) this.half = new Uint16Array(src.buffer, base, V * D);
    else {
      this.scales = new Float32Array(src.buffer, base, V);
      this.q = new Int8Array(src.buffer, base + V * 4, V * D);
    }
  }

  get size(): number {
    return this.words.length;
  }

  has(word: string): boolean {
    return this.index.has(word);
  }

  private row(fn: string, word: string): number {
    const i = this.index.get(word);
    if (i === undefined)
      throw new Error(`${fn}: word ${JSON.stringify(word)} is not in the vocabulary (${this.size} words)`);
    return i;
  }

  /** Row `i` decoded to float32. */
  rowVector(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this.size) {
      throw new RangeError(`CompactKeyedVectors.rowVector: row ${i} is out of range [0, ${this.size})`);
    }
    const D = this.dim;
    const out = new Float32Array(D);
    if (this.half !== undefined) for (let k = 0; k < D; k++) out[k] = fromFloat16Bits(this.half[i * D + k]!);
    else {
      const s = this.scales![i]!;
      for (let k = 0; k < D; k++) out[k] = this.q![i * D + k]! * s;
    }
    return out;
  }

  /** The decoded vector of `word`. @throws if `word` is OOV. */
  get(word: string): Float32Array {
    return this.rowVector(this.row('CompactKeyedVectors.get', word));
  }

  private dotRow(i: number, v: ArrayLike<number>): number {
    const D = this.dim;
    let s = 0;
    if (this.half !== undefined) {
      for (let k = 0; k < D; k++) s += fromFloat16Bits(this.half[i * D + k]!) * v[k]!;
      return s;
    }
    const q = this.q!;
    for (let k = 0; k < D; k++) s += q[i * D + k]! * v[k]!;
    return s * this.scales![i]!;
  }

  /** Norms of the decoded rows (4 bytes a word, computed on first use). */
  norms(): Float32Array {
    if (this.normsCache === undefined) {
      const n = new Float32Array(this.size);
      for (let i = 0; i < this.size; i++) n[i] = Math.sqrt(this.dotRow(i, this.rowVector(i)));
      this.normsCache = n;
    }
    return this.normsCache;
  }

  /** Cosine similarity of two words. */
  similarity(a: string, b: string): number {
    const i = this.row('CompactKeyedVectors.similarity', a);
    const j = this.row('CompactKeyedVectors.similarity', b);
    const n = this.norms();
    return this.dotRow(i, this.rowVector(j)) / (n[i]! * n[j]!);
  }

  /** 3CosAdd neighbours as {@link KeyedVectors.mostSimilar}, scanning the encoded rows. */
  mostSimilar(
    opts:
      | { positive?: Array<string | ArrayLike<number>>; negative?: string[]; topn?: number; restrictVocab?: number }
      | string,
  ): Neighbour[] {
    const fn = 'CompactKeyedVectors.mostSimilar';
    const o = typeof opts === 'string' ? { positive: [opts] } : opts;
    const topn = o.topn ?? 10;
    const D = this.dim;
    const mean = new Float64Array(D);
    const exclude = new Set<number>();
    const n = this.norms();
    const add = (t: string | ArrayLike<number>, w: number): void => {
      if (typeof t === 'string') {
        const i = this.row(fn, t);
        exclude.add(i);
        const v = this.rowVector(i);
        for (let k = 0; k < D; k++) mean[k] = mean[k]! + (w * v[k]!) / (n[i]! || 1);
      } else {
        if (t.length !== D) throw new RangeError(`${fn}: a vector term has length ${t.length}, expected dim = ${D}`);
        for (let k = 0; k < D; k++) mean[k] = mean[k]! + w * t[k]!;
      }
    };
    for (const t of o.positive ?? []) add(t, 1);
    for (const t of o.negative ?? []) add(t, -1);
    if (exclude.size === 0 && (o.positive ?? []).length + (o.negative ?? []).length === 0) {
      throw new Error(`${fn}: positive and negative are both empty`);
    }
    let mn = 0;
    for (let k = 0; k < D; k++) mn += mean[k]! * mean[k]!;
    mn = Math.sqrt(mn) || 1;
    const end = Math.min(o.restrictVocab ?? this.size, this.size);
    const best: Neighbour[] = [];
    for (let i = 0; i < end; i++) {
      if (exclude.has(i)) continue;
      const s = this.dotRow(i, mean) / ((n[i]! || 1) * mn);
      if (best.length === topn && !(s > best[topn - 1]!.similarity)) continue;
      let p = best.length === topn ? topn - 1 : best.length;
      if (best.length < topn) best.push({ word: '', similarity: 0 });
      while (p > 0 && best[p - 1]!.similarity < s) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = { word: this.words[i]!, similarity: s };
    }
    return topn > 0 ? best : [];
  }

  /** All rows decoded into a {@link KeyedVectors} (4 bytes a value). */
  toKeyedVectors(): KeyedVectors {
    const V = this.size;
    const D = this.dim;
    const out = new Float32Array(V * D);
    for (let i = 0; i < V; i++) out.set(this.rowVector(i), i * D);
    return new KeyedVectors({ words: this.words, vectors: out, dim: D });
  }
}

/** Reads a compact file (rows stay encoded until looked up). @throws on a malformed file. */
export function readCompactVectors(bytes: Uint8Array): CompactKeyedVectors {
  return new CompactKeyedVectors(bytes);
}

/** Writes a compact file to a path (Node). */
export function saveCompactVectors(kv: KeyedVectors, path: string, opts: WriteCompactOptions = {}): void {
  nodeBuiltin('node:fs', 'saveCompactVectors(path)', 'in the browser call writeCompactVectors').writeFileSync(
    path,
    writeCompactVectors(kv, opts),
  );
}

/** Reads a compact file from a path (Node). */
export function loadCompactVectors(path: string): CompactKeyedVectors {
  return readCompactVectors(
    nodeBuiltin(
      'node:fs',
      'loadCompactVectors(path)',
      'in the browser fetch the bytes and call readCompactVectors',
    ).readFileSync(path),
  );
}

const FT_MAGIC = [0x57, 0x4c, 0x46, 0x54]; // "WLFT"
const FT_HEADER = 24;

function encodeRows(x: Float32Array, rows: number, D: number, dtype: CompactDtype): Uint8Array {
  const out = new Uint8Array(dtype === 'float16' ? rows * D * 2 : rows * 4 + rows * D);
  const dv = new DataView(out.buffer);
  if (dtype === 'float16') {
    for (let i = 0; i < rows * D; i++) dv.setUint16(2 * i, toFloat16Bits(x[i]!), true);
    return out;
  }
  const q = new Int8Array(out.buffer, rows * 4, rows * D);
  for (let i = 0; i < rows; i++) {
    let m = 0;
    for (let k = 0; k < D; k++) m = Math.max(m, Math.abs(x[i * D + k]!));
    const scale = m / 127;
    dv.setFloat32(4 * i, scale, true);
    const inv = scale > 0 ? 1 / scale : 0;
    for (let k = 0; k < D; k++) q[i * D + k] = Math.round(x[i * D + k]! * inv);
  }
  return out;
}

/**
 * Encodes fastText vectors compactly: the word rows (`vectorsVocab`, as a compact vectors
 * file) and the n-gram rows, both float16 or int8 with a per-row scale, plus `minn`/`maxn`.
 * Layout: `WLFT`, u8 version 1, u8 dtype (1 float16, 2 int8), u16 0, u32 minn, u32 maxn,
 * u32 bucket, u32 byte length B of the word part, u32 0; the word part (a compact vectors file of
 * the word rows, see {@link writeCompactVectors}); zero padding to a multiple of 4; the n-gram rows.
 */
export function writeCompactFastText(wv: FastTextKeyedVectors, opts: WriteCompactOptions = {}): Uint8Array {
  const dtype = opts.dtype ?? 'int8';
  const words = writeCompactVectors(new KeyedVectors({ words: wv.words, vectors: wv.vectorsVocab, dim: wv.dim }), {
    dtype,
  });
  const rows = encodeRows(wv.vectorsNgrams, wv.bucket, wv.dim, dtype);
  const pad = (4 - (words.length % 4)) % 4;
  const out = new Uint8Array(FT_HEADER + words.length + pad + rows.length);
  const dv = new DataView(out.buffer);
  out.set(FT_MAGIC, 0);
  out[4] = 1;
  out[5] = dtype === 'float16' ? 1 : 2;
  dv.setUint32(8, wv.minn, true);
  dv.setUint32(12, wv.maxn, true);
  dv.setUint32(16, wv.bucket, true);
  dv.setUint32(20, words.length, true);
  out.set(words, FT_HEADER);
  out.set(rows, FT_HEADER + words.length + pad);
  return out;
}

/**
 * fastText vectors backed by a compact file's bytes ({@link readCompactFastText}): nothing is
 * decoded at load. A word's vector decodes its own row and its n-gram rows when it is looked up
 * (`get`, `getRaw`, `similarity`, a query term). Queries over the vocabulary (`mostSimilar`,
 * `kv`) need every vocabulary word's composed vector: those V × dim floats are built on the first
 * such query and kept; the n-gram rows (bucket × dim, most of a model) stay encoded.
 * The vectors are exactly those of {@link toFastTextKeyedVectors} (which decodes everything).
 */
export class CompactFastTextKeyedVectors extends SubwordKeyedVectors {
  readonly dtype: CompactDtype;
  /** Bytes of the file (the encoded rows are views into them). */
  readonly byteLength: number;
  private readonly wordRows: CompactKeyedVectors;
  private readonly half: Uint16Array | undefined;
  private readonly q: Int8Array | undefined;
  private readonly scales: Float32Array | undefined;
  private kvCache: KeyedVectors | undefined;

  constructor(bytes: Uint8Array, opts: { wordTransform?: (word: string) => string } = {}) {
    const { wordRows, minn, maxn, bucket, start } = parseCompactFastText(bytes);
    super(
      'CompactFastTextKeyedVectors',
      { words: wordRows.words, dim: wordRows.dim, minn, maxn, wordTransform: opts.wordTransform },
      bucket,
    );
    this.wordRows = wordRows;
    this.dtype = wordRows.dtype;
    this.byteLength = bytes.length;
    const D = this.dim;
    // views when the n-gram block is aligned in the caller's buffer, otherwise one aligned copy
    const abs = bytes.byteOffset + start;
    const src = abs % 4 === 0 ? bytes : bytes.slice();
    const at = abs % 4 === 0 ? abs : start;
    if (this.dtype === 'float16') this.half = new Uint16Array(src.buffer, at, bucket * D);
    else {
      this.scales = new Float32Array(src.buffer, at, bucket);
      this.q = new Int8Array(src.buffer, at + bucket * 4, bucket * D);
    }
  }

  protected override setWordRow(id: number, acc: Float64Array): void {
    const v = this.wordRows.rowVector(id);
    for (let k = 0; k < this.dim; k++) acc[k] = v[k]!;
  }

  protected override addNgramRow(b: number, acc: Float64Array): void {
    const D = this.dim;
    const o = b * D;
    if (this.half !== undefined) {
      for (let k = 0; k < D; k++) acc[k] = acc[k]! + fromFloat16Bits(this.half[o + k]!);
      return;
    }
    const q = this.q!;
    const s = this.scales![b]!;
    // rounded to float32 as a decoded row would be (toFastTextKeyedVectors gives the same vectors)
    for (let k = 0; k < D; k++) acc[k] = acc[k]! + Math.fround(q[o + k]! * s);
  }

  protected override vocabIndex(): Map<string, number> {
    return this.wordRows.index;
  }

  /** The in-vocabulary vectors (built on first use: V × dim float32). */
  override get kv(): KeyedVectors {
    this.kvCache ??= new KeyedVectors({ words: this.words, vectors: this.composeVocab(), dim: this.dim });
    return this.kvCache;
  }

  /** Every row decoded to float32 (4 bytes a value) as {@link FastTextKeyedVectors}. */
  toFastTextKeyedVectors(): FastTextKeyedVectors {
    const D = this.dim;
    const ngrams = new Float32Array(this.bucket * D);
    const acc = new Float64Array(D);
    for (let b = 0; b < this.bucket; b++) {
      acc.fill(0);
      this.addNgramRow(b, acc);
      for (let k = 0; k < D; k++) ngrams[b * D + k] = acc[k]!;
    }
    return new FastTextKeyedVectors({
      words: this.words,
      vectorsVocab: this.wordRows.toKeyedVectors().vectors,
      vectorsNgrams: ngrams,
      dim: D,
      minn: this.minn,
      maxn: this.maxn,
      wordTransform: this.wordTransform,
    });
  }
}

function parseCompactFastText(bytes: Uint8Array): {
  wordRows: CompactKeyedVectors;
  minn: number;
  maxn: number;
  bucket: number;
  start: number;
} {
  const fn = 'readCompactFastText';
  if (bytes.length < FT_HEADER || FT_MAGIC.some((m, i) => bytes[i] !== m)) {
    throw new Error(`${fn}: not a compact fastText file (no "WLFT" magic)`);
  }
  if (bytes[4] !== 1) throw new Error(`${fn}: version ${bytes[4]} is not supported (1 is)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const minn = dv.getUint32(8, true);
  const maxn = dv.getUint32(12, true);
  const bucket = dv.getUint32(16, true);
  const B = dv.getUint32(20, true);
  if (FT_HEADER + B > bytes.length)
    throw new Error(`${fn}: the word part claims ${B} bytes but the file has ${bytes.length}`);
  const wordRows = new CompactKeyedVectors(bytes.subarray(FT_HEADER, FT_HEADER + B));
  if ((bytes[5] === 1 ? 'float16' : 'int8') !== wordRows.dtype)
    throw new Error(`${fn}: the header and the word part disagree on dtype`);
  const D = wordRows.dim;
  const start = FT_HEADER + B + ((4 - (B % 4)) % 4);
  const need = wordRows.dtype === 'float16' ? bucket * D * 2 : bucket * 4 + bucket * D;
  if (start + need !== bytes.length) {
    throw new Error(
      `${fn}: the header claims ${bucket} n-gram rows of dim ${D} (${need} bytes) but ${bytes.length - start} bytes follow`,
    );
  }
  return { wordRows, minn, maxn, bucket, start };
}

/**
 * Reads {@link writeCompactFastText}'s bytes. Nothing is decoded at load: rows are decoded when a
 * word is looked up (see {@link CompactFastTextKeyedVectors}; `toFastTextKeyedVectors()` decodes
 * everything). `wordTransform` as in {@link FastTextKeyedVectors} (files do not store it).
 * @throws on a malformed file.
 */
export function readCompactFastText(
  bytes: Uint8Array,
  opts: { wordTransform?: (word: string) => string } = {},
): CompactFastTextKeyedVectors {
  return new CompactFastTextKeyedVectors(bytes, opts);
}
