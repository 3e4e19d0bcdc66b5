// Plain Node ESM smoke check of the BUILT package (no vitest, no bundler): gradients are
// registered, wasm is picked with SIMD, and Embedding + Linear train on it.
// Run: pnpm --filter @wordloom/core build && node packages/core/scripts/smoke-node.mjs
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, setupBackend } from '@wordloom/core';
import { checkGradients } from '@wordloom/core/testing';

const r = await setupBackend();
const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
const emb = new Embedding({ numEmbeddings: 10, embeddingDim: 4, paddingIdx: 0, seed: 1 });
const lin = new Linear({ inFeatures: 4, outFeatures: 10, seed: 2 });
const ids = tf.tensor1d([1, 2, 3, 0], 'int32');
const target = tf.oneHot(tf.tensor1d([2, 3, 4, 0], 'int32'), 10);
const losses = [];
for (let step = 0; step < 5; step++) {
  const { value, grads } = tf.variableGrads(
    () => tf.losses.softmaxCrossEntropy(target, lin.forward(emb.forward(ids))),
    [...emb.parameters(), ...lin.parameters()],
  );
  losses.push(+value.dataSync()[0].toFixed(6));
  tf.tidy(() => {
    for (const v of [...emb.parameters(), ...lin.parameters()]) v.assign(tf.sub(v, tf.mul(grads[v.name], 0.5)));
  });
  tf.dispose([value, ...Object.values(grads)]);
}
checkGradients((x) => tf.sum(tf.tanh(x)), [tf.tensor1d([0.1, 0.5])]);
console.log(JSON.stringify({ ...r, simd, losses, numTensors: tf.memory().numTensors }));
