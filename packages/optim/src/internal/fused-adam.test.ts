/**
 * The one-pass Adam/AdamW loop against the op form it replaces, on cpu and wasm: the same bits for every option
 * (coupled and decoupled weight decay, AMSGrad, maximize, a schedule), over several steps, for the new moments, the
 * AMSGrad maximum and the updates; the loop really runs (no tfjs kernel during `update`); no tensor leaks; the
 * environment switch `WORDLOOM_ADAM_ONE_PASS=0` gives the op form. (The torch goldens in golden.test.ts hold both.)
 */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { NamedTensors } from '../types.js';
import { adamKernelRuns, fusedAdam, type FusedAdamOptions, type FusedAdamState } from './fused-adam.js';

const SHAPES: [string, number[]][] = [
  ['embed.weight', [50, 40]],
  ['rnn.weight_ih_l0', [7, 13]],
  ['out.bias', [5]],
];

/** Deterministic values of every sign and a wide range of magnitudes (incl. exact zeros). */
function values(n: number, seed: number, scale: number): Float32Array {
  const a = new Float32Array(n);
  let s = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const r = s / 2 ** 32 - 0.5;
    a[i] = i % 17 === 0 ? 0 : r * scale * 10 ** ((i % 7) - 3);
  }
  return a;
}

function named(seed: number, scale: number): NamedTensors {
  return new Map(
    SHAPES.map(([name, shape], j) => [
      name,
      tf.tensor(
        values(
          shape.reduce((a, b) => a * b, 1),
          seed * 31 + j,
          scale,
        ),
        shape,
        'float32',
      ),
    ]),
  );
}

const BASE: FusedAdamOptions = {
  lr: 1e-3,
  b1: 0.9,
  b2: 0.999,
  eps: 1e-8,
  amsgrad: false,
  weightDecay: 0,
  decoupled: false,
  maximize: false,
};

const CASES: Record<string, Partial<FusedAdamOptions>> = {
  adam: {},
  'adam, L2 weight decay': { weightDecay: 0.05 },
  'adamw, decoupled decay': { decoupled: true, weightDecay: 0.01, lr: 3e-3 },
  amsgrad: { amsgrad: true, weightDecay: 0.02 },
  'adamw amsgrad maximize': { amsgrad: true, decoupled: true, weightDecay: 0.1, maximize: true },
  'schedule, other betas and eps': { lr: (k: number) => 0.01 / (1 + k), b1: 0.8, b2: 0.95, eps: 1e-6 },
};

const bits = (t: tf.Tensor): number[] => Array.from(new Uint32Array(Float32Array.from(t.dataSync()).buffer));

/** Runs `f`, counting the tfjs kernels it runs (tf.profile is async; a synchronous hook on the engine suffices). */
function countKernels<T>(f: () => T): { result: T; kernels: number } {
  const engine = tf.engine() as unknown as { runKernel: (...a: unknown[]) => unknown };
  const had = Object.prototype.hasOwnProperty.call(engine, 'runKernel');
  const orig = engine.runKernel;
  let kernels = 0;
  engine.runKernel = function (this: unknown, ...a: unknown[]) {
    kernels++;
    return orig.apply(this, a);
  };
  try {
    const result = f();
    return { result, kernels };
  } finally {
    if (had) engine.runKernel = orig;
    else delete (engine as { runKernel?: unknown }).runKernel;
  }
}

/** Runs `steps` updates (params move by the updates), returning every step's state and update bits. */
function run(opts: FusedAdamOptions, steps: number): { trace: number[][]; kernels: number } {
  const tx = fusedAdam(opts);
  let params = named(1, 2);
  let state: FusedAdamState = tx.init(params);
  const trace: number[][] = [];
  let kernels = 0;
  for (let s = 0; s < steps; s++) {
    const grads = named(100 + s, s % 2 === 0 ? 1 : 1e-3);
    const { result: r, kernels: k } = countKernels(() => tx.update(grads, state, params));
    kernels += k;
    for (const [name] of SHAPES) {
      trace.push(bits(r.updates.get(name)!), bits(r.state.mu.get(name)!), bits(r.state.nu.get(name)!));
      if (opts.amsgrad) trace.push(bits(r.state.nuMax.get(name)!));
    }
    const next: NamedTensors = new Map();
    for (const [name, p] of params) next.set(name, tf.add(p, r.updates.get(name)!));
    for (const t of [...params.values(), ...grads.values(), ...r.updates.values()]) t.dispose();
    for (const m of [state.mu, state.nu, state.nuMax]) for (const t of m.values()) t.dispose();
    params = next;
    state = r.state;
  }
  for (const t of params.values()) t.dispose();
  for (const m of [state.mu, state.nu, state.nuMax]) for (const t of m.values()) t.dispose();
  return { trace, kernels };
}

describe.each(['cpu', 'wasm'] as const)('one-pass Adam on %s', (backend) => {
  it.each(Object.entries(CASES))('%s: bit for bit the op form over 4 steps, no kernels, no leaks', async (_, c) => {
    await setupBackend({ prefer: [backend] });
    expect(tf.getBackend()).toBe(backend);
    const opts = { ...BASE, ...c };
    const n0 = tf.memory().numTensors;
    const runs0 = adamKernelRuns.count;
    const fast = run({ ...opts, onePass: true }, 4);
    // on wasm the SIMD kernel (adam-simd.wat) ran, once per parameter and step; on cpu the JavaScript loop
    expect(adamKernelRuns.count - runs0).toBe(backend === 'wasm' ? 4 * SHAPES.length : 0);
    expect(tf.memory().numTensors).toBe(n0);
    const ops = run({ ...opts, onePass: false }, 4);
    expect(tf.memory().numTensors).toBe(n0);
    expect(fast.kernels).toBe(0);
    expect(ops.kernels).toBeGreaterThan(0);
    expect(fast.trace.length).toBe(ops.trace.length);
    fast.trace.forEach((t, i) => expect(t, `tensor ${i}`).toEqual(ops.trace[i]));
  });
});

describe('WORDLOOM_ADAM_ONE_PASS', () => {
  afterEach(() => {
    delete process.env.WORDLOOM_ADAM_ONE_PASS;
  });

  it('=0 when the transformation is made: the op form (kernels run); unset: the loop', async () => {
    await setupBackend({ prefer: ['cpu'] });
    process.env.WORDLOOM_ADAM_ONE_PASS = '0';
    const off = run({ ...BASE }, 1);
    delete process.env.WORDLOOM_ADAM_ONE_PASS;
    const on = run({ ...BASE }, 1);
    expect(off.kernels).toBeGreaterThan(0);
    expect(on.kernels).toBe(0);
    expect(on.trace).toEqual(off.trace);
  });
});
