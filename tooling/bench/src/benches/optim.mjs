/**
 * @wordloom/optim benchmarks.
 *
 * optim.adamw.10m — ms per AdamW step on 10M float32 parameters (ten 1000×1000 tensors), wasm backend,
 * ours (`Optimizer` + `adamw`, name-keyed state, the default non-finite check on) against tfjs's own
 * `tf.train.adam` on the same backend and the same tensors. Each run is a fresh Node process
 * (`ctx.measureChild`), so `peak_rss` is that side's own peak resident memory: parameters 40 MB,
 * gradients 40 MB, two moments 80 MB. Peer `ours-op-form`: ours with Adam's one-pass loop turned off
 * (`WORDLOOM_ADAM_ONE_PASS=0`), the 13-op form it replaced — before/after in the same run.
 *
 * The child process runs packages/optim/bench/adamw-step.mjs (a bench file here must export an array, so the
 * child's entry point lives beside the package).
 */
import path from 'node:path';

export default [
  {
    name: 'optim.adamw.10m',
    description:
      'ms per AdamW step on 10M parameters (wasm), ours vs tf.train.adam and ours with the op form; peak RSS of each side',
    units: { step: 'ms', peak_rss: 'MB' },
    // Each run is a fresh process (its own warm-up steps inside); 5 runs because this machine is shared and noisy.
    warmup: 0,
    runs: 5,
    async setup(ctx) {
      return { nParams: ctx.quick ? 1_000_000 : 10_000_000, steps: ctx.quick ? 3 : 10 };
    },
    async ours(state, ctx) {
      return measure(ctx, 'ours', state);
    },
    peers: [
      {
        // ours with Adam's one-pass loop off (the 13-op tfjs form it replaced): the before/after in one run
        name: 'ours-op-form',
        async available() {
          return true;
        },
        async run(state, ctx) {
          return measure(ctx, 'ours-op-form', state);
        },
      },
      {
        name: 'tfjs',
        async available() {
          return true;
        },
        async run(state, ctx) {
          return measure(ctx, 'tfjs', state);
        },
      },
    ],
  },
];

async function measure(ctx, side, { nParams, steps }) {
  const { result, peakRssMB } = await ctx.measureChild(path.join(ctx.repoRoot, 'packages/optim/bench/adamw-step.mjs'), [
    side,
    nParams,
    steps,
  ]);
  if (result.backend !== 'wasm') ctx.log(`  optim.adamw.10m: ${side} ran on ${result.backend}, not wasm`);
  return { step: result.msPerStep, peak_rss: peakRssMB };
}
