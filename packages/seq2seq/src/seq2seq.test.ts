import * as tf from '@tensorflow/tfjs-core';
import { attention } from '@wordloom/attention';
import { Rng, setupBackend } from '@wordloom/core';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BahdanauDecoder,
  Encoder,
  LuongDecoder,
  Seq2Seq,
  type DecoderState,
  type Hypothesis,
  type Seq2SeqBatch,
} from './index.js';

beforeAll(async () => {
  // wasm: the learning test below runs ~4× faster than on cpu.
  await setupBackend({ prefer: ['wasm', 'cpu'] });
});

const close = (a: tf.Tensor, b: tf.Tensor): number => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);

function encode(bidirectional: boolean, bridge: 'sum' | 'concat' = 'sum', cell: 'gru' | 'lstm' = 'gru') {
  const enc = new Encoder({ vocabSize: 11, embeddingDim: 6, hiddenSize: 8, bidirectional, bridge, cell, seed: 3 });
  const ids = tf.tensor2d(
    [
      [4, 5, 6, 7, 0],
      [8, 9, 10, 0, 0],
    ],
    [2, 5],
    'int32',
  );
  const out = enc.forward(ids, Int32Array.from([4, 3]));
  return { enc, ids, out };
}

describe('Encoder', () => {
  it('masks, zero outputs at padding, and bridges both directions', () => {
    for (const [bi, bridge, cell] of [
      [false, 'sum', 'gru'],
      [true, 'sum', 'gru'],
      [true, 'concat', 'lstm'],
    ] as const) {
      const { enc, ids, out } = encode(bi, bridge, cell);
      expect(out.outputs.shape).toEqual([2, 5, 8]);
      expect(Array.from(out.mask.dataSync())).toEqual([1, 1, 1, 1, 0, 1, 1, 1, 0, 0]);
      const o = out.outputs.arraySync();
      expect(o[0][4].every((v) => v === 0)).toBe(true);
      expect(o[1][3].every((v) => v === 0) && o[1][4].every((v) => v === 0)).toBe(true);
      expect(out.state.h).toHaveLength(1);
      expect(out.state.h[0].shape).toEqual([2, 8]);
      expect(out.state.c !== undefined).toBe(cell === 'lstm');
      if (!bi) {
        // Unidirectional: the final state is the output at each row's last real step.
        expect(close(out.state.h[0], tf.stack([tf.tensor1d(o[0][3]), tf.tensor1d(o[1][2])]))).toBeLessThan(1e-6);
      }
      if (bridge === 'concat') expect([...enc.namedParameters().keys()]).toContain('bridge_h.weight');
      tf.dispose([ids, out.outputs, out.mask, ...out.state.h, ...(out.state.c ?? [])]);
      enc.dispose();
    }
  });
});

describe('decoder step order', () => {
  function setup<D extends LuongDecoder | BahdanauDecoder>(dec: D) {
    const { enc, ids, out } = encode(false);
    const state = dec.initState(out);
    const tokens = tf.tensor1d([1, 2], 'int32');
    const res = dec.step(state, tokens);
    const cleanup = (): void => {
      tf.dispose([ids, out.outputs, out.mask, ...out.state.h, tokens, res.logits, res.attention!, ...res.state.h]);
      tf.dispose([...state.h, state.memory!, state.keys!, state.mask!]);
      enc.dispose();
      dec.dispose();
    };
    return { state, res, cleanup };
  }
  const weightsFor = (
    query: tf.Tensor,
    state: DecoderState,
    score: Parameters<typeof attention>[3] extends infer O ? O : never,
  ) => attention(query, state.memory!, state.memory!, { ...score, mask: state.mask! }).weights;

  it('Luong attends with the NEW state h_t (after the RNN step)', () => {
    const dec = new LuongDecoder({ vocabSize: 11, embeddingDim: 6, hiddenSize: 8, score: 'dot', seed: 5 });
    const { state, res, cleanup } = setup(dec);
    const withNew = weightsFor(res.state.h[0], state, { score: 'dot' });
    const withPrev = weightsFor(state.h[0], state, { score: 'dot' });
    expect(close(res.attention!, withNew)).toBeLessThan(1e-6);
    expect(close(res.attention!, withPrev)).toBeGreaterThan(1e-3);
    // Padding gets exactly zero weight.
    expect(res.attention!.arraySync()[1].slice(3)).toEqual([0, 0]);
    tf.dispose([withNew, withPrev]);
    cleanup();
  });

  it('Bahdanau attends with the PREVIOUS state s_{t-1} and feeds the context into the RNN', () => {
    const dec = new BahdanauDecoder({ vocabSize: 11, embeddingDim: 6, hiddenSize: 8, seed: 5 });
    const { state, res, cleanup } = setup(dec);
    const withPrev = weightsFor(state.h[0], state, { score: dec.score });
    const withNew = weightsFor(res.state.h[0], state, { score: dec.score });
    expect(close(res.attention!, withPrev)).toBeLessThan(1e-6);
    expect(close(res.attention!, withNew)).toBeGreaterThan(1e-4);
    // The RNN input is [embedding; context]: 6 + 8 features.
    expect(dec.namedParameters().get('rnn.0.weight_ih')!.shape).toEqual([3 * 8, 6 + 8]);
    tf.dispose([withNew, withPrev]);
    cleanup();
  });
});

