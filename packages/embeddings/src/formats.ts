/**
 * word2vec text and binary formats, as word2vec.c writes them and gensim 4.2
 * `KeyedVectors.save_word2vec_format` / `load_word2vec_format` read and write them.
 *
 * Header `"<words> <dim>\n"`. Text: one line `word v1 v2 … vD` per word. Binary: `word`,
 * one space, `dim` little-endian float32; word2vec.c adds `"\n"` after each vector, gensim 4
 * does not — both are read (a newline before a word is skipped).
 *
 * Every size in the header is checked against the bytes actually present before anything
 * is allocated, so a truncated file or a lying header gives a clear error, never a huge
 * allocation.
 */
import { gzipProblem, nodeBuiltin } from './internal/node.js';
import { KeyedVectors } from './keyed-vectors.js';

/** Options of {@link writeWord2VecFormat}. */
export interface WriteWord2VecOptions {
  /** Binary (`true`) or text (`false`). @default false — text, like gensim's default. */
  binary?: boolean;
  /**
   * Binary only: write `"\n"` after each vector as word2vec.c does (gensim 4 writes none; both
   * read either).
   * @default false — gensim 4's layout.
   */
  trailingNewline?: boolean;
  /** Write only the first `limit` words. @default undefined — all. */
  limit?: number;
}

/** Options of {@link readWord2VecFormat}. */
export interface ReadWord2VecOptions {
  /** @default undefined — detected: text when the first record parses as `dim` numbers. */
  binary?: boolean;
  /** Read only the first `limit` words. @default undefined — all. */
  limit?: number;
}

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });

/** Shortest decimal that reads back to the same float32 (what numpy's `repr` prints). */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
  const f = Math.fround(x);
  for (let p = 1; p < 10; p++) {
    const s = f.toPrecision(p);
    if (Math.fround(Number(s)) === f) return String(Number(s));
  }
  return String(f);
}

/** Serializes vectors in word2vec text or binary format. */
export function writeWord2VecFormat(kv: KeyedVectors, opts: WriteWord2VecOptions = {}): Uint8Array {
  const n = Math.min(opts.limit ?? kv.size, kv.size);
  const D = kv.dim;
  for (let i = 0; i < n; i++) {
    const w = kv.words[i]!;
    if (w.length === 0 || /[ \n]/u.test(w)) {
      throw new Error(
        `writeWord2VecFormat: word ${JSON.stringify(w)} at row ${i} is empty or contains a space or newline`,
      );
    }
  }
  const header = enc.encode(`${n} ${D}\n`);
  if (opts.binary !== true) {
    const parts: string[] = [];
    for (let i = 0; i < n; i++) {
      const row: string[] = new Array(D);
      for (let k = 0; k < D; k++) row[k] = formatFloat32(kv.vectors[i * D + k]!);
      parts.push(`${kv.words[i]} ${row.join(' ')}\n`);
    }
    const body = enc.encode(parts.join(''));
    const out = new Uint8Array(header.length + body.length);
    out.set(header);
    out.set(body, header.length);
    return out;
  }
  const nl = opts.trailingNewline === true ? 1 : 0;
  const words = kv.words.slice(0, n).map((w) => enc.encode(w));
  let size = header.length;
  for (const w of words) size += w.length + 1 + 4 * D + nl;
  const out = new Uint8Array(size);
  const dv = new DataView(out.buffer);
  out.set(header);
  let p = header.length;
  for (let i = 0; i < n; i++) {
    out.set(words[i]!, p);
    p += words[i]!.length;
    out[p++] = 0x20;
    for (let k = 0; k < D; k++, p += 4) dv.setFloat32(p, kv.vectors[i * D + k]!, true);
    if (nl) out[p++] = 0x0a;
  }
  return out;
}

function parseHeader(fn: string, bytes: Uint8Array): { V: number; D: number; start: number } {
  let e = 0;
  while (e < bytes.length && e < 256 && bytes[e] !== 0x0a) e++;
  if (e >= bytes.length || bytes[e] !== 0x0a) {
    throw new Error(`${fn}: no header line "<words> <dim>" (file has ${bytes.length} bytes)`);
  }
  const line = new TextDecoder().decode(bytes.subarray(0, e)).trim();
  const m = /^(\d+)\s+(\d+)$/u.exec(line);
  if (!m) throw new Error(`${fn}: bad header ${JSON.stringify(line)}, expected "<words> <dim>"`);
  const V = Number(m[1]);
  const D = Number(m[2]);
  if (!Number.isSafeInteger(V) || !Number.isSafeInteger(D) || D < 1) {
    throw new Error(`${fn}: bad header ${JSON.stringify(line)}: words = ${m[1]}, dim = ${m[2]}`);
  }
  return { V, D, start: e + 1 };
}

