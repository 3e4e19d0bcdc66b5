/**
 * @wordloom/rnn — RNN, LSTM and GRU with PyTorch semantics: stacked, bidirectional, ragged (packed) batches, truncated BPTT.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
