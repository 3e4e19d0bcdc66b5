/**
 * A GRU/LSTM stack from `@wordloom/rnn`, stepped one time step at a time (what a decoder needs:
 * its input at step t depends on its output at step t−1). Each step runs the sequence layer on
 * a length-1 sequence with the carried state as `initialState`; parameter names are PyTorch's
 * `nn.GRU`/`nn.LSTM` ones (`weight_ih_l0`, `weight_hh_l0`, …), so a torch decoder RNN loads.
 */
import * as tf from '@tensorflow/tfjs-core';
import { unstack } from './unstack.js';
import { GRU, LSTM } from '@wordloom/rnn';

export interface CellStackOptions {
  cell: 'gru' | 'lstm';
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  seed: number;
}

/** Per-layer state, each `[B, H]`. */
export interface StackState {
  h: tf.Tensor2D[];
  c?: tf.Tensor2D[];
}

/** Makes the GRU/LSTM layer; the decoder registers it as its `rnn` child. */
export function makeRecurrent(opts: CellStackOptions): GRU | LSTM {
  const o = { inputSize: opts.inputSize, hiddenSize: opts.hiddenSize, numLayers: opts.numLayers, seed: opts.seed };
  return opts.cell === 'lstm' ? new LSTM(o) : new GRU(o);
}

/** Steps a GRU/LSTM stack one time step at a time (not a Module: it borrows the layer). */
export class CellStack {
  readonly numLayers: number;
  readonly kind: 'gru' | 'lstm';

  constructor(readonly rnn: GRU | LSTM) {
    this.numLayers = rnn.numLayers;
    this.kind = rnn instanceof LSTM ? 'lstm' : 'gru';
  }

  /** One step through every layer: x `[B, D]` and the state per layer → the new state per layer. */
  step(x: tf.Tensor2D, state: StackState): StackState {
    return tf.tidy(() => {
      const initialState =
        this.kind === 'lstm'
          ? { h: tf.stack(state.h) as tf.Tensor3D, c: tf.stack(state.c!) as tf.Tensor3D }
          : { h: tf.stack(state.h) as tf.Tensor3D };
      const out = this.rnn.forward(tf.expandDims(x, 1), { initialState }); // x as a length-1 sequence
      const h = unstack(out.state.h) as tf.Tensor2D[];
      if (this.kind === 'lstm') return { h, c: unstack(out.state.c!) as tf.Tensor2D[] };
      return { h };
    });
  }
}
