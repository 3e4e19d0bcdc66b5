#!/usr/bin/env node
/**
 * Where one `lm ptb` training step goes (issue 18): builds the demo's PTB setup (the built
 * apps/demo/dist/lm/ptb-setup.js, so the model, loss and optimizer are exactly what `wordloom lm ptb`
 * trains) on the real training text, in this process, one replica, wasm — and times, per step:
 *   tensors   making the chunk's int32 tensors
 *   fwd.*     a forward pass without a tape, piece by piece (embedding + dropout, each LSTM layer + dropout,
 *             the tied output projection + bias, the loss)
 *   fwd+bwd   `tf.variableGrads` of the loss (forward with the tape, then backward)
 *   optimizer the optimizer's step (global-norm clipping + Adam, with its non-finite check)
 * `bwd ≈ fwd+bwd − fwd` is printed too. With `--kernels` one more step runs under `tf.profile` and the
 * kernels (tfjs's and our custom ops, by name and output shape) are summed over the forward and backward pass.
 * `--variants` times the tied output layer written three ways and the loss alone; `--fit N` runs `fit` itself on N
 * replicas (the demo's replica-setup.js, `--batch` streams in all) with fit's `profile`, and prints steps/s and each
 * replica's phases.
 *
 *   node tooling/bench/src/benches/train/ptb-step.mjs [--data-dir /work/shared/data] [--rows 10] [--bptt 35]
 *        [--hidden 256] [--steps 8] [--kernels] [--variants] [--fit N --batch 20]
 *
 * `--rows 10` is what each of 2 replicas computes of the default 20 streams. Not a bench entry (no peer): a
 * profiling tool; the first 2 steps are warm-up and left out of the means.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { loadavg } from 'node:os';
import * as tf from '@tensorflow/tfjs-core';
import * as core from '@wordloom/core';
import { bpttBatches, lmChunkTensors } from '@wordloom/data';

const demo = new URL('../../../../../apps/demo/dist/', import.meta.url);
const { ptbSetup } = await import(new URL('lm/ptb-setup.js', demo).href);
const { ptbWords } = await import(new URL('lm/ptb.js', demo).href);
const { lmLoss } = await import(new URL('lm/model.js', demo).href);

const { values: a } = parseArgs({
  options: {
    'data-dir': { type: 'string', default: '/work/shared/data' },
    rows: { type: 'string', default: '10' },
    bptt: { type: 'string', default: '35' },
    hidden: { type: 'string', default: '256' },
    steps: { type: 'string', default: '8' },
    kernels: { type: 'boolean', default: false },
    variants: { type: 'boolean', default: false },
    fit: { type: 'string' },
    batch: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '5' },
    threads: { type: 'string' },
    compare: { type: 'boolean', default: false },
  },
});
const rows = Number(a.rows);
const bptt = Number(a.bptt);
const hidden = Number(a.hidden);
const steps = Number(a.steps);

const { setupBackend, batchMatMul, linear, crossEntropy } = core;
const { backend } = await setupBackend({ prefer: ['wasm'] });
if (a.threads !== undefined) core.setThreads(a.threads === 'auto' ? 'auto' : Number(a.threads));
const base = join(a['data-dir'], 'ptb', 'ptb.train.txt');
const text = existsSync(base) ? readFileSync(base, 'utf8') : gunzipSync(readFileSync(`${base}.gz`)).toString('utf8');
const words = ptbWords(text);
const vocab = new Map();
for (const w of words) if (!vocab.has(w)) vocab.set(w, vocab.size);
const trainIds = Int32Array.from(words, (w) => vocab.get(w));
const cfg = {
  hiddenSize: hidden,
  numLayers: 2,
  dropout: 0.3,
  batchSize: rows,
  bptt,
  lr: 0.003,
  minLr: 1e-4,
  warmup: 100,
  clip: 0.5,
  epochs: 1,
  maxSteps: 0,
  seed: 0,
  limitWords: 0,
};
const s = ptbSetup({ command: 'ptb', cfg, vocabSize: vocab.size, trainIds });
s.schedule.plan(10_000);
const m = s.model;
const vars = [...s.optimizer.params.values()];
const chunks = bpttBatches(trainIds, { batchSize: rows, seqLen: bptt });
console.log(
  `ptb-step: ${backend}, ${rows} rows × BPTT ${bptt}, hidden ${hidden}, vocabulary ${vocab.size}, ${m.numParameters().toLocaleString('en-US')} parameters; ${core.getThreads()} pool thread(s); load average ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
);

/** The forward pass of PtbLSTM, piece by piece (as ptb-model.ts's forward), timed. */
function forwardPieces(input, target, state, lap) {
  const [B, T] = input.shape;
  const out = [];
  let x = m.drops[0].forward(m.embedding.forward(input));
  lap('fwd.embedding');
  m.layers.forEach((layer, l) => {
    const r = layer.forward(x, state?.[l] ? { initialState: state[l] } : {});
    out.push(r.state);
    x = m.drops[l + 1].forward(r.outputs);
    lap(`fwd.lstm${l}`);
  });
  const logits = m.project ? m.project(tf.reshape(x, [B * T, hidden])) : null;
  const full = logits ?? tf.add(tf.matMul(tf.reshape(x, [B * T, hidden]), m.embedding.weight, false, true), m.bias);
  lap('fwd.output');
  const loss = lmLoss(tf.reshape(full, [B, T, vocab.size]), target);
  loss.dataSync();
  lap('fwd.loss');
  return out;
}

