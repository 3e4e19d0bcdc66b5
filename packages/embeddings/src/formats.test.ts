import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyedVectors } from './keyed-vectors.js';
import {
  formatFloat32,
  loadWord2VecFormat,
  readWord2VecFormat,
  saveWord2VecFormat,
  writeWord2VecFormat,
} from './formats.js';
import { fixture } from '../test/fixture-path.js';

const gText = loadWord2VecFormat(fixture('eval-vectors.txt'));
const gBin = loadWord2VecFormat(fixture('eval-vectors.bin'));
const enc = new TextEncoder();

function oursSmall(): KeyedVectors {
  // exactly what tooling/golden/embeddings/write_ours.mjs writes
  const n = 20;
  const words = gText.words.slice(0, n - 1).concat(['희망']);
  return new KeyedVectors({ words, vectors: gText.vectors.slice(0, n * gText.dim), dim: gText.dim });
}

describe('word2vec formats vs gensim 4.2', () => {
  it("reads gensim's text and binary files to the same float32 values", () => {
    expect(gText.size).toBe(340);
    expect(gText.dim).toBe(16);
    expect(gBin.words).toEqual(gText.words);
    expect(gBin.vectors).toEqual(gText.vectors);
  });

  it("writes binary byte-identical to gensim, and text that gensim's repr matches", () => {
    expect(
      Buffer.from(writeWord2VecFormat(gText, { binary: true })).equals(readFileSync(fixture('eval-vectors.bin'))),
    ).toBe(true);
    const ours = Buffer.from(writeWord2VecFormat(gText)).toString('utf8');
    const theirs = readFileSync(fixture('eval-vectors.txt'), 'utf8');
    expect(ours).toBe(theirs);
  });

  it('our files (fixtures/ours*.{txt,bin}) are what our writer produces, and gensim reads them back exactly', () => {
    const kv = oursSmall();
    expect(Buffer.from(writeWord2VecFormat(kv)).equals(readFileSync(fixture('ours.txt')))).toBe(true);
    expect(Buffer.from(writeWord2VecFormat(kv, { binary: true })).equals(readFileSync(fixture('ours.bin')))).toBe(true);
    expect(
      Buffer.from(writeWord2VecFormat(kv, { binary: true, trailingNewline: true })).equals(
        readFileSync(fixture('ours-c.bin')),
      ),
    ).toBe(true);
    const read = JSON.parse(readFileSync(fixture('gensim-reads-ours.json'), 'utf8')) as Record<
      string,
      { words: string[]; vectors: number[][] }
    >;
    for (const name of ['ours.txt', 'ours.bin', 'ours-c.bin']) {
      expect(read[name]!.words).toEqual(kv.words);
      expect(Float32Array.from(read[name]!.vectors.flat())).toEqual(kv.vectors);
      // and we read our own files back (C-style newline after each vector included)
      expect(loadWord2VecFormat(fixture(name)).vectors).toEqual(kv.vectors);
    }
  });

  it('round-trips through files, .gz included, and honours limit', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-w2v-'));
    for (const [name, binary] of [
      ['v.txt', false],
      ['v.bin', true],
      ['v.bin.gz', true],
    ] as const) {
      saveWord2VecFormat(gText, join(dir, name), { binary });
      const back = loadWord2VecFormat(join(dir, name), { binary });
      expect(back.words).toEqual(gText.words);
      expect(back.vectors).toEqual(gText.vectors);
    }
    expect(loadWord2VecFormat(join(dir, 'v.bin'), { limit: 3 }).words).toEqual(gText.words.slice(0, 3));
  });

  it('formats float32 as numpy repr does (shortest round trip)', () => {
    expect(formatFloat32(0.1)).toBe('0.1');
    expect(formatFloat32(Math.fround(0.17274))).toBe('0.17274');
    expect(formatFloat32(-0)).toBe('0');
    expect(Math.fround(Number(formatFloat32(Math.fround(1 / 3))))).toBe(Math.fround(1 / 3));
  });
});

describe('word2vec formats: bad input gives clear errors', () => {
  const bin = writeWord2VecFormat(gText, { binary: true });

  it('truncated binary file', () => {
    expect(() => readWord2VecFormat(bin.subarray(0, bin.length - 10), { binary: true })).toThrow(
      /needs at least \d+ bytes|truncated binary file/,
    );
    // truncation that passes the size check but cuts the last vector
    const header = enc.encode('2 4\n');
    const rec = new Uint8Array([
      ...enc.encode('abcdefgh '),
      ...new Uint8Array(16),
      ...enc.encode('b '),
      ...new Uint8Array(10),
    ]);
    const bytes = new Uint8Array([...header, ...rec]);
    expect(() => readWord2VecFormat(bytes, { binary: true })).toThrow(
      /truncated binary file: vector of word 1 of 2 \("b"\) needs 16 bytes/,
    );
  });

  it('a header that lies about sizes is rejected before allocating', () => {
    const lie = new Uint8Array([...enc.encode('4000000000 300\n'), ...bin.subarray(bin.indexOf(10) + 1)]);
    expect(() => readWord2VecFormat(lie, { binary: true })).toThrow(
      /header claims 4000000000 words of dim 300, which needs at least/,
    );
    expect(() => readWord2VecFormat(enc.encode('99999999999 5\nword 1 2 3 4 5\n'))).toThrow(
      /header claims 99999999999 words/,
    );
    expect(() => readWord2VecFormat(enc.encode('3 x\n'))).toThrow(/bad header "3 x"/);
    expect(() => readWord2VecFormat(enc.encode(''))).toThrow(/no header line/);
  });

  it('text rows of the wrong length, non-numbers, too few rows, duplicates', () => {
    expect(() => readWord2VecFormat(enc.encode('1 3\nabc 1 2\n'), { binary: false })).toThrow(
      /line 2 has 2 values, expected dim = 3 \(word "abc"\)/,
    );
    expect(() => readWord2VecFormat(enc.encode('1 2\na 1 zz\n'), { binary: false })).toThrow(
      /value 1 = "zz" is not a number/,
    );
    expect(() => readWord2VecFormat(enc.encode('3 1\naaaa 1\nbbbb 2\n'), { binary: false })).toThrow(
      /truncated text file: header claims 3 words, found 2/,
    );
    expect(() => readWord2VecFormat(enc.encode('2 1\na 1\na 2\n'), { binary: false })).toThrow(
      /duplicate word "a" at rows 0 and 1/,
    );
  });

  it('accepts word2vec.c text with trailing spaces and no final newline', () => {
    const kv = readWord2VecFormat(enc.encode('2 2\nx 1 2 \ny 3 4'));
    expect(kv.words).toEqual(['x', 'y']);
    expect(Array.from(kv.vectors)).toEqual([1, 2, 3, 4]);
  });

  it('refuses to write words with spaces', () => {
    const kv = new KeyedVectors({ words: ['a b'], vectors: new Float32Array([1]), dim: 1 });
    expect(() => writeWord2VecFormat(kv)).toThrow(/word "a b" at row 0 is empty or contains a space/);
  });
});

