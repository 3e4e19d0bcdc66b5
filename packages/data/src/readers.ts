/**
 * Text readers that work the same in browsers and Node: bytes from a `ReadableStream`, `Blob` /
 * `File`, `Response` or any (async) iterable of chunks, gunzipped with the standard
 * `DecompressionStream` when the data starts with the gzip magic bytes, decoded as UTF-8 with a
 * streaming `TextDecoder`, split into lines (LF or CRLF), then into TSV/CSV fields.
 * File paths (Node's `fs` + `zlib`) live in `@wordloom/data/node` so this module stays
 * bundle-safe. CSV quoting follows RFC 4180 (fields in `"`, `""` for a quote, newlines inside quotes).
 */
import { describe } from './internal/check.js';

/** Anything the readers accept as bytes (or already-decoded text chunks). */
export type ByteSource =
  ReadableStream<Uint8Array> | Blob | Response | AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;

/** Options of {@link readLines}. */
export interface ReadLinesOptions {
  /**
   * `true`: the bytes are gzip; `false`: plain; `'auto'`: gzip iff they start with 1f 8b.
   * Needs `DecompressionStream` (Node >= 18, all current browsers) for gzip.
   * @default 'auto' — a `.gz` is recognized without being told
   */
  gzip?: boolean | 'auto';
}

function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof ReadableStream !== 'undefined' && x instanceof ReadableStream;
}

async function* streamChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  // A reader loop rather than `for await (stream)`: Safari's ReadableStream is not async-iterable.
  const reader = stream.getReader();
  let finished = false;
  try {
    while (true) {
      const { done, value } = await reader.read();
      if (done) {
        finished = true;
        return;
      }
      yield value;
    }
  } finally {
    // Stopped early (break, error downstream): cancel so the source (a file, a fetch) is released.
    if (finished) reader.releaseLock();
    else await reader.cancel();
  }
}

function toChunks(fn: string, source: ByteSource): AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string> {
  if (isReadableStream(source)) return streamChunks(source);
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (!source.body) throw new TypeError(`${fn}: the Response has no body`);
    return streamChunks(source.body);
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob)
    return streamChunks(source.stream() as ReadableStream<Uint8Array>);
  if (source !== null && typeof source === 'object' && (Symbol.asyncIterator in source || Symbol.iterator in source)) {
    return source as AsyncIterable<Uint8Array | string> | Iterable<Uint8Array | string>;
  }
  throw new TypeError(
    `${fn}: source must be a ReadableStream, Blob/File, Response or (async) iterable of chunks, got ${describe(source)}`,
  );
}

function chunksToStream(it: AsyncIterator<Uint8Array | string>, first: Uint8Array): ReadableStream<Uint8Array> {
  let pending: Uint8Array | null = first;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (pending) {
        controller.enqueue(pending);
        pending = null;
        return;
      }
      const { done, value } = await it.next();
      if (done) controller.close();
      else controller.enqueue(typeof value === 'string' ? new TextEncoder().encode(value) : value);
    },
    async cancel() {
      await it.return?.();
    },
  });
}

/** Decoded text chunks of `source`, gunzipped if needed. */
export async function* readText(source: ByteSource, opts: ReadLinesOptions = {}): AsyncGenerator<string> {
  const fn = 'readText';
  const gzip = opts.gzip ?? 'auto';
  if (gzip !== true && gzip !== false && gzip !== 'auto')
    throw new TypeError(`${fn}: gzip must be true, false or 'auto', got ${String(gzip)}`);
  const chunks = toChunks(fn, source);
  const it: AsyncIterator<Uint8Array | string> =
    Symbol.asyncIterator in chunks ? chunks[Symbol.asyncIterator]() : toAsync(chunks as Iterable<Uint8Array | string>);
  try {
    yield* decodeChunks(fn, it, gzip, sourceLabel(source));
  } finally {
    // Closes the source when the consumer stops early (e.g. `readNsmc` with `limit`).
    await it.return?.();
  }
}

/** How errors name the source: a `File`'s name, a `Response`'s URL, or nothing. */
function sourceLabel(source: ByteSource): string {
  const s = source as { name?: unknown; url?: unknown };
  if (typeof Blob !== 'undefined' && source instanceof Blob && typeof s.name === 'string' && s.name !== '')
    return s.name;
  if (typeof Response !== 'undefined' && source instanceof Response && typeof s.url === 'string' && s.url !== '')
    return s.url;
  return '';
}

/**
 * The decompressed chunks of a gzip stream; a decompression failure (not one of the source)
 * becomes an error naming the source and the problem — the runtime's own ("invalid block
 * type", "incorrect header check") name neither.
 */
