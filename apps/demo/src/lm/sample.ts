/** Sampling text from an `lm shakespeare` model. */
import * as tf from '@tensorflow/tfjs-core';
import { type RecurrentState } from '@wordloom/rnn';
import { sampleDecode, type StepOutput } from '@wordloom/seq2seq';
import { disposeState, type LMState } from '@wordloom/transformer';
import { CharVocab } from '../toy-tasks.js';
import { tidy } from '@wordloom/core';
import { type AnyLM } from './model.js';

/**
 * Continues `prompt` by `length` characters with temperature / top-k / top-p sampling
 * (`sampleDecode` over the model's step function). The transformer generates in segments of at
 * most `blockSize` positions (its learned positions end there): each new segment is primed with
 * the last half block of text.
 */
export function sampleText(
  model: AnyLM,
  vocab: CharVocab,
  opts: {
    prompt: string;
    length: number;
    blockSize: number;
    temperature: number;
    topK: number;
    topP: number;
    seed: number;
  },
): string {
  model.m.eval();
  let text = opts.prompt.length > 0 ? opts.prompt : '\n';
  let generated = '';
  let segment = 0;
  try {
    while (generated.length < opts.length) {
      const ctxLen =
        model.kind === 'transformer'
          ? Math.max(1, Math.floor(opts.blockSize / 2))
          : Math.min(text.length, 4 * opts.blockSize);
      const ctx = vocab.encode(text.slice(-ctxLen));
      const prime = ctx.subarray(0, ctx.length - 1);
      const bos = ctx[ctx.length - 1];
      const room = model.kind === 'transformer' ? opts.blockSize - prime.length : Infinity;
      const maxLength = Math.min(opts.length - generated.length, room);
      const common = {
        bosId: bos,
        eosId: vocab.eosId,
        maxLength,
        batchSize: 1,
        seed: opts.seed + segment,
        temperature: opts.temperature,
        topK: opts.topK,
        topP: opts.topP,
      };
      let tokens: Int32Array;
      if (model.kind === 'transformer') {
        const lm = model.m;
        let init: LMState = lm.initState();
        if (prime.length > 0) {
          const r = lm.advance(init, [Array.from(prime)]);
          r.logits.dispose();
          init = r.state;
        }
        const [h] = sampleDecode((s: LMState, t: Int32Array) => lm.step(s, t), init, common);
        disposeState(init);
        tokens = h.tokens;
      } else {
        const lstm = model.m;
        let init = lstm.zeroState(1);
        if (prime.length > 0) {
          const ids = tf.tensor2d(prime, [1, prime.length], 'int32');
          const r = tidy(() => lstm.forward(ids, init));
          r.logits.dispose();
          ids.dispose();
          tf.dispose([init.h, init.c]);
          init = r.state;
        }
        const step = (s: RecurrentState, t: Int32Array): StepOutput<RecurrentState> =>
          tidy(() => {
            const o = lstm.forward(tf.tensor2d(t, [t.length, 1], 'int32'), s);
            return { logits: tf.reshape(o.logits, [t.length, -1]) as tf.Tensor2D, state: o.state };
          });
        const [h] = sampleDecode(step, init, common);
        tf.dispose([init.h, init.c]);
        tokens = h.tokens;
      }
      const piece = vocab.decode(tokens);
      if (piece.length === 0) break; // only specials (never trained targets): nothing more to say
      generated += piece;
      text += piece;
      segment++;
    }
  } finally {
    model.m.train();
  }
  return generated;
}
