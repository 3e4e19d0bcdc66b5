/**
 * Checkpoint files and storages: contents, keep-K, refusing a mismatched resume, file storage
 * atomicity, the time-budget plan kept across a resume, an abort inside a slow evaluation, and the
 * metrics log and progress bar.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { Dropout, globalRng, Linear, manualSeed, Module, mseLoss, Rng, setupBackend } from '@wordloom/core';
import { DataLoader, fromArray } from '@wordloom/data';
import { Optimizer, sgd } from '@wordloom/optim';
import {
  CHECKPOINT_FORMAT,
  fit,
  memoryStorage,
  plannedSchedule,
  progressBar,
  readCheckpoint,
  readMetricsJsonl,
  ResumeMismatchError,
  type FitOptions,
} from './index.js';
import { fileStorage, jsonlLog } from './node.js';

class Net extends Module {
  readonly l1: Linear;
  readonly drop: Dropout;
  constructor() {
    super();
    this.l1 = this.addModule('l1', new Linear({ inFeatures: 2, outFeatures: 1, seed: 1 }));
    this.drop = this.addModule('drop', new Dropout({ p: 0.5, seed: 2 }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.l1.forward(this.drop.forward(x));
  }
}

type B = { x: tf.Tensor2D; y: tf.Tensor2D };
const data = Array.from({ length: 12 }, (_, i) => ({ x: [i / 12, 1 - i / 12], y: i % 3 }));
const collate = (xs: typeof data): B => ({
  x: tf.tensor2d(
    xs.map((e) => e.x),
    [xs.length, 2],
  ),
  y: tf.tensor2d(
    xs.map((e) => [e.y]),
    [xs.length, 1],
  ),
});

function setup(extra: Partial<FitOptions<Net, B>> = {}): FitOptions<Net, B> & { dispose(): void } {
  manualSeed(3);
  const model = new Net();
  const optimizer = new Optimizer(model, sgd({ lr: 0.1 }));
  return {
    model,
    optimizer,
    train: new DataLoader({ dataset: fromArray(data), batchSize: 3, shuffle: true, seed: 1, collate }),
    loss: (m, b) => mseLoss(m.forward(b.x), b.y) as tf.Scalar,
    epochs: 2,
    ...extra,
    dispose() {
      optimizer.dispose();
      model.dispose();
    },
  };
}

describe('checkpoints', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('hold the model, optimizer, generators, loader position, history and config', async () => {
    const storage = memoryStorage();
    const extra = new Rng(5);
    const s = setup({ checkpoint: { storage, every: 3, keep: 2 }, rngs: { extra }, config: { lr: 0.1 } });
    const h = await fit({ ...s, epochs: 2 });
    expect(h.checkpoint).toBe('checkpoint-000000008.safetensors');
    // every 3 steps → 3, 6; the end → 8; keep 2
    expect([...storage.files.keys()].sort()).toEqual([
      'checkpoint-000000006.safetensors',
      'checkpoint-000000008.safetensors',
    ]);
    const c = readCheckpoint(storage.files.get('checkpoint-000000008.safetensors')!);
    expect(c.meta.format).toBe(CHECKPOINT_FORMAT);
    expect(c.meta.step).toBe(8);
    expect(c.meta.epoch).toBe(2);
    expect(c.meta.loader).toEqual({ epoch: 2, batch: 0 });
    expect([...c.model.keys()]).toEqual(['l1.weight', 'l1.bias']);
    expect(c.model.get('l1.weight')!.dataSync()).toEqual(s.model.l1.weight.dataSync());
    expect(c.optim.tensors.size).toBe(0); // plain SGD keeps no tensors
    const fresh = new Optimizer(s.model, sgd({ lr: 0.1 }));
    fresh.loadStateDict(c.optim);
    expect(fresh.stepCount).toBe(8);
    fresh.dispose();
    expect(c.meta.rngs.model).toEqual(Object.fromEntries(s.model.rngStates()));
    expect(c.meta.rngs.global).toEqual(globalRng().getState());
    expect(c.meta.rngs.extra).toEqual({ extra: extra.getState() });
    expect(c.meta.steps).toEqual(h.steps);
    expect(c.meta.config['config.lr']).toBe(0.1);
    expect(c.meta.plan).toEqual({ totalSteps: 8, source: 'fixed' });
    tf.dispose([...c.model.values(), ...c.optim.tensors.values()]);
    s.dispose();
    expect(() => readCheckpoint(new Uint8Array(8))).toThrow(/readSafetensors/);
  });

  it('refuse a resume with different options, naming the option', async () => {
    const storage = memoryStorage();
    const a = setup({ checkpoint: { storage }, config: { lr: 0.1 } });
    await fit({ ...a, maxSteps: 3 });
    a.dispose();
    const b = setup({ checkpoint: { storage }, config: { lr: 0.2 }, resume: true });
    const err = await fit({ ...b, maxSteps: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResumeMismatchError);
    expect((err as ResumeMismatchError).option).toBe('config.lr');
    expect((err as Error).message).toMatch(/'config.lr' was 0.1 in the checkpoint, is 0.2 now/);
    const c = setup({ checkpoint: { storage }, config: { lr: 0.1 }, resume: true, accumulate: 2 });
    await expect(fit({ ...c, maxSteps: 3 })).rejects.toThrow(/option 'accumulate' was 1 in the checkpoint, is 2 now/);
    const d = setup({ checkpoint: { storage }, config: { lr: 0.1 }, resume: true });
    await expect(fit({ ...d, maxSteps: 5 })).rejects.toThrow(/'maxSteps' was 3 in the checkpoint, is 5 now/);
    // The refused resumes changed nothing: the same options resume fine.
    const e = setup({ checkpoint: { storage }, config: { lr: 0.1 }, resume: true });
    const h = await fit({ ...e, maxSteps: 3 });
    expect(h.resumedFrom).toBe(3);
    expect(h.step).toBe(3);
    for (const x of [b, c, d, e]) x.dispose();
  });

  it('resume with no checkpoint starts fresh', async () => {
    const s = setup({ checkpoint: { storage: memoryStorage() }, resume: true });
    const h = await fit(s);
    expect(h.resumedFrom).toBeUndefined();
    expect(h.step).toBe(8);
    s.dispose();
  });

  it('fileStorage writes atomically into a folder and ignores leftovers of a crash', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'wl-train-')), 'runs', 'x');
    const st = fileStorage(dir);
    expect(await st.list()).toEqual([]);
    expect(await st.read('a.bin')).toBeUndefined();
    await st.write('a.bin', Uint8Array.of(1, 2, 3));
    await st.write('a.bin', Uint8Array.of(4, 5));
    expect(Array.from((await st.read('a.bin'))!)).toEqual([4, 5]);
    writeFileSync(join(dir, '.tmp-99-0-a.bin'), 'half');
    expect(await st.list()).toEqual(['a.bin']);
    await st.remove('a.bin');
    await st.remove('a.bin');
    expect(await st.list()).toEqual([]);
    await expect(st.write('../evil', Uint8Array.of(1))).rejects.toThrow(/must be a plain file name/);
    // fit through it, then resume in a new process's worth of objects
    const a = setup({ checkpoint: { storage: fileStorage(dir), every: 2 } });
    const ac = new AbortController();
    await fit({ ...a, signal: ac.signal, callbacks: { onStepEnd: (r) => void (r.step === 5 && ac.abort()) } });
    expect(
      readdirSync(dir)
        .filter((n) => !n.startsWith('.tmp'))
        .sort(),
    ).toEqual(['checkpoint-000000004.safetensors', 'checkpoint-000000005.safetensors']);
    a.dispose();
    const ref = setup();
    await fit(ref);
    const b = setup({ checkpoint: { storage: fileStorage(dir) }, resume: true });
    const h = await fit(b);
    expect(h.resumedFrom).toBe(5);
    expect(b.model.l1.weight.dataSync()).toEqual(ref.model.l1.weight.dataSync());
    a.dispose();
    b.dispose();
    ref.dispose();
  });

  it('an abort from the event loop during a slow evaluation stops it at the next batch', async () => {
    const storage = memoryStorage();
    const ac = new AbortController();
    let calls = 0;
    let callsAtAbort = -1;
    const s = setup({
      checkpoint: { storage },
      evaluate: {
        loader: new DataLoader({ dataset: fromArray(data), batchSize: 1, collate }), // 12 batches
        metrics: (m, b) => {
          calls++;
          const t = performance.now();
          while (performance.now() - t < 20); // 20 ms a batch
          return { mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] };
        },
      },
      signal: ac.signal,
      // As a Ctrl-C handler would: from a timer, while the evaluation runs.
      callbacks: {
        onEvaluateStart: () =>
          void setTimeout(() => {
            callsAtAbort = calls;
            ac.abort();
          }, 30),
      },
    });
    const h = await fit(s);
    expect(h.stopReason).toBe('aborted');
    expect(callsAtAbort).toBeGreaterThan(0);
    expect(calls - callsAtAbort).toBeLessThanOrEqual(1);
    expect(calls).toBeLessThan(12);
    const c = readCheckpoint(storage.files.get(h.checkpoint!)!);
    expect(c.meta.phase).toBe('evaluate');
    expect(c.meta.step).toBe(4);
    tf.dispose([...c.model.values(), ...c.optim.tensors.values()]);
    s.dispose();
  });

  it('a run killed right after an epoch-end checkpoint resumes without evaluating that epoch again', async () => {
    const evaluate = {
      loader: new DataLoader({ dataset: fromArray(data), batchSize: 6, collate }),
      metrics: (m: Net, b: B) => ({ mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] }),
    };
    const ref = setup({ evaluate, epochs: 3 });
    const hRef = await fit(ref);
    const storage = memoryStorage();
    const a = setup({
      evaluate,
      epochs: 3,
      checkpoint: { storage },
      callbacks: {
        onCheckpoint: (name) => {
          if (name === 'checkpoint-000000004.safetensors') throw new Error('killed');
        },
      },
    });
    await expect(fit(a)).rejects.toThrow('killed');
    const b = setup({ evaluate, epochs: 3, checkpoint: { storage }, resume: true });
    const h = await fit(b);
    expect(h.resumedFrom).toBe(4);
    expect(h.evaluations).toEqual(hRef.evaluations);
    expect(b.model.l1.weight.dataSync()).toEqual(ref.model.l1.weight.dataSync());
    for (const x of [ref, a, b]) x.dispose();
  });

  it('an evaluation interrupted after 2 of 12 batches reruns first on resume', async () => {
    const storage = memoryStorage();
    const ac = new AbortController();
    let calls = 0;
    const evaluate = {
      loader: new DataLoader({ dataset: fromArray(data), batchSize: 1, collate }),
      metrics: (m: Net, b: B) => {
        if (++calls === 14) ac.abort(); // the second evaluation (end of epoch 2), batch 2
        return { mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] };
      },
    };
    const a = setup({ checkpoint: { storage }, evaluate, signal: ac.signal });
    const h1 = await fit(a);
    a.dispose();
    expect(h1.stopReason).toBe('aborted');
    expect(calls).toBe(14); // no batch after the abort
    expect(h1.evaluations).toHaveLength(1);
    const c = readCheckpoint(storage.files.get(h1.checkpoint!)!);
    expect(c.meta.phase).toBe('evaluate');
    expect(c.meta.pendingEvaluation).toBe('epochEnd');
    tf.dispose([...c.model.values(), ...c.optim.tensors.values()]);
    const b = setup({ checkpoint: { storage }, evaluate, resume: true });
    const h2 = await fit(b);
    expect(h2.evaluations.map((e) => e.step)).toEqual([4, 8]);
    expect(h2.stopReason).toBe('completed');
    b.dispose();
  });
});

describe('time budget', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('plans the step count from the measured step time, saves the plan, and a resume follows it', async () => {
    // A clock that advances 125 ms per call to performance.now (one call before and one after a step:
    // 0.125 s per step; binary fractions, so the sums below are exact).
    let now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 125));
    const storage = memoryStorage();
    const lr = plannedSchedule((total) => (k: number) => 0.1 * (1 - k / (total + 1)));
    const ac = new AbortController();
    const s = setup({
      epochs: undefined,
      timeBudgetSeconds: 10,
      schedule: lr,
      checkpoint: { storage },
      signal: ac.signal,
      callbacks: { onStepEnd: (r) => void (r.step === 30 && ac.abort()) },
    });
    const sgdWith = new Optimizer(s.model, sgd({ lr }));
    s.optimizer.dispose();
    const h = await fit({ ...s, optimizer: sgdWith });
    expect(h.stopReason).toBe('aborted');
    const c = readCheckpoint(storage.files.get(h.checkpoint!)!);
    const plan = c.meta.plan;
    expect(plan.source).toBe('budget');
    expect(plan.madeAt).toBe(23);
    expect(plan.secondsPerStep).toBe(0.125);
    // 2.875 s used at step 23: 0.97 · 7.125 s / 0.125 s = 55.3 → 55 more steps
    expect(plan.totalSteps).toBe(23 + 55);
    expect(lr.totalSteps).toBe(78);
    tf.dispose([...c.model.values(), ...c.optim.tensors.values()]);
    sgdWith.dispose();
    s.model.dispose();
    // The resumed run runs twice as slowly, but follows the saved plan (no new measurement).
    now = 0;
    vi.spyOn(performance, 'now').mockImplementation(() => (now += 250));
    const lr2 = plannedSchedule((total) => (k: number) => 0.1 * (1 - k / (total + 1)));
    const r = setup({ epochs: undefined, timeBudgetSeconds: 10, schedule: lr2, checkpoint: { storage }, resume: true });
    const opt2 = new Optimizer(r.model, sgd({ lr: lr2 }));
    r.optimizer.dispose();
    const h2 = await fit({ ...r, optimizer: opt2 });
    expect(lr2.totalSteps).toBe(78);
    // 3.75 s were used before the interruption; at 0.25 s a step the remaining 6.25 s allow 25 more: the budget stops it.
    expect(h2.stopReason).toBe('timeBudget');
    expect(h2.step).toBe(55);
    opt2.dispose();
    r.model.dispose();
  });
});

describe('metrics log and progress bar', () => {
  beforeAll(async () => {
    await setupBackend({ prefer: ['cpu'] });
  });

  it('jsonlLog writes one line per step and evaluation; a resumed run appends and the reader keeps the latest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-train-log-'));
    const path = join(dir, 'sub', 'metrics.jsonl');
    const storage = memoryStorage();
    const ac = new AbortController();
    const evaluate = {
      loader: new DataLoader({ dataset: fromArray(data), batchSize: 6, collate }),
      metrics: (m: Net, b: B) => ({ mse: mseLoss(m.forward(b.x), b.y).dataSync()[0], step: 1 }),
    };
    const a = setup({
      evaluate,
      checkpoint: { storage, every: 2 },
      signal: ac.signal,
      callbacks: [jsonlLog(path, { flushEvery: 0 }), { onStepEnd: (r) => void (r.step === 7 && ac.abort()) }],
    });
    // Interrupted after step 7, with the checkpoint at 7: nothing to redo. Make it redo: keep only step 6.
    await fit(a);
    a.dispose();
    storage.files.delete('checkpoint-000000007.safetensors');
    const first = readFileSync(path, 'utf8').trim().split('\n');
    expect(JSON.parse(first[0])).toEqual({ format: 'wordloom-train-metrics v1', startStep: 0 });
    expect(first.filter((l) => l.includes('"type":"step"'))).toHaveLength(7);
    const b = setup({ evaluate, checkpoint: { storage }, resume: true, callbacks: jsonlLog(path) });
    const h = await fit(b);
    b.dispose();
    const log = readMetricsJsonl(readFileSync(path, 'utf8'));
    expect(log.steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.steps.map((s) => s.loss)).toEqual(h.steps.map((s) => s.loss)); // step 7 is the resumed run's
    expect(log.steps[0]).toMatchObject({ type: 'step', step: 1, epoch: 0, samples: 3 });
    expect(typeof log.steps[0].seconds).toBe('number');
    expect(log.evaluations.map((e) => [e.step, e.trigger, typeof e.mse, e.metric_step])).toEqual([
      [4, 'epochEnd', 'number', 1],
      [8, 'epochEnd', 'number', 1],
    ]);
    expect(() => readMetricsJsonl('{"type":"step","step":1}\n')).toThrow(/line 1 comes before the/);
    expect(() => readMetricsJsonl(`${JSON.stringify({ format: 'wordloom-train-metrics v1' })}\nnot json\n`)).toThrow(
      /line 2 is not JSON/,
    );
  });

  it('progressBar keeps drawing through evaluations and epochs on a terminal, and prints lines elsewhere', async () => {
    const out: string[] = [];
    const stream = { write: (s: string) => void out.push(s), isTTY: true, columns: 160 };
    const evaluate = {
      loader: new DataLoader({ dataset: fromArray(data), batchSize: 6, collate }),
      every: 2,
      metrics: (m: Net, b: B) => ({ mse: mseLoss(m.forward(b.x), b.y).dataSync()[0] }),
    };
    const s = setup({ evaluate, epochs: 3, callbacks: progressBar({ stream, redraw: 0, label: 'toy' }) });
    await fit(s);
    s.dispose();
    const text = out.join('');
    // The bar is drawn after the last evaluation too (the demo's froze at the first).
    const lastEval = text.lastIndexOf('toy step 12');
    const bars = [...text.matchAll(/toy \|[█░]+\| (\d+)\/12 steps/g)].map((m) => Number(m[1]));
    expect(bars.filter((n) => n > 2).length).toBeGreaterThan(5);
    expect(bars).toContain(12);
    expect(text).toMatch(/toy step 2: mse \d/);
    expect(text).toMatch(/epoch 3\/3/);
    expect(text).toMatch(/steps\/s · [\d.]+ samples\/s · ETA/);
    expect(lastEval).toBeGreaterThan(0);
    expect(text).toMatch(/toy done at step 12, epoch 3, loss/);
    // Not a terminal: plain lines, no carriage returns.
    const plain: string[] = [];
    const p = setup({
      evaluate,
      callbacks: progressBar({ stream: { write: (x: string) => void plain.push(x) }, interval: 0 }),
    });
    await fit(p);
    p.dispose();
    expect(plain.join('')).not.toMatch(/\r/);
    expect(plain.filter((l) => /^train \d+\/8 steps \(\d+%\) · epoch \d\/2/.test(l)).length).toBe(8);
    expect(plain.filter((l) => /^train step \d+/.test(l))).toHaveLength(4); // every 2 of 8 steps
  });
});
