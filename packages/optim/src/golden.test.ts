/**
 * Golden trajectories: our optimizers and schedules against torch.optim / torch.optim.lr_scheduler (torch 1.13),
 * 200 steps from the same parameters with the same stored gradient sequence.
 * Fixture: test/fixtures/torch-optim.json, made by tooling/golden/optim/make_fixtures.py.
 *
 * Tolerances (float32 on both sides, different operation order):
 * - parameters: |ours − torch| ≤ 1e-5·|torch| + 1e-6 at every snapshot (1e-5 relative, with an absolute floor
 *   of 1e-6 for entries that pass near zero, where a relative bound is meaningless);
 * - learning rates: |ours − torch| ≤ 1e-9·|torch| (both are float64 arithmetic of the same formulas).
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import {
  adagrad,
  adam,
  adamw,
  chain,
  clipByGlobalNorm,
  clipByValue,
  exponentialSchedule,
  inverseSqrtSchedule,
  linearSchedule,
  multiStepSchedule,
  Optimizer,
  ReduceLROnPlateau,
  rmsprop,
  sgd,
  stepSchedule,
  warmupCosineSchedule,
  warmupLinearSchedule,
  type GradientTransformation,
  type ReduceLROnPlateauOptions,
  type Schedule,
} from './index.js';

interface Case {
  id: string;
  ours: Record<string, unknown>;
  params: string;
  lrs?: string;
}
interface Fixture {
  torch: string;
  steps: number;
  snapshots: number[];
  shapes: [string, number[]][];
  params0: string;
  grads: string;
  metric: (number | null)[];
  cases: Case[];
}

const fixture: Fixture = JSON.parse(
  readFileSync(new URL('../test/fixtures/torch-optim.json', import.meta.url), 'utf8'),
);
const f32 = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const f64 = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
};
const sizes = fixture.shapes.map(([, s]) => s.reduce((a, b) => a * b, 1));
const total = sizes.reduce((a, b) => a + b, 0);

/** Splits a flat vector into named tensors in fixture order. */
function split(flat: Float32Array): Map<string, tf.Tensor> {
  const m = new Map<string, tf.Tensor>();
  let o = 0;
  fixture.shapes.forEach(([name, shape], i) => {
    m.set(name, tf.tensor(flat.subarray(o, o + sizes[i]), shape, 'float32'));
    o += sizes[i];
  });
  return m;
}

function makeSchedule(s: Record<string, unknown>): Schedule {
  const { kind, ...o } = s;
  switch (kind) {
    case 'step':
      return stepSchedule(o as never);
    case 'multiStep':
      return multiStepSchedule(o as never);
    case 'exponential':
      return exponentialSchedule(o as never);
    case 'linear':
      return linearSchedule(o as never);
    case 'warmupCosine':
      return warmupCosineSchedule(o as never);
    case 'warmupLinear':
      return warmupLinearSchedule(o as never);
    case 'inverseSqrt':
      return inverseSqrtSchedule(o as never);
    default:
      throw new Error(`unknown schedule ${kind}`);
  }
}

const nodecay = (name: string) => name.endsWith('.bias') || name.startsWith('norm.') || name.startsWith('embed.');

function build(o: Record<string, unknown>): {
  tx: GradientTransformation;
  plateau?: ReduceLROnPlateau;
  schedule?: Schedule;
} {
  const { optimizer, clipNorm, clipValue, schedule, plateau, groups, ...rest } = o;
  let lr = rest.lr;
  let sched: Schedule | undefined;
  let pl: ReduceLROnPlateau | undefined;
  if (schedule) lr = sched = makeSchedule(schedule as Record<string, unknown>);
  if (plateau) {
    pl = new ReduceLROnPlateau(plateau as ReduceLROnPlateauOptions);
    lr = pl.schedule;
  }
  const opts = { ...rest, lr, groups: (groups as object[] | undefined)?.map((g) => ({ ...g, match: nodecay })) };
  const ctor = { sgd, adam, adamw, adagrad, rmsprop }[optimizer as string]!;
  let tx = ctor(opts as never);
  if (typeof clipNorm === 'number') tx = chain(clipByGlobalNorm({ maxNorm: clipNorm }), tx);
  if (typeof clipValue === 'number') tx = chain(clipByValue({ min: -clipValue, max: clipValue }), tx);
  return { tx, plateau: pl, schedule: sched };
}

// OPTIM_TEST_BACKEND=wasm runs the same comparisons on the wasm backend (default: cpu).
beforeAll(async () => {
  const { backend } = await setupBackend({
    prefer: [(process.env.OPTIM_TEST_BACKEND as 'cpu' | 'wasm' | undefined) ?? 'cpu'],
  });
  if (process.env.OPTIM_GOLDEN_REPORT) console.log(`backend: ${backend}`);
});

describe(`golden: torch ${fixture.torch} optimizers and schedules, ${fixture.steps} steps`, () => {
  const grads = f32(fixture.grads);
  const params0 = f32(fixture.params0);

  for (const c of fixture.cases) {
    it(c.id, () => {
      const expected = f32(c.params);
      const vars = new Map<string, tf.Variable>();
      for (const [name, t] of split(params0)) {
        vars.set(name, tf.variable(t));
        t.dispose();
      }
      const { tx, plateau, schedule } = build(c.ours);
      const opt = new Optimizer(vars, tx);
      const lrs: number[] = [];
      let snap = 0;
      let worst = { err: 0, where: '' };
      for (let t = 0; t < fixture.steps; t++) {
        lrs.push(plateau ? plateau.lr : schedule ? schedule(t) : NaN);
        const g = split(grads.subarray(t * total, (t + 1) * total));
        opt.step(g);
        for (const x of g.values()) x.dispose();
        if (plateau) plateau.step(fixture.metric[t] ?? NaN);
        if (t + 1 === fixture.snapshots[snap]) {
          const ours = new Float32Array(total);
          let o = 0;
          for (const v of vars.values()) {
            ours.set(v.dataSync(), o);
            o += v.size;
          }
          const want = expected.subarray(snap * total, (snap + 1) * total);
          for (let i = 0; i < total; i++) {
            const err = Math.abs(ours[i] - want[i]) / (1e-5 * Math.abs(want[i]) + 1e-6);
            if (err > worst.err)
              worst = { err, where: `step ${t + 1}, element ${i}: ours ${ours[i]}, torch ${want[i]}` };
          }
          snap++;
        }
      }
      opt.dispose();
      for (const v of vars.values()) v.dispose();
      expect(snap).toBe(fixture.snapshots.length);
      if (process.env.OPTIM_GOLDEN_REPORT)
        console.log(`${c.id}: worst error ${worst.err.toFixed(3)} × tolerance (${worst.where})`);
      // worst.err is the largest error in units of the tolerance: ≤ 1 passes.
      expect(worst.err, worst.where).toBeLessThanOrEqual(1);
      if (c.lrs !== undefined) {
        const want = f64(c.lrs);
        for (let t = 0; t < fixture.steps; t++) {
          expect(Math.abs(lrs[t] - want[t]), `lr at step ${t}: ours ${lrs[t]}, torch ${want[t]}`).toBeLessThanOrEqual(
            1e-9 * Math.abs(want[t]),
          );
        }
      }
    });
  }
});
