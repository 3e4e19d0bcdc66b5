/**
 * `@wordloom/data/node`: the readers of `@wordloom/data` on file paths, streamed with `node:fs`
 * and gunzipped with `node:zlib` (no whole-file buffering). Kept out of the main entry so that
 * browser bundles never see `node:` imports.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import {
  readLines,
  readNsmc,
  readRows,
  type NsmcData,
  type ReadLinesOptions,
  type ReadNsmcOptions,
  type ReadRowsOptions,
  type RowReader,
} from './readers.js';

/** Options of {@link openFile}. */
export interface OpenFileOptions {
  /**
   * `'auto'` looks at the first two bytes (gzip magic 1f 8b), whatever the file name.
   * @default 'auto'
   */
  gzip?: boolean | 'auto';
  /** Read buffer size in bytes. @default 65536 — 64 KiB, fs's default for streams */
  highWaterMark?: number;
}

async function isGzipFile(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(2);
    const { bytesRead } = await fh.read(buf, 0, 2, 0);
    return bytesRead === 2 && buf[0] === 0x1f && buf[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

/**
 * What is wrong with a gzip file, in words, when `e` is a zlib error (whose own messages —
 * "invalid block type", "incorrect header check", "unexpected end of file" — name neither
 * the file nor the problem); null for any other error.
 */
function gzipProblem(e: unknown): string | null {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('Z_')) return null;
  const what = code === 'Z_BUF_ERROR' ? 'the gzip data ends early (truncated file)' : 'corrupt gzip data';
  return `${what} (zlib: ${(e as Error).message})`;
}

/** The decompressed bytes of a file, streamed (an async iterable of `Uint8Array` chunks). */
export async function* openFile(path: string, opts: OpenFileOptions = {}): AsyncGenerator<Uint8Array> {
  if (typeof path !== 'string' || path.length === 0)
    throw new TypeError(`openFile: path must be a non-empty string, got ${String(path)}`);
  const gzip = opts.gzip ?? 'auto';
  const gz = gzip === 'auto' ? await isGzipFile(path) : gzip;
  const file = createReadStream(path, { highWaterMark: opts.highWaterMark ?? 65536 });
  const stream = gz ? file.pipe(createGunzip()) : file;
  if (gz) file.on('error', (e) => stream.destroy(e));
  try {
    for await (const chunk of stream) yield chunk as Uint8Array;
  } catch (e) {
    const problem = gz ? gzipProblem(e) : null;
    throw problem == null ? e : new Error(`openFile: ${path}: ${problem}`, { cause: e });
  } finally {
    file.destroy();
    stream.destroy();
  }
}

/** {@link readLines} on a file path (plain or gzip). */
export function readLinesFromFile(path: string, opts: OpenFileOptions = {}): AsyncIterable<string> {
  return readLines(openFile(path, opts), { gzip: false } satisfies ReadLinesOptions);
}

/** {@link readRows} on a file path (plain or gzip). */
export function readRowsFromFile(path: string, opts: Omit<ReadRowsOptions, 'gzip'> & OpenFileOptions = {}): RowReader {
  const { gzip, highWaterMark, ...rest } = opts;
  return readRows(openFile(path, { gzip, highWaterMark }), { ...rest, gzip: false });
}

/** {@link readNsmc} on a file path, e.g. `../shared/data/nsmc/ratings_test.txt.gz`. */
export function readNsmcFile(
  path: string,
  opts: Omit<ReadNsmcOptions, 'gzip'> & OpenFileOptions = {},
): Promise<NsmcData> {
  const { gzip, highWaterMark, ...rest } = opts;
  return readNsmc(openFile(path, { gzip, highWaterMark }), { ...rest, gzip: false });
}
