/**
 * The contract of checkpoints: a run with a fixed number of steps, interrupted at ANY step — in the
 * middle of an epoch, at an epoch's end, during an evaluation — and resumed with a fresh model,
 * optimizer and loader, ends with weights bitwise equal to the uninterrupted run's (and the same
 * per-step losses and evaluations). Four models, each with something random or carried that a naive
 * checkpoint would lose: an LSTM classifier with dropout (core Dropout + the LSTM's inter-layer
 * dropout, shuffled batches), an LSTM LM with truncated BPTT (the hidden state is carried), a small
 * transformer LM with dropout and gradient accumulation, and a seq2seq model trained with scheduled
 * sampling (its generator lives outside the model). On cpu and on wasm.
 */
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  crossEntropy,
  Dropout,
  Embedding,
  Linear,
  manualSeed,
  Module,
  Rng,
  setupBackend,
  type BackendName,
} from '@wordloom/core';
import { bpttBatches, DataLoader, fromArray, lmChunkTensors, type LmChunk } from '@wordloom/data';
import { adam, adamw, Optimizer, warmupCosineSchedule } from '@wordloom/optim';
import { LSTM } from '@wordloom/rnn';
import { TransformerLM } from '@wordloom/transformer';
import { linearDecay, Seq2Seq, type Seq2SeqBatch } from '@wordloom/seq2seq';
import { fit, memoryStorage, plannedSchedule, type FitOptions, type History } from './index.js';

/** What a test model gives the harness: everything `fit` needs, built fresh (same seeds) on each call. */
// The harness runs models of several types; each setup's functions are typed where it is built.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Setup = Omit<FitOptions<any, any, any>, 'checkpoint' | 'resume' | 'signal'> & { dispose(): void };

function weightBytes(model: Module): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  for (const [n, v] of model.namedParameters()) {
    const f = v.dataSync() as Float32Array;
    out.set(n, new Uint8Array(f.buffer.slice(f.byteOffset, f.byteOffset + f.byteLength)));
  }
  return out;
}

function firstDifference(a: Map<string, Uint8Array>, b: Map<string, Uint8Array>): string | undefined {
  for (const [n, x] of a) {
    const y = b.get(n);
    if (y === undefined) return `${n} missing`;
    if (Buffer.compare(Buffer.from(x), Buffer.from(y)) !== 0) {
      const fx = new Float32Array(x.buffer);
      const fy = new Float32Array(y.buffer);
      let worst = 0;
      for (let i = 0; i < fx.length; i++) worst = Math.max(worst, Math.abs(fx[i] - fy[i]));
      return `${n} differs (max |Δ| ${worst})`;
    }
  }
  return undefined;
}

type Cut = { kind: 'step'; step: number } | { kind: 'eval'; evaluation: number; batch: number };

/**
 * Runs `build` uninterrupted, then for every cut: a run aborted there (saving a checkpoint), and a
 * resumed run on fresh objects that must end bitwise equal. Returns the reference history.
 */
