// Runs the README's "Use" example (kept in sync by hand) and checks what it prints.
import * as tf from '@tensorflow/tfjs-core';
import { Rng, setupBackend } from '@wordloom/core';
import { expect, it } from 'vitest';
import { Seq2Seq, beamSearch, inverseSigmoidDecay } from './index.js';

it('README example', async () => {
  await setupBackend({ prefer: ['cpu'] });
  const model = new Seq2Seq({
    srcVocabSize: 8,
    tgtVocabSize: 8,
    embeddingDim: 16,
    hiddenSize: 32,
    attention: 'luong',
    score: 'general',
    bosId: 1,
    eosId: 2,
    padId: 0,
    seed: 0,
  });
  const batch = {
    src: tf.tensor2d(
      [
        [3, 4, 5],
        [6, 7, 0],
      ],
      [2, 3],
      'int32',
    ),
    srcLengths: Int32Array.of(3, 2),
    tgt: tf.tensor2d(
      [
        [5, 4, 3, 2],
        [7, 6, 2, 0],
      ],
      [2, 4],
      'int32',
    ),
    tgtLengths: Int32Array.of(4, 3),
  };
  const ratio = inverseSigmoidDecay({ k: 100 })(0);
  expect(ratio).toBeCloseTo(100 / 101, 10);
  const loss = model.loss(batch, { teacherForcingRatio: ratio, rng: new Rng(1) });
  expect(Math.abs(loss.dataSync()[0] - Math.log(8))).toBeLessThan(0.3);

  const [best] = model.generate(batch.src, batch.srcLengths, {
    maxLength: 6,
    strategy: 'beam',
    beam: { beamWidth: 3 },
  });
  expect(best.tokens.length).toBeLessThanOrEqual(6);
  expect(best.attention?.length).toBe(best.tokens.length + (best.finished ? 1 : 0));

  const fed = new Seq2Seq({
    srcVocabSize: 8,
    tgtVocabSize: 8,
    embeddingDim: 16,
    hiddenSize: 32,
    attention: 'luong',
    inputFeeding: true,
    bosId: 1,
    eosId: 2,
    padId: 0,
    seed: 0,
  });
  expect(fed.stateDict().get('decoder.rnn.weight_ih_l0')!.shape).toEqual([96, 48]);
  const fedLoss = fed.loss(batch);
  expect(Math.abs(fedLoss.dataSync()[0] - Math.log(8))).toBeLessThan(0.3);
  const before = tf.memory().numTensors;
  const nbest = fed.generate(batch.src, batch.srcLengths, {
    maxLength: 6,
    strategy: 'beam',
    nBest: 3,
    beam: { beamWidth: 3 },
  });
  expect(tf.memory().numTensors).toBe(before);
  expect(nbest.map((hyps) => hyps.length)).toEqual([3, 3]);
  for (const hyps of nbest) for (let i = 1; i < 3; i++) expect(hyps[i - 1].score).toBeGreaterThanOrEqual(hyps[i].score);
  const oneBest = fed.generate(batch.src, batch.srcLengths, { maxLength: 6, strategy: 'beam', beam: { beamWidth: 3 } });
  expect(nbest[0][0]).toEqual(oneBest[0]);

  const step = (state: { t: tf.Tensor1D }, tokens: Int32Array) => ({
    logits: tf.tensor2d(Array.from(tokens, (tok) => (tok === 3 ? [0, 0, 5, 0] : [0, 0, 1, 2])).flat(), [
      tokens.length,
      4,
    ]),
    state: { t: tf.add(state.t, 1) as tf.Tensor1D },
  });
  const init = { t: tf.zeros([1]) as tf.Tensor1D };
  const [[h]] = beamSearch(step, init, { bosId: 1, eosId: 2, maxLength: 5, batchSize: 1, beamWidth: 2 });
  expect(Array.from(h.tokens)).toEqual([3]);
  tf.dispose([loss, fedLoss, batch.src, batch.tgt, init.t]);
  model.dispose();
  fed.dispose();
});
