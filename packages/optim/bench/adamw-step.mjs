/**
 * One run of the `optim.adamw.10m` benchmark in a fresh process (run by tooling/bench's `ctx.measureChild`,
 * so peak RSS is this side's own). Arguments: side ('ours' | 'ours-op-form' | 'tfjs'), number of parameters, timed
 * steps. 'ours-op-form' is ours with Adam's one-pass loop off (`WORDLOOM_ADAM_ONE_PASS=0`: the tfjs op form).
 * Builds `nParams` parameters in 1000×1000 tensors (the last one smaller) and fixed gradients, warms up 2 steps,
 * times `steps` steps; returns { msPerStep, backend }.
 */
export default async function adamwStep(side, nParams, steps) {
  const tf = await import('@tensorflow/tfjs-core');
  const { setupBackend } = await import('@wordloom/core');
  const { backend } = await setupBackend({ prefer: ['wasm'] });
  const chunk = 1_000_000;
  const vars = new Map();
  const grads = new Map();
  const byVarName = {};
  let seed = 12345;
  const rand = (n) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      a[i] = seed / 2 ** 32 - 0.5;
    }
    return a;
  };
  for (let i = 0, left = nParams; left > 0; i++, left -= chunk) {
    const n = Math.min(chunk, left);
    const shape = n === chunk ? [1000, 1000] : [n];
    const init = tf.tensor(rand(n), shape);
    const v = tf.variable(init, true, `bench_${side}_p${i}_${Math.random().toString(36).slice(2)}`);
    init.dispose();
    vars.set(`layers.${i}.weight`, v);
    const g = tf.tensor(rand(n), shape);
    grads.set(`layers.${i}.weight`, g);
    byVarName[v.name] = g;
  }
  let step;
  let dispose;
  if (side === 'ours' || side === 'ours-op-form') {
    const { Optimizer, adamw } = await import('@wordloom/optim');
    if (side === 'ours-op-form') process.env.WORDLOOM_ADAM_ONE_PASS = '0'; // read when adamw() builds it
    const opt = new Optimizer(vars, adamw({ lr: 1e-3, weightDecay: 0.01 }));
    delete process.env.WORDLOOM_ADAM_ONE_PASS;
    step = () => opt.step(grads);
    dispose = () => opt.dispose();
  } else {
    const opt = tf.train.adam(1e-3);
    step = () => opt.applyGradients(byVarName);
    dispose = () => opt.dispose();
  }
  const sync = () => [...vars.values()].forEach((v) => v.dataSync()[0]);
  for (let i = 0; i < 2; i++) step();
  sync();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) step();
  sync();
  const ms = (performance.now() - t0) / steps;
  dispose();
  for (const t of [...vars.values(), ...grads.values()]) t.dispose();
  return { msPerStep: ms, backend };
}
