/**
 * @wordloom/rnn benchmarks (issue 7): a training step and inference of embedding -> 2-layer
 * bidirectional LSTM/GRU (hidden 256) -> classifier on a ragged batch (B 64, T 50, lengths 10..50),
 * ours on wasm beside tfjs-layers (wasm) and PyTorch (CPU, packed sequences) in its best setting:
 * 1 and 2 intra-op threads with OpenMP's default active wait, both measured in each run and the
 * faster reported per metric (the log names the thread count), with glibc malloc thresholds that
 * keep its activations' memory in the heap between steps (see rnn/torch_peer.py).
 * Every side runs in its own process (peak RSS is that process's). Metrics: `step` and `infer`
 * (ms per batch), `peak_rss` (MB), `gflop_s` (useful matmul FLOPs of real tokens / step time).
 */
import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { torchEnv } from '../torch-env.mjs';
import { config, makeBatch, trainFlops } from './rnn/model-config.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const oursChild = path.join(here, 'rnn', 'ours-child.mjs');
const layersChild = path.join(here, 'rnn', 'tfjs-layers-child.mjs');
const torchScript = path.join(here, 'rnn', 'torch_peer.py');

function metrics(stepMs, inferMs, peakRssMB, flops) {
  return { step: stepMs, infer: inferMs, peak_rss: peakRssMB, gflop_s: flops / stepMs / 1e6 };
}

function trainBench(mode) {
  const full = config(false);
  const gflop = trainFlops(full, mode, makeBatch(full).lengths) / 1e9;
  return {
    name: `rnn.${mode}.train`,
    description:
      `ms per training step (forward + backward + Adam) and per inference batch: embedding 128 -> 2-layer bi${mode.toUpperCase()} ` +
      `hidden 256 -> classifier, batch 64, T 50 ragged 10..50, vocab 10k (${gflop.toFixed(1)} GFLOP of real-token matmuls per step)`,
    units: { step: 'ms', infer: 'ms', peak_rss: 'MB', gflop_s: 'GFLOP/s' },
    higherIsBetter: { step: false, infer: false, peak_rss: false, gflop_s: true },
    // Each run is a fresh process that does its own warm-up step before timing.
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      const c = config(ctx.quick);
      const batch = makeBatch(c);
      const flops = trainFlops(c, mode, batch.lengths);
      const dir = mkdtempSync(path.join(tmpdir(), 'rnn-bench-'));
      const batchFile = path.join(dir, 'batch.json');
      writeFileSync(batchFile, JSON.stringify({ config: c, ...batch }));
      ctx.log(
        `rnn.${mode}.train: ${(flops / 1e9).toFixed(2)} GFLOP per step (real tokens ${batch.lengths.reduce((a, b) => a + b, 0)} of ${c.B * c.T})`,
      );
      return { c, flops, batchFile };
    },
    async ours(state, ctx) {
      const r = await ctx.measureChild(oursChild, [mode, ctx.quick]);
      if (r.result.backend !== 'wasm') throw new Error(`rnn bench: expected the wasm backend, got ${r.result.backend}`);
      ctx.log(
        `ours ${mode} (${r.result.threads} threads; parts run by the pool's workers: ${JSON.stringify(r.result.workerParts)}): step ${r.result.stepMs.toFixed(0)} ms, infer ${r.result.inferMs.toFixed(0)} ms, loss ${r.result.loss.toFixed(3)}`,
      );
      return metrics(r.result.stepMs, r.result.inferMs, r.peakRssMB, state.flops);
    },
    peers: [
      {
        // the same child with @wordloom/core's intra-op pool off: what the threads buy
        name: 'ours-1-thread',
        warmup: 0,
        runs: 3,
        async available() {
          return true;
        },
        async run(state, ctx) {
          const r = await ctx.measureChild(oursChild, [mode, ctx.quick, 1]);
          ctx.log(
            `ours ${mode} (1 thread): step ${r.result.stepMs.toFixed(0)} ms, infer ${r.result.inferMs.toFixed(0)} ms`,
          );
          return metrics(r.result.stepMs, r.result.inferMs, r.peakRssMB, state.flops);
        },
      },
      {
        name: 'torch',
        async available(ctx) {
          return (await ctx.pythonHas(['torch']))
            ? true
            : 'torch is not importable by /usr/bin/python3 (apt install python3-torch)';
        },
        async run(state, ctx) {
          // OpenMP's default (active) wait: OMP_WAIT_POLICY=PASSIVE, used here before, slowed
          // torch's 2 threads about 10× (4.7–5.4 s instead of 0.40–0.50 s per LSTM step, quiet
          // machine). The script measures 1 and 2 threads and reports the faster of each metric.
          const r = await ctx.python(torchScript, [mode, state.batchFile], torchEnv());
          const by = Object.entries(r.byThreads)
            .map(([t, v]) => `${t} thread(s): step ${v.stepMs.toFixed(0)} ms, infer ${v.inferMs.toFixed(0)} ms`)
            .join('; ');
          ctx.log(
            `torch ${r.torch} ${mode}: step ${r.stepMs.toFixed(0)} ms (${r.stepThreads} thread(s)), infer ${r.inferMs.toFixed(0)} ms (${r.inferThreads} thread(s)); ${by}; OMP wait ${r.ompWaitPolicy}; malloc ${r.malloc}`,
          );
          return metrics(r.stepMs, r.inferMs, r.peakRssMB, state.flops);
        },
      },
      {
        name: 'tfjs-layers',
        // ~33 s per step at full size: each run's process times its first step and first inference.
        warmup: 0,
        runs: 3,
        async available() {
          // minutes per run: WORDLOOM_BENCH_SKIP=tfjs-layers leaves it out (e.g. to compare thread counts)
          if ((process.env.WORDLOOM_BENCH_SKIP ?? '').split(',').includes('tfjs-layers')) {
            return 'skipped: WORDLOOM_BENCH_SKIP=tfjs-layers';
          }
          return true;
        },
        async run(state, ctx) {
          const r = await ctx.measureChild(layersChild, [mode, ctx.quick]);
          ctx.log(
            `tfjs-layers ${mode}: step ${r.result.stepMs.toFixed(0)} ms, infer ${r.result.inferMs.toFixed(0)} ms`,
          );
          return metrics(r.result.stepMs, r.result.inferMs, r.peakRssMB, state.flops);
        },
      },
    ],
  };
}

export default [trainBench('lstm'), trainBench('gru')];
