/**
 * Demo benchmarks: the demo CLI's tasks trained from scratch with a fixed seed (peer: none).
 * Each run spawns the built CLI (`node apps/demo/dist/cli.js …`) into a fresh output folder and
 * reads its `metrics.json`, so the numbers are exactly what a user of `pnpm demo` gets.
 *
 * demo.date     — `seq2seq date` with its defaults (bidirectional GRU 64 encoder, Luong attention,
 *                 2 epochs = 704 steps): exact match on the held-out 10% (5,000 dates), wall time
 *                 in s. Target: ≥ 0.995 within 600 s. Measured once by hand (seed 0, machine shared
 *                 with other jobs): 1.0000 in 990 s.
 * demo.addition — `seq2seq addition` with its defaults (GRU 128, Luong attention, reversed input,
 *                 6 epochs): exact match on the held-out 10%. Target ≥ 0.95.
 *
 * These runs are long (minutes each), so `runs` is the harness minimum of 3 with no warm-up:
 * a full `pnpm bench --filter demo` takes ≈ 3 × (date + addition) training times.
 * `--quick` trains a few dozen steps on 1,000 examples (a smoke test of the plumbing only;
 * its exact match is meaningless). demo.nsmc and demo.shakespeare
 * are in demo-long.mjs.
 */
import { runDemoCli as runCli } from '../demo-cli.mjs';

const quickArgs = (ctx) => (ctx.quick ? ['--limit', '1000', '--max-steps', '20', '--epochs', '1'] : []);

export default [
  {
    name: 'demo.date',
    description:
      'seq2seq date (DLFS2 date.txt, Luong attention): exact match on the held-out 10% and wall time, seed 0',
    units: { exact_match: 'fraction', wall: 's' },
    higherIsBetter: { exact_match: true, wall: false },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('dlfs2-seq2seq/date.txt');
      return {};
    },
    async ours(_state, ctx) {
      const { metrics, wallS } = runCli(ctx, ['seq2seq', 'date', '--attention', 'luong', ...quickArgs(ctx)]);
      return { exact_match: metrics.exactMatch, wall: wallS };
    },
    peers: [],
  },
  {
    name: 'demo.addition',
    description:
      'seq2seq addition (DLFS2 addition.txt, Luong attention, reversed input): exact match on the held-out 10%, seed 0',
    units: { exact_match: 'fraction' },
    higherIsBetter: { exact_match: true },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('dlfs2-seq2seq/addition.txt');
      return {};
    },
    async ours(_state, ctx) {
      const { metrics } = runCli(ctx, ['seq2seq', 'addition', '--attention', 'luong', ...quickArgs(ctx)]);
      return { exact_match: metrics.exactMatch };
    },
    peers: [],
  },
];
