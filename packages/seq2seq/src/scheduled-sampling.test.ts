import { describe, expect, it } from 'vitest';
import { constantRatio, exponentialDecay, inverseSigmoidDecay, linearDecay } from './index.js';

describe('teacher-forcing schedules (Bengio et al. 2015)', () => {
  it('linear: max(min, k - c i)', () => {
    const s = linearDecay({ k: 1, c: 0.01, min: 0.1 });
    expect(s(0)).toBe(1);
    expect(s(50)).toBeCloseTo(0.5, 12);
    expect(s(89)).toBeCloseTo(0.11, 12);
    expect(s(90)).toBeCloseTo(0.1, 12);
    expect(s(1000)).toBe(0.1);
  });

  it('exponential: k^i', () => {
    const s = exponentialDecay({ k: 0.99 });
    expect(s(0)).toBe(1);
    expect(s(1)).toBeCloseTo(0.99, 12);
    expect(s(100)).toBeCloseTo(0.36603234127322926, 12);
    expect(exponentialDecay({ k: 0.5, min: 0.2 })(10)).toBe(0.2);
  });

  it('inverse sigmoid: k / (k + exp(i / k))', () => {
    const s = inverseSigmoidDecay({ k: 10 });
    expect(s(0)).toBeCloseTo(10 / 11, 12);
    expect(s(10)).toBeCloseTo(10 / (10 + Math.E), 12);
    // crosses 1/2 at i = k ln k
    expect(s(10 * Math.log(10))).toBeCloseTo(0.5, 12);
    expect(s(200)).toBeLessThan(1e-7);
  });

  it('constant and argument errors', () => {
    expect(constantRatio(0.75)(12345)).toBe(0.75);
    expect(() => constantRatio(1.5)).toThrow(/constantRatio: ratio = 1.5/);
    expect(() => linearDecay({ c: 0 })).toThrow(/linearDecay: c = 0/);
    expect(() => exponentialDecay({ k: 1 })).toThrow(/exponentialDecay: k = 1/);
    expect(() => inverseSigmoidDecay({ k: 0.5 })).toThrow(/inverseSigmoidDecay: k = 0.5/);
  });
});
