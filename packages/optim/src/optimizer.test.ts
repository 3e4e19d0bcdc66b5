import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import {
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  NonFiniteGradientError,
  Optimizer,
  ReduceLROnPlateau,
  rmsprop,
  sgd,
  warmupCosineSchedule,
  type GradientTransformation,
} from './index.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

/** A deterministic gradient for step t (no RNG needed): varied signs and magnitudes. */
function gradAt(t: number, name: string, shape: number[]): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  const salt = name.length;
  for (let i = 0; i < n; i++) v[i] = Math.sin(0.37 * t + 1.3 * i + salt) * (1 + (i % 3)) + 0.1;
  return tf.tensor(v, shape);
}

/** A variable from a tensor, disposing the tensor (tf.variable keeps its own handle). */
function variable(t: tf.Tensor, name?: string): tf.Variable {
  const v = tf.variable(t, true, name);
  t.dispose();
  return v;
}

const shapes: [string, number[]][] = [
  ['layer.weight', [3, 4]],
  ['layer.bias', [3]],
  ['norm.weight', [4]],
];

function makeVars(): Map<string, tf.Variable> {
  return new Map(shapes.map(([name, shape], k) => [name, variable(tf.fill(shape, 0.5 + k))]));
}

function runSteps(opt: Optimizer, from: number, to: number): void {
  for (let t = from; t < to; t++) {
    const grads = new Map(shapes.map(([name, shape]) => [name, gradAt(t, name, shape)]));
    opt.step(grads);
    for (const g of grads.values()) g.dispose();
  }
}

const values = (vars: Map<string, tf.Variable>) => [...vars.values()].map((v) => Array.from(v.dataSync()));
const disposeVars = (vars: Map<string, tf.Variable>) => vars.forEach((v) => v.dispose());

const full = (): GradientTransformation =>
  chain(
    clipByGlobalNorm({ maxNorm: 2 }),
    adamw({
      lr: warmupCosineSchedule({ peak: 1e-2, warmupSteps: 10, totalSteps: 200 }),
      amsgrad: true,
      groups: [{ match: /(\.bias|^norm\.)/, weightDecay: 0 }],
    }),
  );

