/**
 * @wordloom/core benchmarks (wasm backend, in-process).
 *
 * core.linear.train_step — ms per forward+backward of Linear (N×in → out, loss = sum(y·g)):
 *   ours = `Linear` (custom backward made of plain 2-D matmuls with explicit transposes),
 *   peer tfjs = the same math with `tf.matMul(x, w, false, true)` and tfjs's own MatMul gradient
 *   (which uses transposed matmuls, slow on wasm).
 * core.embedding.train_step — ms per forward+backward of an embedding lookup (B·T ids → dim):
 *   ours = `Embedding` (segment-sum gradient), peer tfjs = `tf.gather` with tfjs's own gather
 *   gradient (both need the UnsortedSegmentSum kernel that setupBackend registers on wasm).
 * core.batchMatMul.attention — GFLOP/s (2·M·N·K per product) of attention's batched products on
 *   wasm, B·H = 128 products of T 128 × d_head 64 (quick: 16 of 32 × 16). Metrics:
 *   `qk_gflops` — Q·Kᵀ ([128, 128, 64] · [128, 128, 64]ᵀ → [128, 128, 128]);
 *   `av_gflops` — A·V ([128, 128, 128] · [128, 128, 64] → [128, 128, 64]);
 *   `grad_gflops` — forward and backward of both (Q·Kᵀ then ·V, gradients for Q, K and V: six
 *   products, two of each transpose kind), flops of all six over the time.
 *   ours = `batchMatMul` from @wordloom/core (its WebAssembly SIMD kernel on wasm). Peers:
 *   `tfjs-batched` = `tf.matMul` on the same batched tensors (tfjs-backend-wasm's BatchMatMul);
 *   `tfjs-2d` = the plain 2-D `tf.matMul` doing the same flops per product as one
 *   [B·H·M, K] · [K, N] product (the speed the target is measured against: ≥ 70 %).
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  Embedding,
  Linear,
  batchMatMul,
  getThreads,
  setPoolMatMulThreshold,
  setSimdMatMulThreshold,
  setThreads,
  setupBackend,
  startThreads,
} from '@wordloom/core';

function timeSteps(fn, steps) {
  fn(); // warm-up (kernel setup, allocation)
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return (performance.now() - t0) / steps;
}

const benches = [
  {
    name: 'core.linear.train_step',
    description: 'ms per Linear forward+backward (wasm): 512x512 weights on 1024 rows (quick: 128x128 on 256)',
    units: { step: 'ms' },
    async setup(ctx) {
      const { backend } = await setupBackend({ prefer: ['wasm'] });
      if (backend !== 'wasm') ctx.log(`  core.linear.train_step: running on ${backend}, not wasm`);
      const [n, d] = ctx.quick ? [256, 128] : [1024, 512];
      const lin = new Linear({ inFeatures: d, outFeatures: d, seed: 1 });
      const x = tf.randomNormal([n, d], 0, 1, 'float32', 2);
      const g = tf.randomNormal([n, d], 0, 1, 'float32', 3);
      return { lin, x, g, steps: ctx.quick ? 3 : 10 };
    },
    async ours({ lin, x, g, steps }) {
      const params = lin.parameters();
      return {
        step: timeSteps(() => {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(lin.forward(x), g)), params);
          tf.dispose([value, grads]);
        }, steps),
      };
    },
    peers: [
      {
        name: 'tfjs',
        async available() {
          return true;
        },
        async run({ lin, x, g, steps }) {
          const params = lin.parameters();
          // tfjs alone: with the pool on, core's wrapped BatchMatMul would run the large products
          return oneThread(() => ({
            step: timeSteps(() => {
              const { value, grads } = tf.variableGrads(
                () => tf.sum(tf.mul(tf.add(tf.matMul(x, lin.weight, false, true), lin.bias), g)),
                params,
              );
              tf.dispose([value, grads]);
            }, steps),
          }));
        },
      },
    ],
    async teardown({ lin, x, g }) {
      lin.dispose();
      tf.dispose([x, g]);
    },
  },
  {
    name: 'core.embedding.train_step',
    description: 'ms per embedding forward+backward (wasm): 4096 ids into 30000x256 (quick: 512 ids into 5000x64)',
    units: { step: 'ms' },
    async setup(ctx) {
      await setupBackend({ prefer: ['wasm'] });
      const [n, vocab, dim] = ctx.quick ? [512, 5000, 64] : [4096, 30000, 256];
      const emb = new Embedding({ numEmbeddings: vocab, embeddingDim: dim, seed: 1 });
      const ids = tf.randomUniform([n], 0, vocab, 'int32', 4);
      const g = tf.randomNormal([n, dim], 0, 1, 'float32', 5);
      return { emb, ids, g, steps: ctx.quick ? 3 : 10 };
    },
    async ours({ emb, ids, g, steps }) {
      return {
        step: timeSteps(() => {
          const { value, grads } = tf.variableGrads(() => tf.sum(tf.mul(emb.forward(ids), g)), [emb.weight]);
          tf.dispose([value, grads]);
        }, steps),
      };
    },
    peers: [
      {
        name: 'tfjs',
        async available() {
          return true;
        },
        async run({ emb, ids, g, steps }) {
          return {
            step: timeSteps(() => {
              const { value, grads } = tf.variableGrads(
                () => tf.sum(tf.mul(tf.gather(emb.weight, ids), g)),
                [emb.weight],
              );
              tf.dispose([value, grads]);
            }, steps),
          };
        },
      },
    ],
    async teardown({ emb, ids, g }) {
      emb.dispose();
      tf.dispose([ids, g]);
    },
  },
  {
    name: 'core.batchMatMul.attention',
    description:
      "GFLOP/s of attention's batched products on wasm (128 products of 128x128 by d_head 64; quick: 16 of 32x32 by 16): QK^T, AV, and fwd+bwd of both",
    units: { qk_gflops: 'GFLOP/s', av_gflops: 'GFLOP/s', grad_gflops: 'GFLOP/s' },
    higherIsBetter: { qk_gflops: true, av_gflops: true, grad_gflops: true },
    async setup(ctx) {
      const { backend } = await setupBackend({ prefer: ['wasm'] });
      if (backend !== 'wasm') ctx.log(`  core.batchMatMul.attention: running on ${backend}, not wasm`);
      const [BH, T, dh] = ctx.quick ? [16, 32, 16] : [128, 128, 64];
      const q = tf.randomNormal([BH, T, dh], 0, 1, 'float32', 1);
      const k = tf.randomNormal([BH, T, dh], 0, 1, 'float32', 2);
      const v = tf.randomNormal([BH, T, dh], 0, 1, 'float32', 3);
      const a = tf.randomNormal([BH, T, T], 0, 1, 'float32', 4);
      const g = tf.randomNormal([BH, T, dh], 0, 1, 'float32', 5);
      const flops = { qk: 2 * BH * T * T * dh, av: 2 * BH * T * T * dh };
      flops.grad = 3 * (flops.qk + flops.av);
      return { BH, T, dh, q, k, v, a, g, flops, steps: ctx.quick ? 3 : 5 };
    },
    async ours(s) {
      return attentionProducts(s, (x, y, ta, tb) => batchMatMul(x, y, { transposeA: ta, transposeB: tb }));
    },
    peers: [
      {
        name: 'tfjs-batched',
        async available() {
          return true;
        },
        async run(s) {
          // one thread: with the pool on, core wraps wasm's BatchMatMul and large products would use it
          return oneThread(() => attentionProducts(s, (x, y, ta, tb) => tf.matMul(x, y, ta, tb)));
        },
      },
      {
        name: 'ours-1-thread',
        async available() {
          return true;
        },
        async run(s) {
          return oneThread(() =>
            attentionProducts(s, (x, y, ta, tb) => batchMatMul(x, y, { transposeA: ta, transposeB: tb })),
          );
        },
      },
      {
        name: 'tfjs-2d',
        async available() {
          return true;
        },
        async run(s) {
          return oneThread(() => twoD(s));
        },
      },
    ],
    async teardown(s) {
      tf.dispose([s.q, s.k, s.v, s.a, s.g]);
    },
  },
];

function twoD(s) {
  // one 2-D product with the flops of each batched one: [BH·M, K] · [K, N]
  const { BH, T, dh, flops, steps } = s;
  const x1 = tf.randomNormal([BH * T, dh]);
  const y1 = tf.randomNormal([dh, T]);
  const x2 = tf.randomNormal([BH * T, T]);
  const y2 = tf.randomNormal([T, dh]);
  const time = (f) => timeSteps(() => f().dispose(), steps);
  const qk = time(() => tf.matMul(x1, y1));
  const av = time(() => tf.matMul(x2, y2));
  tf.dispose([x1, y1, x2, y2]);
  // the backward products have the same shapes' flops; 2-D backward = the same 2-D speed
  return {
    qk_gflops: flops.qk / qk / 1e6,
    av_gflops: flops.av / av / 1e6,
    grad_gflops: flops.grad / (3 * (qk + av)) / 1e6,
  };
}

/** Runs `fn` with the intra-op pool off (tfjs's kernels, or ours on one thread), then restores it. */
/**
 * `fn` on one thread with tfjs's own BatchMatMul (XNNPACK) for `tf.matMul`: the pool off, and the
 * one-thread routing of large products to our kernel off (`setSimdMatMulThreshold`), so the tfjs
 * peers measure tfjs; `batchMatMul` (ours) is not affected.
 */