async function checkExactResume(build: () => Setup, evalBatches: number): Promise<History> {
  const ref = build();
  const hRef = await fit({ ...ref });
  const wRef = weightBytes(ref.model);
  ref.dispose();
  expect(hRef.stopReason === 'completed' || hRef.stopReason === 'maxSteps').toBe(true);
  const cuts: Cut[] = [];
  for (let k = 1; k < hRef.step; k++) cuts.push({ kind: 'step', step: k });
  // During each evaluation: after its first batch (so the abort lands between batches).
  hRef.evaluations.forEach((_, i) => cuts.push({ kind: 'eval', evaluation: i, batch: Math.min(1, evalBatches - 1) }));
  const failures: string[] = [];
  for (const cut of cuts) {
    const storage = memoryStorage();
    const a = build();
    const ac = new AbortController();
    let evalCalls = 0;
    const target = cut.kind === 'eval' ? cut.evaluation * evalBatches + cut.batch + 1 : -1;
    const evaluate = a.evaluate && {
      ...a.evaluate,
      metrics: (m: Module, b: unknown) => {
        if (++evalCalls === target) ac.abort();
        return a.evaluate!.metrics(m, b);
      },
    };
    const h1 = await fit({
      ...a,
      ...(evaluate ? { evaluate } : {}),
      signal: ac.signal,
      checkpoint: { storage, keep: 1 },
      callbacks: { onStepEnd: (r) => void (cut.kind === 'step' && r.step === cut.step && ac.abort()) },
    });
    a.dispose();
    expect(h1.stopReason).toBe('aborted');
    const b = build();
    const h2 = await fit({ ...b, checkpoint: { storage }, resume: true });
    const w = weightBytes(b.model);
    b.dispose();
    const diff = firstDifference(wRef, w);
    const where = cut.kind === 'step' ? `after step ${cut.step}` : `in evaluation ${cut.evaluation}`;
    if (diff !== undefined) failures.push(`cut ${where}: ${diff}`);
    else if (JSON.stringify(h2.steps) !== JSON.stringify(hRef.steps))
      failures.push(`cut ${where}: step history differs`);
    else if (JSON.stringify(h2.evaluations) !== JSON.stringify(hRef.evaluations))
      failures.push(`cut ${where}: evaluations differ`);
    expect(h2.resumedFrom).toBe(h1.step);
  }
  expect(failures).toEqual([]);
  return hRef;
}

// --- an LSTM classifier with dropout ---------------------------------------------------------------

class LstmClassifier extends Module {
  readonly emb: Embedding;
  readonly rnn: LSTM;
  readonly drop: Dropout;
  readonly head: Linear;
  constructor() {
    super();
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: 12, embeddingDim: 6, paddingIdx: 0, seed: 1 }));
    this.rnn = this.addModule('rnn', new LSTM({ inputSize: 6, hiddenSize: 8, numLayers: 2, dropout: 0.3, seed: 2 }));
    this.drop = this.addModule('drop', new Dropout({ p: 0.3, seed: 3 }));
    this.head = this.addModule('head', new Linear({ inFeatures: 8, outFeatures: 3, seed: 4 }));
  }
  logits(b: ClsBatch): tf.Tensor {
    return tf.tidy(() => {
      const { state } = this.rnn.forward(this.emb.forward(b.ids), { lengths: b.lengths });
      const B = b.lengths.length;
      const last = tf.reshape(tf.slice(state.h, [1, 0, 0], [1, B, 8]), [B, 8]); // the top layer
      return this.head.forward(this.drop.forward(last));
    });
  }
}

interface ClsBatch {
  ids: tf.Tensor2D;
  lengths: Int32Array;
  labels: tf.Tensor1D;
}

function clsExamples(n: number, seed: number): Array<{ ids: number[]; label: number }> {
  const r = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 2 + r.int(4);
    const ids = Array.from({ length: len }, () => 1 + r.int(11));
    return { ids, label: ids[0] % 3 };
  });
}

function clsCollate(xs: Array<{ ids: number[]; label: number }>): ClsBatch {
  const T = Math.max(...xs.map((x) => x.ids.length));
  const flat = new Int32Array(xs.length * T);
  xs.forEach((x, i) => flat.set(x.ids, i * T));
  return {
    ids: tf.tensor2d(flat, [xs.length, T], 'int32'),
    lengths: Int32Array.from(xs, (x) => x.ids.length),
    labels: tf.tensor1d(
      xs.map((x) => x.label),
      'int32',
    ),
  };
}

