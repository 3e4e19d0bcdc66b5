/**
 * RNN decoders, one step at a time: plain, Luong and Bahdanau. The two attentional ones differ
 * in *when* attention happens relative to the RNN step, and that order is the point:
 *
 * - **Luong** (Luong, Pham & Manning 2015, "Effective Approaches to Attention-based NMT", §3):
 *   RNN step first — `h_t = RNN(emb(y_{t−1}), h_{t−1})` — then attend with the *new* state
 *   `h_t` (score dot / general / concat), then the attentional vector
 *   `h̃_t = tanh(W_c [c_t; h_t])`, and `logits = W_s h̃_t`. With *input feeding* (§3.3, option
 *   `inputFeeding`) the previous attentional vector joins the RNN input,
 *   `h_t = RNN([emb(y_{t−1}); h̃_{t−1}], h_{t−1})` with `h̃_0 = 0`, so the RNN knows what was
 *   attended before (the paper's cheap coverage).
 * - **Bahdanau** (Bahdanau, Cho & Bengio 2015, "Neural MT by Jointly Learning to Align and
 *   Translate", §3.1 / App. A): attend first with the *previous* state `s_{t−1}` (additive score
 *   `vᵀ tanh(W s_{t−1} + U h_j)`), then concatenate the context to the RNN input —
 *   `s_t = RNN([emb(y_{t−1}); c_t], s_{t−1})` — and predict from `[s_t; c_t]`.
 * - **Plain** (Sutskever et al. 2014): `h_t = RNN(emb(y_{t−1}), h_{t−1})`, `logits = W h_t`;
 *   everything the decoder knows about the source is the encoder's final state.
 *
 * The state of every decoder is a plain object of tensors whose first dimension is the batch,
 * so the beam search of this package can reorder it with `gatherStateRows`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Embedding, Linear, Module, tidy } from '@wordloom/core';
import {
  AdditiveScore,
  ConcatScore,
  GeneralScore,
  attention,
  dotScore,
  type AttentionScore,
} from '@wordloom/attention';
import type { CellType, EncoderOutput } from './encoder.js';
import { CellStack, LayerStack, makeLayer } from './internal/cell-stack.js';

/** Score of Luong attention. */
export type LuongScore = 'dot' | 'general' | 'concat';

/** Decoder state between steps; every tensor has the batch as its first dimension. */
export interface DecoderState {
  /** Hidden state of each layer `[B, H]`. */
  h: tf.Tensor2D[];
  /** Cell state of each layer (LSTM only). */
  c?: tf.Tensor2D[];
  /** Encoder outputs `[B, S, H]` (attentional decoders). */
  memory?: tf.Tensor3D;
  /** The score's key-side projection of `memory`, computed once per source. */
  keys?: tf.Tensor;
  /** 1 = real source position `[B, S]`. */
  mask?: tf.Tensor2D;
  /**
   * The previous step's attentional vector `h̃_{t−1}` `[B, H]` (Luong with input feeding only;
   * zeros before the first step). Part of the state so that beam search reorders it with `h`.
   */
  hTilde?: tf.Tensor2D;
}

/** One step's result: logits `[B, V]`, the new state, and attention weights `[B, S]` if any. */
export interface DecoderStepOutput {
  logits: tf.Tensor2D;
  state: DecoderState;
  attention?: tf.Tensor2D;
}

/** Options shared by the decoders. */
export interface DecoderOptions {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  /** @default 1 */
  numLayers?: number;
  /** @default 'gru' */
  cell?: CellType;
  /** Padding token (embedding kept at zero). @default undefined */
  paddingIdx?: number;
  /** @default 0 */
  seed?: number;
}

/** The decoders' common shape: embedding, a stack of cells, an output layer, and a `step`. */
export abstract class Decoder extends Module {
  abstract readonly kind: 'plain' | 'luong' | 'bahdanau';
  readonly embedding: Embedding;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly cellType: CellType;
  /** Steps the recurrent stack (cells for Bahdanau, a sequence layer for plain and Luong). */
  readonly rnn: CellStack | LayerStack;

