#!/usr/bin/env node
/**
 * The optimizer step of `lm ptb` (issue 18), one-pass Adam against the op form, interleaved in one process:
 * the PTB model's parameter shapes (embedding 10,000 × 200 tied to the output, 2 LSTM layers × 200, output bias:
 * 2,653,200 parameters), fixed gradients, `Optimizer` with `chain(clipByGlobalNorm(0.5), adam(lr))` as the demo
 * builds it — the same `optimizer.step` the trainer calls (non-finite check, clipping, Adam, `p + u`). The op form
 * is made with `WORDLOOM_ADAM_ONE_PASS=0` set while its transformation is built. Each round times `--steps` steps
 * of each side (order alternating), after 2 warm-up steps each; prints min / median ms per step and the load.
 *
 *   node tooling/bench/src/benches/train/adam-step.mjs [--rounds 6] [--steps 5] [--backend wasm|cpu] [--no-clip]
 *
 * Not a bench entry (no peer of another library): a before/after tool.
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { Optimizer, adam, chain, clipByGlobalNorm } from '@wordloom/optim';

const { values: a } = parseArgs({
  options: {
    rounds: { type: 'string', default: '6' },
    steps: { type: 'string', default: '5' },
    backend: { type: 'string', default: 'wasm' },
    'no-clip': { type: 'boolean', default: false },
    threads: { type: 'string', default: '1' },
  },
});
const rounds = Number(a.rounds);
const steps = Number(a.steps);
const { backend } = await setupBackend({ prefer: [a.backend], threads: Number(a.threads) });

const SHAPES = [
  ['embedding.weight', [10000, 200]],
  ['rnn.weight_ih_l0', [800, 200]],
  ['rnn.weight_hh_l0', [800, 200]],
  ['rnn.bias_ih_l0', [800]],
  ['rnn.bias_hh_l0', [800]],
  ['rnn.weight_ih_l1', [800, 200]],
  ['rnn.weight_hh_l1', [800, 200]],
  ['rnn.bias_ih_l1', [800]],
  ['rnn.bias_hh_l1', [800]],
  ['bias', [10000]],
];

let seed = 12345;
function rand(n, scale) {
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    x[i] = (seed / 2 ** 32 - 0.5) * scale;
  }
  return x;
}
const size = (s) => s.reduce((p, q) => p * q, 1);

function side(onePass) {
  seed = 12345; // both sides: the same parameters and gradients
  const vars = new Map();
  for (const [name, shape] of SHAPES) {
    const init = tf.tensor(rand(size(shape), 0.2), shape);
    vars.set(name, tf.variable(init, true, `${name}_${onePass ? 'one' : 'ops'}_${Math.random()}`));
    init.dispose();
  }
  if (!onePass) process.env.WORDLOOM_ADAM_ONE_PASS = '0';
  const tx = a['no-clip'] ? adam({ lr: 3e-3 }) : chain(clipByGlobalNorm({ maxNorm: 0.5 }), adam({ lr: 3e-3 }));
  delete process.env.WORDLOOM_ADAM_ONE_PASS;
  const opt = new Optimizer(vars, tx);
  const grads = new Map(SHAPES.map(([name, shape]) => [name, tf.tensor(rand(size(shape), 0.01), shape)]));
  return {
    name: onePass ? 'one-pass' : 'op form',
    vars,
    times: [],
    run(n) {
      // wasm and cpu run every op synchronously: the time is the work done
      const t0 = performance.now();
      for (let i = 0; i < n; i++) opt.step(grads);
      return (performance.now() - t0) / n;
    },
  };
}

const sides = [side(true), side(false)];
for (const s of sides) s.run(2);
const load0 = loadavg()[0];
for (let r = 0; r < rounds; r++) {
  const order = r % 2 === 0 ? sides : [...sides].reverse();
  for (const s of order) s.times.push(s.run(steps));
}
const load1 = loadavg()[0];
const total = SHAPES.reduce((n, [, s]) => n + size(s), 0);
console.log(
  `optimizer.step (${a['no-clip'] ? 'Adam' : 'clip 0.5 + Adam'}) on ${total.toLocaleString('en-US')} parameters, ${backend}, ${rounds} rounds × ${steps} steps, load ${load0.toFixed(1)} → ${load1.toFixed(1)}`,
);
for (const s of sides) {
  const t = [...s.times].sort((p, q) => p - q);
  console.log(`  ${s.name.padEnd(10)} min ${t[0].toFixed(1)} ms   median ${t[Math.floor(t.length / 2)].toFixed(1)} ms`);
}
// Both sides took the same steps from the same parameters: the one-pass loop must have given the same bits.
let same = true;
for (const [name, v] of sides[0].vars) {
  const x = new Uint32Array(Float32Array.from(v.dataSync()).buffer);
  const y = new Uint32Array(Float32Array.from(sides[1].vars.get(name).dataSync()).buffer);
  same &&= x.length === y.length && x.every((b, i) => b === y[i]);
}
console.log(
  `  parameters after ${2 + rounds * steps} steps: ${same ? 'bit for bit the same' : 'DIFFERENT'} on both sides`,
);
