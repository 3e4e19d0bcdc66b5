/**
 * @wordloom/train benchmarks (issue 16).
 *
 * train.overhead — ms per training step of the rnn bench model (embedding 128 -> 2-layer biLSTM hidden 256 ->
 * classifier, batch 64, T 50 ragged 10..50, Adam; see rnn/model-config.mjs) on wasm: `fit` over a DataLoader
 * ("ours") against a hand-written loop over the same batches ("hand-loop": collate, variableGrads,
 * Optimizer.step, dispose). Goal: fit at most 3 % slower (ratio ≤ 1.03). Each run is a fresh process with one
 * hand-written warm-up step, then 8 timed steps (3 with --quick). `step` is wall time, `step_cpu` the process's CPU
 * time (user + system) per step, which a machine loaded by other processes disturbs much less.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const child = path.join(path.dirname(fileURLToPath(import.meta.url)), 'train', 'overhead-child.mjs');

async function measure(ctx, side) {
  const r = await ctx.measureChild(child, [side, ctx.quick]);
  if (r.result.backend !== 'wasm')
    throw new Error(`train.overhead: expected the wasm backend, got ${r.result.backend}`);
  if (r.result.leaked !== 0) throw new Error(`train.overhead: ${side} leaked ${r.result.leaked} tensors`);
  ctx.log(
    `train.overhead ${side}: ${r.result.stepMs.toFixed(1)} ms/step (${r.result.cpuMs.toFixed(1)} ms CPU), loss ${r.result.loss.toFixed(4)}`,
  );
  return { step: r.result.stepMs, step_cpu: r.result.cpuMs };
}

export default [
  {
    name: 'train.overhead',
    description:
      'ms per step of the rnn bench model (biLSTM classifier, batch 64, T 50) on wasm: fit over a DataLoader vs a hand-written loop; goal ratio ≤ 1.03',
    // step_cpu: CPU ms of the process per step — the steadier figure when other processes share the cores.
    units: { step: 'ms', step_cpu: 'ms' },
    higherIsBetter: { step: false, step_cpu: false },
    warmup: 0,
    runs: 5,
    async setup() {
      return {};
    },
    async ours(_state, ctx) {
      return measure(ctx, 'fit');
    },
    peers: [
      {
        name: 'hand-loop',
        async available() {
          return true;
        },
        async run(_state, ctx) {
          return measure(ctx, 'loop');
        },
      },
    ],
  },
];