  /**
   * @param parallel whether the RNN is a sequence layer (plain, Luong: PyTorch `nn.GRU` names,
   *   and all teacher-forced steps can run as one sequence when the RNN input at step t does
   *   not depend on step t−1's attention) or a stack of cells (Bahdanau).
   */
  protected constructor(opts: DecoderOptions, rnnInputSize: number, parallel: boolean) {
    super();
    this.vocabSize = opts.vocabSize;
    this.hiddenSize = opts.hiddenSize;
    this.cellType = opts.cell ?? 'gru';
    const seed = opts.seed ?? 0;
    this.embedding = this.addModule(
      'embedding',
      new Embedding({
        numEmbeddings: opts.vocabSize,
        embeddingDim: opts.embeddingDim,
        seed,
        ...(opts.paddingIdx !== undefined ? { paddingIdx: opts.paddingIdx } : {}),
      }),
    );
    const stackOpts = {
      cell: this.cellType,
      inputSize: rnnInputSize,
      hiddenSize: opts.hiddenSize,
      numLayers: opts.numLayers ?? 1,
      seed: seed + 1,
    };
    this.rnn = parallel
      ? new LayerStack(this.addModule('rnn', makeLayer(stackOpts)))
      : this.addModule('rnn', new CellStack(stackOpts));
  }

  /** The first state from the encoder's output (tensors are new; the caller owns them). */
  initState(enc: EncoderOutput): DecoderState {
    return tidy(() => {
      const h = enc.state.h.map((t) => tf.clone(t));
      if (h.length !== this.rnn.numLayers) {
        throw new Error(
          `${this.constructor.name}.initState: encoder has ${h.length} layers, decoder ${this.rnn.numLayers}`,
        );
      }
      const c =
        this.cellType === 'lstm' ? (enc.state.c ?? h.map((t) => tf.zerosLike(t))).map((t) => tf.clone(t)) : undefined;
      return { h, ...(c ? { c } : {}), ...this.initMemory(enc) };
    });
  }

  protected initMemory(_enc: EncoderOutput): Partial<DecoderState> {
    return {};
  }

  /**
   * One decoder step: `tokens` (int32 `[B]`) are the previous outputs (`bos` at the start).
   * Returns new tensors; the input state is left untouched.
   */
  abstract step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput;

  /**
   * Teacher forcing over a whole target at once, when the decoder allows it (plain, Luong):
   * `inputs` `[B, T]` are `bos, y1 … y_{T−1}`; returns logits `[B, T, V]` (and attention
   * `[B, T, S]`) equal to T calls of `step`. `undefined` when the decoder must step (Bahdanau).
   */
  teacherForced(
    _state: DecoderState,
    _inputs: tf.Tensor2D,
  ): { logits: tf.Tensor3D; attention?: tf.Tensor3D } | undefined {
    return undefined;
  }
}

/** Sutskever-style decoder without attention. */
export class PlainDecoder extends Decoder {
  readonly kind = 'plain' as const;
  readonly out: Linear;
  constructor(opts: DecoderOptions) {
    super(opts, opts.embeddingDim, true);
    this.out = this.addModule(
      'out',
      new Linear({ inFeatures: opts.hiddenSize, outFeatures: opts.vocabSize, seed: (opts.seed ?? 0) + 2 }),
    );
  }
  override teacherForced(state: DecoderState, inputs: tf.Tensor2D): { logits: tf.Tensor3D } {
    return tidy(() => {
      const x = this.embedding.forward(inputs) as tf.Tensor3D; // [B, T, E]
      const { outputs } = (this.rnn as LayerStack).sequence(x, state); // [B, T, H]
      return { logits: this.out.forward(outputs) as tf.Tensor3D };
    });
  }
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    return tidy(() => {
      const x = this.embedding.forward(tokens) as tf.Tensor2D; // [B, E]
      const next = this.rnn.step(x, state); // h_t = RNN(emb(y_{t-1}), h_{t-1})
      const logits = this.out.forward(next.h[next.h.length - 1]) as tf.Tensor2D; // [B, V]
      return { logits, state: { ...state, ...next } };
    });
  }
}

