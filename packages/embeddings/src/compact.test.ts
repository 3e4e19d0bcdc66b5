import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  KeyedVectors,
  fromFloat16Bits,
  readCompactFastText,
  readCompactVectors,
  readFastTextBin,
  toFloat16Bits,
  writeCompactFastText,
  writeCompactVectors,
} from './index.js';
import { fixture } from '../test/fixture-path.js';

function randomKv(V: number, D: number, seed: number): KeyedVectors {
  let s = seed;
  const rnd = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 2 ** 32 - 0.5;
  };
  const words = Array.from({ length: V }, (_, i) => (i === 3 ? '__proto__' : i === 4 ? '단어' : `w${i}`));
  return new KeyedVectors({ words, vectors: Float32Array.from({ length: V * D }, rnd), dim: D });
}

describe('float16', () => {
  it('known values and round-to-nearest-even', () => {
    expect(toFloat16Bits(1)).toBe(0x3c00);
    expect(toFloat16Bits(-2)).toBe(0xc000);
    expect(toFloat16Bits(65504)).toBe(0x7bff);
    expect(toFloat16Bits(65520)).toBe(0x7c00); // rounds up to Infinity
    expect(toFloat16Bits(0.1)).toBe(0x2e66);
    expect(toFloat16Bits(2 ** -24)).toBe(0x0001); // smallest subnormal
    expect(toFloat16Bits(2 ** -26)).toBe(0); // under half of it
    expect(toFloat16Bits(1 + 2 ** -11)).toBe(0x3c00); // tie → even
    expect(toFloat16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie → even (up)
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true);
  });
  it('every half value round-trips', () => {
    for (let h = 0; h < 65536; h++) {
      const x = fromFloat16Bits(h);
      if (Number.isNaN(x)) continue;
      if (toFloat16Bits(x) !== h) throw new Error(`half ${h.toString(16)} -> ${x} -> ${toFloat16Bits(x).toString(16)}`);
    }
  });
});

describe('compact vectors', () => {
  const kv = randomKv(300, 24, 7);
  for (const dtype of ['float16', 'int8'] as const) {
    it(`${dtype}: size, per-value error bound, same neighbours as the decoded KeyedVectors`, () => {
      const bytes = writeCompactVectors(kv, { dtype });
      const per = dtype === 'float16' ? 2 : 1;
      expect(bytes.length).toBeLessThan(kv.size * kv.dim * per + kv.size * 4 + 2000);
      const c = readCompactVectors(bytes);
      expect(c.dtype).toBe(dtype);
      expect(c.words).toEqual(kv.words);
      for (let i = 0; i < kv.size; i++) {
        const v = c.rowVector(i);
        let m = 0;
        for (let k = 0; k < kv.dim; k++) m = Math.max(m, Math.abs(kv.vectors[i * kv.dim + k]!));
        const tol = dtype === 'float16' ? m * 2 ** -11 : m / 127 / 2 + 1e-7;
        for (let k = 0; k < kv.dim; k++) expect(Math.abs(v[k]! - kv.vectors[i * kv.dim + k]!)).toBeLessThanOrEqual(tol);
      }
      expect(Array.from(c.get('__proto__'))).toEqual(Array.from(c.rowVector(3)));
      const dec = c.toKeyedVectors();
      const a = c.mostSimilar({ positive: ['w1', '단어'], negative: ['w2'], topn: 5 });
      const b = dec.mostSimilar({ positive: ['w1', '단어'], negative: ['w2'], topn: 5 });
      expect(a.map((n) => n.word)).toEqual(b.map((n) => n.word));
      for (let i = 0; i < 5; i++) expect(a[i]!.similarity).toBeCloseTo(b[i]!.similarity, 5);
      expect(c.similarity('w1', 'w9')).toBeCloseTo(dec.similarity('w1', 'w9'), 5);
    });
  }

  it('works on bytes at an odd offset (a slice of a larger buffer)', () => {
    const bytes = writeCompactVectors(kv, { dtype: 'float16' });
    const big = new Uint8Array(bytes.length + 3);
    big.set(bytes, 3);
    expect(Array.from(readCompactVectors(big.subarray(3)).get('w5'))).toEqual(
      Array.from(readCompactVectors(bytes).get('w5')),
    );
  });

  it('rejects malformed files and unknown words', () => {
    const bytes = writeCompactVectors(kv);
    expect(() => readCompactVectors(bytes.subarray(0, 10))).toThrow(/not a compact vectors file/);
    expect(() => readCompactVectors(bytes.subarray(0, bytes.length - 1))).toThrow(/header claims 300 words of dim 24/);
    const lie = bytes.slice();
    new DataView(lie.buffer).setUint32(8, 1e9, true);
    expect(() => readCompactVectors(lie)).toThrow(/header claims 1000000000 words/);
    const v = bytes.slice();
    v[4] = 9;
    expect(() => readCompactVectors(v)).toThrow(/version 9 is not supported/);
    expect(() => readCompactVectors(bytes).get('zzz')).toThrow(/"zzz" is not in the vocabulary \(300 words\)/);
    expect(() => writeCompactVectors(kv, { dtype: 'int4' as 'int8' })).toThrow(/dtype must be/);
  });
});

