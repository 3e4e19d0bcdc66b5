/**
 * Child process of train.replicas.*: `fit` with the setup module replicas-setup.mjs on `replicas` worker
 * threads (1 = in-process), wasm. Samples/s over the timed steps (after 2 warm-up steps), and at N ≥ 2 the
 * exchange per step: bytes each replica wrote + read in the shared buffer, rank 0's wait at the barriers, and
 * every replica's step profile (fit's `profile`: ms per step in each phase, over all steps, warm-up included).
 * `part` = [p, parts]: train on part p of every batch only (the rows replica p of `parts` would take), one
 * replica — the independent runs that measure the ceiling of a `parts`-replica scheme.
 * `threads`: core's intra-op pool threads for an in-process replica (undefined = core's default, every core); fit
 * itself gives each of N ≥ 2 replicas ⌊cores / N⌋.
 */
import { setupBackend } from '@wordloom/core';
import { fit } from '@wordloom/train';

export default async function run(model, replicas, quick, part = null, threads = null) {
  const { backend } = await setupBackend({ prefer: ['wasm'], ...(threads ? { threads } : {}) });
  const steps = quick ? 3 : 8;
  const times = [];
  let samples = 0;
  const h = await fit({
    setup: new URL('./replicas-setup.mjs', import.meta.url),
    setupOptions: { model, quick, steps, ...(part ? { part } : {}) },
    replicas,
    maxSteps: steps + 2,
    ...(replicas > 1 ? { profile: true } : {}),
    callbacks: {
      onStepEnd(rec) {
        times.push(performance.now());
        if (rec.step > 2) samples += rec.samples;
      },
    },
  });
  const seconds = (times[times.length - 1] - times[1]) / 1000;
  const out = { backend, throughput: samples / seconds, loss: h.steps[h.steps.length - 1].loss };
  if (h.replicas) {
    const r = h.replicas;
    out.bytesPerStep = (r.bytesWritten + r.bytesRead) / r.exchanges;
    out.waitMsPerStep = (1000 * r.waitSeconds) / r.exchanges;
    out.floats = r.floatsPerExchange;
    out.profiles = (h.replicaStats ?? []).map((s) => {
      const { steps: n, ...phases } = s.profile;
      const ms = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, (1000 * v) / n]));
      return { rank: s.rank, backend: s.backend, ms };
    });
  }
  return out;
}