/** Options of {@link LuongDecoder}. */
export interface LuongDecoderOptions extends DecoderOptions {
  /** @default 'general' — the best of the three in Luong et al.'s global-attention table. */
  score?: LuongScore;
  /**
   * Input feeding (Luong et al. 2015, §3.3): concatenate the previous attentional vector
   * `h̃_{t−1}` (zeros at the first step) to the embedding fed to the RNN, whose input size
   * grows from `embeddingDim` to `embeddingDim + hiddenSize` (same parameter names,
   * `rnn.weight_ih_l0` is wider). The RNN input then depends on the previous step's
   * attention, so teacher forcing steps through time instead of running the RNN over the
   * whole target at once (slower).
   * @default false — the paper's base model and the decoder's behaviour (and saved weights)
   *   before this option existed; the fast parallel teacher forcing stays available.
   */
  inputFeeding?: boolean;
}

/** Luong attention: RNN step first, then attention with the new state, then `h̃ = tanh(W_c[c; h])`. */
export class LuongDecoder extends Decoder {
  readonly kind = 'luong' as const;
  readonly scoreKind: LuongScore;
  /** The score function (`dotScore` has no parameters and is not registered as a child). */
  readonly score: AttentionScore;
  readonly attnCombine: Linear;
  readonly out: Linear;
  /** Whether `h̃_{t−1}` is concatenated to the RNN input (§3.3). */
  readonly inputFeeding: boolean;
  constructor(opts: LuongDecoderOptions) {
    // Input feeding widens the RNN input by the attentional vector's size (H). The RNN stays a
    // sequence layer (names `rnn.weight_ih_l0`, …), stepped one length-1 sequence at a time.
    super(opts, opts.embeddingDim + (opts.inputFeeding ? opts.hiddenSize : 0), true);
    this.inputFeeding = opts.inputFeeding ?? false;
    const H = opts.hiddenSize;
    const seed = opts.seed ?? 0;
    this.scoreKind = opts.score ?? 'general';
    if (this.scoreKind === 'general')
      this.score = this.addModule('score', new GeneralScore({ queryDim: H, seed: seed + 3 }));
    else if (this.scoreKind === 'concat')
      this.score = this.addModule('score', new ConcatScore({ queryDim: H, seed: seed + 3 }));
    else this.score = dotScore;
    this.attnCombine = this.addModule(
      'attn_combine',
      new Linear({ inFeatures: 2 * H, outFeatures: H, bias: false, seed: seed + 4 }),
    );
    this.out = this.addModule('out', new Linear({ inFeatures: H, outFeatures: opts.vocabSize, seed: seed + 2 }));
  }
  protected override initMemory(enc: EncoderOutput): Partial<DecoderState> {
    const memory = tf.clone(enc.outputs);
    const B = enc.outputs.shape[0];
    const H = this.hiddenSize;
    return {
      memory,
      keys: this.score.prepareKeys(enc.outputs),
      mask: tf.clone(enc.mask),
      ...(this.inputFeeding ? { hTilde: tf.zeros([B, H]) as tf.Tensor2D } : {}), // h̃_0 = 0
    };
  }
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    return tidy(() => {
      let x = this.embedding.forward(tokens) as tf.Tensor2D; // [B, E]
      if (this.inputFeeding) {
        if (!state.hTilde)
          throw new Error('LuongDecoder.step: inputFeeding needs state.hTilde (make the state with initState)');
        x = tf.concat([x, state.hTilde], 1); // [B, E + H]
      }
      // 1. RNN step first: h_t = RNN(emb(y_{t-1}), h_{t-1}) — or RNN([emb; h̃_{t-1}], h_{t-1}).
      const next = this.rnn.step(x, state);
      const ht = next.h[next.h.length - 1]; // [B, H]
      // 2. Then attention, queried with the NEW state h_t.
      const { context, weights } = attention(ht, state.memory!, state.memory!, {
        score: this.score,
        preparedKeys: state.keys!,
        mask: state.mask!,
      }); // context [B, H], weights [B, S]
      // 3. Then the attentional vector h̃_t = tanh(W_c [c_t; h_t]) and the prediction from it.
      const hTilde = tf.tanh(this.attnCombine.forward(tf.concat([context, ht], 1))); // [B, H]
      const logits = this.out.forward(hTilde) as tf.Tensor2D;
      const nextState: DecoderState = {
        ...state,
        ...next,
        ...(this.inputFeeding ? { hTilde: hTilde as tf.Tensor2D } : {}),
      };
      return { logits, state: nextState, attention: weights as tf.Tensor2D };
    });
  }
  /**
   * The same three stages over all T steps at once: because Luong's RNN never sees the
   * attention, teacher forcing runs the RNN over the whole target first (fused kernels), then
   * attends with every h_t in one batched call. Not with input feeding (`undefined`: the RNN
   * input at t needs h̃_{t−1}, so the caller steps).
   */
  override teacherForced(
    state: DecoderState,
    inputs: tf.Tensor2D,
  ): { logits: tf.Tensor3D; attention: tf.Tensor3D } | undefined {
    if (this.inputFeeding) return undefined;
    return tidy(() => {
      const x = this.embedding.forward(inputs) as tf.Tensor3D; // [B, T, E]
      const { outputs: hs } = (this.rnn as LayerStack).sequence(x, state); // 1. all h_t: [B, T, H]
      const { context, weights } = attention(hs, state.memory!, state.memory!, {
        score: this.score,
        preparedKeys: state.keys!,
        mask: state.mask!,
      }); // 2. [B, T, H], [B, T, S]
      const hTilde = tf.tanh(this.attnCombine.forward(tf.concat([context, hs], 2))); // 3. [B, T, H]
      return { logits: this.out.forward(hTilde) as tf.Tensor3D, attention: weights as tf.Tensor3D };
    });
  }
}