describe('word2vec formats: text or binary is told apart by what the first row is', () => {
  const bytes = (...parts: Array<string | number[]>): Uint8Array =>
    new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...enc.encode(p)] : p)));

  it('a text file with NaN / inf values is text (they read back as numpy writes them)', () => {
    const kv = readWord2VecFormat(enc.encode('2 4\nfoo 1 NaN 3 4\nbar -inf 5 6 inf\n'));
    expect(kv.words).toEqual(['foo', 'bar']);
    expect(Array.from(kv.vectors)).toEqual([1, NaN, 3, 4, -Infinity, 5, 6, Infinity]);
    // what writeWord2VecFormat writes for them reads back
    const back = readWord2VecFormat(writeWord2VecFormat(kv));
    expect(Array.from(back.vectors)).toEqual(Array.from(kv.vectors));
  });

  it('a text file with a bad value or a short row says which line, not "needs N bytes for binary records"', () => {
    expect(() => readWord2VecFormat(enc.encode('2 4\nfoo 1 2 x3 4\nbar 1 2 3 4\n'))).toThrow(
      'readWord2VecFormat: line 2: value 2 = "x3" is not a number',
    );
    expect(() => readWord2VecFormat(enc.encode('2 4\nfoo 1 2 3\nbar 1 2 3 4\n'))).toThrow(
      'readWord2VecFormat: line 2 has 3 values, expected dim = 4 (word "foo")',
    );
    // dim < 4: too few bytes for binary records, so text
    expect(() => readWord2VecFormat(enc.encode('2 2\nfoo 1 ?\nbar 1 2\n'))).toThrow(
      'line 2: value 1 = "?" is not a number',
    );
  });

  it('a text file with a word that is not UTF-8 names the line and its bytes', () => {
    const cp949 = bytes('2 4\nfoo 1 2 3 4\n', [0xc8, 0xf1, 0xb8, 0xc1], ' 1 2 3 4\n');
    expect(() => readWord2VecFormat(cp949)).toThrow(
      'readWord2VecFormat: text file is not valid UTF-8: line 3 starts with bytes c8 f1 b8 c1 20 31 20 32 20 33 20 34',
    );
    const first = bytes('1 4\n', [0xff], ' 1 2 3 4\n');
    expect(() => readWord2VecFormat(first)).toThrow('not valid UTF-8: line 2 starts with bytes ff 20');
  });

  it('binary files are still detected, including vectors whose bytes are printable', () => {
    expect(readWord2VecFormat(writeWord2VecFormat(gText, { binary: true })).vectors).toEqual(gText.vectors);
    // 0.1 = cd cc cc 3d, 1.5 = 00 00 c0 3f, 1.0000001 = 01 00 80 3f: never a printable row
    for (const v of [0.1, 1.5, 1.0000001, -2]) {
      const kv = new KeyedVectors({ words: ['a', 'b'], vectors: Float32Array.of(v, v, v, v, v, v, v, v), dim: 4 });
      const back = readWord2VecFormat(writeWord2VecFormat(kv, { binary: true }));
      expect(Array.from(back.vectors)).toEqual(Array.from(kv.vectors));
    }
  });

  it('a corrupt or truncated .gz names the file and the problem', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-w2v-gz-'));
    const good = join(dir, 'v.txt.gz');
    saveWord2VecFormat(gText, good);
    const gz = readFileSync(good);
    const corrupt = Buffer.from(gz);
    for (let i = 12; i < 40; i++) corrupt[i] ^= 0x5a;
    const path = join(dir, 'corrupt.txt.gz');
    writeFileSync(path, corrupt);
    expect(() => loadWord2VecFormat(path)).toThrow(
      new RegExp(
        `^loadWord2VecFormat\\(${JSON.stringify(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): corrupt gzip data \\(zlib: .+\\)$`,
        'u',
      ),
    );
    const cut = join(dir, 'cut.txt.gz');
    writeFileSync(cut, gz.subarray(0, gz.length >> 1));
    expect(() => loadWord2VecFormat(cut)).toThrow(
      'cut.txt.gz"): the gzip data ends early (truncated file) (zlib: unexpected end of file)',
    );
  });
});
