import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import {
  adam,
  adamw,
  addDecayedWeights,
  applyIfFinite,
  applyUpdates,
  chain,
  clipByGlobalNorm,
  clipByValue,
  globalNorm,
  identity,
  multiTransform,
  NonFiniteGradientError,
  readGlobalNorm,
  scale,
  scaleByAdam,
  scaleByLearningRate,
  scaleByRms,
  scaleByRss,
  scaleBySchedule,
  sgd,
  trace,
  type GradientTransformation,
  type NamedTensors,
  type StateTree,
} from './index.js';
import { disposeTree } from './internal/tree.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const named = (o: Record<string, number[]>): NamedTensors =>
  new Map(Object.entries(o).map(([k, v]) => [k, tf.tensor1d(v)]));
const read = (m: NamedTensors) => Object.fromEntries([...m].map(([k, v]) => [k, Array.from(v.dataSync())]));
const dispose = (...ms: NamedTensors[]) => ms.forEach((m) => m.forEach((t) => t.dispose()));

/** Runs `steps` updates of `tx` on fixed gradients; returns the updates of the last step as numbers. */
function runTx(tx: GradientTransformation, params: NamedTensors, gradsAt: (t: number) => NamedTensors, steps: number) {
  let state: StateTree = tx.init(params);
  let last: Record<string, number[]> = {};
  for (let t = 0; t < steps; t++) {
    const g = gradsAt(t);
    const r = tx.update(g, state, params);
    disposeTree(state);
    state = r.state;
    last = read(r.updates);
    dispose(g, r.updates);
  }
  disposeTree(state);
  return last;
}

const close = (a: Record<string, number[]>, b: Record<string, number[]>, tol: number) => {
  expect(Object.keys(a)).toEqual(Object.keys(b));
  for (const k of Object.keys(a))
    a[k].forEach((x, i) =>
      expect(Math.abs(x - b[k][i]), `${k}[${i}]: ${x} vs ${b[k][i]}`).toBeLessThanOrEqual(
        tol * (1 + Math.abs(b[k][i])),
      ),
    );
};