/** CPU ms of this process (user + system): on a loaded machine the wall clock measures the load, this the work. */
function cpuMs() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

const sums = new Map();
let state;
const inProcess = a.fit === undefined && !a.compare && steps > 2;
for (let i = 0; inProcess && i < steps; i++) {
  const chunk = chunks.get(i);
  let t = cpuMs();
  const times = new Map();
  const lap = (k) => {
    const now = cpuMs();
    times.set(k, (times.get(k) ?? 0) + now - t);
    t = now;
  };
  const { input, target } = lmChunkTensors(chunk);
  lap('tensors');
  tf.tidy(() => void forwardPieces(input, target, state, lap));
  t = cpuMs();
  let next;
  const { value, grads } = tf.variableGrads(() => {
    const o = m.forward(input, state);
    next = o.state.map((st) => ({ h: tf.keep(st.h), c: tf.keep(st.c) })); // kept: the next chunk's initial state
    return lmLoss(o.logits, target);
  }, vars);
  value.dataSync();
  lap('fwd+bwd');
  s.optimizer.step(new Map(Object.entries(grads)));
  lap('optimizer');
  for (const g of Object.values(grads)) g.dispose();
  value.dispose();
  tf.dispose([input, target]);
  if (state) for (const st of state) tf.dispose([st.h, st.c]);
  state = next;
  if (i >= 2) for (const [k, v] of times) sums.set(k, (sums.get(k) ?? 0) + v);
}
const n = steps - 2;
const ms = (k) => (sums.get(k) ?? 0) / n;
const fwd = [...sums.keys()].filter((k) => k.startsWith('fwd.')).reduce((p, k) => p + ms(k), 0);
const rowsOut = [...sums.keys()].map((k) => [k, ms(k)]);
rowsOut.push(['bwd (≈ fwd+bwd − fwd)', ms('fwd+bwd') - fwd]);
rowsOut.push(['step (tensors + fwd+bwd + optimizer)', ms('tensors') + ms('fwd+bwd') + ms('optimizer')]);
if (inProcess) console.log(`mean CPU ms per step over ${n} steps (after 2 warm-up):`);
if (inProcess) for (const [k, v] of rowsOut) console.log(`  ${k.padEnd(40)} ${v.toFixed(1)}`);