describe('Optimizer', () => {
  it('leaks no tensors across 1,000 steps (clip + adamw with groups and a schedule)', () => {
    const vars = makeVars();
    const opt = new Optimizer(vars, full());
    runSteps(opt, 0, 2); // state allocated
    const before = tf.memory().numTensors;
    runSteps(opt, 2, 1002);
    expect(tf.memory().numTensors).toBe(before);
    expect(opt.stepCount).toBe(1002);
    const beforeDispose = tf.memory().numTensors;
    opt.dispose();
    expect(tf.memory().numTensors).toBeLessThan(beforeDispose);
    disposeVars(vars);
  });

  it('leaks no tensors in minimize (autograd) and frees everything on dispose', () => {
    const start = tf.memory().numTensors;
    const w = variable(tf.tensor1d([1, 2, 3]));
    const opt = new Optimizer(new Map([['w', w]]), rmsprop({ lr: 0.01, momentum: 0.9, centered: true }));
    opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    const mid = tf.memory().numTensors;
    for (let i = 0; i < 50; i++) opt.minimize(() => tf.sum(tf.square(w)) as tf.Scalar);
    expect(tf.memory().numTensors).toBe(mid);
    opt.dispose();
    w.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });

  it('resuming from stateDict() gives the uninterrupted trajectory exactly', () => {
    const a = makeVars();
    const optA = new Optimizer(a, full());
    runSteps(optA, 0, 200);

    const b = makeVars();
    const optB = new Optimizer(b, full());
    runSteps(optB, 0, 100);
    const dict = optB.stateDict();
    const copies = new Map([...dict.tensors].map(([k, t]) => [k, tf.clone(t)]));
    const saved = values(b);
    optB.dispose();
    disposeVars(b);

    const c = makeVars();
    c.forEach((v, name) => {
      const t = tf.tensor(saved[[...c.keys()].indexOf(name)], v.shape);
      v.assign(t);
      t.dispose();
    });
    const optC = new Optimizer(c, full());
    optC.loadStateDict({ tensors: copies, json: dict.json });
    copies.forEach((t) => t.dispose());
    expect(optC.stepCount).toBe(100);
    runSteps(optC, 100, 200);
    expect(values(c)).toEqual(values(a));
    for (const o of [optA, optC]) o.dispose();
    disposeVars(a);
    disposeVars(c);
  });

  it('resuming from a safetensors checkpoint (save/load) gives the uninterrupted trajectory exactly', () => {
    const plateauA = new ReduceLROnPlateau({ lr: 0.05, patience: 2 });
    const a = makeVars();
    const txA = chain(clipByGlobalNorm({ maxNorm: 2 }), sgd({ lr: plateauA.schedule, momentum: 0.9, nesterov: true }));
    const optA = new Optimizer(a, txA, { onNonFinite: 'skip' });
    const metric = (t: number) => 1 / (1 + Math.min(t, 40));
    for (let t = 0; t < 120; t++) {
      runSteps(optA, t, t + 1);
      plateauA.step(metric(t));
    }

    const plateauB = new ReduceLROnPlateau({ lr: 0.05, patience: 2 });
    const b = makeVars();
    const optB = new Optimizer(
      b,
      chain(clipByGlobalNorm({ maxNorm: 2 }), sgd({ lr: plateauB.schedule, momentum: 0.9, nesterov: true })),
      {
        onNonFinite: 'skip',
      },
    );
    for (let t = 0; t < 60; t++) {
      runSteps(optB, t, t + 1);
      plateauB.step(metric(t));
    }
    const bytes = optB.save({ plateau: JSON.stringify(plateauB.stateDict()) });
    const saved = values(b);
    optB.dispose();
    disposeVars(b);

    const plateauC = new ReduceLROnPlateau({ lr: 0.05, patience: 2 });
    const c = makeVars();
    [...c.values()].forEach((v, i) => {
      const t = tf.tensor(saved[i], v.shape);
      v.assign(t);
      t.dispose();
    });
    const optC = new Optimizer(
      c,
      chain(clipByGlobalNorm({ maxNorm: 2 }), sgd({ lr: plateauC.schedule, momentum: 0.9, nesterov: true })),
      {
        onNonFinite: 'skip',
      },
    );
    const meta = optC.load(bytes);
    expect(meta.get('format')).toBe('wordloom-optim v1');
    plateauC.loadStateDict(JSON.parse(meta.get('plateau')!));
    expect(optC.stepCount).toBe(60);
    for (let t = 60; t < 120; t++) {
      runSteps(optC, t, t + 1);
      plateauC.step(metric(t));
    }
    expect(plateauC.lr).toBe(plateauA.lr);
    expect(plateauA.lr).toBeLessThan(0.05); // the plateau did act
    expect(values(c)).toEqual(values(a));
    expect(optC.lastGradNorm()).toBe(optA.lastGradNorm());
    for (const o of [optA, optC]) o.dispose();
    disposeVars(a);
    disposeVars(c);
  });

  it('refuses files that are not optimizer states, without leaking', async () => {
    const { writeSafetensors } = await import('@wordloom/core');
    const vars = makeVars();
    const opt = new Optimizer(vars, adam());
    const x = tf.ones([2]);
    const foreign = writeSafetensors(new Map([['x', x]]), { something: 'else' });
    x.dispose();
    const n = tf.memory().numTensors;
    expect(() => opt.load(foreign)).toThrow(/loadState: the file has no 'wordloom\.optim\.state' metadata/);
    const sgdState = new Optimizer(vars, sgd({ lr: 1, momentum: 0.5 }));
    runSteps(sgdState, 0, 1);
    const bytes = sgdState.save();
    expect(() => opt.load(bytes)).toThrow(/Optimizer\.load: /);
    sgdState.dispose();
    expect(tf.memory().numTensors).toBe(n);
    opt.dispose();
    disposeVars(vars);
  });

  it('keys state by name: the order of the gradients does not matter', () => {
    const run = (reverse: boolean) => {
      const vars = makeVars();
      const opt = new Optimizer(vars, adam({ lr: 0.1 }));
      for (let t = 0; t < 5; t++) {
        let entries = shapes.map(([name, shape]) => [name, gradAt(t, name, shape)] as [string, tf.Tensor]);
        if (reverse && t % 2 === 1) entries = entries.reverse();
        opt.step(new Map(entries));
        entries.forEach(([, g]) => g.dispose());
      }
      const out = values(vars);
      opt.dispose();
      disposeVars(vars);
      return out;
    };
    expect(run(true)).toEqual(run(false));
  });

  it('accepts tf.variableGrads results keyed by tfjs variable names', () => {
    const w = variable(tf.tensor1d([1, -1]), 'optim_test_some_tfjs_name');
    const opt = new Optimizer(new Map([['encoder.weight', w]]), sgd({ lr: 0.5 }));
    const { value, grads } = tf.variableGrads(() => tf.sum(tf.square(w)) as tf.Scalar, [w]);
    expect(Object.keys(grads)).toEqual(['optim_test_some_tfjs_name']);
    opt.step(grads);
    // w - 0.5 * 2w = 0
    expect(Array.from(w.dataSync())).toEqual([0, 0]);
    value.dispose();
    Object.values(grads).forEach((g) => g.dispose());
    opt.dispose();
    w.dispose();
  });

  it('leaves parameters without a gradient (and their state) untouched, as torch', () => {
    const vars = makeVars();
    const opt = new Optimizer(vars, sgd({ lr: 0.1, momentum: 0.9 }));
    const g = tf.ones([3]);
    opt.step(new Map([['layer.bias', g]]));
    expect(Array.from(vars.get('layer.weight')!.dataSync())).toEqual(new Array(12).fill(0.5));
    expect(Array.from(vars.get('layer.bias')!.dataSync()).map((x) => +x.toFixed(6))).toEqual([1.4, 1.4, 1.4]);
    g.dispose();
    opt.dispose();
    disposeVars(vars);
  });

  it('refuses a step with NaN/Inf gradients by default, naming the parameter, and changes nothing', () => {
    const vars = makeVars();
    const opt = new Optimizer(vars, adam());
    const before = values(vars);
    const bad = tf.tensor1d([1, NaN, 3]);
    const ok = tf.ones([3, 4]);
    let err: unknown;
    try {
      opt.step(
        new Map([
          ['layer.weight', ok],
          ['layer.bias', bad],
        ]),
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteGradientError);
    expect((err as Error).message).toMatch(/Optimizer\.step: gradient of 'layer\.bias' contains NaN or Infinity/);
    expect((err as NonFiniteGradientError).names).toEqual(['layer.bias']);
    expect(values(vars)).toEqual(before);
    expect(opt.stepCount).toBe(0);
    [bad, ok].forEach((t) => t.dispose());
    opt.dispose();
    disposeVars(vars);
  });

  it("onNonFinite: 'skip' skips and counts, and the next finite step proceeds as if nothing happened", () => {
    const clean = makeVars();
    const optClean = new Optimizer(clean, adam({ lr: 0.1 }));
    runSteps(optClean, 0, 3);

    const vars = makeVars();
    const opt = new Optimizer(vars, adam({ lr: 0.1 }), { onNonFinite: 'skip' });
    runSteps(opt, 0, 1);
    const inf = tf.fill([4], Infinity);
    const info = opt.step(new Map([['norm.weight', inf]]));
    inf.dispose();
    expect(info).toEqual({ skipped: true, nonFinite: ['norm.weight'] });
    expect(opt.skippedSteps).toBe(1);
    runSteps(opt, 1, 3);
    expect(opt.stepCount).toBe(3);
    expect(values(vars)).toEqual(values(clean));
    for (const o of [opt, optClean]) o.dispose();
    disposeVars(vars);
    disposeVars(clean);
  });

  it('does not mistake a float32 overflow of a sum for a non-finite gradient', () => {
    const w = variable(tf.zeros([4]));
    const opt = new Optimizer(new Map([['w', w]]), sgd({ lr: 1e-38 }));
    const g = tf.fill([4], 3e38); // each finite; their float32 sum overflows
    expect(opt.step(new Map([['w', g]])).skipped).toBe(false);
    g.dispose();
    opt.dispose();
    w.dispose();
  });

  it('reports the pre-clip gradient norm', () => {
    const w = variable(tf.zeros([2]));
    const opt = new Optimizer(new Map([['w', w]]), chain(clipByGlobalNorm({ maxNorm: 1 }), sgd({ lr: 1 })));
    const g = tf.tensor1d([3, 4]);
    opt.step(new Map([['w', g]]));
    expect(opt.lastGradNorm()).toBeCloseTo(5, 5);
    // clipped to norm 1 (torch: 1 / (5 + 1e-6))
    const [a, b] = w.dataSync();
    expect(a).toBeCloseTo(-0.6, 5);
    expect(b).toBeCloseTo(-0.8, 5);
    g.dispose();
    opt.dispose();
    w.dispose();
  });

  it('names the problem for unknown gradients, wrong shapes and foreign states', () => {
    const vars = makeVars();
    const opt = new Optimizer(vars, adam());
    const g = tf.ones([2]);
    expect(() => opt.step(new Map([['nope', g]]))).toThrow(/Optimizer\.step: gradient 'nope' matches no parameter/);
    expect(() => opt.step(new Map([['layer.bias', g]]))).toThrow(
      /gradient 'layer\.bias' has shape \[2\], parameter 'layer\.bias' has \[3\]/,
    );
    const other = new Optimizer(vars, sgd({ lr: 1, momentum: 0.9 }));
    const n = tf.memory().numTensors;
    expect(() => opt.loadStateDict(other.stateDict())).toThrow(/Optimizer\.loadStateDict: state(\[\d\])?.* expects/);
    expect(tf.memory().numTensors).toBe(n);
    g.dispose();
    other.dispose();
    opt.dispose();
    expect(() => opt.step(new Map())).toThrow(/disposed/);
    disposeVars(vars);
  });

  it('works with a ReduceLROnPlateau driving the learning rate, and its state round-trips', () => {
    const plateau = new ReduceLROnPlateau({ lr: 1, patience: 1, factor: 0.5 });
    const w = variable(tf.zeros([1]));
    const opt = new Optimizer(new Map([['w', w]]), sgd({ lr: plateau.schedule }));
    const g = tf.ones([1]);
    for (const metric of [1, 1, 1]) {
      opt.step(new Map([['w', g]]));
      plateau.step(metric);
    }
    // lr 1, 1, 1 then reduced to 0.5 after the third metric (two bad steps > patience 1)
    expect(plateau.lr).toBe(0.5);
    opt.step(new Map([['w', g]]));
    expect(w.dataSync()[0]).toBeCloseTo(-3.5, 6);
    const copy = new ReduceLROnPlateau({ lr: 1 });
    copy.loadStateDict(JSON.parse(JSON.stringify(plateau.stateDict())));
    expect(copy.stateDict()).toEqual(plateau.stateDict());
    g.dispose();
    opt.dispose();
    w.dispose();
  });
});