describe('transformations', () => {
  it('update never disposes its inputs and returns fresh handles (memory contract)', () => {
    const params = named({ a: [1, 2], b: [3] });
    const txs: GradientTransformation[] = [
      identity(),
      scale(2),
      scaleBySchedule((k) => 1 / (k + 1)),
      clipByGlobalNorm({ maxNorm: 1 }),
      clipByValue({ min: -1, max: 1 }),
      addDecayedWeights({ weightDecay: 0.1 }),
      trace({ momentum: 0.9, nesterov: true }),
      scaleByAdam({ amsgrad: true }),
      scaleByRms({ centered: true }),
      scaleByRss(),
      chain(),
      applyIfFinite(sgd({ lr: 1 })),
      adam({ weightDecay: 0.1, amsgrad: true }),
      adamw({ maximize: true }),
    ];
    for (const tx of txs) {
      const state = tx.init(params);
      const before = tf.memory().numTensors;
      const grads = named({ a: [0.5, -0.5], b: [2] });
      const r = tx.update(grads, state, params);
      for (const [k, u] of r.updates) {
        expect(u.isDisposed).toBe(false);
        expect(u).not.toBe(grads.get(k));
      }
      // the old state and the inputs can be disposed independently of the result
      disposeTree(state);
      dispose(grads);
      expect(Object.keys(read(r.updates))).toEqual(['a', 'b']);
      dispose(r.updates);
      disposeTree(r.state);
      expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    }
    dispose(params);
  });

  it('chain feeds each transformation the previous updates', () => {
    const params = named({ w: [0] });
    const out = runTx(
      chain(scale(2), scale(3), scaleByLearningRate(0.5)),
      params,
      () => named({ w: [1, 2].slice(0, 1) }),
      1,
    );
    expect(out.w).toEqual([-3]);
    dispose(params);
  });

  it('chain rejects a state of the wrong length', () => {
    const tx = chain(scale(1), scale(1));
    const g = named({ w: [1] });
    expect(() => tx.update(g, [null], g)).toThrow(/chain: state has 1 entries, expected an array of 2/);
    dispose(g);
  });

  it('the fused adam/adamw equal the chained transformations they stand for', () => {
    const params = named({ w: [0.5, -1, 2], b: [0.1] });
    const gradsAt = (t: number) =>
      named({ w: [Math.sin(t), Math.cos(t) * 1e-3, 10 * Math.sin(2 * t)], b: [t % 3 === 0 ? 0 : 1] });
    const lr = (k: number) => 0.01 / (1 + k);
    close(
      runTx(adamw({ lr, weightDecay: 0.1, amsgrad: true }), params, gradsAt, 20),
      runTx(
        chain(scaleByAdam({ amsgrad: true }), addDecayedWeights({ weightDecay: 0.1 }), scaleByLearningRate(lr)),
        params,
        gradsAt,
        20,
      ),
      1e-6,
    );
    close(
      runTx(adam({ lr: 0.01, weightDecay: 0.1, betas: [0.8, 0.9], eps: 1e-6 }), params, gradsAt, 20),
      runTx(
        chain(
          addDecayedWeights({ weightDecay: 0.1 }),
          scaleByAdam({ b1: 0.8, b2: 0.9, eps: 1e-6 }),
          scaleByLearningRate(0.01),
        ),
        params,
        gradsAt,
        20,
      ),
      1e-6,
    );
    dispose(params);
  });

  it('scaleByAdam: first step is lr·sign(g) (bias correction), eps after the square root', () => {
    const params = named({ w: [0, 0] });
    const out = runTx(
      chain(scaleByAdam({ eps: 0 }), scaleByLearningRate(0.1)),
      params,
      () => named({ w: [3, -1e-4] }),
      1,
    );
    close(out, { w: [-0.1, 0.1] }, 1e-6);
    dispose(params);
  });

  it('trace matches torch: first buffer is the gradient, then momentum·buf + (1−dampening)·g', () => {
    const params = named({ w: [0] });
    const tx = trace({ momentum: 0.5, dampening: 0.5 });
    // buf1 = 2; buf2 = 0.5·2 + 0.5·4 = 3
    expect(runTx(tx, params, (t) => named({ w: [t === 0 ? 2 : 4] }), 2).w).toEqual([3]);
    // nesterov: d = g + m·buf: step1 buf=2 → 2 + 1 = 3
    expect(runTx(trace({ momentum: 0.5, nesterov: true }), params, () => named({ w: [2] }), 1).w).toEqual([3]);
    expect(() => trace({ momentum: 0.5, nesterov: true, dampening: 0.1 })).toThrow(
      /trace: nesterov requires momentum > 0 and dampening = 0/,
    );
    dispose(params);
  });

  it('scaleByRss and scaleByRms follow their formulas', () => {
    const params = named({ w: [0] });
    // adagrad: sums 4, 13 → 3/sqrt(13)
    const rss = runTx(scaleByRss({ eps: 0 }), params, (t) => named({ w: [t === 0 ? 2 : 3] }), 2);
    expect(rss.w[0]).toBeCloseTo(3 / Math.sqrt(13), 6);
    // rms alpha 0.5: s = 0.5·4 = 2 → 2/sqrt(2)
    const rms = runTx(scaleByRms({ alpha: 0.5, eps: 0 }), params, () => named({ w: [2] }), 1);
    expect(rms.w[0]).toBeCloseTo(Math.SQRT2, 6);
    // centered: s = 2, a = 1 → 2/sqrt(2 − 1)
    const c = runTx(scaleByRms({ alpha: 0.5, eps: 0, centered: true }), params, () => named({ w: [2] }), 1);
    expect(c.w[0]).toBeCloseTo(2, 6);
    dispose(params);
  });

  it('clipByGlobalNorm scales by maxNorm/(norm + 1e-6) only above maxNorm, and keeps the pre-clip norm', () => {
    const tx = clipByGlobalNorm({ maxNorm: 1 });
    const g = named({ a: [3], b: [4] });
    const s0 = tx.init(g);
    const r = tx.update(g, s0, g);
    expect(readGlobalNorm(r.state)).toBeCloseTo(5, 5);
    close(read(r.updates), { a: [0.6], b: [0.8] }, 1e-6);
    const small = named({ a: [0.3], b: [0.4] });
    const r2 = tx.update(small, r.state, small);
    close(read(r2.updates), { a: [0.3], b: [0.4] }, 1e-6);
    [s0, r.state, r2.state].forEach(disposeTree);
    dispose(g, small, r.updates, r2.updates);
    const n = globalNorm([]);
    expect(n.dataSync()[0]).toBe(0);
    n.dispose();
    expect(() => clipByGlobalNorm({ maxNorm: 0 })).toThrow(/clipByGlobalNorm: maxNorm = 0 must be > 0/);
  });

  it('clipByValue clamps and validates', () => {
    const g = named({ a: [-3, 0.5, 3] });
    const r = clipByValue({ min: -1, max: 1 }).update(g, null, g);
    expect(read(r.updates).a).toEqual([-1, 0.5, 1]);
    dispose(g, r.updates);
    expect(() => clipByValue({ min: 1, max: -1 })).toThrow(/clipByValue: max = -1 must be >= min \(1\)/);
  });

  it('addDecayedWeights needs params and honours the mask', () => {
    const g = named({ w: [1], b: [1] });
    const p = named({ w: [10], b: [10] });
    const tx = addDecayedWeights({ weightDecay: 0.1, mask: (n) => n === 'w' });
    const r = tx.update(g, null, p);
    close(read(r.updates), { w: [2], b: [1] }, 1e-6);
    expect(() => tx.update(g, null)).toThrow(/addDecayedWeights: params are required/);
    dispose(g, p, r.updates);
  });

  it('multiTransform routes parameters by label and every group steps together', () => {
    const params = named({ 'enc.weight': [1], 'enc.bias': [1] });
    const tx = multiTransform(
      new Map<string, GradientTransformation>([
        ['decay', sgd({ lr: 1, weightDecay: 0.5 })],
        ['plain', sgd({ lr: (k) => 1 / (k + 1) })],
      ]),
      (n) => (n.endsWith('.bias') ? 'plain' : 'decay'),
    );
    const out = runTx(tx, params, () => named({ 'enc.weight': [1], 'enc.bias': [1] }), 2);
    expect(out).toEqual({ 'enc.weight': [-1.5], 'enc.bias': [-0.5] });
    const bad = multiTransform(new Map([['x', identity()]]), () => 'y');
    expect(() => bad.init(params)).toThrow(
      /multiTransform: label\('enc\.weight'\) = 'y' has no transformation \(labels: x\)/,
    );
    dispose(params);
  });

  it('parameter groups: first match wins, RegExp or predicate, per-group lr and decay', () => {
    const params = named({ 'enc.weight': [1], 'enc.bias': [1], 'ln.weight': [1] });
    const tx = sgd({
      lr: 1,
      weightDecay: 1,
      groups: [
        { match: /\.bias$/g, weightDecay: 0 },
        { match: (n) => n.startsWith('ln.'), lr: 0.1 },
      ],
    });
    const out = runTx(tx, params, () => named({ 'enc.weight': [1], 'enc.bias': [1], 'ln.weight': [1] }), 1);
    close(out, { 'enc.weight': [-2], 'enc.bias': [-1], 'ln.weight': [-0.2] }, 1e-6);
    expect(() => sgd({ lr: 1, groups: [{ match: 'bias' as never }] })).toThrow(
      /sgd: groups\[0\]\.match must be a RegExp or a function/,
    );
    dispose(params);
  });

  it('applyUpdates adds and validates', () => {
    const p = named({ w: [1, 2] });
    const u = named({ w: [0.5, 0.5] });
    const out = applyUpdates(p, u);
    expect(read(out).w).toEqual([1.5, 2.5]);
    const wrong = named({ v: [1] });
    expect(() => applyUpdates(p, wrong)).toThrow(/applyUpdates: updates\['v'\] has no parameter of that name/);
    dispose(p, u, out, wrong);
  });

  it('applyIfFinite refuses by default and skips (zero updates, state kept) on request', () => {
    const params = named({ w: [1] });
    const bad = named({ w: [NaN] });
    const strict = applyIfFinite(sgd({ lr: 1 }));
    const s = strict.init(params);
    expect(() => strict.update(bad, s, params)).toThrow(NonFiniteGradientError);
    expect(() => strict.update(bad, s, params)).toThrow(/applyIfFinite: gradient of 'w' contains NaN or Infinity/);
    const lenient = applyIfFinite(sgd({ lr: (k) => k + 1 }), { onNonFinite: 'skip' });
    const s0 = lenient.init(params);
    const r = lenient.update(bad, s0, params);
    expect(read(r.updates).w).toEqual([0]);
    expect(r.state.skipped).toBe(1);
    expect(r.state.inner).toEqual(s0.inner); // the schedule did not advance
    dispose(params, bad, r.updates);
    [s, s0, r.state].forEach(disposeTree);
  });

  it('validates options with the function, argument and value in the message', () => {
    expect(() => sgd({} as never)).toThrow(/sgd: lr is required/);
    expect(() => sgd({ lr: -1 })).toThrow(/sgd: lr = -1 must be >= 0/);
    expect(() => adam({ betas: [1, 0.9] })).toThrow(/adam: betas\[0\] = 1 must be in \[0, 1\)/);
    expect(() => adamw({ weightDecay: NaN })).toThrow(/adamw: weightDecay = NaN must be >= 0/);
    expect(() => scaleByRms({ alpha: 2 })).toThrow(/scaleByRms: alpha = 2 must be in \[0, 1\]/);
    expect(() => sgd({ lr: 0.1, nesterov: true })).toThrow(/sgd: nesterov requires momentum > 0/);
    const params = named({ w: [1] });
    const tx = scaleBySchedule(() => NaN);
    expect(() => tx.update(params, { count: 3 })).toThrow(/scaleBySchedule: schedule\(3\) = NaN is not finite/);
    dispose(params);
  });
});
