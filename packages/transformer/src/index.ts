/**
 * @wordloom/transformer — Transformer blocks: positional encodings, encoder/decoder layers, encoder-decoder and decoder-only models, KV cache.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
