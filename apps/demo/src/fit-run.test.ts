import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Linear, mseLoss } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { Optimizer, sgd } from '@wordloom/optim';
import { describe, expect, it } from 'vitest';
import { cliTestDir } from './commands/testdata/run-cli.js';
import { demoFit, fitSource } from './fit-run.js';
import type { Progress } from './progress.js';

const tmp = cliTestDir('wordloom-fit-run-');

describe('demoFit', () => {
  it('the progress bar goes on after each evaluation (a new bar from the current step), up to the last step', async () => {
    const model = new Linear({ inFeatures: 2, outFeatures: 1, seed: 1 });
    const optimizer = new Optimizer(model, sgd({ lr: 0.05 }));
    const data = Array.from({ length: 12 }, (_, i) => ({ x: [i / 12, 1 - i / 12], y: i / 6 }));
    const collate = (xs: typeof data) => ({
      x: tf.tensor2d(xs.map((e) => e.x)),
      y: tf.tensor2d(xs.map((e) => [e.y])),
    });
    const bars: Array<{ start: number; total: number; updates: number[]; stoppedAt?: number; afterStop: number }> = [];
    const recorder = (_label: string, total: number, opts: { start?: number } = {}): Progress => {
      const bar = { start: opts.start ?? 0, total, updates: [] as number[], afterStop: 0 } as (typeof bars)[number];
      bars.push(bar);
      return {
        update(v) {
          if (bar.stoppedAt !== undefined) bar.afterStop++;
          bar.updates.push(v);
        },
        stop() {
          bar.stoppedAt ??= bar.updates.length;
        },
      };
    };
    const logs: string[] = [];
    const r = await demoFit({
      command: 'test',
      label: 'test',
      out: join(tmp, 'bar'),
      model,
      optimizer,
      train: new DataLoader({ dataset: fromArray(data), batchSize: 4, shuffle: true, seed: 1, collate }),
      loss: (m, b) => mseLoss(m.forward(b.x), b.y) as tf.Scalar,
      config: {},
      epochs: 3,
      evaluate: {
        loader: [data.slice(0, 4)],
        metrics: (m, xs) => {
          const b = collate(xs);
          return { mse: (mseLoss(m.forward(b.x), b.y) as tf.Scalar).dataSync()[0] };
        },
        atEpochEnd: true,
        message: ({ mse }, { epoch }) => `epoch ${epoch + 1}: mse ${mse.toFixed(4)}`,
      },
      log: (s) => logs.push(s),
      progress: recorder,
    });
    expect(r.step).toBe(9);
    expect(logs.filter((l) => /^epoch \d: mse/.test(l))).toHaveLength(3);
    // One bar at the start, one after each of the first two evaluations (and one after the last, which ends at once).
    expect(bars.length).toBeGreaterThanOrEqual(3);
    expect(bars.every((b) => b.afterStop === 0)).toBe(true);
    expect(bars[1].start).toBe(3);
    expect(bars[2].start).toBe(6);
    expect(Math.max(...bars.flatMap((b) => b.updates))).toBe(9);
    expect(bars.flatMap((b) => b.updates)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    model.dispose();
    optimizer.dispose();
  });
});

describe('fitSource', () => {
  const options = { n: 3 };
  const build = (o: typeof options) => {
    const model = new Linear({ inFeatures: o.n, outFeatures: 1, seed: 1 });
    return {
      model,
      optimizer: new Optimizer(model, sgd({ lr: 0.1 })),
      train: new DataLoader({ dataset: fromArray([1, 2]), batchSize: 1 }),
      loss: () => tf.scalar(0),
      countSamples: () => 1,
    };
  };

  it('one worker: builds here, shows onSetup the objects at once, and hands them to demoFit', () => {
    let seen: ReturnType<typeof build> | undefined;
    const s = fitSource({ world: 1, options, build, onSetup: (m) => (seen = m) });
    expect(seen).toBeDefined();
    expect(s.model).toBe(seen!.model);
    expect(s.optimizer).toBe(seen!.optimizer);
    expect(s.train).toBe(seen!.train);
    expect(s.loss).toBe(seen!.loss);
    expect(s.countSamples).toBe(seen!.countSamples);
    expect(s.schedule).toBeUndefined();
    expect(s.replicas).toBeUndefined();
    seen!.optimizer.dispose();
    seen!.model.dispose();
  });

  it('more workers: builds nothing here; the replicas build through the setup module, onSetup gets rank 0', () => {
    let built = 0;
    const onSetup = (): void => {};
    const s = fitSource({ world: 2, options, build: (o: typeof options) => (built++, build(o)), onSetup });
    expect(built).toBe(0);
    expect(s.model).toBeUndefined();
    expect(s.replicas).toMatchObject({ world: 2, options, onSetup });
    expect(s.replicas!.setup.href).toMatch(/replica-setup\.js$/);
  });
});
