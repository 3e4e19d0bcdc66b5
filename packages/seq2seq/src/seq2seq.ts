/**
 * The encoder–decoder model: training loss with teacher forcing / scheduled sampling over
 * `eos`-terminated targets (masked), and decoding through the strategies of `decoding.ts`.
 *
 * References: Sutskever et al. 2014; Bahdanau et al. 2015; Luong et al. 2015; Bengio et al.
 * 2015 (scheduled sampling); "Deep Learning from Scratch 2" ch. 7–8 (the date/addition tasks).
 */
import * as tf from '@tensorflow/tfjs-core';
import { unstack } from './internal/unstack.js';
import { Module, Rng, tidy } from '@wordloom/core';
import { maskedCrossEntropy } from './internal/masked-ce.js';
import {
  BahdanauDecoder,
  LuongDecoder,
  PlainDecoder,
  type Decoder,
  type DecoderState,
  type LuongScore,
} from './decoder.js';
import { Encoder, type BridgeType, type CellType } from './encoder.js';
import {
  beamSearch,
  greedyDecode,
  sampleDecode,
  type BeamSearchOptions,
  type Hypothesis,
  type StepFn,
} from './decoding.js';

/** Which decoder: none (plain), Luong or Bahdanau attention. */
export type AttentionType = 'none' | 'luong' | 'bahdanau';

/** Options of {@link Seq2Seq}. */
export interface Seq2SeqOptions {
  srcVocabSize: number;
  tgtVocabSize: number;
  /** @default 64 */
  embeddingDim?: number;
  /** @default 128 */
  hiddenSize?: number;
  /** Layers of encoder and decoder. @default 1 */
  numLayers?: number;
  /** @default 'gru' */
  cell?: CellType;
  /** Bidirectional encoder. @default false */
  bidirectional?: boolean;
  /** How a bidirectional encoder's directions are merged. @default 'sum' */
  bridge?: BridgeType;
  /** @default 'luong' — attention is what makes the date task reach ~100%. */
  attention?: AttentionType;
  /** Luong score. @default 'general' */
  score?: LuongScore;
  /**
   * Luong input feeding (§3.3): the previous attentional vector `h̃_{t−1}` is concatenated to
   * the decoder RNN's input. Only with `attention: 'luong'` (Bahdanau already feeds its context).
   * @default false — keeps the fast parallel teacher forcing and the weights' shapes of
   *   models saved before the option existed.
   */
  inputFeeding?: boolean;
  /** Dropout between encoder layers. @default 0 */
  dropout?: number;
  /** Ids of the target vocabulary's special tokens (looked up by the caller, never assumed). */
  bosId: number;
  eosId: number;
  padId: number;
  /** Source padding id (embedding kept at zero). @default padId */
  srcPadId?: number;
  /** @default 0 */
  seed?: number;
}

/** A training batch: padded source ids and `eos`-terminated padded targets. */
export interface Seq2SeqBatch {
  /** `[B, S]` int32. */
  src: tf.Tensor2D;
  srcLengths: Int32Array;
  /** `[B, T]` int32: each row is the target tokens followed by `eos`, then `padId`. */
  tgt: tf.Tensor2D;
  /** Length of each target row counting its `eos`. */
  tgtLengths: Int32Array;
}

/** Options of {@link Seq2Seq.loss}. */
export interface LossOptions {
  /**
   * Probability of feeding the ground-truth previous token at each decoder step (per token,
   * per row); otherwise the model's own argmax prediction is fed (scheduled sampling).
   * @default 1 — plain teacher forcing.
   */
  teacherForcingRatio?: number;
  /**
   * Draws the scheduled-sampling coin flips (used only when the ratio is < 1).
   * @default the model's own generator, registered as `sampling` (seeded from the model's
   *   `seed`), so `model.rngStates()` saves it with a checkpoint and a resumed run draws the same
   *   flips; a generator passed here is the caller's to save.
   */
  rng?: Rng;
  /** Label smoothing of the cross-entropy. @default 0 */
  labelSmoothing?: number;
}

/** Options of {@link Seq2Seq.generate}. */
export interface GenerateOptions {
  /** Maximum number of generated tokens per row, counting `eos`. */
  maxLength: number;
  /** @default 'greedy' */
  strategy?: 'greedy' | 'beam' | 'sample';
  /**
   * Beam-search options (`beamWidth` default 4, `lengthPenalty` default 1, …; see
   * {@link BeamSearchOptions}). The number of hypotheses returned is `nBest`, not set here.
   */
  beam?: Omit<BeamSearchOptions, 'bosId' | 'eosId' | 'maxLength' | 'batchSize' | 'nBest'>;
  /**
   * Return the `nBest` best hypotheses of each row (`Hypothesis[][]`) instead of the best one
   * (`Hypothesis[]`); beam search only, `1 ≤ nBest ≤ beam.beamWidth`. Each row's list is sorted
   * by length-normalized score (best first) and may be shorter when fewer distinct sequences
   * exist.
   * @default undefined — one hypothesis per row, so existing callers keep a flat array.
   */
  nBest?: number;
  /** Sampling seed. @default 0 */
  seed?: number;
  /** Sampling temperature. @default 1 */
  temperature?: number;
  /** Sampling top-k (0 = off). @default 0 */
  topK?: number;
  /** Sampling top-p (1 = off). @default 1 */
  topP?: number;
}

