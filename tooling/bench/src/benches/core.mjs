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
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, setupBackend } from '@wordloom/core';

function timeSteps(fn, steps) {
  fn(); // warm-up (kernel setup, allocation)
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) fn();
  return (performance.now() - t0) / steps;
}

export default [
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
          return {
            step: timeSteps(() => {
              const { value, grads } = tf.variableGrads(
                () => tf.sum(tf.mul(tf.add(tf.matMul(x, lin.weight, false, true), lin.bias), g)),
                params,
              );
              tf.dispose([value, grads]);
            }, steps),
          };
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
];
