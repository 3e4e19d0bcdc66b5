import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readLines, readNsmc, readRows } from './readers.js';
import { openFile, readLinesFromFile, readNsmcFile, readRowsFromFile } from './node.js';

const fixture = (name: string) => new URL(`../test/fixtures/${name}`, import.meta.url);
const enc = (s: string) => new TextEncoder().encode(s);
async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
/** Cuts bytes into chunks of `n` (to cross UTF-8 sequences, CRLF pairs and gzip magic bytes). */
function chunked(bytes: Uint8Array, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += n) out.push(bytes.slice(i, i + n));
  return out;
}

describe('readLines', () => {
  const text = 'héllo\r\n영화 좋아\n\nlast';
  it('splits LF/CRLF, keeps empty lines, yields a last line without newline, across any chunking', async () => {
    for (const n of [1, 2, 3, 7, 1000]) {
      expect(await collect(readLines(chunked(enc(text), n)))).toEqual(['héllo', '영화 좋아', '', 'last']);
    }
    expect(await collect(readLines([enc('a\nb\n')]))).toEqual(['a', 'b']);
    expect(await collect(readLines(['x\ny']))).toEqual(['x', 'y']);
  });
  it('gzip is detected by its magic bytes (DecompressionStream), from chunks, Blob, Response and ReadableStream', async () => {
    const gz = gzipSync(enc(text));
    for (const n of [1, 5, 100000])
      expect(await collect(readLines(chunked(gz, n)))).toEqual(['héllo', '영화 좋아', '', 'last']);
    expect(await collect(readLines(new Blob([gz])))).toEqual(['héllo', '영화 좋아', '', 'last']);
    expect(await collect(readLines(new Response(gz)))).toEqual(['héllo', '영화 좋아', '', 'last']);
    expect(await collect(readLines(new Blob([text]).stream()))).toEqual(['héllo', '영화 좋아', '', 'last']);
    // gzip: false passes compressed bytes through as (garbage) text instead of inflating.
    expect((await collect(readLines([gz], { gzip: false })))[0]).not.toBe('héllo');
  });
  it('stopping early closes the source (plain, gzip, and a ReadableStream)', async () => {
    const body = enc('a\nb\nc\nd\n');
    for (const bytes of [body, gzipSync(body)]) {
      let closed = false;
      async function* source() {
        try {
          for (const c of chunked(bytes, 2)) yield c;
        } finally {
          closed = true;
        }
      }
      for await (const line of readLines(source())) {
        expect(line).toBe('a');
        break;
      }
      expect(closed).toBe(true);
    }
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        c.enqueue(enc('x\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const _ of readLines(stream)) break;
    expect(cancelled).toBe(true);
    const limited = await readNsmc(
      (async function* () {
        yield enc('id\tdocument\tlabel\n1\ta\t0\n2\tb\t1\n');
        throw new Error('read past the limit');
      })(),
      { limit: 1 },
    );
    expect(limited.rows.length).toBe(1);
  });
  it('rejects unknown sources', async () => {
    const iter = readLines(42 as never)[Symbol.asyncIterator]();
    await expect(iter.next()).rejects.toThrow(/source must be a ReadableStream/);
  });
});

describe('readRows', () => {
  it('TSV: header skip, counted bad rows with onBadRow skip, error naming the line otherwise', async () => {
    const tsv = 'a\tb\tc\n1\t2\t3\n4\t5\n\n6\t7\t8\n9\t10\t11\t12\n';
    const r = readRows([tsv], { header: true, onBadRow: 'skip' });
    expect(await collect(r)).toEqual([
      ['1', '2', '3'],
      ['6', '7', '8'],
    ]);
    expect(r.header).toEqual(['a', 'b', 'c']);
    expect(r.skipped).toBe(2);
    expect(r.skippedLines).toEqual([3, 6]);
    expect(r.rows).toBe(2);
    await expect(collect(readRows([tsv], { header: true }))).rejects.toThrow(
      /readRows: line 3: expected 3 fields, got 2/,
    );
  });
  it('CSV: RFC 4180 quotes, doubled quotes, delimiters and newlines inside quotes', async () => {
    const csv = 'id,text\n1,"hello, ""world"""\n2,"two\nlines"\n3,plain\r\n';
    const rows = await collect(readRows([csv], { delimiter: ',', header: true }));
    expect(rows).toEqual([
      ['1', 'hello, "world"'],
      ['2', 'two\nlines'],
      ['3', 'plain'],
    ]);
    await expect(collect(readRows(['a,b\n1,"x"y\n'], { delimiter: ',' }))).rejects.toThrow(
      /line 2: unexpected "y" after a closing quote/,
    );
    await expect(collect(readRows(['a,b\n1,"open\n'], { delimiter: ',' }))).rejects.toThrow(
      /line 2: unterminated quoted field/,
    );
    // With quote: null a TSV's quotes are text.
    expect(await collect(readRows(['"a"\t""b'], {}))).toEqual([['"a"', '""b']]);
  });
  it('option errors', () => {
    expect(() => readRows([''], { delimiter: 'ab' })).toThrow(/delimiter must be one character/);
    expect(() => readRows([''], { onBadRow: 'ignore' as never })).toThrow(/onBadRow must be 'error' or 'skip'/);
  });
});

describe('NSMC', () => {
  it('reads the 200-row fixture in one call (plain TSV, quotes kept, empty documents allowed)', async () => {
    const plain = await readNsmc([readFileSync(fixture('nsmc_200.txt'))]);
    expect(plain.rows.length).toBe(200);
    expect(plain.skipped).toBe(0);
    expect(plain.rows[0]).toEqual({ id: '6270596', document: '굳 ㅋ', label: 1 });
    expect(plain.rows.filter((r) => r.document === '').length).toBe(2);
    expect(plain.rows[196].document.startsWith('"""')).toBe(true);
    expect(plain.rows.filter((r) => r.label === 1).length + plain.rows.filter((r) => r.label === 0).length).toBe(200);
    // Same rows from the .gz through DecompressionStream, through node:zlib, and via readRowsFromFile.
    const gzWeb = await readNsmc(new Blob([readFileSync(fixture('nsmc_200.txt.gz'))]));
    expect(gzWeb.rows).toEqual(plain.rows);
    const gzNode = await readNsmcFile(fixture('nsmc_200.txt.gz').pathname);
    expect(gzNode.rows).toEqual(plain.rows);
    const rowReader = readRowsFromFile(fixture('nsmc_200.txt.gz').pathname, { header: true });
    const rows = await collect(rowReader);
    expect(rows.map((r) => r[1])).toEqual(plain.rows.map((r) => r.document));
    expect(rowReader.header).toEqual(['id', 'document', 'label']);
    const lines = await collect(readLinesFromFile(fixture('nsmc_200.txt').pathname));
    expect(lines.length).toBe(201);
    const limited = await readNsmcFile(fixture('nsmc_200.txt').pathname, { limit: 5 });
    expect(limited.rows).toEqual(plain.rows.slice(0, 5));
  });
  it('malformed rows: error naming the line, or skipped and counted', async () => {
    const bad = 'id\tdocument\tlabel\n1\tgood\t1\n2\tno label\n3\tbad label\t5\nx\tbad id\t0\n4\tfine\t0\n';
    await expect(readNsmc([bad])).rejects.toThrow(
      /readNsmc: line 3: expected 3 tab-separated fields \(id, document, label\), got 2/,
    );
    const skipped = await readNsmc([bad], { onBadRow: 'skip' });
    expect(skipped.rows.map((r) => r.id)).toEqual(['1', '4']);
    expect(skipped.skipped).toBe(3);
    expect(skipped.skippedLines).toEqual([3, 4, 5]);
    await expect(readNsmc(['foo\tbar\n'])).rejects.toThrow(/line 1: expected the header/);
    await expect(readNsmc([''])).rejects.toThrow(/input is empty/);
  });
  it('openFile streams decompressed chunks', async () => {
    const chunks = await collect(openFile(fixture('nsmc_200.txt.gz').pathname, { highWaterMark: 1024 }));
    const total = chunks.reduce((a, c) => a + c.length, 0);
    expect(total).toBe(readFileSync(fixture('nsmc_200.txt')).length);
    await expect(collect(openFile('/nonexistent/file.txt'))).rejects.toThrow(/ENOENT/);
  });
});

describe('bundle safety', () => {
  it('only node.ts imports node: modules (the main entry stays browser-safe)', () => {
    const dir = new URL('./', import.meta.url);
    const offenders = readdirSync(dir, { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'node.ts')
      .filter((f) => /from ['"]node:|import\(['"]node:/.test(readFileSync(new URL(f, dir), 'utf8')));
    expect(offenders).toEqual([]);
    expect(readFileSync(new URL('node.ts', dir), 'utf8')).toMatch(/from 'node:fs'/);
  });
});

describe('a corrupt or truncated gzip names the source and the problem (not zlib\'s "invalid block type")', () => {
  const gz = gzipSync(readFileSync(fixture('nsmc_200.txt')));
  const corrupt = Uint8Array.from(gz);
  for (let i = 12; i < 40; i++) corrupt[i] ^= 0x5a;
  const cut = gz.subarray(0, gz.length >> 1);

  it('from a file path (@wordloom/data/node)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-data-gz-'));
    writeFileSync(join(dir, 'corrupt.txt.gz'), corrupt);
    writeFileSync(join(dir, 'cut.txt.gz'), cut);
    await expect(readNsmcFile(join(dir, 'corrupt.txt.gz'))).rejects.toThrow(
      new RegExp(`^openFile: ${dir}/corrupt\\.txt\\.gz: corrupt gzip data \\(zlib: .+\\)$`, 'u'),
    );
    await expect(collect(readLinesFromFile(join(dir, 'cut.txt.gz')))).rejects.toThrow(
      `openFile: ${dir}/cut.txt.gz: the gzip data ends early (truncated file) (zlib: unexpected end of file)`,
    );
  });

  it('from bytes, a File (its name) and a Response (its URL)', async () => {
    await expect(collect(readLines([corrupt]))).rejects.toThrow(/^readText: corrupt gzip data \(.+\)$/u);
    await expect(collect(readLines(chunked(cut, 100)))).rejects.toThrow(
      /^readText: the gzip data ends early \(truncated file\) \(.+\)$/u,
    );
    await expect(collect(readLines(new File([corrupt], 'ratings.txt.gz')))).rejects.toThrow(
      /^readText: ratings\.txt\.gz: corrupt gzip data/u,
    );
    const response = new Response(corrupt);
    Object.defineProperty(response, 'url', { value: 'https://example.org/ratings.txt.gz' });
    await expect(collect(readLines(response))).rejects.toThrow(
      /^readText: https:\/\/example\.org\/ratings\.txt\.gz: corrupt gzip data/u,
    );
  });

  it('an error of the source itself is passed on unchanged', async () => {
    async function* failing(): AsyncGenerator<Uint8Array> {
      yield gz.subarray(0, 20);
      throw new Error('network down');
    }
    await expect(collect(readLines(failing()))).rejects.toThrow(/^network down$/u);
  });
});