/** A text value: a JS number, or numpy's `nan` / `inf` / `-inf` (any case); NaN if neither. */
function parseValue(t: string): number {
  if (t === '') return NaN;
  const x = Number(t);
  if (!Number.isNaN(x)) return x;
  const m = /^([+-]?)(nan|inf|infinity)$/iu.exec(t);
  if (m == null) return NaN;
  if (m[2]!.toLowerCase() === 'nan') return NaN;
  return m[1] === '-' ? -Infinity : Infinity;
}

function isValue(t: string): boolean {
  return !Number.isNaN(parseValue(t)) || /^[+-]?nan$/iu.test(t);
}

/**
 * Whether the bytes after the header are text. The first record is read as a row: the word
 * (not looked at, so a text file whose first word is not valid UTF-8 is still text, and then
 * reported as such), a space, then up to a newline. Text when that rest is printable ASCII and
 * either holds `D` values, or (with `D ≥ 4`) anything printable — a binary record has `4·D`
 * raw float32 bytes there, which for real vectors include control bytes or bytes above 0x7e
 * — or the bytes are too few for `V` binary records anyway. So a text file with a bad value
 * or a short row is parsed as text, and its error names the line and the value.
 */
function looksText(bytes: Uint8Array, start: number, D: number, V: number): boolean {
  const limit = Math.min(bytes.length, start + 256 + 64 * D);
  let p = start;
  while (p < limit && bytes[p] !== 0x20 && bytes[p] !== 0x0a) p++; // the word
  if (p >= limit || bytes[p] !== 0x20) return false;
  const from = p + 1;
  for (; p < limit && bytes[p] !== 0x0a; p++) {
    const b = bytes[p]!;
    if ((b < 0x20 && b !== 0x0d && b !== 0x09) || b > 0x7e) return false;
  }
  if (p < bytes.length && bytes[p] !== 0x0a) return false; // longer than any text row
  const values = String.fromCharCode(...bytes.subarray(from, p))
    .trim()
    .split(/[ \t]+/u);
  if (values.length === D && values.every(isValue)) return true;
  return D >= 4 || bytes.length - start < V * (2 + 4 * D);
}

/** The 1-based line of the first invalid UTF-8 in `bytes` (lines counted from the file start). */
function firstBadUtf8Line(bytes: Uint8Array, start: number): { line: number; bytes: string } {
  let line = 2;
  let ls = start;
  for (let p = start; p <= bytes.length; p++) {
    if (p === bytes.length || bytes[p] === 0x0a) {
      try {
        dec.decode(bytes.subarray(ls, p));
      } catch {
        const shown = Array.from(bytes.subarray(ls, Math.min(p, ls + 24)), (b) => b.toString(16).padStart(2, '0'));
        return { line, bytes: shown.join(' ') };
      }
      line++;
      ls = p + 1;
    }
  }
  return { line: -1, bytes: '' };
}

/**
 * Parses word2vec text or binary bytes (`.gz` bytes are not detected here; see
 * {@link loadWord2VecFormat}).
 * @throws on a bad header, a truncated file, a header that claims more than the bytes hold,
 *   rows of the wrong length, non-numbers, invalid UTF-8 or duplicate words.
 */