async function* gunzipChunks(
  fn: string,
  it: AsyncIterator<Uint8Array | string>,
  first: Uint8Array,
  label: string,
): AsyncGenerator<Uint8Array> {
  let sourceFailed = false;
  const tracked: AsyncIterator<Uint8Array | string> = {
    next: async () => {
      try {
        return await it.next();
      } catch (e) {
        sourceFailed = true;
        throw e;
      }
    },
  };
  const stream = chunksToStream(tracked, first).pipeThrough(
    new DecompressionStream('gzip') as unknown as ReadableWritablePair<Uint8Array, Uint8Array>,
  );
  try {
    yield* streamChunks(stream);
  } catch (e) {
    if (sourceFailed) throw e;
    const message = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: unknown } | null)?.code;
    const truncated = code === 'Z_BUF_ERROR' || /unexpected end|truncated|incomplete/iu.test(message);
    const what = truncated ? 'the gzip data ends early (truncated file)' : 'corrupt gzip data';
    throw new Error(`${fn}: ${label === '' ? '' : `${label}: `}${what} (${message})`, { cause: e });
  }
}

async function* decodeChunks(
  fn: string,
  it: AsyncIterator<Uint8Array | string>,
  gzip: boolean | 'auto',
  label: string,
): AsyncGenerator<string> {
  // Find the first non-empty chunk to sniff the gzip magic bytes.
  let first: Uint8Array | string | undefined;
  while (true) {
    const r = await it.next();
    if (r.done) return;
    if (r.value.length > 0) {
      first = r.value;
      break;
    }
  }
  if (typeof first === 'string') {
    if (gzip === true) throw new TypeError(`${fn}: gzip is true but the source yields text, not bytes`);
    yield first;
    while (true) {
      const r = await it.next();
      if (r.done) return;
      yield typeof r.value === 'string' ? r.value : new TextDecoder().decode(r.value);
    }
  }
  let bytes = first as Uint8Array;
  if (gzip === 'auto' && bytes.length === 1) {
    // One byte is not enough to sniff: join with the next chunk.
    const r = await it.next();
    if (!r.done) {
      const nb = typeof r.value === 'string' ? new TextEncoder().encode(r.value) : r.value;
      const joined = new Uint8Array(1 + nb.length);
      joined[0] = bytes[0];
      joined.set(nb, 1);
      bytes = joined;
    }
  }
  const isGz = gzip === 'auto' ? bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b : gzip;
  const decoder = new TextDecoder('utf-8');
  if (!isGz) {
    yield decoder.decode(bytes, { stream: true });
    while (true) {
      const r = await it.next();
      if (r.done) break;
      yield typeof r.value === 'string' ? r.value : decoder.decode(r.value, { stream: true });
    }
    const tail = decoder.decode();
    if (tail) yield tail;
    return;
  }
  if (typeof DecompressionStream === 'undefined') {
    throw new TypeError(
      `${fn}: the data is gzip but this runtime has no DecompressionStream (in Node use @wordloom/data/node)`,
    );
  }
  for await (const chunk of gunzipChunks(fn, it, bytes, label)) yield decoder.decode(chunk, { stream: true });
  const tail = decoder.decode();
  if (tail) yield tail;
}

function toAsync<T>(it: Iterable<T>): AsyncIterator<T> {
  const i = it[Symbol.iterator]();
  return { next: async () => i.next() };
}

/** Lines of a text stream (without their `\n` or `\r\n`); a final line without newline counts. */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    let text = rest + chunk;
    let start = 0;
    let nl = text.indexOf('\n', start);
    while (nl !== -1) {
      const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
      yield text.slice(start, end);
      start = nl + 1;
      nl = text.indexOf('\n', start);
    }
    rest = text.slice(start);
    text = '';
  }
  if (rest.length > 0) yield rest.endsWith('\r') ? rest.slice(0, -1) : rest;
}

/** Lines of `source` (plain or gzip bytes, see {@link ReadLinesOptions}). */
export function readLines(source: ByteSource, opts: ReadLinesOptions = {}): AsyncIterable<string> {
  return splitLines(readText(source, opts));
}

/** Options of {@link readRows}. */
export interface ReadRowsOptions extends ReadLinesOptions {
  /** Field separator (one character). @default '\t' — TSV */
  delimiter?: string;
  /**
   * Quote character for RFC 4180 quoting, or `null` for none (split on the delimiter only).
   * @default '"' when the delimiter is ',', otherwise null — TSV files like NSMC are written
   * without quoting, and their stray quotes are text (pandas `quoting=3`).
   */
  quote?: string | null;
  /** The first row is a header: it is not yielded, and is available as `reader.header`. @default false */
  header?: boolean;
  /**
   * Fields every row must have. @default the header's count (or the first row's count without a header)
   */
  columns?: number;
  /**
   * A row with the wrong number of fields (or broken quoting): `'error'` throws naming its line,
   * `'skip'` drops it and counts it in `reader.skipped` / `reader.skippedLines`.
   * @default 'error' — bad data should not pass silently
   */
  onBadRow?: 'error' | 'skip';
  /** Skip lines that are empty (no characters at all). @default true — a blank line is not a row */
  skipEmptyLines?: boolean;
}