if (a.kernels) {
  const chunk = chunks.get(steps);
  const { input, target } = lmChunkTensors(chunk);
  const info = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => lmLoss(m.forward(input, state).logits, target), vars);
    for (const g of Object.values(grads)) g.dispose();
    return value;
  });
  const by = new Map();
  let total = 0;
  for (const k of info.kernels) {
    const kt = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : ((await k.kernelTimeMs)?.kernelMs ?? 0);
    const key = `${k.name || '(custom op)'} → [${(k.outputShapes ?? []).map((sh) => sh.join('×')).join(', ')}]`;
    const e = by.get(key) ?? { ms: 0, calls: 0 };
    e.ms += kt;
    e.calls++;
    by.set(key, e);
    total += kt;
  }
  info.result.dispose();
  tf.dispose([input, target]);
  console.log(`kernels of one fwd+bwd under tf.profile: ${total.toFixed(1)} ms in ${info.kernels.length} kernel calls`);
  for (const [k, e] of [...by].sort((x, y) => y[1].ms - x[1].ms).slice(0, 25))
    console.log(`  ${e.ms.toFixed(1).padStart(8)} ms  ${String(e.calls).padStart(4)}×  ${k}`);
}
if (state) for (const st of state) tf.dispose([st.h, st.c]);

if (a.variants) {
  // The tied output layer and the loss alone, fwd and fwd+bwd, for each way of writing them (same numbers).
  const N = rows * bptt;
  const V = vocab.size;
  const x = tf.randomNormal([N, hidden], 0, 1, 'float32', 1);
  const dy = tf.randomNormal([N, V], 0, 1e-3, 'float32', 2);
  const tgt = tf.tensor1d(trainIds.subarray(1, N + 1), 'int32');
  const outputs = {
    'tf.matMul(x, E, false, true) + b': (xx, E, b) => tf.add(tf.matMul(xx, E, false, true), b),
    'batchMatMul(x, E, { transposeB }) + b': (xx, E, b) => tf.add(batchMatMul(xx, E, { transposeB: true }), b),
    'linear(x, E, b) (core)': (xx, E, b) => linear(xx, E, b),
  };
  const logits = tf.randomNormal([N, V], 0, 1, 'float32', 3);
  const flatIdx = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), tgt);
  const losses = {
    // what crossEntropy did before issue 18's fused path: tfjs's logSoftmax, then a gather of the targets' entries
    'logSoftmax + gather (tfjs ops)': (l) => tf.mean(tf.neg(tf.gather(tf.reshape(tf.logSoftmax(l), [-1]), flatIdx))),
    'crossEntropy (core, as built)': (l) => crossEntropy(l, tgt),
  };
  // Every case once per round, the rounds interleaved: on a shared machine the minimum over rounds is the figure
  // least disturbed by the load, and the cases of a round saw about the same load.
  const cases = [];
  for (const [name, f] of Object.entries(outputs)) {
    cases.push([`output  ${name} fwd`, () => tf.tidy(() => f(x, m.embedding.weight, m.bias).dataSync())]);
    cases.push([
      `output  ${name} fwd+bwd`,
      () =>
        tf.tidy(() =>
          tf
            .grads((xx, E, b) => f(xx, E, b))([x, m.embedding.weight, m.bias], dy)[1]
            .dataSync(),
        ),
    ]);
  }
  for (const [name, f] of Object.entries(losses)) {
    cases.push([`loss    ${name} fwd`, () => tf.tidy(() => f(logits).dataSync())]);
    cases.push([
      `loss    ${name} fwd+bwd`,
      () =>
        tf.tidy(() =>
          tf
            .grad((l) => f(l))(logits)
            .dataSync(),
        ),
    ]);
  }
  const rounds = Number(a.rounds);
  const samples = cases.map(() => []);
  for (const [, f] of cases) f(); // warm-up
  for (let r = 0; r < rounds; r++)
    cases.forEach(([, f], i) => {
      const t0 = performance.now();
      f();
      samples[i].push(performance.now() - t0);
    });
  console.log(
    `output layer [${N}, ${hidden}] → [${N}, ${V}] and the loss over it: wall ms, min / median of ${rounds} interleaved rounds; load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  cases.forEach(([name], i) => {
    const v = samples[i].sort((p, q) => p - q);
    console.log(
      `  ${name.padEnd(58)} ${v[0].toFixed(1).padStart(8)} ${v[Math.floor(v.length / 2)].toFixed(1).padStart(8)}`,
    );
  });
  tf.dispose([x, dy, tgt, logits, flatIdx]);
}

if (a.fit !== undefined) {
  // fit itself on N replicas (the demo's setup module, as `lm ptb --workers N` runs it), with fit's profile at N ≥ 2:
  // steps/s over the steps after 2 warm-up, and every replica's phases in ms per step (warm-up included).
  const { fit } = await import('@wordloom/train');
  const world = Number(a.fit);
  const batch = Number(a.batch);
  const stamps = [];
  const h = await fit({
    setup: new URL('replica-setup.js', demo),
    replicas: world,
    setupOptions: { command: 'ptb', cfg: { ...cfg, batchSize: batch }, vocabSize: vocab.size, trainIds },
    maxSteps: steps,
    ...(world > 1 ? { profile: true } : {}),
    callbacks: { onStepEnd: () => void stamps.push([performance.now(), cpuMs()]) },
  });
  const last = stamps[stamps.length - 1];
  const per = (last[0] - stamps[1][0]) / 1000 / (stamps.length - 2);
  const cpuPer = (last[1] - stamps[1][1]) / (stamps.length - 2);
  console.log(
    `fit, ${world} replica(s), batch ${batch} × BPTT ${bptt}: ${(1 / per).toFixed(2)} steps/s (${(1000 * per).toFixed(0)} ms/step over steps 3–${steps}; process CPU ${cpuPer.toFixed(0)} ms/step); loss ${h.steps[h.steps.length - 1].loss.toFixed(3)}; load average ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  for (const s of h.replicaStats ?? []) {
    const { steps: n, ...phases } = s.profile;
    console.log(
      `  rank ${s.rank}: ${Object.entries(phases)
        .map(([k, v]) => `${k} ${((1000 * v) / n).toFixed(0)}`)
        .join(', ')} (ms/step)`,
    );
  }
}

