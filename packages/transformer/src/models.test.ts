import * as tf from '@tensorflow/tfjs-core';
import { paddingMask, sequenceMask, setupBackend } from '@wordloom/core';
import { expectClose, expectNoLeaks } from '@wordloom/core/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { TinyAdam } from '../test/adam.js';
import { TransformerClassifier } from './classifier.js';
import { TransformerEncoderLayer } from './encoder-layer.js';
import { disposeState } from './internal/util.js';
import { TransformerLM, type LMState } from './lm.js';
import { RotaryEmbedding, sinusoidalEncoding } from './positional.js';
import { Seq2SeqTransformer, type Seq2SeqState } from './seq2seq-transformer.js';

beforeAll(async () => {
  await setupBackend({ prefer: ['cpu'] });
});

const ids = (rows: number[][]) => tf.tensor2d(rows, [rows.length, rows[0].length], 'int32');

/** The logits at every position, fed one token at a time through `step`. */
function stepAll(lm: TransformerLM, rows: number[][]): tf.Tensor3D {
  let state: LMState = lm.initState();
  const outs: tf.Tensor2D[] = [];
  for (let t = 0; t < rows[0].length; t++) {
    const r = lm.step(
      state,
      rows.map((row) => row[t]),
    );
    disposeState(state);
    state = r.state;
    outs.push(r.logits);
  }
  disposeState(state);
  const all = tf.stack(outs, 1) as tf.Tensor3D;
  tf.dispose(outs);
  return all;
}

describe('TransformerLM', () => {
  for (const positional of ['learned', 'sinusoidal', 'rope'] as const) {
    it(`KV-cache decoding equals full recomputation (${positional})`, () => {
      const lm = new TransformerLM({
        vocabSize: 11,
        dModel: 16,
        nhead: 4,
        numLayers: 2,
        positional,
        maxLen: 32,
        seed: 3,
      });
      lm.eval();
      const rows = [
        [1, 5, 7, 2, 9, 3, 4],
        [2, 2, 8, 10, 0, 6, 1],
      ];
      const full = lm.forward(rows).logits;
      const stepped = stepAll(lm, rows);
      expectClose(stepped, full, { atol: 1e-5, rtol: 1e-4, name: 'stepped logits' });
      // a prompt fed at once, then single steps, gives the same as well
      const { logits: l1, state: s1 } = lm.advance(
        lm.initState(),
        rows.map((r) => r.slice(0, 4)),
      );
      const { logits: l2, state: s2 } = lm.step(s1, [rows[0][4], rows[1][4]]);
      expectClose(
        l1,
        tf.tidy(() => tf.squeeze(tf.slice(full, [0, 3, 0], [2, 1, 11]), [1])),
        { atol: 1e-5, rtol: 1e-4 },
      );
      expectClose(
        l2,
        tf.tidy(() => tf.squeeze(tf.slice(full, [0, 4, 0], [2, 1, 11]), [1])),
        { atol: 1e-5, rtol: 1e-4 },
      );
      tf.dispose([full, stepped, l1, l2]);
      disposeState([s1, s2]);
      lm.dispose();
    });
  }

  it('causal mask leaks nothing: perturbing future tokens leaves earlier logits unchanged', () => {
    for (const positional of ['learned', 'rope'] as const) {
      const lm = new TransformerLM({ vocabSize: 13, dModel: 16, nhead: 2, numLayers: 2, positional, seed: 9 });
      lm.eval();
      const a = [[3, 1, 4, 1, 5, 9, 2, 6]];
      const b = [[3, 1, 4, 1, 12, 0, 7, 7]]; // differs from position 4 on
      const la = lm.forward(a).logits;
      const lb = lm.forward(b).logits;
      const pa = tf.slice(la, [0, 0, 0], [1, 4, -1]);
      const pb = tf.slice(lb, [0, 0, 0], [1, 4, -1]);
      expectClose(pb, pa, { atol: 0, rtol: 0, name: 'logits before the change' });
      // and the position that sees the change does change
      const qa = tf.slice(la, [0, 4, 0], [1, 1, -1]).dataSync();
      const qb = tf.slice(lb, [0, 4, 0], [1, 1, -1]).dataSync();
      expect(Math.max(...Array.from(qa, (x, i) => Math.abs(x - qb[i])))).toBeGreaterThan(1e-4);
      tf.dispose([la, lb, pa, pb]);
      lm.dispose();
    }
  });

  it('returns per-layer, per-head causal attention maps', () => {
    const lm = new TransformerLM({ vocabSize: 7, dModel: 8, nhead: 2, numLayers: 3, seed: 1 });
    lm.eval();
    const { logits, attentions } = lm.forward([[1, 2, 3, 4]], { needWeights: true });
    expect(attentions.length).toBe(3);
    for (const a of attentions) {
      expect(a.shape).toEqual([1, 2, 4, 4]);
      const w = a.arraySync()[0];
      for (const head of w) {
        head.forEach((row, i) => {
          expect(row.reduce((s, x) => s + x, 0)).toBeCloseTo(1, 5);
          for (let j = i + 1; j < 4; j++) expect(row[j]).toBe(0);
        });
      }
    }
    tf.dispose([logits, ...attentions]);
    lm.dispose();
  });

  it('ties the output projection to the token embedding unless asked not to', () => {
    const tied = new TransformerLM({ vocabSize: 7, dModel: 8, nhead: 2, numLayers: 1 });
    const untied = new TransformerLM({ vocabSize: 7, dModel: 8, nhead: 2, numLayers: 1, tieWeights: false });
    const names = [...tied.namedParameters().keys()];
    expect(names).toContain('tok_emb.weight');
    expect(names).toContain('pos_emb.weight');
    expect(names).toContain('transformer.layers.0.self_attn.in_proj_weight');
    expect(names).toContain('transformer.norm.weight');
    expect(names.some((n) => n.startsWith('lm_head'))).toBe(false);
    expect([...untied.namedParameters().keys()]).toContain('lm_head.weight');
    expect(untied.numParameters() - tied.numParameters()).toBe(7 * 8);
    tied.dispose();
    untied.dispose();
  });

  it('generate with and without the cache gives the same tokens', () => {
    const lm = new TransformerLM({ vocabSize: 17, dModel: 16, nhead: 2, numLayers: 2, seed: 4 });
    lm.eval();
    const a = lm.generate([[1, 2, 3]], { maxNewTokens: 8 });
    const b = lm.generate([[1, 2, 3]], { maxNewTokens: 8, useCache: false });
    expect(Array.from(a[0])).toEqual(Array.from(b[0]));
    lm.dispose();
  });

  it('has no tensor leaks after training steps', async () => {
    const lm = new TransformerLM({ vocabSize: 9, dModel: 16, nhead: 2, numLayers: 2, dropout: 0.1, seed: 2 });
    const opt = new TinyAdam(lm.namedParameters(), 1e-3);
    const x = ids([[1, 2, 3, 4, 5]]);
    const y = ids([[2, 3, 4, 5, 6]]);
    const loss = () =>
      tf.tidy(() =>
        tf.losses.softmaxCrossEntropy(tf.oneHot(tf.reshape(y, [-1]), 9), tf.reshape(lm.forward(x).logits, [-1, 9])),
      ) as tf.Scalar;
    opt.minimize(loss); // creates the optimizer state
    const l0 = opt.minimize(loss);
    await expectNoLeaks(() => {
      opt.minimize(loss);
      opt.minimize(loss);
    });
    expect(opt.minimize(loss)).toBeLessThan(l0);
    tf.dispose([x, y]);
    opt.dispose();
    lm.dispose();
  });
});

