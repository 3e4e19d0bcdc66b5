// Golden comparison with PyTorch 1.13 (tooling/golden/seq2seq/make_fixtures.py): the same GRU
// encoder + Luong (general) / Bahdanau (additive) decoders, same weights by name, ragged batch.
// Tolerances: logits/attention/loss 1e-5 absolute, gradients 1e-4 (float32 both sides).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { setupBackend } from '@wordloom/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { Seq2Seq } from './index.js';

interface TJ {
  shape: number[];
  data: number[];
}
interface Case {
  params: Record<string, TJ>;
  logits: TJ;
  attention: TJ;
  loss: number;
  grads: Record<string, TJ>;
}
const fx = JSON.parse(readFileSync(new URL('../test/fixtures/seq2seq_golden.json', import.meta.url), 'utf8')) as {
  V: number;
  E: number;
  H: number;
  pad: number;
  bos: number;
  eos: number;
  src: number[][];
  srcLengths: number[];
  tgt: number[][];
  tgtLengths: number[];
  cases: Record<'luong' | 'bahdanau', Case>;
};

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('golden vs PyTorch', () => {
  for (const kind of ['luong', 'bahdanau'] as const) {
    it(`${kind}: teacher-forced logits, attention, masked loss and gradients`, () => {
      const c = fx.cases[kind];
      const model = new Seq2Seq({
        srcVocabSize: fx.V,
        tgtVocabSize: fx.V,
        embeddingDim: fx.E,
        hiddenSize: fx.H,
        attention: kind,
        score: 'general',
        bosId: fx.bos,
        eosId: fx.eos,
        padId: fx.pad,
        seed: 0,
      });
      const dict = new Map(Object.entries(c.params).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
      model.loadStateDict(dict);
      tf.dispose([...dict.values()]);
      const S = fx.src[0].length;
      const T = fx.tgt[0].length;
      const B = fx.src.length;
      const batch = {
        src: tf.tensor2d(fx.src.flat(), [B, S], 'int32'),
        srcLengths: Int32Array.from(fx.srcLengths),
        tgt: tf.tensor2d(fx.tgt.flat(), [B, T], 'int32'),
        tgtLengths: Int32Array.from(fx.tgtLengths),
      };
      const logits = model.forwardTeacher(batch);
      expect(maxAbs(logits.dataSync(), c.logits.data)).toBeLessThan(1e-5);
      // Attention weights of each step, by stepping the decoder on the ground truth.
      let state = model.initState(batch.src, batch.srcLengths);
      const rows: number[] = [];
      for (let t = 0; t < T; t++) {
        const inp = tf.tensor1d(
          Array.from({ length: B }, (_, b) => (t === 0 ? fx.bos : fx.tgt[b][t - 1])),
          'int32',
        );
        const out = model.decoder.step(state, inp);
        const w = out.attention!.arraySync();
        w.forEach((row, b) => row.forEach((v, j) => (rows[b * T * S + t * S + j] = v)));
        tf.dispose([inp, out.logits, out.attention!, ...state.h]);
        state = out.state;
      }
      expect(maxAbs(rows, c.attention.data)).toBeLessThan(1e-5);
      tf.dispose([...state.h, state.memory!, state.keys!, state.mask!, logits]);
      const params = model.trainableParameters();
      const { value, grads } = tf.variableGrads(() => model.loss(batch), [...params.values()]);
      expect(Math.abs(value.dataSync()[0] - c.loss)).toBeLessThan(1e-5);
      for (const [name, p] of params) {
        const g = grads[p.name];
        expect(maxAbs(g.dataSync(), c.grads[name].data), name).toBeLessThan(1e-4);
      }
      tf.dispose([value, ...Object.values(grads), batch.src, batch.tgt]);
      model.dispose();
    });
  }
});