describe('teacher forcing in parallel', () => {
  it('plain and Luong decoders: all steps at once equal T calls of step (GRU and LSTM)', () => {
    for (const [attention, cell] of [
      ['luong', 'gru'],
      ['none', 'lstm'],
      ['luong', 'lstm'],
    ] as const) {
      const model = new Seq2Seq({
        srcVocabSize: 11,
        tgtVocabSize: 11,
        embeddingDim: 6,
        hiddenSize: 8,
        attention,
        cell,
        bosId: 1,
        eosId: 2,
        padId: 0,
        seed: 4,
      });
      const src = tf.tensor2d(
        [
          [4, 5, 6, 7, 0],
          [8, 9, 10, 0, 0],
        ],
        [2, 5],
        'int32',
      );
      const srcLengths = Int32Array.from([4, 3]);
      const tgt = tf.tensor2d(
        [
          [5, 6, 2],
          [9, 2, 0],
        ],
        [2, 3],
        'int32',
      );
      const par = model.forwardTeacher({ src, srcLengths, tgt, tgtLengths: Int32Array.from([3, 2]) });
      let state = model.initState(src, srcLengths);
      const stepped: tf.Tensor[] = [];
      for (const inp of [
        [1, 1],
        [5, 9],
        [6, 2],
      ]) {
        const t = tf.tensor1d(inp, 'int32');
        const out = model.decoder.step(state, t);
        stepped.push(out.logits);
        tf.dispose([t, out.attention!, ...state.h, ...(state.c ?? [])]);
        state = out.state;
      }
      const seq = tf.stack(stepped, 1);
      expect(close(par, seq)).toBeLessThan(1e-5);
      tf.dispose(
        [
          par,
          seq,
          ...stepped,
          src,
          tgt,
          ...state.h,
          ...(state.c ?? []),
          state.memory!,
          state.keys!,
          state.mask!,
        ].filter(Boolean),
      );
      model.dispose();
    }
  });
});

/** The reverse toy (`aacd` → `dcaa`), ids 3..8 for letters, 0 pad, 1 bos, 2 eos. */
function reverseBatch(rng: Rng, B: number): Seq2SeqBatch {
  const S = 6;
  const src = new Int32Array(B * S);
  const tgt = new Int32Array(B * (S + 1));
  const srcLengths = new Int32Array(B);
  const tgtLengths = new Int32Array(B);
  for (let b = 0; b < B; b++) {
    const n = 2 + rng.int(S - 1);
    const seq = Array.from({ length: n }, () => 3 + rng.int(6));
    seq.forEach((v, i) => (src[b * S + i] = v));
    [...seq].reverse().forEach((v, i) => (tgt[b * (S + 1) + i] = v));
    tgt[b * (S + 1) + n] = 2;
    srcLengths[b] = n;
    tgtLengths[b] = n + 1;
  }
  return { src: tf.tensor2d(src, [B, S], 'int32'), srcLengths, tgt: tf.tensor2d(tgt, [B, S + 1], 'int32'), tgtLengths };
}