describe('Seq2SeqTransformer', () => {
  it('step() with caches equals the teacher-forced forward, with source padding, and reorders like a beam', () => {
    const m = new Seq2SeqTransformer({
      srcVocabSize: 10,
      tgtVocabSize: 12,
      dModel: 16,
      nhead: 4,
      numEncoderLayers: 2,
      numDecoderLayers: 2,
      dimFeedforward: 32,
      seed: 5,
    });
    m.eval();
    const src = [
      [3, 4, 5, 6, 7],
      [8, 9, 3, 0, 0],
    ];
    const tgtIn = [
      [1, 4, 6, 8],
      [1, 11, 2, 5],
    ];
    const srcLengths = [5, 3];
    const full = m.forward(src, tgtIn, { srcLengths }).logits;
    let state: Seq2SeqState = m.initState(src, { srcLengths });
    const outs: tf.Tensor2D[] = [];
    for (let t = 0; t < 4; t++) {
      const r = m.step(
        state,
        tgtIn.map((row) => row[t]),
      );
      expect(r.attention.shape).toEqual([2, 5]);
      expect((r.attention.arraySync() as number[][])[1].slice(3)).toEqual([0, 0]);
      r.attention.dispose();
      if (t > 0) disposeState(state.kv);
      state = r.state;
      outs.push(r.logits);
    }
    const stepped = tf.stack(outs, 1);
    expectClose(stepped, full, { atol: 1e-5, rtol: 1e-4, name: 'stepped logits' });
    // swap the rows of the state (what beam search does) and step again: equals the swapped batch
    const idx = tf.tensor1d([1, 0], 'int32');
    const swapped = tf.tidy(() => ({
      memoryKV: state.memoryKV.map(({ k, v }) => ({ k: tf.gather(k, idx), v: tf.gather(v, idx) })),
      memoryPadding: tf.gather(state.memoryPadding as tf.Tensor, idx) as tf.Tensor2D,
      kv: state.kv.map(({ k, v }) => ({ k: tf.gather(k, idx), v: tf.gather(v, idx) })),
      position: state.position,
    }));
    const next = m.step(swapped, [7, 3]);
    const ref = m.forward(
      [src[1], src[0]],
      [
        [...tgtIn[1], 7],
        [...tgtIn[0], 3],
      ],
      { srcLengths: [3, 5] },
    ).logits;
    expectClose(
      next.logits,
      tf.tidy(() => tf.squeeze(tf.slice(ref, [0, 4, 0], [2, 1, 12]), [1])),
      { atol: 1e-5, rtol: 1e-4 },
    );
    tf.dispose([full, stepped, idx, ref, next.logits, next.attention, ...outs]);
    disposeState([state, swapped, next.state.kv]);
    m.dispose();
  });

  it('has nn.Transformer names under transformer.* and returns attention maps of every layer', () => {
    const m = new Seq2SeqTransformer({
      srcVocabSize: 5,
      tgtVocabSize: 6,
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 2,
      dimFeedforward: 16,
    });
    const names = [...m.namedParameters().keys()];
    for (const n of [
      'src_tok_emb.weight',
      'tgt_tok_emb.weight',
      'transformer.encoder.layers.0.self_attn.in_proj_weight',
      'transformer.encoder.norm.weight',
      'transformer.decoder.layers.1.multihead_attn.out_proj.weight',
      'transformer.decoder.norm.bias',
      'generator.weight',
    ]) {
      expect(names).toContain(n);
    }
    m.eval();
    const r = m.forward([[1, 2, 3]], [[1, 4]], { needWeights: true });
    expect(r.encoderAttentions.map((a) => a.shape)).toEqual([[1, 2, 3, 3]]);
    expect(r.selfAttentions.map((a) => a.shape)).toEqual([
      [1, 2, 2, 2],
      [1, 2, 2, 2],
    ]);
    expect(r.crossAttentions.map((a) => a.shape)).toEqual([
      [1, 2, 2, 3],
      [1, 2, 2, 3],
    ]);
    tf.dispose([r.logits, ...r.encoderAttentions, ...r.selfAttentions, ...r.crossAttentions]);
    m.dispose();
  });
});

