/**
 * safetensors read/write (https://github.com/huggingface/safetensors, format section of its
 * README): 8-byte little-endian header length N, N bytes of UTF-8 JSON
 * `{ name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: {string: string} }`
 * (padded with spaces), then the data; offsets are relative to the data start and must
 * tile it without gaps or overlaps.
 *
 * Every size is checked against the buffer before anything is allocated, so a lying
 * header (huge length, offsets past the end, shapes whose product overflows) fails with a
 * message instead of an out-of-memory.
 */
import * as tf from '@tensorflow/tfjs-core';

/** dtypes we read; F64 → float32, F16/BF16 → float32, I64 → int32 (range-checked), BOOL/U8 → int32. */
const READ_DTYPES: Record<string, { bytes: number }> = {
  F64: { bytes: 8 },
  F32: { bytes: 4 },
  F16: { bytes: 2 },
  BF16: { bytes: 2 },
  I64: { bytes: 8 },
  I32: { bytes: 4 },
  I16: { bytes: 2 },
  I8: { bytes: 1 },
  U8: { bytes: 1 },
  BOOL: { bytes: 1 },
};

/** Largest header we accept (the reference implementation's limit). */
const MAX_HEADER = 100_000_000;

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

export interface SafetensorsFile {
  /** Tensors by name, in file order; float types come back float32, integer types int32. */
  tensors: Map<string, tf.Tensor>;
  /** The `__metadata__` strings (empty if absent). */
  metadata: Map<string, string>;
}

function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

const f32Scratch = new Float32Array(1);
const u32Scratch = new Uint32Array(f32Scratch.buffer);

/** float32 → IEEE half, round to nearest even (overflow → ±Inf, NaN kept). */
function f32ToF16(v: number): number {
  f32Scratch[0] = v;
  const x = u32Scratch[0];
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 31) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  e = half >>> 10;
  return sign | half; // a carry into the exponent (even to Inf) is the correct rounding
}

function fail(msg: string): never {
  throw new Error(`readSafetensors: ${msg}`);
}

/**
 * Parses a safetensors file.
 * @throws on a truncated file, a header length or offset beyond the buffer, offsets that
 * leave gaps or overlap, an unknown dtype, a bad shape, or an I64 value outside int32
 */
export function readSafetensors(bytes: Uint8Array): SafetensorsFile {
  if (!(bytes instanceof Uint8Array)) fail('bytes must be a Uint8Array');
  if (bytes.length < 8) fail(`file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const lo = dv.getUint32(0, true);
  const hi = dv.getUint32(4, true);
  const headerLen = hi * 4294967296 + lo;
  if (headerLen > bytes.length - 8) fail(`header length ${headerLen} exceeds the ${bytes.length - 8} bytes after it`);
  if (headerLen > MAX_HEADER) fail(`header length ${headerLen} exceeds the limit of ${MAX_HEADER}`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${e instanceof Error ? e.message : String(e)})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('header is not a JSON object');
  const dataStart = 8 + headerLen;
  const dataLen = bytes.length - dataStart;
  const metadata = new Map<string, string>();
  type Entry = { name: string; dtype: string; shape: number[]; begin: number; end: number; numel: number };
  const entries: Entry[] = [];
  // Object.entries sees own keys only; JSON.parse makes `__proto__` an ordinary own key.
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) fail('__metadata__ is not an object');
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`__metadata__['${k}'] is not a string`);
        metadata.set(k, v);
      }
      continue;
    }
    if (raw === null || typeof raw !== 'object') fail(`tensor '${name}': entry is not an object`);
    const { dtype, shape, data_offsets: offsets } = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof dtype !== 'string' || !Object.prototype.hasOwnProperty.call(READ_DTYPES, dtype)) {
      fail(
        `tensor '${name}': unknown or unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(READ_DTYPES).join(', ')})`,
      );
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor '${name}': shape ${JSON.stringify(shape)} is not a list of non-negative integers`);
    }
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor '${name}': data_offsets ${JSON.stringify(offsets)} is not [begin, end]`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end || end > dataLen) {
      fail(`tensor '${name}': data_offsets [${begin}, ${end}] fall outside the ${dataLen} data bytes`);
    }
    let numel = (shape as number[]).includes(0) ? 0 : 1;
    for (const d of numel === 0 ? [] : (shape as number[])) {
      numel *= d;
      if (numel > dataLen) break; // cannot fit; the size check below reports it
    }
    const want = numel * READ_DTYPES[dtype].bytes;
    if (want !== end - begin) {
      fail(
        `tensor '${name}': ${dtype} shape [${(shape as number[]).join(', ')}] needs ${want} bytes, data_offsets give ${end - begin}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin, end, numel });
  }
  // The data must be tiled exactly: no gaps, no overlaps.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) fail(`tensor '${e.name}': data_offsets begin at ${e.begin}, expected ${pos} (gap or overlap)`);
    pos = e.end;
  }
  if (pos !== dataLen) fail(`tensors cover ${pos} of the ${dataLen} data bytes`);

  const tensors = new Map<string, tf.Tensor>();
  try {
    for (const e of entries) {
      tensors.set(e.name, decode(bytes, dataStart + e.begin, e));
    }
  } catch (err) {
    for (const t of tensors.values()) t.dispose();
    throw err;
  }
  return { tensors, metadata };
}

