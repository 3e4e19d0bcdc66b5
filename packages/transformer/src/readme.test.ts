/** Runs the README's "Use" example (same code, with assertions instead of logging). */
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { expect, it } from 'vitest';
import { Seq2SeqTransformer, TransformerLM, disposeState } from './index.js';

it('README example runs and leaks nothing', async () => {
  await setupBackend({ prefer: ['cpu'] });
  const lm = new TransformerLM({ vocabSize: 100, dModel: 32, nhead: 4, numLayers: 2, seed: 0 });
  const model = new Seq2SeqTransformer({
    srcVocabSize: 20,
    tgtVocabSize: 20,
    dModel: 32,
    nhead: 4,
    numEncoderLayers: 2,
    numDecoderLayers: 2,
    seed: 0,
  });
  const before = tf.memory().numTensors;
  lm.eval();
  const { logits, attentions } = lm.forward([[1, 5, 7, 9]], { needWeights: true });
  expect(logits.shape).toEqual([1, 4, 100]);
  expect(attentions.length).toBe(2);
  expect(attentions[0].shape).toEqual([1, 4, 4, 4]);
  const continuation = lm.generate([[1, 5, 7, 9]], { maxNewTokens: 5 });
  expect(continuation[0].length).toBe(5);
  model.eval();
  const src = [
    [5, 6, 7, 0],
    [8, 9, 0, 0],
  ];
  const out = model.forward(
    src,
    [
      [1, 7],
      [1, 9],
    ],
    { srcLengths: [3, 2] },
  );
  expect(out.logits.shape).toEqual([2, 2, 20]);
  let state = model.initState(src, { srcLengths: [3, 2] });
  const first = model.step(state, [1, 1]);
  expect(first.logits.shape).toEqual([2, 20]);
  expect(first.attention.shape).toEqual([2, 4]);
  disposeState(state.kv);
  state = first.state;
  tf.dispose([logits, ...attentions, out.logits, first.logits, first.attention]);
  disposeState(state);
  expect(tf.memory().numTensors).toBe(before);
  lm.dispose();
  model.dispose();
});
