/**
 * @wordloom/rnn — RNN, LSTM and GRU with PyTorch semantics: stacked, bidirectional, ragged
 * (packed) batches, truncated BPTT.
 * @packageDocumentation
 */
export { RNN, LSTM, GRU, RecurrentBase } from './recurrent.js';
export type {
  RecurrentMode,
  RecurrentOptions,
  RNNOptions,
  LSTMOptions,
  GRUOptions,
  RecurrentState,
  RecurrentForwardOptions,
  RecurrentOutput,
} from './recurrent.js';
export { RNNCell, LSTMCell, GRUCell } from './cells.js';
export type { CellOptions, RNNCellOptions, LSTMCellState } from './cells.js';
export { TruncatedBptt } from './tbptt.js';
export type { TruncatedBpttOptions } from './tbptt.js';