export class Seq2Seq extends Module {
  readonly encoder: Encoder;
  readonly decoder: Decoder;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly attentionType: AttentionType;
  /** The default scheduled-sampling generator (registered as `sampling`). */
  private readonly samplingRng: Rng;

  constructor(opts: Seq2SeqOptions) {
    super();
    const E = opts.embeddingDim ?? 64;
    const H = opts.hiddenSize ?? 128;
    const L = opts.numLayers ?? 1;
    const cell = opts.cell ?? 'gru';
    const seed = opts.seed ?? 0;
    this.bosId = opts.bosId;
    this.eosId = opts.eosId;
    this.padId = opts.padId;
    this.attentionType = opts.attention ?? 'luong';
    // Registered, so Module.rngStates() saves the scheduled-sampling coin flips' stream.
    this.samplingRng = this.registerRng('sampling', new Rng(seed + 200));
    for (const [k, v] of [
      ['bosId', opts.bosId],
      ['eosId', opts.eosId],
      ['padId', opts.padId],
    ] as const) {
      if (!Number.isInteger(v) || v < 0 || v >= opts.tgtVocabSize)
        throw new Error(`Seq2Seq: ${k} = ${v} outside [0, tgtVocabSize = ${opts.tgtVocabSize})`);
    }
    if (opts.inputFeeding && this.attentionType !== 'luong') {
      throw new Error(`Seq2Seq: inputFeeding = true needs attention = 'luong' (got '${this.attentionType}')`);
    }
    this.encoder = this.addModule(
      'encoder',
      new Encoder({
        vocabSize: opts.srcVocabSize,
        embeddingDim: E,
        hiddenSize: H,
        numLayers: L,
        cell,
        bidirectional: opts.bidirectional ?? false,
        bridge: opts.bridge ?? 'sum',
        dropout: opts.dropout ?? 0,
        paddingIdx: opts.srcPadId ?? opts.padId,
        seed,
      }),
    );
    const dOpts = {
      vocabSize: opts.tgtVocabSize,
      embeddingDim: E,
      hiddenSize: H,
      numLayers: L,
      cell,
      paddingIdx: opts.padId,
      seed: seed + 100,
    };
    this.decoder = this.addModule(
      'decoder',
      this.attentionType === 'luong'
        ? new LuongDecoder({ ...dOpts, score: opts.score ?? 'general', inputFeeding: opts.inputFeeding ?? false })
        : this.attentionType === 'bahdanau'
          ? new BahdanauDecoder(dOpts)
          : new PlainDecoder(dOpts),
    );
  }

  /** Encodes a source batch and returns the decoder's first state (owned by the caller). */
  initState(src: tf.Tensor2D, srcLengths: Int32Array): DecoderState {
    const enc = this.encoder.forward(src, srcLengths);
    try {
      return this.decoder.initState(enc);
    } finally {
      tf.dispose([enc.outputs, enc.mask, ...enc.state.h, ...(enc.state.c ?? [])]);
    }
  }

  /**
   * Decoder logits for every target position `[B, T, V]`, feeding the ground truth (teacher
   * forcing) or, with probability `1 − teacherForcingRatio` per token, the model's argmax.
   */
  forwardTeacher(batch: Seq2SeqBatch, opts: LossOptions = {}): tf.Tensor3D {
    const ratio = opts.teacherForcingRatio ?? 1;
    if (!(ratio >= 0 && ratio <= 1)) throw new Error(`Seq2Seq.loss: teacherForcingRatio = ${ratio} must be in [0, 1]`);
    const rng = opts.rng ?? this.samplingRng;
    const [B, T] = batch.tgt.shape;
    if (batch.src.shape[0] !== B) throw new Error(`Seq2Seq.loss: src has ${batch.src.shape[0]} rows, tgt has ${B}`);
    // Coin flips drawn up front on the CPU (seeded), one per (row, step ≥ 1).
    const useTruth = new Float32Array(B * T).fill(1);
    if (ratio < 1) for (let i = 0; i < B * T; i++) useTruth[i] = rng.uniform() < ratio ? 1 : 0;
    return tidy(() => {
      let state = this.initState(batch.src, batch.srcLengths);
      if (ratio >= 1) {
        // Plain and Luong decoders run all teacher-forced steps at once (same result as stepping).
        const inputs = tf.concat(
          [tf.fill([B, 1], this.bosId, 'int32'), tf.slice(batch.tgt, [0, 0], [B, T - 1])],
          1,
        ) as tf.Tensor2D;
        const par = this.decoder.teacherForced(state, inputs);
        if (par) return par.logits;
      }
      const cols = unstack(batch.tgt, 1) as tf.Tensor1D[]; // T × [B]
      const truthMask = unstack(tf.tensor2d(useTruth, [B, T]), 1);
      const logits: tf.Tensor2D[] = [];
      let input: tf.Tensor1D = tf.fill([B], this.bosId, 'int32') as tf.Tensor1D;
      for (let t = 0; t < T; t++) {
        const out = this.decoder.step(state, input);
        logits.push(out.logits);
        state = out.state;
        if (t + 1 < T) {
          if (ratio >= 1) input = cols[t];
          else {
            const pred = tf.cast(tf.argMax(out.logits, 1), 'int32') as tf.Tensor1D; // no gradient through the choice
            input = tf.where(tf.cast(truthMask[t + 1], 'bool'), cols[t], pred) as tf.Tensor1D;
          }
        }
      }
      return tf.stack(logits, 1) as tf.Tensor3D; // [B, T, V]
    });
  }

