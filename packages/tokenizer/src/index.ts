/**
 * @wordloom/tokenizer — Tokenizers: normalizers, pre-tokenizers, BPE/WordPiece/word/char models, trainers, special tokens, padding/truncation, tokenizer.json I/O.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
