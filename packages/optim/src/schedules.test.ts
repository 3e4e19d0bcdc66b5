import { describe, expect, it } from 'vitest';
import {
  constantSchedule,
  exponentialSchedule,
  inverseSqrtSchedule,
  linearSchedule,
  multiStepSchedule,
  ReduceLROnPlateau,
  stepSchedule,
  warmupCosineSchedule,
  warmupLinearSchedule,
} from './index.js';

describe('schedules (formulas and edges; torch equality is in golden.test.ts)', () => {
  it('constant', () => {
    const s = constantSchedule(0.3);
    expect([0, 1, 1e6].map(s)).toEqual([0.3, 0.3, 0.3]);
  });

  it('step and multi-step', () => {
    const s = stepSchedule({ lr: 1, stepSize: 2, gamma: 0.5 });
    expect([0, 1, 2, 3, 4].map(s)).toEqual([1, 1, 0.5, 0.5, 0.25]);
    const m = multiStepSchedule({ lr: 1, milestones: [2, 4, 4] });
    expect([0, 1, 2, 3, 4].map(m).map((x) => +x.toPrecision(12))).toEqual([1, 1, 0.1, 0.1, 0.001]);
  });

  it('exponential', () => {
    expect(exponentialSchedule({ lr: 2, gamma: 0.5 })(3)).toBe(0.25);
  });

  it('linear: ramps then holds', () => {
    const s = linearSchedule({ init: 0, end: 1, steps: 4 });
    expect([0, 1, 2, 4, 10].map(s)).toEqual([0, 0.25, 0.5, 1, 1]);
    expect(linearSchedule({ init: 0.5, end: 1, steps: 0 })(0)).toBe(1);
  });

  it('warmup + cosine: 0 → peak → end, then holds at end', () => {
    const s = warmupCosineSchedule({ peak: 1, warmupSteps: 10, totalSteps: 110, end: 0.1 });
    expect(s(0)).toBe(0);
    expect(s(5)).toBe(0.5);
    expect(s(10)).toBe(1);
    expect(s(60)).toBeCloseTo(0.55, 12); // half-way: (peak + end) / 2
    expect(s(110)).toBeCloseTo(0.1, 12);
    expect(s(500)).toBeCloseTo(0.1, 12);
    // no warmup: a plain cosine from the start
    expect(warmupCosineSchedule({ peak: 1, warmupSteps: 0, totalSteps: 10 })(0)).toBe(1);
  });

  it('warmup + linear decay', () => {
    const s = warmupLinearSchedule({ peak: 1, warmupSteps: 2, totalSteps: 6 });
    expect([0, 1, 2, 3, 4, 6, 7].map(s)).toEqual([0, 0.5, 1, 0.75, 0.5, 0, 0]);
  });

  it("inverse square root: the paper's formula, peak at the end of warmup", () => {
    const paper = inverseSqrtSchedule({ dModel: 512, warmupSteps: 4000 });
    const formula = (s: number) => 512 ** -0.5 * Math.min(s ** -0.5, s * 4000 ** -1.5);
    for (const step of [0, 1, 100, 3999, 4000, 10000]) expect(paper(step)).toBeCloseTo(formula(step + 1), 15);
    const p = inverseSqrtSchedule({ peak: 1e-3, warmupSteps: 100 });
    expect(p(99)).toBeCloseTo(1e-3, 15);
    expect(p(399)).toBeCloseTo(5e-4, 15);
    expect(p(0)).toBeCloseTo(1e-5, 15);
  });

  it('validates options', () => {
    expect(() => stepSchedule({ lr: 1, stepSize: 0 })).toThrow(/stepSchedule: stepSize = 0 must be an integer > 0/);
    expect(() => multiStepSchedule({ lr: 1, milestones: [1.5] })).toThrow(
      /multiStepSchedule: milestones\[0\] = 1.5 must be an integer > 0/,
    );
    expect(() => warmupCosineSchedule({ peak: 1, warmupSteps: 10, totalSteps: 10 })).toThrow(
      /warmupCosineSchedule: totalSteps = 10 must be an integer > warmupSteps \(10\)/,
    );
    expect(() => inverseSqrtSchedule({ warmupSteps: 10 })).toThrow(/inverseSqrtSchedule: give peak or dModel/);
    expect(() => inverseSqrtSchedule({ warmupSteps: 10, peak: 1, dModel: 8 })).toThrow(/not both/);
    expect(() => constantSchedule(-1)).toThrow(/constantSchedule: value = -1 must be >= 0/);
  });
});

describe('ReduceLROnPlateau', () => {
  it('reduces after patience bad steps, respects cooldown and minLr', () => {
    const p = new ReduceLROnPlateau({ lr: 1, patience: 1, factor: 0.5, cooldown: 1, minLr: 0.2 });
    const lrs = [5, 5, 5, 5, 5, 5, 5, 5, 5].map((m) => p.step(m));
    // bad steps: 2nd (1), 3rd (2 > 1 → 0.5, cooldown 1), 4th in cooldown, 5th (1), 6th (2 → 0.25), 8th+ (→ 0.2 floor)
    expect(lrs).toEqual([1, 1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]);
  });

  it("mode 'max' with an absolute threshold; NaN counts as bad", () => {
    const p = new ReduceLROnPlateau({ lr: 1, mode: 'max', thresholdMode: 'abs', threshold: 0.1, patience: 0 });
    expect(p.step(1)).toBe(1);
    expect(p.step(1.05)).toBe(0.1); // not better by 0.1
    expect(p.step(2)).toBe(0.1);
    expect(p.step(NaN)).toBeCloseTo(0.01, 15);
  });

  it('state round-trips through JSON-able objects and validates', () => {
    const p = new ReduceLROnPlateau({ lr: 1 });
    const q = new ReduceLROnPlateau({ lr: 1 });
    q.loadStateDict(p.stateDict());
    expect(q.stateDict().best).toBe(Infinity);
    expect(() => q.loadStateDict({ lr: 1 } as never)).toThrow(
      /ReduceLROnPlateau\.loadStateDict: state\.best = undefined is not a number/,
    );
    expect(() => new ReduceLROnPlateau({ lr: 1, factor: 1 })).toThrow(
      /ReduceLROnPlateau: factor = 1 must be in \[0, 1\)/,
    );
  });
});