/** An async iterable of rows (arrays of fields) with counters; see {@link readRows}. */
export interface RowReader extends AsyncIterable<string[]> {
  /** Header fields, once the first row has been read (with `header: true`). */
  readonly header: string[] | undefined;
  /** Bad rows skipped so far (with `onBadRow: 'skip'`). */
  readonly skipped: number;
  /** 1-based line numbers of the skipped rows (first 1000). */
  readonly skippedLines: number[];
  /** Rows yielded so far. */
  readonly rows: number;
}

/** Splits a row without quoting. */
function splitPlain(line: string, d: string): string[] {
  return line.split(d);
}

/**
 * TSV/CSV rows of `source`. Line numbers in errors are 1-based lines of the text (a quoted
 * field spanning lines reports the line where its row starts).
 */
export function readRows(source: ByteSource, opts: ReadRowsOptions = {}): RowReader {
  const fn = 'readRows';
  const delimiter = opts.delimiter ?? '\t';
  if (typeof delimiter !== 'string' || delimiter.length !== 1 || delimiter === '\n' || delimiter === '\r') {
    throw new TypeError(
      `${fn}: delimiter must be one character other than a newline, got ${JSON.stringify(delimiter)}`,
    );
  }
  const quote = opts.quote === undefined ? (delimiter === ',' ? '"' : null) : opts.quote;
  if (quote !== null && (typeof quote !== 'string' || quote.length !== 1 || quote === delimiter)) {
    throw new TypeError(
      `${fn}: quote must be one character other than the delimiter, or null, got ${JSON.stringify(quote)}`,
    );
  }
  const onBadRow = opts.onBadRow ?? 'error';
  if (onBadRow !== 'error' && onBadRow !== 'skip')
    throw new TypeError(`${fn}: onBadRow must be 'error' or 'skip', got ${String(onBadRow)}`);
  let columns = opts.columns;
  if (columns !== undefined && (!Number.isInteger(columns) || columns < 1))
    throw new RangeError(`${fn}: columns must be an integer >= 1, got ${String(columns)}`);
  const wantHeader = opts.header ?? false;
  const skipEmpty = opts.skipEmptyLines ?? true;
  const state = { header: undefined as string[] | undefined, skipped: 0, skippedLines: [] as number[], rows: 0 };
  const lines = readLines(source, { gzip: opts.gzip });

  async function* records(): AsyncGenerator<{ fields: string[]; line: number; bad?: string }> {
    let lineNo = 0;
    if (quote === null) {
      for await (const line of lines) {
        lineNo++;
        if (skipEmpty && line.length === 0) continue;
        yield { fields: splitPlain(line, delimiter), line: lineNo };
      }
      return;
    }
    // RFC 4180 state machine over lines; a quoted field may continue on the next line.
    let fields: string[] = [];
    let field = '';
    let inQuotes = false;
    let afterQuote = false; // just closed a quoted field: only a delimiter or line end may follow
    let bad: string | undefined;
    let start = 0;
    for await (const line of lines) {
      lineNo++;
      if (!inQuotes) {
        if (skipEmpty && line.length === 0) continue;
        start = lineNo;
        fields = [];
        field = '';
        afterQuote = false;
        bad = undefined;
      } else {
        field += '\n';
      }
      let atFieldStart = !inQuotes;
      for (let i = 0; i < line.length; i++) {
        const c = line[i];
        if (inQuotes) {
          if (c === quote) {
            if (line[i + 1] === quote) {
              field += quote;
              i++;
            } else {
              inQuotes = false;
              afterQuote = true;
            }
          } else field += c;
        } else if (c === delimiter) {
          fields.push(field);
          field = '';
          afterQuote = false;
          atFieldStart = true;
        } else if (afterQuote) {
          bad ??= `unexpected ${JSON.stringify(c)} after a closing quote at column ${i + 1}`;
        } else if (c === quote && atFieldStart && field.length === 0) {
          inQuotes = true;
          atFieldStart = false;
        } else {
          field += c;
          atFieldStart = false;
        }
      }
      if (!inQuotes) {
        fields.push(field);
        yield { fields, line: start, bad };
      }
    }
    if (inQuotes) {
      fields.push(field);
      yield { fields, line: start, bad: 'unterminated quoted field at end of input' };
    }
  }

  const reader: RowReader = {
    get header() {
      return state.header;
    },
    get skipped() {
      return state.skipped;
    },
    get skippedLines() {
      return state.skippedLines;
    },
    get rows() {
      return state.rows;
    },
    async *[Symbol.asyncIterator]() {
      let first = true;
      for await (const r of records()) {
        if (first && wantHeader) {
          first = false;
          if (r.bad) throw new SyntaxError(`${fn}: line ${r.line}: header: ${r.bad}`);
          state.header = r.fields;
          columns ??= r.fields.length;
          continue;
        }
        first = false;
        columns ??= r.fields.length;
        const problem =
          r.bad ?? (r.fields.length !== columns ? `expected ${columns} fields, got ${r.fields.length}` : undefined);
        if (problem) {
          if (onBadRow === 'skip') {
            state.skipped++;
            if (state.skippedLines.length < 1000) state.skippedLines.push(r.line);
            continue;
          }
          throw new SyntaxError(`${fn}: line ${r.line}: ${problem}`);
        }
        state.rows++;
        yield r.fields;
      }
    },
  };
  return reader;
}

