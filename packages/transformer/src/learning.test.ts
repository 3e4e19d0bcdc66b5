/**
 * Learning test: a 2-layer encoder–decoder Transformer learns to reverse sequences of 3–6
 * symbols (10-symbol alphabet, padded batches) and then decodes held-out sequences greedily
 * through `step()` (the KV-cache path) with ≥ 99% exact match. Seeded; wasm backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Rng, setupBackend } from '@wordloom/core';
import { beforeAll, expect, it } from 'vitest';
import { TinyAdam } from '../test/adam.js';
import { disposeState } from './internal/util.js';
import { Seq2SeqTransformer } from './seq2seq-transformer.js';

const PAD = 0;
const BOS = 1;
const EOS = 2;
const V = 13; // 0 pad, 1 bos, 2 eos, 3..12 symbols
const MAXLEN = 6;

beforeAll(async () => {
  await setupBackend();
});

function batch(rng: Rng, B: number) {
  const src: number[][] = [];
  const tgtIn: number[][] = [];
  const tgtOut: number[][] = [];
  const lengths: number[] = [];
  for (let b = 0; b < B; b++) {
    const L = 3 + rng.int(MAXLEN - 2);
    const s = Array.from({ length: L }, () => 3 + rng.int(10));
    const r = [...s].reverse();
    src.push([...s, ...new Array(MAXLEN - L).fill(PAD)]);
    tgtIn.push([BOS, ...r, ...new Array(MAXLEN - L).fill(PAD)]);
    tgtOut.push([...r, EOS, ...new Array(MAXLEN - L).fill(PAD)]);
    lengths.push(L);
  }
  return { src, tgtIn, tgtOut, lengths };
}

/** Greedy decoding through `step()` (KV cache); returns the exact-match rate. */
function exactMatch(model: Seq2SeqTransformer, test: ReturnType<typeof batch>): number {
  const B = test.src.length;
  let state = model.initState(test.src, { srcLengths: test.lengths });
  const out: number[][] = test.src.map(() => []);
  let tokens = new Int32Array(B).fill(BOS);
  for (let t = 0; t <= MAXLEN; t++) {
    const r = model.step(state, tokens);
    if (t > 0) disposeState(state.kv);
    state = r.state;
    const next = tf.tidy(() => tf.argMax(r.logits, 1));
    tokens = Int32Array.from(next.dataSync());
    tf.dispose([next, r.logits, r.attention]);
    tokens.forEach((tok, b) => out[b].push(tok));
  }
  disposeState(state);
  let exact = 0;
  test.src.forEach((s, b) => {
    const want = s.slice(0, test.lengths[b]).reverse();
    const end = out[b].indexOf(EOS);
    const got = out[b].slice(0, end < 0 ? out[b].length : end);
    if (got.length === want.length && got.every((x, i) => x === want[i])) exact++;
  });
  return exact / B;
}

it('learns to reverse sequences (≥ 99% exact match, greedy decoding with the KV cache)', { timeout: 180_000 }, () => {
  // pre-norm (stable at this learning rate without warmup), d 32, 2 + 2 layers
  const model = new Seq2SeqTransformer({
    srcVocabSize: V,
    tgtVocabSize: V,
    dModel: 32,
    nhead: 4,
    numEncoderLayers: 2,
    numDecoderLayers: 2,
    dimFeedforward: 64,
    dropout: 0,
    normFirst: true,
    seed: 1,
  });
  const opt = new TinyAdam(model.namedParameters(), 5e-3);
  const rng = new Rng(42);
  const validation = batch(new Rng(1000), 200);
  let loss = Infinity;
  let step = 0;
  for (; step < 600; step++) {
    const { src, tgtIn, tgtOut, lengths } = batch(rng, 64);
    const y = tf.tensor2d(tgtOut, [64, MAXLEN + 1], 'int32');
    loss = opt.minimize(() =>
      tf.tidy(() => {
        const { logits } = model.forward(src, tgtIn, { srcLengths: lengths, tgtLengths: lengths.map((L) => L + 1) });
        const logp = tf.logSoftmax(logits);
        const nll = tf.neg(tf.sum(tf.mul(logp, tf.oneHot(y, V)), -1)); // [B, T]
        const mask = tf.cast(tf.notEqual(y, PAD), 'float32');
        return tf.div(tf.sum(tf.mul(nll, mask)), tf.sum(mask)) as tf.Scalar;
      }),
    );
    y.dispose();
    // early stop on a validation set (checked every 25 steps once the loss is low)
    if (step % 25 === 24 && loss < 0.05) {
      model.eval();
      const acc = exactMatch(model, validation);
      model.train();
      if (acc === 1) break;
    }
  }
  model.eval();
  const acc = exactMatch(model, batch(new Rng(7), 200)); // a fresh test set
  console.log(
    `reverse: ${step + 1} steps, final train loss ${loss.toFixed(4)}, test exact match ${(acc * 100).toFixed(1)}%`,
  );
  expect(acc).toBeGreaterThanOrEqual(0.99);
  opt.dispose();
  model.dispose();
});