function oneThread(fn) {
  const prev = setThreads(1);
  const prevSimd = setSimdMatMulThreshold(Infinity);
  try {
    return fn();
  } finally {
    setThreads(prev);
    setSimdMatMulThreshold(prevSimd);
  }
}

/** GFLOP/s of QKᵀ, AV and their forward+backward with the given batched product. */
function attentionProducts(s, mm) {
  const { q, k, v, a, g, flops, steps } = s;
  const qk = timeSteps(() => mm(q, k, false, true).dispose(), steps);
  const av = timeSteps(() => mm(a, v, false, false).dispose(), steps);
  const grad = timeSteps(() => {
    const r = tf.grads((x, y, z) => tf.sum(tf.mul(mm(mm(x, y, false, true), z, false, false), g)))([q, k, v]);
    tf.dispose(r);
  }, steps);
  return { qk_gflops: flops.qk / qk / 1e6, av_gflops: flops.av / av / 1e6, grad_gflops: flops.grad / grad / 1e6 };
}

/**
 * core.matmul.threads — GFLOP/s of plain 2-D float32 products `tf.matMul(a [M, K], b [K, N])` on
 * wasm, the shapes our models run most: `proj` 1961 × 512 × 1024 (the rnn bench's layer-2 input
 * projections: its real tokens × 2·256 → 4·256 gates), `step` 64 × 256 × 1024 (one LSTM time step
 * of batch 64, H 256), `ff` 4096 × 256 × 1024 (a transformer FF layer at batch 32, T 128) (quick:
 * 256 × 128 × 256, 32 × 64 × 256, 512 × 64 × 256). ours = the intra-op pool at its default
 * thread count (core's wrapper of wasm's BatchMatMul, our SIMD kernel split by rows); peers on
 * one thread: `xnnpack-1-thread` = tfjs-backend-wasm's own kernel (the pool off), `simd-1-thread`
 * = our kernel on one thread (`batchMatMul`, kernel 'simd').
 */