function decode(
  bytes: Uint8Array,
  start: number,
  e: { name: string; dtype: string; shape: number[]; numel: number },
): tf.Tensor {
  const n = e.numel;
  const len = n * READ_DTYPES[e.dtype].bytes;
  const dv = new DataView(bytes.buffer, bytes.byteOffset + start, len);
  switch (e.dtype) {
    case 'F32': {
      // Copy into a fresh, aligned buffer (Node's Buffer.slice would return a view into a shared pool).
      const v = littleEndian
        ? new Float32Array(new Uint8Array(bytes.subarray(start, start + len)).buffer)
        : Float32Array.from({ length: n }, (_, i) => dv.getFloat32(4 * i, true));
      return tf.tensor(v, e.shape, 'float32');
    }
    case 'F64': {
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = dv.getFloat64(8 * i, true);
      return tf.tensor(v, e.shape, 'float32');
    }
    case 'F16': {
      const v = new Float32Array(n);
      for (let i = 0; i < n; i++) v[i] = f16ToF32(dv.getUint16(2 * i, true));
      return tf.tensor(v, e.shape, 'float32');
    }
    case 'BF16': {
      const u = new Uint32Array(n);
      for (let i = 0; i < n; i++) u[i] = dv.getUint16(2 * i, true) << 16;
      return tf.tensor(new Float32Array(u.buffer), e.shape, 'float32');
    }
    case 'I32': {
      const v = littleEndian
        ? new Int32Array(new Uint8Array(bytes.subarray(start, start + len)).buffer)
        : Int32Array.from({ length: n }, (_, i) => dv.getInt32(4 * i, true));
      return tf.tensor(v, e.shape, 'int32');
    }
    case 'I64': {
      const v = new Int32Array(n);
      for (let i = 0; i < n; i++) {
        const x = dv.getBigInt64(8 * i, true);
        if (x > 2147483647n || x < -2147483648n) {
          throw new Error(`readSafetensors: tensor '${e.name}': I64 value ${x} at index ${i} does not fit in int32`);
        }
        v[i] = Number(x);
      }
      return tf.tensor(v, e.shape, 'int32');
    }
    case 'I16': {
      const v = new Int32Array(n);
      for (let i = 0; i < n; i++) v[i] = dv.getInt16(2 * i, true);
      return tf.tensor(v, e.shape, 'int32');
    }
    case 'I8':
    case 'U8':
    case 'BOOL': {
      const v = new Int32Array(n);
      for (let i = 0; i < n; i++) v[i] = e.dtype === 'I8' ? dv.getInt8(i) : dv.getUint8(i);
      return tf.tensor(v, e.shape, 'int32');
    }
    default:
      throw new Error(`readSafetensors: tensor '${e.name}': unsupported dtype ${e.dtype}`);
  }
}