describe('Seq2Seq', () => {
  it('learns to reverse strings with attention; no tensor leaks per step; greedy and beam agree', () => {
    const model = new Seq2Seq({
      srcVocabSize: 9,
      tgtVocabSize: 9,
      embeddingDim: 16,
      hiddenSize: 32,
      attention: 'luong',
      bosId: 1,
      eosId: 2,
      padId: 0,
      seed: 1,
    });
    const rng = new Rng(7);
    const params = [...model.trainableParameters().values()];
    // Plain Adam written out here so the test depends only on the model.
    const m: tf.Tensor[] = params.map((p) => tf.zerosLike(p));
    const v: tf.Tensor[] = params.map((p) => tf.zerosLike(p));
    let first = 0;
    let last = 0;
    let before = 0;
    for (let step = 1; step <= 160; step++) {
      if (step === 2) before = tf.memory().numTensors;
      const batch = reverseBatch(rng, 32);
      const { value, grads } = tf.variableGrads(
        () => model.loss(batch, { teacherForcingRatio: step > 80 ? 0.8 : 1, rng }),
        params,
      );
      const loss = value.dataSync()[0];
      if (step === 1) first = loss;
      last = loss;
      tf.tidy(() => {
        params.forEach((p, i) => {
          const g = grads[p.name];
          const mi = tf.add(tf.mul(m[i], 0.9), tf.mul(g, 0.1));
          const vi = tf.add(tf.mul(v[i], 0.999), tf.mul(tf.square(g), 0.001));
          m[i].dispose();
          v[i].dispose();
          m[i] = tf.keep(mi); // kept: Adam state lives across steps
          v[i] = tf.keep(vi);
          const mh = tf.div(mi, 1 - 0.9 ** step);
          const vh = tf.div(vi, 1 - 0.999 ** step);
          p.assign(tf.sub(p, tf.mul(0.02, tf.div(mh, tf.add(tf.sqrt(vh), 1e-8)))));
        });
      });
      tf.dispose([value, ...Object.values(grads), batch.src, batch.tgt]);
      if (step === 2) expect(tf.memory().numTensors).toBe(before);
    }
    expect(last).toBeLessThan(first / 5);
    const test = reverseBatch(new Rng(99), 64);
    const greedy = model.generate(test.src, test.srcLengths, { maxLength: 8 });
    const beam = model.generate(test.src, test.srcLengths, {
      maxLength: 8,
      strategy: 'beam',
      beam: { beamWidth: 3, lengthPenalty: 0 },
    });
    const truth = test.tgt.arraySync().map((row, b) => row.slice(0, test.tgtLengths[b] - 1));
    const exact = (hs: { tokens: Int32Array }[]): number =>
      hs.filter((h, b) => Array.from(h.tokens).join() === truth[b].join()).length / hs.length;
    expect(exact(greedy)).toBeGreaterThan(0.8);
    expect(exact(beam)).toBeGreaterThanOrEqual(exact(greedy) - 0.05);
    expect(greedy[0].attention!.length).toBe(greedy[0].tokens.length + 1);
    tf.dispose([test.src, test.tgt, ...m, ...v]);
    model.dispose();
  }, 120_000);
});