const SHAPES = { proj: [1961, 512, 1024], step: [64, 256, 1024], ff: [4096, 256, 1024] };
const QUICK_SHAPES = { proj: [256, 128, 256], step: [32, 64, 256], ff: [512, 64, 256] };

function productRates(s, mm) {
  const out = {};
  for (const [name, { a, b, flops }] of Object.entries(s.operands)) {
    const steps = Math.max(3, Math.min(50, Math.round(2e9 / flops)));
    const ms = timeSteps(() => mm(a, b).dispose(), steps);
    out[`${name}_gflops`] = flops / ms / 1e6;
  }
  return out;
}

const matmulThreads = {
  name: 'core.matmul.threads',
  description:
    'GFLOP/s of plain 2-D matmuls on wasm: 1961x512x1024 (rnn projections), 64x256x1024 (an LSTM step), 4096x256x1024 (transformer FF); the intra-op pool vs one thread',
  units: { proj_gflops: 'GFLOP/s', step_gflops: 'GFLOP/s', ff_gflops: 'GFLOP/s' },
  higherIsBetter: { proj_gflops: true, step_gflops: true, ff_gflops: true },
  async setup(ctx) {
    const { backend } = await setupBackend({ prefer: ['wasm'] });
    if (backend !== 'wasm') ctx.log(`  core.matmul.threads: running on ${backend}, not wasm`);
    const ready = await startThreads();
    ctx.log(`  core.matmul.threads: pool threads ${ready} of ${getThreads()} configured`);
    const operands = {};
    for (const [name, [M, K, N]] of Object.entries(ctx.quick ? QUICK_SHAPES : SHAPES)) {
      operands[name] = {
        a: tf.randomNormal([M, K], 0, 1, 'float32', 1),
        b: tf.randomNormal([K, N], 0, 1, 'float32', 2),
        flops: 2 * M * K * N,
      };
    }
    return { operands };
  },
  async ours(s) {
    return productRates(s, (a, b) => tf.matMul(a, b));
  },
  peers: [
    {
      name: 'xnnpack-1-thread',
      async available() {
        return true;
      },
      async run(s) {
        return oneThread(() => productRates(s, (a, b) => tf.matMul(a, b)));
      },
    },
    {
      name: 'simd-1-thread',
      async available() {
        return true;
      },
      async run(s) {
        return oneThread(() => productRates(s, (a, b) => batchMatMul(a, b, { kernel: 'simd' })));
      },
    },
  ],
  async teardown(s) {
    for (const { a, b } of Object.values(s.operands)) tf.dispose([a, b]);
  },
};