describe('compact fastText', () => {
  const ft = readFastTextBin(readFileSync(fixture('ft-tiny.bin'))).wv;
  for (const dtype of ['float16', 'int8'] as const) {
    it(`${dtype}: OOV and in-vocabulary vectors survive, the file is small`, () => {
      const bytes = writeCompactFastText(ft, { dtype });
      const per = dtype === 'float16' ? 2 : 1;
      expect(bytes.length).toBeLessThan((ft.size + ft.bucket) * (ft.dim * per + 4) + ft.size * 20 + 100);
      const back = readCompactFastText(bytes);
      expect(back.minn).toBe(ft.minn);
      expect(back.maxn).toBe(ft.maxn);
      expect(back.bucket).toBe(ft.bucket);
      for (const w of ['village', 'vilage', '희망찬', 'zzzzqx']) {
        const a = ft.getRaw(w);
        const b = back.getRaw(w);
        let m = 0;
        for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k]!));
        for (let k = 0; k < a.length; k++) expect(Math.abs(a[k]! - b[k]!), `${w}[${k}]`).toBeLessThan(m * 0.02);
      }
      expect(back.mostSimilar('vilage')[0]!.word).toBe(ft.mostSimilar('vilage')[0]!.word);
    });
  }
  it('decodes rows on lookup: nothing at load, the vocabulary vectors on the first neighbour query', () => {
    for (const dtype of ['float16', 'int8'] as const) {
      const bytes = writeCompactFastText(ft, { dtype });
      const lazy = readCompactFastText(bytes);
      const full = lazy.toFastTextKeyedVectors();
      const cache = (): unknown => (lazy as unknown as { kvCache: unknown }).kvCache;
      expect(cache()).toBeUndefined();
      // any word: exactly the vectors of the fully decoded model
      for (const w of ['village', 'vilage', '희망찬', 'zzzzqx', '</s>']) {
        expect(Array.from(lazy.getRaw(w)), w).toEqual(Array.from(full.getRaw(w)));
        expect(lazy.has(w)).toBe(full.has(w));
      }
      expect(Array.from(lazy.get('vilage', { norm: true }))).toEqual(Array.from(full.get('vilage', { norm: true })));
      expect(Array.from(lazy.get('village', { norm: true }))).toEqual(Array.from(full.get('village', { norm: true })));
      expect(lazy.similarity('village', 'vilage')).toBe(full.similarity('village', 'vilage'));
      expect(Array.from(lazy.subwordRows('vilage'))).toEqual(Array.from(full.subwordRows('vilage')));
      expect(cache()).toBeUndefined(); // still nothing composed for the vocabulary
      expect(lazy.mostSimilar({ positive: ['vilage', 'town'], negative: ['city'], topn: 5 })).toEqual(
        full.mostSimilar({ positive: ['vilage', 'town'], negative: ['city'], topn: 5 }),
      );
      expect(cache()).toBeDefined();
      expect(Array.from(lazy.kv.vectors)).toEqual(Array.from(full.kv.vectors));
    }
  });

  it('applies wordTransform to every looked-up word', () => {
    const up = (w: string): string => w.toLowerCase();
    const lazy = readCompactFastText(writeCompactFastText(ft), { wordTransform: up });
    expect(lazy.has('VILLAGE')).toBe(true);
    expect(Array.from(lazy.getRaw('VILAGE'))).toEqual(Array.from(lazy.getRaw('vilage')));
    expect(lazy.mostSimilar('VILLAGE')).toEqual(lazy.mostSimilar('village'));
  });

  it('rejects malformed files', () => {
    const bytes = writeCompactFastText(ft);
    expect(() => readCompactFastText(bytes.subarray(0, 5))).toThrow(/not a compact fastText file/);
    expect(() => readCompactFastText(bytes.subarray(0, bytes.length - 3))).toThrow(/n-gram rows of dim 8/);
  });
});