describe('Seq2Seq.generate n-best', () => {
  /** Sum of log-softmax of each hypothesis's tokens (and eos when finished) by teacher forcing. */
  function rescore(model: Seq2Seq, srcRows: number[][], hyps: Hypothesis[]): number[] {
    const S = srcRows[0].length;
    const targets = hyps.map((h) => [...h.tokens, ...(h.finished ? [model.eosId] : [])]);
    const T = Math.max(...targets.map((t) => t.length));
    const batch: Seq2SeqBatch = {
      src: tf.tensor2d(srcRows.flat(), [srcRows.length, S], 'int32'),
      srcLengths: Int32Array.from(srcRows, (r) => r.filter((v) => v !== 0).length),
      tgt: tf.tensor2d(
        targets.flatMap((t) => [...t, ...new Array<number>(T - t.length).fill(0)]),
        [targets.length, T],
        'int32',
      ),
      tgtLengths: Int32Array.from(targets, (t) => t.length),
    };
    const logits = model.forwardTeacher(batch);
    const logp = tf.tidy(() => tf.logSoftmax(logits).arraySync() as number[][][]);
    tf.dispose([logits, batch.src, batch.tgt]);
    return targets.map((t, i) => t.reduce((sum, tok, j) => sum + logp[i][j][tok], 0));
  }

  it('n-best[0] is the 1-best, scores non-increasing, each hypothesis rescored exactly, no leaks (with and without input feeding)', () => {
    const srcRows = [
      [3, 4, 5, 6],
      [7, 8, 0, 0],
      [5, 5, 3, 0],
    ];
    for (const inputFeeding of [false, true]) {
      const model = new Seq2Seq({
        srcVocabSize: 9,
        tgtVocabSize: 9,
        embeddingDim: 8,
        hiddenSize: 12,
        attention: 'luong',
        inputFeeding,
        bosId: 1,
        eosId: 2,
        padId: 0,
        seed: 7,
      });
      // An untrained model's outputs are flat and rarely eos: sharpen them (weights × 5) and nudge
      // eos (+0.5) so that the beams diverge, get reordered over several steps, and some finish.
      const { weight, bias } = (model.decoder as LuongDecoder).out;
      weight.assign(tf.tidy(() => tf.mul(weight, 5)));
      bias!.assign(tf.tidy(() => tf.add(bias!, tf.mul(tf.oneHot(2, 9), 0.5))));
      const src = tf.tensor2d(srcRows.flat(), [3, 4], 'int32');
      const lengths = Int32Array.of(4, 2, 3);
      const before = tf.memory().numTensors;
      const nbest = model.generate(src, lengths, { maxLength: 6, strategy: 'beam', nBest: 3, beam: { beamWidth: 4 } });
      const best = model.generate(src, lengths, { maxLength: 6, strategy: 'beam', beam: { beamWidth: 4 } });
      expect(tf.memory().numTensors).toBe(before);
      expect(nbest).toHaveLength(3);
      for (const [b, hyps] of nbest.entries()) {
        expect(hyps).toHaveLength(3);
        expect(hyps[0]).toEqual(best[b]);
        expect(new Set(hyps.map((h) => Array.from(h.tokens).join())).size).toBe(3);
        for (let i = 1; i < hyps.length; i++) expect(hyps[i - 1].score).toBeGreaterThanOrEqual(hyps[i].score);
        for (const h of hyps) {
          const n = h.tokens.length + (h.finished ? 1 : 0);
          expect(h.score).toBeCloseTo(h.logProb / n, 6); // default lengthPenalty 1
          expect(h.attention).toHaveLength(n);
        }
        // Teacher forcing each hypothesis gives back its log-probability: the beam's state
        // (h, and h̃ with input feeding) followed each hypothesis through the reorderings.
        const rescored = rescore(
          model,
          hyps.map(() => srcRows[b]),
          hyps,
        );
        hyps.forEach((h, i) => expect(Math.abs(rescored[i] - h.logProb), `row ${b} hyp ${i}`).toBeLessThan(1e-4));
      }
      expect(nbest.flat().some((h) => h.finished) && nbest.flat().some((h) => h.tokens.length >= 3)).toBe(true);
      expect(() =>
        model.generate(src, lengths, { maxLength: 6, strategy: 'beam', nBest: 5, beam: { beamWidth: 4 } }),
      ).toThrow(/Seq2Seq.generate: nBest = 5 must be an integer in \[1, beam.beamWidth = 4\]/);
      // @ts-expect-error the overloads only accept nBest with strategy 'beam'
      expect(() => model.generate(src, lengths, { maxLength: 6, nBest: 2 })).toThrow(
        /Seq2Seq.generate: nBest = 2 needs strategy 'beam' \(got 'greedy'\)/,
      );
      src.dispose();
      model.dispose();
    }
  });
});