benches.push(matmulThreads);

/**
 * core.matmul.threshold — µs per plain 2-D float32 product `tf.matMul(a [M, K], b [K, N])` on wasm
 * for sizes around the pool's threshold (`setPoolMatMulThreshold`, 1 M multiply-adds) and the
 * one-thread routing (`setSimdMatMulThreshold`, 2 M), to place them: ours = every product on the
 * intra-op pool (threshold 0, default thread count), peers on one thread: `xnnpack-1-thread` =
 * tfjs-backend-wasm's kernel (routing off), `simd-1-thread` = our kernel. The harness alternates the sides run by run (interleaved), so a
 * change of load hits all three alike. Metric `mac_<size>` = M·K·N multiply-adds.
 */
const THRESHOLD_SHAPES = {
  mac_256k: [64, 64, 64],
  mac_512k: [64, 128, 64],
  mac_1m: [128, 128, 64],
  mac_2m: [128, 128, 128],
  mac_4m: [128, 256, 128],
  mac_8m: [256, 256, 128],
  mac_16m: [256, 256, 256],
};

function productTimes(s, mm) {
  const out = {};
  for (const [name, { a, b, macs }] of Object.entries(s.operands)) {
    const steps = Math.max(10, Math.min(2000, Math.round((s.quick ? 4e7 : 4e8) / macs)));
    out[name] = 1000 * timeSteps(() => mm(a, b).dispose(), steps);
  }
  return out;
}

const matmulThreshold = {
  name: 'core.matmul.threshold',
  description:
    'µs per 2-D matmul on wasm from 262k to 16.8M multiply-adds: every product on the intra-op pool vs one thread (XNNPACK, our kernel), interleaved',
  units: Object.fromEntries(Object.keys(THRESHOLD_SHAPES).map((k) => [k, 'µs'])),
  higherIsBetter: Object.fromEntries(Object.keys(THRESHOLD_SHAPES).map((k) => [k, false])),
  async setup(ctx) {
    const { backend } = await setupBackend({ prefer: ['wasm'] });
    if (backend !== 'wasm') ctx.log(`  core.matmul.threshold: running on ${backend}, not wasm`);
    const ready = await startThreads();
    ctx.log(`  core.matmul.threshold: pool threads ${ready} of ${getThreads()} configured`);
    const operands = {};
    for (const [name, [M, K, N]] of Object.entries(THRESHOLD_SHAPES)) {
      operands[name] = {
        a: tf.randomNormal([M, K], 0, 1, 'float32', 1),
        b: tf.randomNormal([K, N], 0, 1, 'float32', 2),
        macs: M * K * N,
      };
    }
    return { operands, quick: ctx.quick };
  },
  async ours(s) {
    const prev = setPoolMatMulThreshold(0);
    try {
      return productTimes(s, (a, b) => tf.matMul(a, b));
    } finally {
      setPoolMatMulThreshold(prev);
    }
  },
  peers: [
    {
      name: 'xnnpack-1-thread',
      async available() {
        return true;
      },
      async run(s) {
        return oneThread(() => productTimes(s, (a, b) => tf.matMul(a, b)));
      },
    },
    {
      name: 'simd-1-thread',
      async available() {
        return true;
      },
      async run(s) {
        return oneThread(() => productTimes(s, (a, b) => batchMatMul(a, b, { kernel: 'simd' })));
      },
    },
  ],
  async teardown(s) {
    for (const { a, b } of Object.values(s.operands)) tf.dispose([a, b]);
  },
};

benches.push(matmulThreshold);

export default benches;
