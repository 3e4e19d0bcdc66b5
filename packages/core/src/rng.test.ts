import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { AliasTable, Rng, RngStateError, manualSeed, globalRng, rngFrom, type RngState } from './index.js';

describe('Rng', () => {
  it('same seed gives the same stream, different seeds differ', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 8 }, () => a.nextUint32());
    const sb = Array.from({ length: 8 }, () => b.nextUint32());
    const sc = Array.from({ length: 8 }, () => c.nextUint32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    // Seeds above 2^32 and fractional seeds are not silently truncated.
    expect(new Rng(2 ** 32 + 1).nextUint32()).not.toBe(new Rng(1).nextUint32());
    expect(new Rng(1.5).nextUint32()).not.toBe(new Rng(1).nextUint32());
  });

  it('uniform has mean 1/2 and variance 1/12; normal has mean 0, variance 1', () => {
    const r = new Rng(1);
    const n = 200_000;
    let s = 0,
      s2 = 0,
      z = 0,
      z2 = 0,
      z4 = 0,
      lo = 1,
      hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      s += u;
      s2 += u * u;
      const g = r.normal();
      z += g;
      z2 += g * g;
      z4 += g ** 4;
    }
    expect(lo).toBeGreaterThanOrEqual(0);
    expect(hi).toBeLessThan(1);
    expect(s / n).toBeCloseTo(0.5, 2);
    expect(s2 / n - (s / n) ** 2).toBeCloseTo(1 / 12, 3);
    expect(z / n).toBeCloseTo(0, 2);
    expect(z2 / n).toBeCloseTo(1, 1);
    expect(z4 / n).toBeGreaterThan(2.85); // kurtosis of a Gaussian is 3
    expect(z4 / n).toBeLessThan(3.15);
  });

  it('int(n) is in range and unbiased (chi-square over 7 buckets)', () => {
    const r = new Rng(7);
    const counts = new Array(7).fill(0);
    const n = 70_000;
    for (let i = 0; i < n; i++) counts[r.int(7)]++;
    const chi2 = counts.reduce((acc, c) => acc + (c - n / 7) ** 2 / (n / 7), 0);
    expect(chi2).toBeLessThan(22.46); // p = 0.001 for 6 degrees of freedom
    expect(() => r.int(0)).toThrow(/Rng.int: n = 0/);
    expect(() => r.int(2.5)).toThrow(/n = 2.5/);
  });

  it('shuffle is a permutation, seeded', () => {
    fc.assert(
      fc.property(fc.array(fc.integer()), fc.integer(), (xs, seed) => {
        const a = new Rng(seed).shuffle([...xs]);
        const b = new Rng(seed).shuffle([...xs]);
        expect(a).toEqual(b);
        expect([...a].sort((p, q) => p - q)).toEqual([...xs].sort((p, q) => p - q));
      }),
    );
    const t = new Rng(3).shuffle(Int32Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(t).sort((p, q) => p - q)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(Array.from(t)).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('fork gives an independent, reproducible stream', () => {
    const a = new Rng(5);
    const fa = a.fork();
    const b = new Rng(5);
    const fb = b.fork();
    expect(fa.nextUint32()).toBe(fb.nextUint32());
    expect(a.nextUint32()).toBe(b.nextUint32());
    expect(fa.nextUint32()).not.toBe(a.nextUint32());
  });

  it('manualSeed resets the global generator used when seeds are omitted', () => {
    manualSeed(11);
    const x = rngFrom(undefined).nextUint32();
    const y = globalRng().nextUint32();
    manualSeed(11);
    expect(rngFrom(undefined).nextUint32()).toBe(x);
    expect(globalRng().nextUint32()).toBe(y);
    expect(rngFrom(9).nextUint32()).toBe(new Rng(9).nextUint32());
  });

  it('rejects non-finite seeds', () => {
    expect(() => new Rng(NaN)).toThrow(/seed = NaN/);
  });
});

describe('AliasTable', () => {
  it('samples with the given probabilities', () => {
    const w = [1, 0, 3, 6];
    const t = new AliasTable(w);
    const r = new Rng(0);
    const counts = [0, 0, 0, 0];
    const n = 100_000;
    for (let i = 0; i < n; i++) counts[t.sample(r)]++;
    expect(counts[1]).toBe(0);
    expect(counts[0] / n).toBeCloseTo(0.1, 2);
    expect(counts[2] / n).toBeCloseTo(0.3, 2);
    expect(counts[3] / n).toBeCloseTo(0.6, 2);
    const out = t.sampleInto(new Rng(0), new Int32Array(5));
    const again = Array.from(
      { length: 5 },
      (() => {
        const rr = new Rng(0);
        return () => t.sample(rr);
      })(),
    );
    expect(Array.from(out)).toEqual(again);
  });

  it('rejects bad weights', () => {
    expect(() => new AliasTable([])).toThrow(/empty/);
    expect(() => new AliasTable([0, 0])).toThrow(/all weights are zero/);
    expect(() => new AliasTable([1, -1])).toThrow(/weights\[1\] = -1/);
    expect(() => new AliasTable([1, NaN])).toThrow(/weights\[1\] = NaN/);
  });
});

describe('Rng.getState / setState', () => {
  it('round-trips mid-stream (through JSON, into another generator), including the spare normal', () => {
    const a = new Rng(7);
    for (let i = 0; i < 37; i++) a.nextUint32();
    a.normal(); // leaves the pair's second value pending
    const st = a.getState();
    expect(st.spareNormal).not.toBeNull();
    const json = JSON.parse(JSON.stringify(st)) as RngState;
    const expected = [a.normal(), a.uniform(), a.int(1000), a.normal(), a.nextUint32()];
    const b = new Rng(123);
    b.setState(json);
    expect([b.normal(), b.uniform(), b.int(1000), b.normal(), b.nextUint32()]).toEqual(expected);
    // Restoring rewinds the original too.
    a.setState(st);
    expect(a.normal()).toBe(expected[0]);
  });

  it('property: any prefix of draws, any seed: restore gives the same continuation', () => {
    fc.assert(
      fc.property(fc.integer(), fc.nat(50), fc.boolean(), (seed, k, normalFirst) => {
        const a = new Rng(seed);
        for (let i = 0; i < k; i++) a.nextUint32();
        if (normalFirst) a.normal();
        const b = new Rng(seed + 1);
        b.setState(a.getState());
        for (let i = 0; i < 5; i++) expect(b.normal()).toBe(a.normal());
      }),
    );
  });

  it('getState is a copy: drawing afterwards does not change it', () => {
    const a = new Rng(1);
    const st = a.getState();
    const copy = JSON.stringify(st);
    a.normal();
    expect(JSON.stringify(st)).toBe(copy);
    expect(st.s.every((w) => Number.isInteger(w) && w >= 0 && w < 2 ** 32)).toBe(true);
  });

  it('the global generator saves and restores through the same methods', () => {
    manualSeed(3);
    const st = globalRng().getState();
    const x = globalRng().uniform();
    globalRng().setState(st);
    expect(globalRng().uniform()).toBe(x);
    manualSeed(0);
  });

  it('malformed states throw RngStateError naming the field, and change nothing', () => {
    const a = new Rng(5);
    const good = a.getState();
    const bad: unknown[] = [
      null,
      42,
      { ...good, kind: 'mt19937' },
      { ...good, s: [1, 2, 3] },
      { ...good, s: [1, 2, 3, 2 ** 32] },
      { ...good, s: [1, 2, 3, -1] },
      { ...good, s: [1, 2, 3, 1.5] },
      { ...good, s: [1, 2, 3, '4'] },
      { ...good, s: 'abcd' },
      { ...good, spareNormal: NaN },
      { ...good, spareNormal: '0.5' },
      { kind: 'sfc32', s: good.s },
    ];
    const next = new Rng(5).nextUint32();
    for (const st of bad) {
      expect(() => a.setState(st as RngState)).toThrow(RngStateError);
    }
    expect(() => a.setState({ ...good, s: [1, 2, 3, 2 ** 32] })).toThrow(
      'Rng.setState: state.s[3] = 4294967296 is not an integer in [0, 2^32)',
    );
    expect(() => a.setState({ ...good, kind: 'x' } as unknown as RngState)).toThrow(/state.kind = 'x'/);
    expect(a.nextUint32()).toBe(next);
  });
});
