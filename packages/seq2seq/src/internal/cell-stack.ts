/**
 * A stack of GRU/LSTM cells from `@wordloom/rnn`, stepped one time step at a time (what a
 * decoder needs: its input at step t depends on its output at step t−1). Registered as a list,
 * so parameters are named `rnn.0.weight_ih`, `rnn.0.weight_hh`, … (PyTorch `nn.GRUCell` leaves
 * in an `nn.ModuleList`).
 */
import * as tf from '@tensorflow/tfjs-core';
import { Module, tidy } from '@wordloom/core';
import { GRU, GRUCell, LSTM, LSTMCell } from '@wordloom/rnn';
import { unstack } from './unstack.js';

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

export class CellStack extends Module {
  readonly numLayers: number;
  readonly kind: 'gru' | 'lstm';
  readonly cells: Array<GRUCell | LSTMCell> = [];

  constructor(opts: CellStackOptions) {
    super();
    this.numLayers = opts.numLayers;
    this.kind = opts.cell;
    for (let l = 0; l < opts.numLayers; l++) {
      const o = {
        inputSize: l === 0 ? opts.inputSize : opts.hiddenSize,
        hiddenSize: opts.hiddenSize,
        seed: opts.seed + 7919 * l,
      };
      this.cells.push(this.addModule(`${l}`, opts.cell === 'lstm' ? new LSTMCell(o) : new GRUCell(o)));
    }
  }

  /** One step through every layer: x `[B, D]` and the state per layer → the new state per layer. */
  step(x: tf.Tensor2D, state: StackState): StackState {
    const h: tf.Tensor2D[] = [];
    const c: tf.Tensor2D[] = [];
    let input = x;
    for (let l = 0; l < this.numLayers; l++) {
      const cell = this.cells[l];
      if (cell instanceof LSTMCell) {
        const out = cell.forward(input, { h: state.h[l], c: state.c![l] });
        h.push(out.h);
        c.push(out.c);
        input = out.h;
      } else {
        input = cell.forward(input, state.h[l]);
        h.push(input);
      }
    }
    return this.kind === 'lstm' ? { h, c } : { h };
  }
}

/**
 * The same interface over a sequence layer (`GRU`/`LSTM` from `@wordloom/rnn`, registered by
 * the decoder as its `rnn` child, PyTorch names `weight_ih_l0`, …): a step runs a length-1
 * sequence, and {@link LayerStack.sequence} runs all steps at once with the fused kernels —
 * possible whenever the RNN input at step t does not depend on step t's attention (plain and
 * Luong decoders under teacher forcing, not Bahdanau's).
 */
export class LayerStack {
  readonly numLayers: number;
  readonly kind: 'gru' | 'lstm';
  constructor(readonly layer: GRU | LSTM) {
    this.numLayers = layer.numLayers;
    this.kind = layer instanceof LSTM ? 'lstm' : 'gru';
  }

  private initial(state: StackState): { h: tf.Tensor3D; c?: tf.Tensor3D } {
    const h = tf.stack(state.h) as tf.Tensor3D;
    return this.kind === 'lstm' ? { h, c: tf.stack(state.c!) as tf.Tensor3D } : { h };
  }

  /** All steps at once: x `[B, T, D]` → outputs `[B, T, H]` of the top layer and the final state. */
  sequence(x: tf.Tensor3D, state: StackState): { outputs: tf.Tensor3D; state: StackState } {
    return tidy(() => {
      const out = this.layer.forward(x, { initialState: this.initial(state) });
      const h = unstack<tf.Tensor2D>(out.state.h);
      const s: StackState = this.kind === 'lstm' ? { h, c: unstack<tf.Tensor2D>(out.state.c!) } : { h };
      return { outputs: out.outputs, state: s };
    });
  }

  /** One step: x `[B, D]` → the new state per layer. */
  step(x: tf.Tensor2D, state: StackState): StackState {
    return this.sequence(tf.expandDims(x, 1) as tf.Tensor3D, state).state;
  }
}

/** Makes the GRU/LSTM sequence layer that a {@link LayerStack} steps. */
export function makeLayer(opts: CellStackOptions): GRU | LSTM {
  const o = { inputSize: opts.inputSize, hiddenSize: opts.hiddenSize, numLayers: opts.numLayers, seed: opts.seed };
  return opts.cell === 'lstm' ? new LSTM(o) : new GRU(o);
}
