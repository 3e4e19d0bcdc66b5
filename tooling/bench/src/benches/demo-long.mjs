/**
 * The demo's long tasks, trained from scratch with a fixed seed (peer: none). Each run spawns the
 * built CLI (`node apps/demo/dist/cli.js …`) into a fresh output folder and reads its
 * `metrics.json`, so the numbers are what a user of `pnpm demo` gets.
 *
 * demo.nsmc        — `classify nsmc` with its defaults: BPE (8,000) + skip-gram word2vec pretrained
 *                    on the unlabeled raw reviews (test reviews left out, 3 epochs) + BiLSTM
 *                    (1 × 128 per direction, max pooling), batch 256 over 2 data-parallel replicas,
 *                    3 epochs (1,701 steps); accuracy on the canonical 50,000-review test set,
 *                    wall time in s (data, tokenizer, pretraining, training, evaluation).
 *                    Issue target: ≥ 0.87 within 1,800 s on 2 cores.
 * demo.shakespeare — `lm shakespeare` with its defaults: TransformerLM (2 layers, d 128, 4 heads,
 *                    context 128, batch 32 over 2 data-parallel replicas, AdamW 4e-3) for the
 *                    2,136 steps the recorded `--time-budget 1680` run completed; mean
 *                    validation loss in nats/char over the whole last 10%, wall time in s.
 *                    Issue target: ≤ 1.60 within 1,800 s on 2 cores.
 * demo.ptb         — `lm ptb` with its defaults (issue 18): 2-layer LSTM 200 with tied embedding/output and
 *                    variational dropout 0.2, 20 streams × BPTT 35, Adam 3e-3 with warmup-cosine, clip 0.5,
 *                    a 60-minute --time-budget (the schedule planned to it) on --workers auto; test
 *                    perplexity on the whole PTB test set, wall time in s (training, evaluations, the
 *                    final evaluation of validation and test), and the load average (1-minute at the
 *                    start, 15-minute at the end). Issue target: ≤ 120 within the 60 minutes on 2 cores.
 *                    Unlike the two above it runs to a time budget, so its step count (and perplexity)
 *                    depends on the machine's speed and load: read it beside the load average.
 *
 * demo.nsmc and demo.shakespeare: step counts are fixed (not --time-budget) and the replicas are 2
 * (not `auto`), so that the seed (42, the CLI's default) gives the same model on any machine — the
 * runs recorded in apps/demo/README.md.
 * These runs are long (about 30 minutes each, demo.ptb about 65; `runs` is the harness minimum of 3,
 * no warm-up).
 * `--quick` trains a few steps on a small part of the data: a smoke test of the plumbing only.
 */
import { loadavg } from 'node:os';
import { runDemoCli as runCli } from '../demo-cli.mjs';

export default [
  {
    name: 'demo.nsmc',
    description:
      'classify nsmc defaults (BPE 8k + word2vec-initialised BiLSTM 128, 3 epochs × 256 reviews on 2 data-parallel replicas, seed 42): accuracy on the 50,000-review NSMC test set and wall time',
    units: { accuracy: 'fraction', wall: 's' },
    higherIsBetter: { accuracy: true, wall: false },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('nsmc/ratings_train.derived.txt.gz');
      ctx.data('nsmc/ratings_test.txt.gz');
      if (!ctx.quick) ctx.data('nsmc-raw/nsmc_raw_reviews.jsonl.gz');
      return {};
    },
    async ours(_state, ctx) {
      const size = ctx.quick
        ? ['--max-train', '2000', '--max-test', '500', '--vocab-size', '2500', '--max-steps', '5', '--pretrain', 'none']
        : [];
      const { metrics, wallS } = runCli(ctx, ['classify', 'nsmc', '--workers', '2', '--eval-every', '0', ...size], {
        seed: 42,
      });
      ctx.log(
        `demo.nsmc: accuracy ${metrics.accuracy} on ${metrics.testExamples} test reviews after ${metrics.steps} steps, ${wallS.toFixed(0)} s wall, ${metrics.cpuSeconds?.toFixed(0)} CPU s`,
      );
      return { accuracy: metrics.accuracy, wall: wallS };
    },
    peers: [],
  },
  {
    name: 'demo.shakespeare',
    description:
      'lm shakespeare defaults (char TransformerLM 2 × d128, context 128, 2,136 steps × 32 windows on 2 data-parallel replicas, seed 42): validation loss (nats/char, whole last 10%) and wall time',
    units: { val_loss: 'nats/char', wall: 's' },
    higherIsBetter: { val_loss: false, wall: false },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('tinyshakespeare/input.txt');
      return {};
    },
    async ours(_state, ctx) {
      const size = ctx.quick
        ? ['--limit-chars', '20000', '--max-steps', '5', '--sample-length', '20']
        : ['--max-steps', '2136'];
      const { metrics, wallS } = runCli(ctx, ['lm', 'shakespeare', '--workers', '2', '--eval-every', '0', ...size], {
        seed: 42,
      });
      ctx.log(
        `demo.shakespeare: val loss ${metrics.valLoss} (sliding ${metrics.valLossSliding}) after ${metrics.steps} steps, ${wallS.toFixed(0)} s wall, ${metrics.cpuSeconds?.toFixed(0)} CPU s`,
      );
      return { val_loss: metrics.valLoss, wall: wallS };
    },
    peers: [],
  },
  {
    name: 'demo.ptb',
    description:
      'lm ptb defaults (2-layer tied LSTM 200, variational dropout 0.2, 20 streams × BPTT 35, a 60-minute time budget on all cores, seed 42): test perplexity on the PTB test set, wall time and the load average',
    units: { test_perplexity: 'perplexity', wall: 's', load_start: 'load (1 min)', load_end: 'load (15 min)' },
    higherIsBetter: { test_perplexity: false, wall: false, load_start: false, load_end: false },
    warmup: 0,
    runs: 3,
    async setup(ctx) {
      ctx.data('ptb/ptb.train.txt.gz');
      ctx.data('ptb/ptb.valid.txt');
      ctx.data('ptb/ptb.test.txt');
      return {};
    },
    async ours(_state, ctx) {
      // --quick: 5 steps of a 32-unit model on the first 20,000 training words — the plumbing only. The final
      // evaluation still reads every validation and test word: 87–111 s a run on a loaded machine (load 14–19).
      const size = ctx.quick
        ? ['--limit-words', '20000', '--hidden', '32', '--max-steps', '5', '--time-budget', '0', '--eval-every', '0']
        : [];
      const loadStart = loadavg()[0];
      const { metrics, wallS } = runCli(ctx, ['lm', 'ptb', ...size], { seed: 42 });
      // The 15-minute average at the end covers the last quarter of the 60-minute run (the whole of a quick one).
      const loadEnd = loadavg()[2];
      ctx.log(
        `demo.ptb: test perplexity ${metrics.testPerplexity?.toFixed(1)} (validation ${metrics.valPerplexity?.toFixed(1)}) after ${metrics.steps} steps on ${metrics.workers} replicas, ${wallS.toFixed(0)} s wall (${metrics.trainSeconds?.toFixed(0)} s training), ${metrics.cpuSeconds?.toFixed(0)} CPU s; load average ${loadStart.toFixed(2)} at the start (1 min), ${loadEnd.toFixed(2)} at the end (15 min)`,
      );
      return { test_perplexity: metrics.testPerplexity, wall: wallS, load_start: loadStart, load_end: loadEnd };
    },
    peers: [],
  },
];