describe('TransformerClassifier', () => {
  it('mean pooling ignores padding; first-token pooling reads position 0', () => {
    for (const pooling of ['mean', 'first'] as const) {
      const c = new TransformerClassifier({
        vocabSize: 10,
        numClasses: 3,
        dModel: 8,
        nhead: 2,
        numLayers: 2,
        pooling,
        seed: 1,
      });
      c.eval();
      const a = c.forward([[1, 4, 5, 0, 0]], { lengths: [3] }).logits;
      const b = c.forward([[1, 4, 5, 9, 7]], { lengths: [3] }).logits;
      const m = c.forward([[1, 4, 5, 9, 7]], { mask: tf.tensor2d([[1, 1, 1, 0, 0]]) }).logits;
      expect(a.shape).toEqual([1, 3]);
      expectClose(b, a, { atol: 1e-6, name: `${pooling}: padding content` });
      expectClose(m, a, { atol: 1e-6, name: `${pooling}: mask = lengths` });
      tf.dispose([a, b, m]);
      c.dispose();
    }
  });
});

describe('positional encodings', () => {
  it('sinusoidal matches the formula', () => {
    const pe = sinusoidalEncoding(3, 4).arraySync();
    expect(pe[2][0]).toBeCloseTo(Math.sin(2), 6);
    expect(pe[2][1]).toBeCloseTo(Math.cos(2), 6);
    expect(pe[2][2]).toBeCloseTo(Math.sin(2 / 100), 6);
    expect(pe[2][3]).toBeCloseTo(Math.cos(2 / 100), 6);
  });

  it('RoPE: q·k depends only on the relative offset', () => {
    const rope = new RotaryEmbedding({ headDim: 8 });
    const q = tf.randomNormal([1, 1, 1, 8], 0, 1, 'float32', 1);
    const k = tf.randomNormal([1, 1, 1, 8], 0, 1, 'float32', 2);
    const dot = (pq: number, pk: number) =>
      tf.tidy(() => tf.sum(tf.mul(rope.apply(q, pq), rope.apply(k, pk))).dataSync()[0]);
    expect(dot(5, 2)).toBeCloseTo(dot(13, 10), 4);
    expect(dot(0, 0)).toBeCloseTo(
      tf.tidy(() => tf.sum(tf.mul(q, k)).dataSync()[0]),
      5,
    );
    expect(Math.abs(dot(5, 2) - dot(5, 4))).toBeGreaterThan(1e-3);
    tf.dispose([q, k]);
  });
});