/** One row of NSMC (`id\tdocument\tlabel`). */
export interface NsmcRow {
  /** Naver review id (kept as text). */
  id: string;
  /** The review; may be empty (3 rows of the test split are). */
  document: string;
  /** 0 = negative (rating 1–4), 1 = positive (rating 9–10). */
  label: 0 | 1;
}

/** Options of {@link readNsmc}. */
export interface ReadNsmcOptions extends ReadLinesOptions {
  /** @default 'error' — see {@link ReadRowsOptions.onBadRow} */
  onBadRow?: 'error' | 'skip';
  /** Stop after this many rows (for quick experiments). @default all rows */
  limit?: number;
}

/** What {@link readNsmc} returns. */
export interface NsmcData {
  rows: NsmcRow[];
  /** Malformed rows skipped (with `onBadRow: 'skip'`). */
  skipped: number;
  /** Their 1-based line numbers (first 1000). */
  skippedLines: number[];
}

const NSMC_HEADER = ['id', 'document', 'label'];

/**
 * Reads a whole NSMC file (`ratings_train.txt`, `ratings_test.txt`, plain or .gz) in one call:
 * header `id\tdocument\tlabel` checked and skipped, plain TSV (split on tab, no quote handling —
 * the stray `"` in 233 test documents are text), `label` must be `0` or `1`, `id` digits.
 */
export async function readNsmc(source: ByteSource, opts: ReadNsmcOptions = {}): Promise<NsmcData> {
  const fn = 'readNsmc';
  const onBadRow = opts.onBadRow ?? 'error';
  if (onBadRow !== 'error' && onBadRow !== 'skip')
    throw new TypeError(`${fn}: onBadRow must be 'error' or 'skip', got ${String(onBadRow)}`);
  const limit = opts.limit ?? Infinity;
  if (limit !== Infinity && (!Number.isInteger(limit) || limit < 0))
    throw new RangeError(`${fn}: limit must be an integer >= 0, got ${String(limit)}`);
  const rows: NsmcRow[] = [];
  const skippedLines: number[] = [];
  let skipped = 0;
  let lineNo = 0;
  let sawHeader = false;
  for await (const line of readLines(source, { gzip: opts.gzip })) {
    lineNo++;
    if (!sawHeader) {
      sawHeader = true;
      if (line.replace(/^\uFEFF/, '') !== NSMC_HEADER.join('\t')) {
        throw new SyntaxError(
          `${fn}: line 1: expected the header "id\\tdocument\\tlabel", got ${JSON.stringify(line.slice(0, 80))}`,
        );
      }
      continue;
    }
    if (rows.length >= limit) break;
    if (line.length === 0) continue;
    const f = line.split('\t');
    let problem: string | undefined;
    if (f.length !== 3) problem = `expected 3 tab-separated fields (id, document, label), got ${f.length}`;
    else if (f[2] !== '0' && f[2] !== '1') problem = `label must be 0 or 1, got ${JSON.stringify(f[2])}`;
    else if (!/^\d+$/.test(f[0])) problem = `id must be digits, got ${JSON.stringify(f[0])}`;
    if (problem) {
      if (onBadRow === 'skip') {
        skipped++;
        if (skippedLines.length < 1000) skippedLines.push(lineNo);
        continue;
      }
      throw new SyntaxError(`${fn}: line ${lineNo}: ${problem}`);
    }
    rows.push({ id: f[0], document: f[1], label: f[2] === '1' ? 1 : 0 });
  }
  if (!sawHeader) throw new SyntaxError(`${fn}: the input is empty (no header line)`);
  return { rows, skipped, skippedLines };
}