function lstmClassifier(): Setup {
  manualSeed(11);
  const model = new LstmClassifier();
  const optimizer = new Optimizer(model, adam({ lr: 0.02 }));
  const train = new DataLoader({
    dataset: fromArray(clsExamples(12, 1)),
    batchSize: 4,
    shuffle: true,
    seed: 5,
    collate: clsCollate,
  });
  const dev = new DataLoader({ dataset: fromArray(clsExamples(9, 2)), batchSize: 3, collate: clsCollate });
  return {
    model,
    optimizer,
    train,
    loss: (m: LstmClassifier, b: ClsBatch) => crossEntropy(m.logits(b), b.labels) as tf.Scalar,
    epochs: 3, // 9 steps
    evaluate: {
      loader: dev,
      every: 4,
      atEpochEnd: true,
      metrics: (m: LstmClassifier, b: ClsBatch) => ({ loss: crossEntropy(m.logits(b), b.labels).dataSync()[0] }),
    },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

// --- an LSTM LM with truncated BPTT (carried hidden state) ----------------------------------------

class LstmLm extends Module {
  readonly emb: Embedding;
  readonly rnn: LSTM;
  readonly head: Linear;
  constructor() {
    super();
    this.emb = this.addModule('emb', new Embedding({ numEmbeddings: 10, embeddingDim: 6, seed: 1 }));
    this.rnn = this.addModule('rnn', new LSTM({ inputSize: 6, hiddenSize: 8, numLayers: 2, dropout: 0.2, seed: 2 }));
    this.head = this.addModule('head', new Linear({ inFeatures: 8, outFeatures: 10, seed: 3 }));
  }
}

function lstmTbptt(): Setup {
  manualSeed(12);
  const model = new LstmLm();
  const optimizer = new Optimizer(model, adam({ lr: 0.01 }));
  const r = new Rng(3);
  const stream = Array.from({ length: 84 }, (_, i) => (i % 7 === 0 ? 1 : 2 + r.int(8)));
  const chunk = (xs: LmChunk[]) => lmChunkTensors(xs[0]);
  // 4 rows of 21 tokens, chunks of 5: 4 chunks per epoch.
  const train = new DataLoader({ dataset: bpttBatches(stream, { batchSize: 4, seqLen: 5 }), collate: chunk });
  return {
    model,
    optimizer,
    train,
    loss: (m: LstmLm, b: { input: tf.Tensor2D; target: tf.Tensor2D }, ctx) => {
      if (ctx.batchIndex === 0) {
        ctx.carry.delete('h'); // a new pass over the stream starts from zeros
        ctx.carry.delete('c');
      }
      const h = ctx.carry.get('h');
      const c = ctx.carry.get('c');
      const out = m.rnn.forward(m.emb.forward(b.input), {
        ...(h && c ? { initialState: { h: h as tf.Tensor3D, c: c as tf.Tensor3D } } : {}),
      });
      ctx.carry.set('h', out.state.h);
      ctx.carry.set('c', out.state.c!);
      return crossEntropy(m.head.forward(out.outputs), b.target) as tf.Scalar;
    },
    maxSteps: 10, // ends in the middle of the third epoch
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

// --- a small transformer LM with dropout, accumulation and a planned schedule -----------------------

function transformerLm(): Setup {
  manualSeed(13);
  const model = new TransformerLM({
    vocabSize: 9,
    dModel: 8,
    nhead: 2,
    numLayers: 1,
    dimFeedforward: 16,
    dropout: 0.2,
    maxLen: 8,
    seed: 4,
  });
  const lr = plannedSchedule((total) => warmupCosineSchedule({ peak: 0.01, warmupSteps: 2, totalSteps: total }));
  const optimizer = new Optimizer(model, adamw({ lr }));
  const r = new Rng(4);
  const rows = Array.from({ length: 10 }, () => Array.from({ length: 7 }, () => 1 + r.int(8)));
  const collate = (xs: number[][]) => ({
    input: tf.tensor2d(
      xs.map((x) => x.slice(0, 6)),
      [xs.length, 6],
      'int32',
    ),
    target: tf.tensor2d(
      xs.map((x) => x.slice(1)),
      [xs.length, 6],
      'int32',
    ),
  });
  const train = new DataLoader({ dataset: fromArray(rows), batchSize: 2, shuffle: true, seed: 9, collate }); // 5 batches
  const dev = new DataLoader({ dataset: fromArray(rows.slice(0, 6)), batchSize: 2, collate });
  type B = { input: tf.Tensor2D; target: tf.Tensor2D };
  const lossOf = (m: TransformerLM, b: B) =>
    tf.tidy(() => {
      const { logits } = m.forward(b.input);
      return crossEntropy(logits, b.target) as tf.Scalar;
    });
  return {
    model,
    optimizer,
    train,
    loss: lossOf,
    epochs: 3,
    accumulate: 2, // 3 steps per epoch (2 + 2 + 1 micro-batches)
    clipNorm: 1,
    schedule: lr,
    evaluate: { loader: dev, every: 4, metrics: (m: TransformerLM, b: B) => ({ loss: lossOf(m, b).dataSync()[0] }) },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

// --- seq2seq with scheduled sampling (the coin flips come from a generator outside the model) -----

function seq2seqScheduled(): Setup {
  manualSeed(14);
  const model = new Seq2Seq({
    srcVocabSize: 8,
    tgtVocabSize: 8,
    embeddingDim: 6,
    hiddenSize: 8,
    attention: 'luong',
    dropout: 0.2,
    bosId: 1,
    eosId: 2,
    padId: 0,
    seed: 5,
  });
  const optimizer = new Optimizer(model, adam({ lr: 0.02 }));
  const coin = new Rng(77);
  const r = new Rng(6);
  // Reverse a sequence of 2..4 letters (3..7).
  const pairs = Array.from({ length: 8 }, () => {
    const src = Array.from({ length: 2 + r.int(3) }, () => 3 + r.int(5));
    return { src, tgt: [...src].reverse() };
  });
  const collate = (xs: typeof pairs): Seq2SeqBatch => {
    const S = Math.max(...xs.map((x) => x.src.length));
    const T = S + 1;
    const src = new Int32Array(xs.length * S);
    const tgt = new Int32Array(xs.length * T);
    xs.forEach((x, i) => {
      src.set(x.src, i * S);
      tgt.set([...x.tgt, 2], i * T);
    });
    return {
      src: tf.tensor2d(src, [xs.length, S], 'int32'),
      srcLengths: Int32Array.from(xs, (x) => x.src.length),
      tgt: tf.tensor2d(tgt, [xs.length, T], 'int32'),
      tgtLengths: Int32Array.from(xs, (x) => x.tgt.length + 1),
    };
  };
  const train = new DataLoader({ dataset: fromArray(pairs), batchSize: 2, shuffle: true, seed: 3, collate });
  const ratio = linearDecay({ c: 0.1, min: 0.3 });
  return {
    model,
    optimizer,
    train,
    loss: (m: Seq2Seq, b: Seq2SeqBatch, ctx) =>
      m.loss(b, { teacherForcingRatio: ratio(ctx.step), rng: coin }) as tf.Scalar,
    maxSteps: 10, // 4 batches per epoch: ends in the middle of the third
    rngs: { scheduledSampling: coin },
    dispose: () => {
      optimizer.dispose();
      model.dispose();
    },
  };
}

describe.each(['cpu', 'wasm'] as BackendName[])('exact resume on %s', (backend) => {
  beforeAll(async () => {
    expect((await setupBackend({ prefer: [backend] })).backend).toBe(backend);
  });

  it('an LSTM classifier with dropout, interrupted after any step or during any evaluation', async () => {
    const h = await checkExactResume(lstmClassifier, 3);
    expect(h.step).toBe(9);
    expect(h.evaluations.map((e) => `${e.step}:${e.trigger}`)).toEqual([
      '3:epochEnd',
      '4:every',
      '6:epochEnd',
      '8:every',
      '9:epochEnd',
    ]);
  });

  it('an LSTM LM with truncated BPTT, the hidden state carried in the checkpoint', async () => {
    const h = await checkExactResume(lstmTbptt, 0);
    expect(h.step).toBe(10);
    expect(h.stopReason).toBe('maxSteps');
  });

  it('a transformer LM with dropout, accumulation, clipping and a planned warmup-cosine schedule', async () => {
    const h = await checkExactResume(transformerLm, 3);
    expect(h.step).toBe(9);
    expect(h.steps.map((s) => s.samples)).toEqual([4, 4, 2, 4, 4, 2, 4, 4, 2]);
    expect(h.steps[8].lr).toBeCloseTo(0.01 * 0.5 * (1 + Math.cos((Math.PI * 6) / 7)), 8);
  });

  it('seq2seq with scheduled sampling (the generator passed in rngs)', async () => {
    const h = await checkExactResume(seq2seqScheduled, 0);
    expect(h.step).toBe(10);
  });
});
