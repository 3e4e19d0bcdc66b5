/**
 * fit / Trainer basics on a tiny regression model: options, accumulation, clipping, schedules,
 * evaluation, early stopping, callbacks, leaks, non-finite losses, abort.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Dropout, Linear, Module, mseLoss, setupBackend } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { adam, NonFiniteGradientError, Optimizer, sgd } from '@wordloom/optim';
import {
  fit,
  memoryStorage,
  NonFiniteLossError,
  plannedSchedule,
  Trainer,
  type Callbacks,
  type StepRecord,
} from './index.js';

class Net extends Module {
  readonly l1: Linear;
  readonly drop: Dropout;
  readonly l2: Linear;
  constructor(seed: number, p = 0) {
    super();
    this.l1 = this.addModule('l1', new Linear({ inFeatures: 3, outFeatures: 8, seed }));
    this.drop = this.addModule('drop', new Dropout({ p, seed: seed + 1 }));
    this.l2 = this.addModule('l2', new Linear({ inFeatures: 8, outFeatures: 1, seed: seed + 2 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.l2.forward(this.drop.forward(tf.tanh(this.l1.forward(x)))));
  }
}

interface Batch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/** y = x0 − 2 x1 + 0.5 x2, 24 examples. */
function examples(n = 24): Array<{ x: number[]; y: number }> {
  const out = [];
  for (let i = 0; i < n; i++) {
    const x = [Math.sin(i), Math.cos(1.3 * i), ((i % 5) - 2) / 2];
    out.push({ x, y: x[0] - 2 * x[1] + 0.5 * x[2] });
  }
  return out;
}

function collate(xs: Array<{ x: number[]; y: number }>): Batch {
  return {
    x: tf.tensor2d(
      xs.map((e) => e.x),
      [xs.length, 3],
    ),
    y: tf.tensor2d(
      xs.map((e) => [e.y]),
      [xs.length, 1],
    ),
  };
}

function loader(batchSize: number, opts: { shuffle?: boolean; n?: number } = {}) {
  return new DataLoader({
    dataset: fromArray(examples(opts.n)),
    batchSize,
    shuffle: opts.shuffle ?? true,
    seed: 7,
    collate,
  });
}

const loss = (m: Net, b: Batch) => mseLoss(m.forward(b.x), b.y) as tf.Scalar;

function weights(m: Module): Float32Array[] {
  return [...m.namedParameters().values()].map((v) => v.dataSync() as Float32Array);
}