export function readWord2VecFormat(bytes: Uint8Array, opts: ReadWord2VecOptions = {}): KeyedVectors {
  const fn = 'readWord2VecFormat';
  const { V: claimed, D, start } = parseHeader(fn, bytes);
  const V = Math.min(claimed, opts.limit ?? claimed);
  const binary = opts.binary ?? (claimed === 0 ? false : !looksText(bytes, start, D, V));
  const remaining = bytes.length - start;
  if (binary) {
    // every record needs >= 1 byte of word + 1 space + 4*D bytes
    const minBytes = V * (2 + 4 * D);
    if (minBytes > remaining) {
      throw new Error(
        `${fn}: header claims ${claimed} words of dim ${D}, which needs at least ${minBytes} bytes for ${V} binary records, but only ${remaining} bytes follow the header (truncated file or wrong header)`,
      );
    }
  } else {
    // every text line needs >= 1 byte of word and 2 bytes per value
    const minBytes = V * (1 + 2 * D);
    if (minBytes > remaining) {
      throw new Error(
        `${fn}: header claims ${claimed} words of dim ${D}, which needs at least ${minBytes} bytes of text, but only ${remaining} bytes follow the header (truncated file or wrong header)`,
      );
    }
  }
  const vectors = new Float32Array(V * D);
  const words: string[] = new Array(V);
  const seen = new Map<string, number>();
  let p = start;
  if (binary) {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < V; i++) {
      while (p < bytes.length && bytes[p] === 0x0a) p++; // word2vec.c's newline after a vector
      const ws = p;
      while (p < bytes.length && bytes[p] !== 0x20) p++;
      if (p >= bytes.length) {
        throw new Error(
          `${fn}: truncated binary file: word ${i} of ${claimed} has no terminating space (at byte ${ws})`,
        );
      }
      let w: string;
      try {
        w = dec.decode(bytes.subarray(ws, p));
      } catch {
        throw new Error(`${fn}: word ${i} (bytes ${ws}..${p}) is not valid UTF-8`);
      }
      p++;
      if (p + 4 * D > bytes.length) {
        throw new Error(
          `${fn}: truncated binary file: vector of word ${i} of ${claimed} (${JSON.stringify(w)}) needs ${4 * D} bytes at byte ${p}, only ${bytes.length - p} left`,
        );
      }
      for (let k = 0; k < D; k++, p += 4) vectors[i * D + k] = dv.getFloat32(p, true);
      if (seen.has(w)) throw new Error(`${fn}: duplicate word ${JSON.stringify(w)} at rows ${seen.get(w)} and ${i}`);
      seen.set(w, i);
      words[i] = w;
    }
  } else {
    let text: string;
    try {
      text = dec.decode(bytes.subarray(start));
    } catch {
      const bad = firstBadUtf8Line(bytes, start);
      throw new Error(
        `${fn}: text file is not valid UTF-8: line ${bad.line} starts with bytes ${bad.bytes} (word2vec files are UTF-8; re-encode the file, e.g. iconv -f cp949 -t utf-8)`,
      );
    }
    let q = 0;
    for (let i = 0; i < V; i++) {
      if (q >= text.length) throw new Error(`${fn}: truncated text file: header claims ${claimed} words, found ${i}`);
      let e = text.indexOf('\n', q);
      if (e < 0) e = text.length;
      const line = text.slice(q, e).trimEnd();
      q = e + 1;
      const parts = line.split(' ');
      // gensim: `parts = line.rstrip().split(" ")`, must have dim + 1 fields
      if (parts.length !== D + 1) {
        throw new Error(
          `${fn}: line ${i + 2} has ${parts.length - 1} values, expected dim = ${D} (word ${JSON.stringify(parts[0])})`,
        );
      }
      const w = parts[0]!;
      for (let k = 0; k < D; k++) {
        const t = parts[k + 1]!;
        const x = parseValue(t);
        if (!isValue(t)) {
          throw new Error(`${fn}: line ${i + 2}: value ${k} = ${JSON.stringify(t)} is not a number`);
        }
        vectors[i * D + k] = x;
      }
      if (seen.has(w)) throw new Error(`${fn}: duplicate word ${JSON.stringify(w)} at rows ${seen.get(w)} and ${i}`);
      seen.set(w, i);
      words[i] = w;
    }
  }
  return new KeyedVectors({ words, vectors, dim: D });
}

/** Writes a word2vec file (`.gz` paths are gzipped). */
export function saveWord2VecFormat(kv: KeyedVectors, path: string, opts: WriteWord2VecOptions = {}): void {
  const bytes = writeWord2VecFormat(kv, opts);
  const instead = 'in the browser use writeWord2VecFormat(kv), which returns the bytes';
  const fs = nodeBuiltin('node:fs', 'saveWord2VecFormat(kv, path)', instead);
  const zlib = nodeBuiltin('node:zlib', 'saveWord2VecFormat(kv, path)', instead);
  fs.writeFileSync(path, path.endsWith('.gz') ? zlib.gzipSync(bytes) : bytes);
}

/** Reads a word2vec file (`.gz` paths are gunzipped). Errors as {@link readWord2VecFormat}. */
export function loadWord2VecFormat(path: string, opts: ReadWord2VecOptions = {}): KeyedVectors {
  const instead = 'in the browser fetch the bytes and use readWord2VecFormat(bytes)';
  const fs = nodeBuiltin('node:fs', 'loadWord2VecFormat(path)', instead);
  const zlib = nodeBuiltin('node:zlib', 'loadWord2VecFormat(path)', instead);
  let bytes: Uint8Array = fs.readFileSync(path);
  if (path.endsWith('.gz')) {
    try {
      bytes = zlib.gunzipSync(bytes);
    } catch (e) {
      throw new Error(`loadWord2VecFormat(${JSON.stringify(path)}): ${gzipProblem(e)}`, { cause: e });
    }
  }
  try {
    return readWord2VecFormat(bytes, opts);
  } catch (e) {
    throw new Error(`loadWord2VecFormat(${JSON.stringify(path)}): ${(e as Error).message}`);
  }
}