/** Bahdanau attention: attend with the previous state first, feed the context into the RNN step. */
export class BahdanauDecoder extends Decoder {
  readonly kind = 'bahdanau' as const;
  readonly score: AdditiveScore;
  readonly out: Linear;
  constructor(opts: DecoderOptions) {
    // The RNN input is [emb(y_{t-1}); c_t]: embedding plus context size. It depends on step t's
    // attention, so the RNN must step (cells) even under teacher forcing.
    super(opts, opts.embeddingDim + opts.hiddenSize, false);
    const H = opts.hiddenSize;
    const seed = opts.seed ?? 0;
    this.score = this.addModule('score', new AdditiveScore({ queryDim: H, seed: seed + 3 }));
    this.out = this.addModule('out', new Linear({ inFeatures: 2 * H, outFeatures: opts.vocabSize, seed: seed + 2 }));
  }
  protected override initMemory(enc: EncoderOutput): Partial<DecoderState> {
    return { memory: tf.clone(enc.outputs), keys: this.score.prepareKeys(enc.outputs), mask: tf.clone(enc.mask) };
  }
  step(state: DecoderState, tokens: tf.Tensor1D): DecoderStepOutput {
    return tidy(() => {
      const x = this.embedding.forward(tokens) as tf.Tensor2D; // [B, E]
      const sPrev = state.h[state.h.length - 1]; // s_{t-1} [B, H]
      // 1. Attention first, queried with the PREVIOUS state s_{t-1}.
      const { context, weights } = attention(sPrev, state.memory!, state.memory!, {
        score: this.score,
        preparedKeys: state.keys!,
        mask: state.mask!,
      }); // context [B, H]
      // 2. Then the RNN step, with the context concatenated to its input: s_t = RNN([emb; c_t], s_{t-1}).
      const next = this.rnn.step(tf.concat([x, context as tf.Tensor2D], 1), state);
      const st = next.h[next.h.length - 1];
      // 3. Predict from [s_t; c_t].
      const logits = this.out.forward(tf.concat([st, context], 1)) as tf.Tensor2D;
      return { logits, state: { ...state, ...next }, attention: weights as tf.Tensor2D };
    });
  }
}
