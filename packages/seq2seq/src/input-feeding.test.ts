// Luong input feeding (Luong et al. 2015, §3.3): golden comparison with PyTorch 1.13
// (tooling/golden/seq2seq/make_fixtures.py → test/fixtures/seq2seq_input_feeding.json) and the
// state plumbing (h̃ carried in the state, reordered by beam search, zeros at the start).
// Tolerances: logits, attention, loss and every gradient 1e-6 absolute (measured on the cpu
// backend: ≤ 3.1e-8 forward, ≤ 1.5e-8 gradients; float32 both sides).
import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, setupBackend } from '@wordloom/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { LuongDecoder, Seq2Seq, gatherStateRows, type DecoderState, type LuongScore } from './index.js';

interface TJ {
  shape: number[];
  data: number[];
}
interface Case {
  cell: 'gru' | 'lstm';
  numLayers: number;
  score: LuongScore;
  teacherForcingRatio: number;
  params: Record<string, TJ>;
  logits: TJ;
  attention: TJ;
  loss: number;
  grads: Record<string, TJ>;
}
const fx = JSON.parse(
  readFileSync(new URL('../test/fixtures/seq2seq_input_feeding.json', import.meta.url), 'utf8'),
) as {
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
  cases: Record<string, Case>;
};

const maxAbs = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};
const disposeState = (s: DecoderState): void =>
  tf.dispose([...s.h, ...(s.c ?? []), s.memory!, s.keys!, s.mask!, s.hTilde!].filter(Boolean));

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

describe('input feeding: golden vs PyTorch', () => {
  for (const [name, c] of Object.entries(fx.cases)) {
    it(`${name}: logits, attention, masked loss and every gradient`, () => {
      const model = new Seq2Seq({
        srcVocabSize: fx.V,
        tgtVocabSize: fx.V,
        embeddingDim: fx.E,
        hiddenSize: fx.H,
        numLayers: c.numLayers,
        cell: c.cell,
        attention: 'luong',
        score: c.score,
        inputFeeding: true,
        bosId: fx.bos,
        eosId: fx.eos,
        padId: fx.pad,
        seed: 0,
      });
      // Same names and shapes as the PyTorch modules (decoder.rnn.weight_ih_l0 is [G·H, E + H]).
      const ours = model.stateDict();
      expect([...ours.keys()].sort()).toEqual(Object.keys(c.params).sort());
      for (const [k, t] of ours) expect(t.shape, k).toEqual(c.params[k].shape);
      const dict = new Map(Object.entries(c.params).map(([k, v]) => [k, tf.tensor(v.data, v.shape)]));
      model.loadStateDict(dict);
      tf.dispose([...dict.values()]);

      const B = fx.src.length;
      const S = fx.src[0].length;
      const T = fx.tgt[0].length;
      const batch = {
        src: tf.tensor2d(fx.src.flat(), [B, S], 'int32'),
        srcLengths: Int32Array.from(fx.srcLengths),
        tgt: tf.tensor2d(fx.tgt.flat(), [B, T], 'int32'),
        tgtLengths: Int32Array.from(fx.tgtLengths),
      };
      // Ratio 1: plain teacher forcing; ratio 0: scheduled sampling that always feeds the argmax.
      const lossOpts =
        c.teacherForcingRatio === 1 ? {} : { teacherForcingRatio: c.teacherForcingRatio, rng: new Rng(3) };
      const logits = model.forwardTeacher(batch, lossOpts);
      expect(maxAbs(logits.dataSync(), c.logits.data)).toBeLessThan(1e-6);

      // Attention of each step by stepping the decoder, feeding what forwardTeacher fed.
      let state = model.initState(batch.src, batch.srcLengths);
      expect(Array.from(state.hTilde!.dataSync()).every((v) => v === 0)).toBe(true); // h̃_0 = 0
      const rows: number[] = [];
      let feed = Array.from({ length: B }, () => fx.bos);
      for (let t = 0; t < T; t++) {
        const inp = tf.tensor1d(feed, 'int32');
        const out = model.decoder.step(state, inp);
        out.attention!.arraySync().forEach((row, b) => row.forEach((v, j) => (rows[b * T * S + t * S + j] = v)));
        const pred = Array.from(tf.tidy(() => tf.argMax(out.logits, 1)).dataSync());
        feed = c.teacherForcingRatio === 1 ? fx.tgt.map((r) => r[t]) : pred;
        tf.dispose([inp, out.logits, out.attention!, ...state.h, ...(state.c ?? []), state.hTilde!]);
        state = out.state;
      }
      expect(maxAbs(rows, c.attention.data)).toBeLessThan(1e-6);
      disposeState(state);
      tf.dispose(logits);

      const params = model.trainableParameters();
      const { value, grads } = tf.variableGrads(() => model.loss(batch, lossOpts), [...params.values()]);
      expect(Math.abs(value.dataSync()[0] - c.loss)).toBeLessThan(1e-6);
      expect(params.size).toBe(Object.keys(c.grads).length);
      for (const [pname, p] of params)
        expect(maxAbs(grads[p.name].dataSync(), c.grads[pname].data), pname).toBeLessThan(1e-6);
      tf.dispose([value, ...Object.values(grads), batch.src, batch.tgt]);
      model.dispose();
    });
  }
});