  /** Mean cross-entropy over the real target tokens (each row's tokens and its `eos`). */
  loss(batch: Seq2SeqBatch, opts: LossOptions = {}): tf.Scalar {
    const [B, T] = batch.tgt.shape;
    for (let b = 0; b < B; b++) {
      if (!(batch.tgtLengths[b] >= 1 && batch.tgtLengths[b] <= T)) {
        throw new Error(`Seq2Seq.loss: tgtLengths[${b}] = ${batch.tgtLengths[b]} outside [1, T = ${T}]`);
      }
    }
    return tidy(() => {
      const logits = this.forwardTeacher(batch, opts);
      const mask = tf.cast(
        tf.less(tf.expandDims(tf.range(0, T, 1, 'int32'), 0), tf.tensor2d(batch.tgtLengths, [B, 1], 'int32')),
        'float32',
      );
      return maskedCrossEntropy(logits, batch.tgt, mask, opts.labelSmoothing ?? 0);
    });
  }

  /** The step function the decoding strategies drive (tokens in, logits and attention out). */
  stepFn(): StepFn<DecoderState> {
    return (state, tokens) => {
      const t = tf.tensor1d(tokens, 'int32');
      try {
        const out = this.decoder.step(state, t);
        return out.attention
          ? { logits: out.logits, state: out.state, attention: out.attention }
          : { logits: out.logits, state: out.state };
      } finally {
        t.dispose();
      }
    };
  }

  /**
   * Decodes a source batch with `strategy` `'greedy'` (default), `'beam'` or `'sample'` and
   * returns the best hypothesis of each row — or, with `strategy: 'beam'` and `nBest`, the
   * `nBest` best of each row (`Hypothesis[][]`, best first by length-normalized score).
   */
  generate(src: tf.Tensor2D, srcLengths: Int32Array, opts: GenerateOptions & { nBest?: undefined }): Hypothesis[];
  generate(
    src: tf.Tensor2D,
    srcLengths: Int32Array,
    opts: GenerateOptions & { strategy: 'beam'; nBest: number },
  ): Hypothesis[][];
  generate(
    src: tf.Tensor2D,
    srcLengths: Int32Array,
    opts: GenerateOptions & { nBest?: number },
  ): Hypothesis[] | Hypothesis[][] {
    const strategy = opts.strategy ?? 'greedy';
    if (opts.nBest !== undefined) {
      if (strategy !== 'beam')
        throw new Error(`Seq2Seq.generate: nBest = ${opts.nBest} needs strategy 'beam' (got '${strategy}')`);
      const K = opts.beam?.beamWidth ?? 4;
      if (!Number.isInteger(opts.nBest) || opts.nBest < 1 || opts.nBest > K) {
        throw new Error(`Seq2Seq.generate: nBest = ${opts.nBest} must be an integer in [1, beam.beamWidth = ${K}]`);
      }
    }
    const wasTraining = this.training;
    this.eval();
    const state = this.initState(src, srcLengths);
    try {
      const common = { bosId: this.bosId, eosId: this.eosId, maxLength: opts.maxLength, batchSize: src.shape[0] };
      if (strategy === 'beam') {
        const res = beamSearch(this.stepFn(), state, { ...common, ...opts.beam, nBest: opts.nBest ?? 1 });
        return opts.nBest !== undefined ? res : res.map((h) => h[0]);
      }
      if (strategy === 'sample') {
        return sampleDecode(this.stepFn(), state, {
          ...common,
          seed: opts.seed ?? 0,
          ...(opts.temperature !== undefined ? { temperature: opts.temperature } : {}),
          ...(opts.topK !== undefined ? { topK: opts.topK } : {}),
          ...(opts.topP !== undefined ? { topP: opts.topP } : {}),
        });
      }
      return greedyDecode(this.stepFn(), state, common);
    } finally {
      tf.dispose(stateTensors(state));
      this.train(wasTraining);
    }
  }
}

function stateTensors(s: DecoderState): tf.Tensor[] {
  const extra = [s.memory, s.keys, s.mask, s.hTilde].filter((t): t is tf.Tensor => t !== undefined);
  return [...s.h, ...(s.c ?? []), ...extra];
}
