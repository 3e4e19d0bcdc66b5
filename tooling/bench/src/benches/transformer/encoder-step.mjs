/**
 * One `transformer.encoder.train` model (the bench's config) outside the harness: times training
 * steps, and with `--profile` lists `tf.profile`'s kernels of one step by name and input shapes
 * (calls, ms), to find where the step's time goes. `--backend cpu` runs on tfjs's cpu backend
 * (issue 20: no bench may get more than 5 % slower there), `--quick` the bench's small config.
 *
 *   nice -n 10 node tooling/bench/src/benches/transformer/encoder-step.mjs --steps 3 [--profile] [--backend cpu]
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend, startThreads } from '@wordloom/core';
import { encoderConfig, encoderTraining, lengthsFor } from './encoder-model.mjs';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    backend: { type: 'string', default: 'wasm' },
    quick: { type: 'boolean', default: false },
    top: { type: 'string', default: '30' },
  },
});

const cfg = encoderConfig(values.quick);
const { backend } = await setupBackend({ prefer: [values.backend] });
const threads = backend === 'wasm' ? await startThreads() : 1;
const { enc, opt, x, y, pad } = encoderTraining(cfg, lengthsFor(cfg.B, cfg.T, 1));
let lastLoss = NaN;
const step = () => {
  lastLoss = opt.minimize(() =>
    tf.tidy(() => tf.mean(tf.square(tf.sub(enc.forward(x, { srcKeyPaddingMask: pad }).output, y)))),
  );
};
step(); // warm-up
const before = tf.memory().numTensors;
const times = [];
const cpu = []; // this process's CPU seconds per step (all threads): steadier than wall time on a loaded machine
for (let i = 0; i < Number(values.steps); i++) {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  step();
  times.push(performance.now() - t0);
  const c = process.cpuUsage(c0);
  cpu.push((c.user + c.system) / 1000);
}
const leak = tf.memory().numTensors - before;
const sorted = [...times].sort((a, b) => a - b);
console.log(
  JSON.stringify({
    backend,
    threads,
    cfg,
    stepMs: times.map((t) => Math.round(t)),
    medianMs: Math.round(sorted[sorted.length >> 1]),
    cpuMs: cpu.map((t) => Math.round(t)),
    loss: lastLoss,
    tensorsLeaked: leak,
  }),
);

if (values.profile) {
  const prof = await tf.profile(() => step());
  const by = new Map();
  const byName = new Map();
  for (const k of prof.kernels) {
    const key = `${k.name} ${k.inputShapes.map((s) => `[${s}]`).join(' ')}`;
    const e = by.get(key) ?? { calls: 0, ms: 0 };
    e.calls++;
    e.ms += k.kernelTimeMs;
    by.set(key, e);
    const n = byName.get(k.name) ?? { calls: 0, ms: 0 };
    n.calls++;
    n.ms += k.kernelTimeMs;
    byName.set(k.name, n);
  }
  const total = prof.kernels.reduce((s, k) => s + k.kernelTimeMs, 0);
  console.log(`profile: ${prof.kernels.length} kernel calls, ${total.toFixed(0)} ms in kernels`);
  for (const [k, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms)) {
    console.log(`  ${k.padEnd(22)} ${String(e.calls).padStart(5)} calls ${e.ms.toFixed(1).padStart(9)} ms`);
  }
  console.log('by kernel and input shapes:');
  for (const [k, e] of [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, Number(values.top))) {
    console.log(`  ${e.ms.toFixed(1).padStart(8)} ms ${String(e.calls).padStart(4)}×  ${k}`);
  }
}
enc.dispose();
opt.dispose?.();
tf.dispose([x, y, pad]);
process.exit(0);
