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
const replicasChild = path.join(path.dirname(fileURLToPath(import.meta.url)), 'train', 'replicas-child.mjs');

/**
 * train.replicas.{lstm,transformer} (issue 18) — samples/s of `fit({ setup, replicas: 2 })` against the same run
 * on 1 replica (peer `1-replica`), each in a fresh process: the rnn bench model (biLSTM classifier, batch 64, T 50)
 * or a 6-layer d256 TransformerLM (batch 32, context 64), wasm, 2 warm-up steps then 8 timed. At 2 replicas also the
 * exchange per step: `exchange_bytes` (each replica's writes + reads of the shared buffer) and `barrier_wait`
 * (rank 0's wait for the other replica). Goal on a quiet 2-core machine: ≥ 1.7×.
 */
async function measureReplicas(ctx, model, n) {
  const r = await ctx.measureChild(replicasChild, [model, n, ctx.quick]);
  if (r.result.backend !== 'wasm')
    throw new Error(`train.replicas.${model}: expected the wasm backend, got ${r.result.backend}`);
  ctx.log(
    `train.replicas.${model} ×${n}: ${r.result.throughput.toFixed(1)} samples/s, loss ${r.result.loss.toFixed(4)}${n > 1 ? `; ${(r.result.bytesPerStep / 1e6).toFixed(2)} MB exchanged per step per replica (${r.result.floats} floats), ${r.result.waitMsPerStep.toFixed(1)} ms barrier wait per step` : ''}`,
  );
  return n > 1
    ? { throughput: r.result.throughput, exchange_bytes: r.result.bytesPerStep, barrier_wait: r.result.waitMsPerStep }
    : { throughput: r.result.throughput };
}

function replicasBench(model, what) {
  return {
    name: `train.replicas.${model}`,
    description: `samples/s of fit on 2 replicas (worker threads, wasm) vs 1, ${what}; goal ≥ 1.7× on 2 cores`,
    units: { throughput: 'samples/s', exchange_bytes: 'B/step', barrier_wait: 'ms/step' },
    higherIsBetter: { throughput: true, exchange_bytes: false, barrier_wait: false },
    warmup: 0,
    runs: 3,
    async setup() {
      return {};
    },
    async ours(_state, ctx) {
      return measureReplicas(ctx, model, 2);
    },
    peers: [
      {
        name: '1-replica',
        async available() {
          return true;
        },
        async run(_state, ctx) {
          return measureReplicas(ctx, model, 1);
        },
      },
    ],
  };
}

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
  replicasBench('lstm', 'the rnn bench model (biLSTM classifier, batch 64, T 50)'),
  replicasBench('transformer', 'a 6-layer d256 TransformerLM (batch 32, context 64)'),
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
