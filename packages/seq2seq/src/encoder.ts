/**
 * The encoder: embedding → (bi)GRU/LSTM stack from `@wordloom/rnn`, and the bridge that turns
 * a bidirectional encoder's two directions into the single-direction size the decoder expects.
 *
 * References: Sutskever et al. 2014 (encoder–decoder); Bahdanau et al. 2015 (bidirectional
 * encoder; decoder initialised from `tanh(W h←)`); the PyTorch seq2seq tutorials (summing the
 * two directions' outputs and states).
 */
import * as tf from '@tensorflow/tfjs-core';
import { unstack } from './internal/unstack.js';
import { Embedding, Linear, Module, tidy } from '@wordloom/core';
import { GRU, LSTM } from '@wordloom/rnn';

/** Recurrent cell type of the encoder and decoder. */
export type CellType = 'gru' | 'lstm';

/**
 * How a bidirectional encoder's two directions are merged for the decoder:
 * `'sum'` adds them (no parameters); `'concat'` concatenates them and applies a learned
 * linear map `2H → H` (followed by `tanh` for the states).
 */
export type BridgeType = 'sum' | 'concat';

/** Options of {@link Encoder}. */
export interface EncoderOptions {
  vocabSize: number;
  embeddingDim: number;
  hiddenSize: number;
  /** @default 1 */
  numLayers?: number;
  /** @default 'gru' — fewer parameters and faster than LSTM, as good on the toy tasks. */
  cell?: CellType;
  /** @default false */
  bidirectional?: boolean;
  /** @default 'sum' — parameter-free. Only used when `bidirectional`. */
  bridge?: BridgeType;
  /** Dropout between stacked layers. @default 0 */
  dropout?: number;
  /** Padding token: its embedding stays zero. @default undefined */
  paddingIdx?: number;
  /** @default 0 */
  seed?: number;
}

/** Decoder-ready recurrent state: one `[B, H]` tensor per layer (and cell states for LSTM). */
export interface RecurrentState {
  h: tf.Tensor2D[];
  c?: tf.Tensor2D[];
}

/** What {@link Encoder.forward} returns (all new tensors, owned by the caller). */
export interface EncoderOutput {
  /** Per-position outputs of the top layer, directions merged: `[B, S, H]`; zero at padding. */
  outputs: tf.Tensor3D;
  /** 1 = real source position: `[B, S]` float32. */
  mask: tf.Tensor2D;
  /** Final state of each layer (each sequence's own last real step), directions merged. */
  state: RecurrentState;
}

export class Encoder extends Module {
  readonly opts: Required<Omit<EncoderOptions, 'paddingIdx'>> & { paddingIdx?: number };
  readonly embedding: Embedding;
  readonly rnn: GRU | LSTM;
  readonly bridgeOutputs?: Linear;
  readonly bridgeH?: Linear;
  readonly bridgeC?: Linear;

  constructor(opts: EncoderOptions) {
    super();
    this.opts = {
      numLayers: 1,
      cell: 'gru',
      bidirectional: false,
      bridge: 'sum',
      dropout: 0,
      seed: 0,
      ...opts,
    };
    const o = this.opts;
    this.embedding = this.addModule(
      'embedding',
      new Embedding({
        numEmbeddings: o.vocabSize,
        embeddingDim: o.embeddingDim,
        seed: o.seed,
        ...(o.paddingIdx !== undefined ? { paddingIdx: o.paddingIdx } : {}),
      }),
    );
    const rnnOpts = {
      inputSize: o.embeddingDim,
      hiddenSize: o.hiddenSize,
      numLayers: o.numLayers,
      bidirectional: o.bidirectional,
      dropout: o.dropout,
      seed: o.seed + 1,
    };
    this.rnn = this.addModule('rnn', o.cell === 'lstm' ? new LSTM(rnnOpts) : new GRU(rnnOpts));
    if (o.bidirectional && o.bridge === 'concat') {
      const H = o.hiddenSize;
      this.bridgeOutputs = this.addModule(
        'bridge_outputs',
        new Linear({ inFeatures: 2 * H, outFeatures: H, seed: o.seed + 2 }),
      );
      this.bridgeH = this.addModule('bridge_h', new Linear({ inFeatures: 2 * H, outFeatures: H, seed: o.seed + 3 }));
      if (o.cell === 'lstm')
        this.bridgeC = this.addModule('bridge_c', new Linear({ inFeatures: 2 * H, outFeatures: H, seed: o.seed + 4 }));
    }
  }

  /**
   * @param ids source token ids `[B, S]` int32 (padded)
   * @param lengths real length of each row (1 ≤ length ≤ S)
   */
  forward(ids: tf.Tensor2D, lengths: Int32Array): EncoderOutput {
    const [B, S] = ids.shape;
    if (lengths.length !== B)
      throw new Error(`Encoder.forward: lengths has ${lengths.length} entries, ids has B = ${B} rows`);
    for (let b = 0; b < B; b++) {
      if (!(lengths[b] >= 1 && lengths[b] <= S))
        throw new Error(`Encoder.forward: lengths[${b}] = ${lengths[b]} outside [1, S = ${S}]`);
    }
    const o = this.opts;
    const H = o.hiddenSize;
    const L = o.numLayers;
    return tidy(() => {
      const x = this.embedding.forward(ids) as tf.Tensor3D; // [B, S, E]
      const { outputs, state } = this.rnn.forward(x, { lengths });
      // state.h: [L·dirs, B, H], PyTorch's layout: index l·dirs + d.
      const mask = tf.cast(
        tf.less(tf.expandDims(tf.range(0, S, 1, 'int32'), 0), tf.tensor2d(lengths, [B, 1], 'int32')),
        'float32',
      ) as tf.Tensor2D;
      if (!o.bidirectional) {
        const h = unstack(state.h, 0) as tf.Tensor2D[];
        const c = state.c ? (unstack(state.c, 0) as tf.Tensor2D[]) : undefined;
        return { outputs: outputs as tf.Tensor3D, mask, state: c ? { h, c } : { h } };
      }
      const merge = (t: tf.Tensor3D, proj: Linear | undefined, act: boolean): tf.Tensor2D[] => {
        const parts = unstack(t, 0) as tf.Tensor2D[];
        const out: tf.Tensor2D[] = [];
        for (let l = 0; l < L; l++) {
          const fwd = parts[2 * l];
          const bwd = parts[2 * l + 1];
          if (!proj) out.push(tf.add(fwd, bwd));
          else {
            const y = proj.forward(tf.concat([fwd, bwd], 1)) as tf.Tensor2D;
            out.push(act ? tf.tanh(y) : y);
          }
        }
        return out;
      };
      const fwdOut = tf.slice(outputs, [0, 0, 0], [B, S, H]);
      const bwdOut = tf.slice(outputs, [0, 0, H], [B, S, H]);
      // Projected outputs keep zeros at padding: a linear map with bias would not, so mask them.
      const merged = this.bridgeOutputs
        ? tf.mul(this.bridgeOutputs.forward(outputs), tf.expandDims(mask, 2))
        : tf.add(fwdOut, bwdOut);
      const h = merge(state.h as tf.Tensor3D, this.bridgeH, true);
      const c = state.c ? merge(state.c as tf.Tensor3D, this.bridgeC, true) : undefined;
      return { outputs: merged as tf.Tensor3D, mask, state: c ? { h, c } : { h } };
    });
  }
}