describe('bad input', () => {
  it('throws clear errors', () => {
    expect(() => new TransformerEncoderLayer({ dModel: 10, nhead: 3 })).toThrow(
      'TransformerEncoderLayer: dModel = 10 is not divisible by nhead = 3',
    );
    expect(() => new TransformerLM({ vocabSize: 5, dModel: 10, nhead: 4, numLayers: 1 })).toThrow(
      /not divisible by nhead = 4/,
    );
    const layer = new TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 16 });
    const x = tf.zeros([2, 5, 8]);
    expect(() => layer.forward(x, { srcKeyPaddingMask: tf.zeros([2, 4], 'bool') })).toThrow(
      'MultiHeadAttention: keyPaddingMask shape [2, 4] must be [B, Tk] = [2, 5]',
    );
    expect(() => layer.forward(x, { srcMask: tf.zeros([5, 4], 'bool') })).toThrow(
      /attnMask shape \[5, 4\] must be \[Tq, Tk\] = \[5, 5\]/,
    );
    expect(() => layer.forward(tf.zeros([2, 5, 6]))).toThrow(
      'TransformerEncoderLayer: src must be [B, T, 8], got [2, 5, 6]',
    );
    const lm = new TransformerLM({ vocabSize: 5, dModel: 8, nhead: 2, numLayers: 1, maxLen: 4 });
    expect(() => lm.forward([[1, 2, 3, 4, 0]])).toThrow('TransformerLM: positions up to 5 exceed maxLen = 4');
    expect(() => lm.forward([[1, 2], [3]])).toThrow(/ids\[1\] has length 1, expected 2/);
    const m = new Seq2SeqTransformer({
      srcVocabSize: 5,
      tgtVocabSize: 5,
      dModel: 8,
      nhead: 2,
      numEncoderLayers: 1,
      numDecoderLayers: 1,
    });
    expect(() => m.forward([[1, 2, 3]], [[1, 2]], { srcLengths: [4] })).toThrow(
      'Seq2SeqTransformer: lengths[0] = 4 must be an integer in [0, T = 3]',
    );
    tf.dispose(x);
    layer.dispose();
    lm.dispose();
    m.dispose();
  });

  it('masks of the wrong convention throw, naming the one expected; the right ones agree', () => {
    const layer = new TransformerEncoderLayer({ dModel: 8, nhead: 2, dimFeedforward: 16 }).eval(); // no dropout
    const x = tf.randomNormal([2, 4, 8], 0, 1, 'float32', 3);
    const lengths = [4, 2];
    for (const dtype of ['float32', 'bool'] as const) {
      const real = sequenceMask(lengths, 4, dtype);
      expect(() => layer.forward(x, { srcKeyPaddingMask: real })).toThrow(
        'TransformerEncoderLayer: srcKeyPaddingMask expects 1/true = padding, masked out',
      );
      real.dispose();
    }
    const pad = paddingMask(lengths, { maxLen: 4, dtype: 'bool' });
    const byHand = tf.tensor2d([0, 0, 0, 0, 0, 0, 1, 1], [2, 4], 'bool');
    const a = layer.forward(x, { srcKeyPaddingMask: pad }).output;
    const b = layer.forward(x, { srcKeyPaddingMask: byHand }).output;
    expectClose(a, b);
    // The classifier takes lengths or a 1 = real mask, and refuses a padding mask.
    const clf = new TransformerClassifier({
      vocabSize: 6,
      numClasses: 2,
      dModel: 8,
      nhead: 2,
      numLayers: 1,
      seed: 1,
    }).eval();
    const tokens = [
      [1, 2, 3, 4],
      [5, 1, 0, 0],
    ];
    const real = sequenceMask(lengths, 4);
    const byLengths = clf.forward(tokens, { lengths }).logits;
    const byMask = clf.forward(tokens, { mask: real }).logits;
    expectClose(byMask, byLengths);
    expect(() => clf.forward(tokens, { mask: pad })).toThrow(
      'TransformerClassifier.forward: mask expects 1/true = real token, may attend',
    );
    tf.dispose([x, pad, byHand, a, b, real, byLengths, byMask]);
    layer.dispose();
    clf.dispose();
  });
});
