/**
 * The demo's long tasks, trained from scratch with a fixed seed (peer: none). Each run spawns the
 * built CLI (`node apps/demo/dist/cli.js …`) into a fresh output folder and reads its
 * `metrics.json`, so the numbers are what a user of `pnpm demo` gets.
 *
 * demo.nsmc        — `classify nsmc`: BPE (8,000) + BiLSTM (1 × 128 per direction, max pooling)
 *                    trained on "NSMC-raw derived train (seed 20150101)" for a fixed 2,000 steps
 *                    of 128 reviews (≈ 1.7 epochs); accuracy on the canonical 50,000-review test
 *                    set, wall time in s (data, tokenizer, training, evaluation).
 *                    Issue target: ≥ 0.87 within 1,800 s on 2 cores.
 * demo.shakespeare — `lm shakespeare`: TransformerLM (2 layers, d 128, 4 heads, context 64,
 *                    batch 32) for a fixed 1,500 steps (≈ 3 epochs of the 90% training text);
 *                    mean validation loss in nats/char over the whole last 10%, wall time in s.
 *                    Issue target: ≤ 1.60 within 1,800 s on 2 cores.
 *
 * Step counts are fixed (not --time-budget) so that a seed gives the same model on any machine.
 * These runs are long (tens of minutes each; `runs` is the harness minimum of 3, no warm-up).
 * `--quick` trains a few steps on a small part of the data: a smoke test of the plumbing only.
 */
import { runDemoCli as runCli } from '../demo-cli.mjs';

export default [
  {
    name: 'demo.nsmc',
    description: 'classify nsmc (BPE 8k + BiLSTM 128, 2,000 steps × 128 reviews, seed 0): accuracy on the 50,000-review NSMC test set and wall time',
    units: { accuracy: 'fraction', wall: 's' },
    higherIsBetter: { accuracy: true, wall: false },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('nsmc/ratings_train.derived.txt.gz');
      ctx.data('nsmc/ratings_test.txt.gz');
      return {};
    },
    async ours(_state, ctx) {
      const size = ctx.quick
        ? ['--max-train', '2000', '--max-test', '500', '--vocab-size', '2500', '--max-steps', '5']
        : ['--max-steps', '2000'];
      const { metrics, wallS } = runCli(ctx, [
        'classify', 'nsmc', '--model', 'bilstm', '--batch-size', '128', '--lr', '0.004', '--max-len', '48', '--dropout', '0.2', '--eval-every', '0', ...size,
      ]);
      ctx.log(`demo.nsmc: accuracy ${metrics.accuracy} on ${metrics.testExamples} test reviews after ${metrics.steps} steps, ${wallS.toFixed(0)} s wall, ${metrics.cpuSeconds?.toFixed(0)} CPU s`);
      return { accuracy: metrics.accuracy, wall: wallS };
    },
    peers: [],
  },
  {
    name: 'demo.shakespeare',
    description: 'lm shakespeare (char TransformerLM 2 × d128, context 64, 1,500 steps × 32 windows, seed 0): validation loss (nats/char, whole last 10%) and wall time',
    units: { val_loss: 'nats/char', wall: 's' },
    higherIsBetter: { val_loss: false, wall: false },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('tinyshakespeare/input.txt');
      return {};
    },
    async ours(_state, ctx) {
      const size = ctx.quick ? ['--limit-chars', '20000', '--max-steps', '5', '--sample-length', '20'] : ['--max-steps', '1500'];
      const { metrics, wallS } = runCli(ctx, [
        'lm', 'shakespeare', '--model', 'transformer', '--d-model', '128', '--layers', '2', '--heads', '4',
        '--block-size', '64', '--batch-size', '32', '--lr', '0.003', '--warmup', '30', '--eval-every', '0', ...size,
      ]);
      ctx.log(`demo.shakespeare: val loss ${metrics.valLoss} after ${metrics.steps} steps, ${wallS.toFixed(0)} s wall, ${metrics.cpuSeconds?.toFixed(0)} CPU s`);
      return { val_loss: metrics.valLoss, wall: wallS };
    },
    peers: [],
  },
];