describe('input feeding: state and options', () => {
  it('off by default: Luong keeps its RNN input size and parallel teacher forcing', () => {
    const dec = new LuongDecoder({ vocabSize: 7, embeddingDim: 4, hiddenSize: 5 });
    expect(dec.inputFeeding).toBe(false);
    expect(dec.namedParameters().get('rnn.weight_ih_l0')!.shape).toEqual([15, 4]);
    const fed = new LuongDecoder({ vocabSize: 7, embeddingDim: 4, hiddenSize: 5, inputFeeding: true });
    expect(fed.namedParameters().get('rnn.weight_ih_l0')!.shape).toEqual([15, 4 + 5]);
    dec.dispose();
    fed.dispose();
  });

  it('h̃_{t−1} reaches the RNN: the step differs from the same step with h̃ zeroed', () => {
    const model = new Seq2Seq({
      srcVocabSize: 9,
      tgtVocabSize: 9,
      embeddingDim: 4,
      hiddenSize: 6,
      attention: 'luong',
      inputFeeding: true,
      bosId: 1,
      eosId: 2,
      padId: 0,
      seed: 2,
    });
    const src = tf.tensor2d(
      [
        [3, 4, 5],
        [6, 7, 0],
      ],
      [2, 3],
      'int32',
    );
    const s0 = model.initState(src, Int32Array.of(3, 2));
    const tok = tf.tensor1d([1, 1], 'int32');
    const first = model.decoder.step(s0, tok);
    const tok2 = tf.tensor1d([4, 5], 'int32');
    const withFeed = model.decoder.step(first.state, tok2);
    const zeroed = { ...first.state, hTilde: tf.zerosLike(first.state.hTilde!) };
    const noFeed = model.decoder.step(zeroed, tok2);
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(withFeed.logits, noFeed.logits))).dataSync()[0]);
    expect(diff).toBeGreaterThan(1e-4);
    // The state carries h̃_t = the vector the logits came from: [B, H].
    expect(first.state.hTilde!.shape).toEqual([2, 6]);
    const missing = { ...s0 };
    delete missing.hTilde;
    expect(() => model.decoder.step(missing, tok)).toThrow(/LuongDecoder.step: inputFeeding needs state.hTilde/);
    tf.dispose([
      src,
      tok,
      tok2,
      first.logits,
      first.attention!,
      withFeed.logits,
      withFeed.attention!,
      noFeed.logits,
      noFeed.attention!,
      zeroed.hTilde,
    ]);
    tf.dispose([
      ...first.state.h,
      first.state.hTilde!,
      ...withFeed.state.h,
      withFeed.state.hTilde!,
      ...noFeed.state.h,
      noFeed.state.hTilde!,
    ]);
    disposeState(s0);
    model.dispose();
  });

  it('gatherStateRows reorders h̃ with the rest of the state (beam search)', () => {
    const model = new Seq2Seq({
      srcVocabSize: 9,
      tgtVocabSize: 9,
      embeddingDim: 4,
      hiddenSize: 6,
      attention: 'luong',
      inputFeeding: true,
      bosId: 1,
      eosId: 2,
      padId: 0,
      seed: 2,
    });
    const src = tf.tensor2d(
      [
        [3, 4, 5],
        [6, 7, 0],
      ],
      [2, 3],
      'int32',
    );
    const s0 = model.initState(src, Int32Array.of(3, 2));
    const tok = tf.tensor1d([4, 8], 'int32');
    const { logits, attention, state } = model.decoder.step(s0, tok);
    const swapped = gatherStateRows(state, Int32Array.of(1, 0), 2);
    const h = state.hTilde!.arraySync();
    expect(swapped.hTilde!.arraySync()).toEqual([h[1], h[0]]);
    expect(swapped.h[0].arraySync()).toEqual([state.h[0].arraySync()[1], state.h[0].arraySync()[0]]);
    tf.dispose([src, tok, logits, attention!, ...state.h, state.hTilde!]);
    disposeState(swapped);
    disposeState(s0);
    model.dispose();
  });

  it('trains under scheduled sampling (ratio 0.5): loss falls on a fixed batch, no tensor growth per step', () => {
    const model = new Seq2Seq({
      srcVocabSize: 9,
      tgtVocabSize: 9,
      embeddingDim: 8,
      hiddenSize: 16,
      attention: 'luong',
      inputFeeding: true,
      cell: 'lstm',
      bosId: 1,
      eosId: 2,
      padId: 0,
      seed: 5,
    });
    const batch = {
      src: tf.tensor2d(
        [
          [3, 4, 5, 6],
          [7, 8, 3, 0],
          [5, 6, 0, 0],
        ],
        [3, 4],
        'int32',
      ),
      srcLengths: Int32Array.of(4, 3, 2),
      tgt: tf.tensor2d(
        [
          [6, 5, 4, 3, 2],
          [3, 8, 7, 2, 0],
          [6, 5, 2, 0, 0],
        ],
        [3, 5],
        'int32',
      ),
      tgtLengths: Int32Array.of(5, 4, 3),
    };
    const rng = new Rng(11);
    const params = [...model.trainableParameters().values()];
    let before = 0;
    const losses: number[] = [];
    for (let step = 0; step < 50; step++) {
      if (step === 1) before = tf.memory().numTensors;
      const { value, grads } = tf.variableGrads(() => model.loss(batch, { teacherForcingRatio: 0.5, rng }), params);
      losses.push(value.dataSync()[0]);
      tf.tidy(() => params.forEach((p) => p.assign(tf.sub(p, tf.mul(grads[p.name], 1)))));
      tf.dispose([value, ...Object.values(grads)]);
      if (step >= 1) expect(tf.memory().numTensors).toBe(before);
    }
    expect(losses[49]).toBeLessThan(losses[0] / 2);
    tf.dispose([batch.src, batch.tgt]);
    model.dispose();
  });

  it('Seq2Seq rejects inputFeeding without Luong attention', () => {
    expect(
      () =>
        new Seq2Seq({
          srcVocabSize: 5,
          tgtVocabSize: 5,
          attention: 'bahdanau',
          inputFeeding: true,
          bosId: 1,
          eosId: 2,
          padId: 0,
        }),
    ).toThrow(/Seq2Seq: inputFeeding = true needs attention = 'luong' \(got 'bahdanau'\)/);
  });
});
