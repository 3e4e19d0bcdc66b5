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
 * on 1 replica (peer `1-replica`: in-process, with core's intra-op pool on every core — what a user gets by default;
 * peer `1-replica-1-thread`: the pool off, the single-threaded replica the ≥ 1.7× goal was set against), each in a
 * fresh process: the rnn bench model (biLSTM classifier, batch 64, T 50)
 * or a 6-layer d256 TransformerLM (batch 32, context 64), wasm, 2 warm-up steps then 8 timed. At 2 replicas also the
 * exchange per step: `exchange_bytes` (each replica's writes + reads of the shared buffer) and `barrier_wait`
 * (rank 0's wait at the two barriers), and every replica's step profile in the log. Goal on a quiet 2-core machine:
 * ≥ 1.7×.
 *
 * Two more peers bound what any 2-replica scheme can reach on this machine, with no exchange at all: two
 * independent single-replica processes at the same time —
 *   (each with the pool off: one thread per process)
 *   `2-independent`: each on the whole batches: their summed samples/s over `1-replica`'s is the machine's
 *     ceiling for two single-threaded trainings (shared caches, memory bandwidth, hyperthreads, turbo);
 *   `2-independent-halves`: each on one half of every batch (exactly the rows replica 0 / replica 1 take): their
 *     summed samples/s is the ceiling of 2 replicas at this batch size (a half batch is not half the work: per-op
 *     costs and the time steps of an LSTM do not shrink with the rows).
 * ours / `2-independent-halves` is then what the exchange and the synchronisation cost.
 */
async function measureReplicas(ctx, model, n, threads = null) {
  const r = await ctx.measureChild(replicasChild, [model, n, ctx.quick, null, threads]);
  if (r.result.backend !== 'wasm')
    throw new Error(`train.replicas.${model}: expected the wasm backend, got ${r.result.backend}`);
  ctx.log(
    `train.replicas.${model} ×${n}${threads ? ` (${threads} pool thread${threads > 1 ? 's' : ''})` : ''}: ${r.result.throughput.toFixed(1)} samples/s, loss ${r.result.loss.toFixed(4)}${n > 1 ? `; ${(r.result.bytesPerStep / 1e6).toFixed(2)} MB exchanged per step per replica (${r.result.floats} floats), ${r.result.waitMsPerStep.toFixed(1)} ms barrier wait per step` : ''}`,
  );
  for (const p of r.result.profiles ?? [])
    ctx.log(
      `  rank ${p.rank} (${p.backend}) ms/step: ${Object.entries(p.ms)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
  return n > 1
    ? { throughput: r.result.throughput, exchange_bytes: r.result.bytesPerStep, barrier_wait: r.result.waitMsPerStep }
    : { throughput: r.result.throughput };
}

/** Two single-replica processes at once (whole batches, or halves): their summed samples/s. */
async function measureIndependent(ctx, model, halves) {
  const parts = halves
    ? [
        [0, 2],
        [1, 2],
      ]
    : [null, null];
  const rs = await Promise.all(parts.map((part) => ctx.measureChild(replicasChild, [model, 1, ctx.quick, part, 1])));
  for (const r of rs)
    if (r.result.backend !== 'wasm')
      throw new Error(`train.replicas.${model}: expected the wasm backend, got ${r.result.backend}`);
  const each = rs.map((r) => r.result.throughput);
  ctx.log(
    `train.replicas.${model} 2 independent processes${halves ? ' (half batches)' : ''}: ${each.map((t) => t.toFixed(1)).join(' + ')} samples/s`,
  );
  return { throughput: each[0] + each[1] };
}

function replicasBench(model, what) {
  return {
    name: `train.replicas.${model}`,
    description: `samples/s of fit on 2 replicas (worker threads, wasm) vs 1, and vs 2 independent processes (the ceiling), ${what}; goal ≥ 1.7× on 2 cores`,
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
      {
        name: '1-replica-1-thread',
        async available() {
          return true;
        },
        async run(_state, ctx) {
          return measureReplicas(ctx, model, 1, 1);
        },
      },
      {
        name: '2-independent',
        async available() {
          return true;
        },
        async run(_state, ctx) {
          return measureIndependent(ctx, model, false);
        },
      },
      {
        name: '2-independent-halves',
        async available() {
          return true;
        },
        async run(_state, ctx) {
          return measureIndependent(ctx, model, true);
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
