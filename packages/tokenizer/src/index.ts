/**
 * @wordloom/tokenizer — Tokenizers: normalizers, pre-tokenizers, BPE/WordPiece/word/char
 * models, trainers, special tokens, padding/truncation, tokenizer.json I/O.
 * @packageDocumentation
 */
export * from './normalized-string.js';
export * from './normalizers.js';
export * from './pre-tokenizers.js';
export * from './model.js';
export * from './bpe.js';
export * from './wordpiece.js';
export * from './word-level.js';
export * from './post-processors.js';
export * from './decoders.js';
export * from './added-vocabulary.js';
export * from './encoding.js';
export * from './tokenizer.js';
export * from './tokenizer-json.js';
export { byteLevelAlphabet } from './internal/byte-level.js';
export * from './corpus.js';
export * from './bpe-trainer.js';
export * from './tiktoken.js';