export interface WriteSafetensorsOptions {
  /** How float32 tensors are stored. @default 'F32' (lossless; 'F16' halves the file) */
  floatDtype?: 'F32' | 'F16';
}

/**
 * Serializes tensors (float32 → F32 or F16, int32 → I32, bool → BOOL) in the map's order,
 * with optional string metadata. The result loads in Python's safetensors/torch.
 * @throws on a name `__metadata__`, an empty name, a non-string metadata value, or a complex/string tensor
 */
export function writeSafetensors(
  tensors: Map<string, tf.Tensor>,
  metadata?: Record<string, string> | Map<string, string>,
  opts: WriteSafetensorsOptions = {},
): Uint8Array {
  const floatDtype = opts.floatDtype ?? 'F32';
  if (floatDtype !== 'F32' && floatDtype !== 'F16')
    throw new Error(`writeSafetensors: floatDtype = '${String(floatDtype)}' (expected 'F32' or 'F16')`);
  // Build the header as a Map and serialize by hand: a plain object would give `__proto__` a special meaning.
  const parts: string[] = [];
  if (metadata !== undefined) {
    const entries = metadata instanceof Map ? [...metadata] : Object.entries(metadata);
    const meta = entries.map(([k, v]) => {
      if (typeof v !== 'string') throw new Error(`writeSafetensors: metadata['${k}'] is not a string`);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`"__metadata__":{${meta.join(',')}}`);
  }
  const chunks: Array<{ name: string; dtype: string; shape: number[]; data: Uint8Array }> = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__' || name === '')
      throw new Error(`writeSafetensors: tensor name '${name}' is reserved or empty`);
    let dtype: string;
    let data: Uint8Array;
    const values = t.dataSync();
    if (t.dtype === 'float32') {
      if (floatDtype === 'F16') {
        const h = new Uint16Array(values.length);
        for (let i = 0; i < values.length; i++) h[i] = f32ToF16(values[i] as number);
        data = toLE(h, 2);
        dtype = 'F16';
      } else {
        data = toLE(values as Float32Array, 4);
        dtype = 'F32';
      }
    } else if (t.dtype === 'int32') {
      data = toLE(values as Int32Array, 4);
      dtype = 'I32';
    } else if (t.dtype === 'bool') {
      data = Uint8Array.from(values as Uint8Array);
      dtype = 'BOOL';
    } else {
      throw new Error(`writeSafetensors: tensor '${name}' has dtype ${t.dtype}, which safetensors cannot hold here`);
    }
    chunks.push({ name, dtype, shape: t.shape, data });
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"${dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + data.length}]}`,
    );
    offset += data.length;
  }
  let headerBytes = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(headerBytes.length / 8) * 8; // align the data to 8 bytes, as the reference writer does
  if (padded !== headerBytes.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(headerBytes);
    headerBytes = p;
  }
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, headerBytes.length % 4294967296, true);
  dv.setUint32(4, Math.floor(headerBytes.length / 4294967296), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const c of chunks) {
    out.set(c.data, pos);
    pos += c.data.length;
  }
  return out;
}

function toLE(v: Float32Array | Int32Array | Uint16Array, bytesPer: number): Uint8Array {
  if (littleEndian) return new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.length * bytesPer));
  const out = new Uint8Array(v.length * bytesPer);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < v.length; i++) {
    if (v instanceof Float32Array) dv.setFloat32(4 * i, v[i], true);
    else if (v instanceof Int32Array) dv.setInt32(4 * i, v[i], true);
    else dv.setUint16(2 * i, v[i], true);
  }
  return out;
}

/** Exposed for tests and callers that store halves themselves. */
export const halfPrecision = { f16ToF32, f32ToF16 };
