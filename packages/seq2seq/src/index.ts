/**
 * @wordloom/seq2seq — Encoder-decoder glue for RNNs with attention, teacher forcing, scheduled sampling, greedy/beam/top-k/top-p decoding.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