describe('fit', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });

  it('trains, records every step, and leaves no tensor behind', async () => {
    const model = new Net(1);
    const optimizer = new Optimizer(model, adam({ lr: 0.05 }));
    const before = tf.memory().numTensors;
    const seen: number[] = [];
    const h = await fit({
      model,
      optimizer,
      train: loader(4),
      loss,
      epochs: 5,
      callbacks: { onStepEnd: () => void seen.push(tf.memory().numTensors) },
    });
    expect(h.stopReason).toBe('completed');
    expect(h.step).toBe(30);
    expect(h.epoch).toBe(5);
    expect(h.steps).toHaveLength(30);
    expect(h.steps.map((s) => s.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(h.steps[0].samples).toBe(4);
    expect(h.steps[29].loss).toBeLessThan(h.steps[0].loss * 0.5);
    // Every step leaves the tensor count as it found it (optimizer state is made on the first step).
    expect(new Set(seen.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(seen[seen.length - 1]);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBeLessThanOrEqual(before);
    model.dispose();
  });

  it('accumulating 2 micro-batches of 4 equals one batch of 8 (mean loss)', async () => {
    const run = async (batchSize: number, accumulate: number) => {
      const model = new Net(3);
      const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
      const h = await fit({
        model,
        optimizer,
        train: loader(batchSize, { shuffle: false }),
        loss,
        epochs: 2,
        accumulate,
      });
      const w = weights(model);
      optimizer.dispose();
      model.dispose();
      return { w, h };
    };
    const big = await run(8, 1);
    const acc = await run(4, 2);
    expect(acc.h.step).toBe(big.h.step);
    expect(acc.h.steps[0].samples).toBe(8);
    for (let i = 0; i < big.w.length; i++)
      for (let j = 0; j < big.w[i].length; j++) expect(acc.w[i][j]).toBeCloseTo(big.w[i][j], 5);
    for (let i = 0; i < big.h.steps.length; i++) expect(acc.h.steps[i].loss).toBeCloseTo(big.h.steps[i].loss, 5);
    // and differs from not accumulating at all
    const small = await run(4, 1);
    expect(Math.abs(small.w[0][0] - big.w[0][0])).toBeGreaterThan(1e-4);
  });

  it('flushes a partial accumulation group at the end of an epoch', async () => {
    const model = new Net(3);
    const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
    const micro: number[] = [];
    const h = await fit({
      model,
      optimizer,
      train: loader(4, { n: 20 }), // 5 batches per epoch
      loss: (m, b, ctx) => {
        micro.push(ctx.microBatches);
        return loss(m, b);
      },
      epochs: 1,
      accumulate: 2,
    });
    expect(h.step).toBe(3);
    expect(micro).toEqual([2, 2, 2, 2, 1]);
    expect(h.steps.map((s) => s.samples)).toEqual([8, 8, 4]);
    optimizer.dispose();
    model.dispose();
  });

  it('clips to clipNorm and records the pre-clip norm', async () => {
    const model = new Net(5);
    const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
    const ref = new Net(5);
    const refOpt = new Optimizer(ref, sgd({ lr: 0.1 }));
    const h = await fit({ model, optimizer, train: loader(24, { shuffle: false }), loss, maxSteps: 1, clipNorm: 1e-3 });
    expect(h.steps[0].gradNorm).toBeGreaterThan(1e-3);
    // The clipped update is clipNorm / norm of the plain one.
    const b = collate(examples());
    const { grads } = tf.variableGrads(() => loss(ref, b), ref.parameters());
    const scale = 1e-3 / (h.steps[0].gradNorm! + 1e-6);
    const w0 = ref.l1.weight.dataSync()[0] - 0.1 * grads[ref.l1.weight.name].dataSync()[0] * scale;
    expect(model.l1.weight.dataSync()[0]).toBeCloseTo(w0, 6);
    tf.dispose([b.x, b.y, ...Object.values(grads)]);
    for (const x of [optimizer, refOpt, model, ref]) x.dispose();
  });

  it('plans a schedule to the run length and records the learning rate', async () => {
    const model = new Net(1);
    const lr = plannedSchedule((total) => (step: number) => 0.1 * (1 - step / total));
    const optimizer = new Optimizer(model, sgd({ lr }));
    const h = await fit({ model, optimizer, train: loader(4), loss, epochs: 2, schedule: lr });
    expect(lr.totalSteps).toBe(12);
    expect(h.steps.map((s) => s.lr)).toEqual(Array.from({ length: 12 }, (_, k) => 0.1 * (1 - k / 12)));
    optimizer.dispose();
    model.dispose();
  });

  it('evaluates in eval mode every N steps and at epoch ends, and calls the callbacks in order', async () => {
    const model = new Net(1, 0.5);
    const optimizer = new Optimizer(model, adam({ lr: 0.01 }));
    const events: string[] = [];
    const modes: boolean[] = [];
    const cb: Callbacks = {
      onTrainStart: () => void events.push('start'),
      onStepEnd: (r) => void events.push(`step${r.step}`),
      onEvaluate: (r) => void events.push(`eval${r.step}:${r.trigger}`),
      onEpochEnd: (e) => void events.push(`epoch${e}`),
      onTrainEnd: (h) => void events.push(`end:${h.stopReason}`),
    };
    const h = await fit({
      model,
      optimizer,
      train: loader(8), // 3 batches per epoch
      loss,
      epochs: 2,
      evaluate: {
        loader: loader(12, { shuffle: false }),
        every: 2,
        atEpochEnd: true,
        metrics: (m, b) => {
          modes.push(m.training);
          return { mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] };
        },
      },
      callbacks: cb,
    });
    expect(events).toEqual([
      'start',
      'step1',
      'step2',
      'eval2:every',
      'step3',
      'eval3:epochEnd',
      'epoch0',
      'step4',
      'eval4:every',
      'step5',
      'step6',
      'eval6:every',
      'eval6:epochEnd',
      'epoch1',
      'end:completed',
    ]);
    expect(modes.every((t) => t === false)).toBe(true);
    expect(model.training).toBe(true);
    expect(h.evaluations).toHaveLength(5);
    // The eval metric is the mean over both eval batches (12 + 12 examples), computed by hand here.
    const last = h.evaluations[4].metrics.mse;
    model.eval();
    const all = collate(examples());
    const direct = mseLoss(model.forward(all.x), all.y).dataSync()[0];
    expect(last).toBeCloseTo(direct, 5);
    tf.dispose([all.x, all.y]);
    optimizer.dispose();
    model.dispose();
  });

  it('stops early when the metric stops improving', async () => {
    const model = new Net(1);
    const optimizer = new Optimizer(model, sgd({ lr: 0 })); // nothing changes: no improvement after the first
    const h = await fit({
      model,
      optimizer,
      train: loader(4),
      loss,
      epochs: 50,
      evaluate: { loader: loader(24), metrics: (m, b) => ({ mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] }) },
      earlyStopping: { metric: 'mse', mode: 'min', patience: 2 },
    });
    expect(h.stopReason).toBe('earlyStopping');
    expect(h.evaluations).toHaveLength(3);
    expect(h.epoch).toBe(3); // stopped by the third epoch's end evaluation (the epoch counts, as in Keras)
    await expect(
      fit({
        model,
        optimizer,
        train: loader(4),
        loss,
        epochs: 1,
        evaluate: { loader: loader(24), metrics: () => ({ mse: 1 }) },
        earlyStopping: { metric: 'accuracy', mode: 'max' },
      }),
    ).rejects.toThrow(/earlyStopping.metric 'accuracy' is not among the evaluation metrics \(mse\)/);
    optimizer.dispose();
    model.dispose();
  });

  it('a NaN loss throws naming the step and leaves the weights unchanged', async () => {
    const model = new Net(1);
    const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
    let w: Float32Array[] = [];
    const err = await fit({
      model,
      optimizer,
      train: loader(4),
      loss: (m, b, ctx) => {
        if (ctx.step === 2) {
          w = weights(m);
          return tf.tidy(() => tf.mul(loss(m, b), NaN)) as tf.Scalar;
        }
        return loss(m, b);
      },
      epochs: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as Error).message).toMatch(/the loss is NaN at step 3 \(epoch 0, batch 2\)/);
    expect(weights(model)).toEqual(w);
    // 'skip' goes on
    const h = await fit({
      model,
      optimizer,
      train: loader(4),
      loss: (m, b, ctx) => (ctx.step === 2 ? (tf.tidy(() => tf.mul(loss(m, b), NaN)) as tf.Scalar) : loss(m, b)),
      epochs: 1,
      onNonFiniteLoss: 'skip',
    });
    expect(h.steps.map((s: StepRecord) => s.skipped === true)).toEqual([false, false, true, false, false, false]);
    optimizer.dispose();
    model.dispose();
  });

  it('names the step when the gradients are not finite', async () => {
    const model = new Net(1);
    const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
    // sqrt(0) has an infinite derivative: a finite loss with non-finite gradients.
    const err = await fit({
      model,
      optimizer,
      train: loader(4),
      loss: (m, b, ctx) =>
        (ctx.step === 1 ? tf.tidy(() => tf.sqrt(tf.mul(tf.sum(m.forward(b.x)), 0))) : loss(m, b)) as tf.Scalar,
      epochs: 1,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonFiniteGradientError);
    expect((err as Error).message).toMatch(/^fit: step 2 \(epoch 0, batch 1\): gradient of/);
    optimizer.dispose();
    model.dispose();
  });

  it('stops on abort after the current step and saves a checkpoint', async () => {
    const model = new Net(1);
    const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
    const ac = new AbortController();
    const storage = memoryStorage();
    const h = await fit({
      model,
      optimizer,
      train: loader(4),
      loss,
      epochs: 3,
      signal: ac.signal,
      checkpoint: { storage },
      callbacks: { onStepEnd: (r) => void (r.step === 4 && ac.abort()) },
    });
    expect(h.stopReason).toBe('aborted');
    expect(h.step).toBe(4);
    expect([...storage.files.keys()]).toEqual(['checkpoint-000000004.safetensors']);
    optimizer.dispose();
    model.dispose();
  });

  it('keeps the tensor count constant per step with a carry, accumulation and clipping', async () => {
    const model = new Net(2, 0.3);
    const optimizer = new Optimizer(model, adam({ lr: 0.01 }));
    const counts: number[] = [];
    await fit({
      model,
      optimizer,
      train: loader(4),
      // A carried tensor that each step reads and replaces (as a TBPTT state), made inside the step.
      loss: (m, b, ctx) => {
        const prev = ctx.carry.get('h');
        const h = tf.tanh(m.l1.forward(b.x));
        const out = prev && prev.shape[0] === h.shape[0] ? tf.add(h, tf.mul(prev, 0.5)) : h;
        ctx.carry.set('h', out);
        return mseLoss(m.l2.forward(out), b.y) as tf.Scalar;
      },
      epochs: 3,
      accumulate: 2,
      clipNorm: 0.5,
      callbacks: { onStepEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(counts).toHaveLength(9);
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    model.dispose();
  });

  it('exposes the pieces for a loop of your own: trainStep, evaluate, save, restore', async () => {
    const storage = memoryStorage();
    const make = () => {
      const model = new Net(4);
      const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
      const trainer = new Trainer({
        model,
        optimizer,
        train: loader(4),
        loss,
        maxSteps: 100,
        evaluate: {
          loader: loader(12, { shuffle: false }),
          metrics: (m, b) => ({ mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] }),
        },
        checkpoint: { storage },
      });
      return { model, optimizer, trainer };
    };
    const a = make();
    const batches = examples().slice(0, 8);
    const b1 = collate(batches.slice(0, 4));
    const b2 = collate(batches.slice(4));
    const r = await a.trainer.trainStep([b1, b2]);
    expect(r).toMatchObject({ step: 1, samples: 8 });
    const m = await a.trainer.evaluate();
    expect(Object.keys(m!)).toEqual(['mse']);
    expect(await a.trainer.save()).toBe('checkpoint-000000001.safetensors');
    const b = make();
    expect(await b.trainer.restore()).toBe(true);
    expect(b.trainer.step).toBe(1);
    expect(b.trainer.steps).toEqual([r]);
    expect(weights(b.model)).toEqual(weights(a.model));
    tf.dispose([b1.x, b1.y, b2.x, b2.y]);
    for (const x of [a, b]) {
      x.trainer.dispose();
      x.optimizer.dispose();
      x.model.dispose();
    }
    await expect(a.trainer.evaluate()).rejects.toThrow(/disposed/);
  });

  it('checks its options', () => {
    const model = new Net(1);
    const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
    const base = { model, optimizer, train: loader(4), loss };
    expect(() => new Trainer(base)).toThrow(/give epochs, maxSteps or timeBudgetSeconds/);
    expect(() => new Trainer({ ...base, epochs: 1, accumulate: 0 })).toThrow(/accumulate = 0 must be an integer >= 1/);
    expect(() => new Trainer({ ...base, epochs: 1.5 })).toThrow(/epochs = 1.5/);
    expect(() => new Trainer({ ...base, epochs: 1, clipNorm: -1 })).toThrow(/clipNorm = -1/);
    expect(() => new Trainer({ ...base, epochs: 1, resume: true })).toThrow(/resume needs checkpoint.storage/);
    expect(() => new Trainer({ ...base, epochs: 1, earlyStopping: { metric: 'x', mode: 'min' } })).toThrow(
      /earlyStopping needs evaluate/,
    );
    optimizer.dispose();
    model.dispose();
  });
});