if (a.compare) {
  // Before/after issue 18 in one process, interleaved step by step (the load hits both alike): the old tied output
  // (tf.matMul with transposeB, then a broadcast add) and the old loss (tfjs's logSoftmax + gather), against the
  // model's forward and crossEntropy as built. Each step: forward + backward, then the optimizer.
  const V = vocab.size;
  const N = rows * bptt;
  const flatIdx = (target) =>
    tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), tf.reshape(target, [-1]));
  const variants = {
    'before (tf.matMul transposeB + add; logSoftmax + gather)': (input, target) => {
      const [B, T] = input.shape;
      let x = m.drops[0].forward(m.embedding.forward(input));
      m.layers.forEach((layer, l) => (x = m.drops[l + 1].forward(layer.forward(x).outputs)));
      const logits = tf.add(tf.matMul(tf.reshape(x, [B * T, hidden]), m.embedding.weight, false, true), m.bias);
      return tf.mean(tf.neg(tf.gather(tf.reshape(tf.logSoftmax(logits), [-1]), flatIdx(target))));
    },
    'after (PtbLSTM.forward and lmLoss as built)': (input, target) => lmLoss(m.forward(input).logits, target),
  };
  const rounds = Number(a.rounds);
  const res = Object.fromEntries(Object.keys(variants).map((k) => [k, { step: [], opt: [] }]));
  for (let r = -1; r < rounds; r++) {
    for (const [name, f] of Object.entries(variants)) {
      const { input, target } = lmChunkTensors(chunks.get(r + 1));
      const t0 = performance.now();
      const { value, grads } = tf.variableGrads(() => f(input, target), vars);
      value.dataSync();
      const t1 = performance.now();
      s.optimizer.step(new Map(Object.entries(grads)));
      const t2 = performance.now();
      tf.dispose([value, ...Object.values(grads), input, target]);
      if (r >= 0) {
        res[name].step.push(t1 - t0);
        res[name].opt.push(t2 - t1);
      }
    }
  }
  const mm = (v) => {
    v.sort((p, q) => p - q);
    return `${v[0].toFixed(0).padStart(6)} ${v[Math.floor(v.length / 2)].toFixed(0).padStart(6)}`;
  };
  console.log(
    `${rows} rows × ${bptt}, ${core.getThreads()} thread(s): wall ms per step, min / median of ${rounds} interleaved rounds (after 1 warm-up); load average ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  for (const [name, { step, opt }] of Object.entries(res))
    console.log(`  ${name.padEnd(60)} fwd+bwd ${mm(step)}   optimizer ${mm(opt)}`);
}
