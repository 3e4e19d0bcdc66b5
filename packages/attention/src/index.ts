/**
 * @wordloom/attention — attention as a soft lookup: score functions (dot, general, concat,
 * additive, scaled dot-product), masked softmax, batched `attention()`, PyTorch-compatible
 * multi-head attention, and Luong / Bahdanau attention layers for seq2seq.
 * @packageDocumentation
 */
export { attention, type AttentionOptions, type AttentionResult } from './attention.js';
export {
  AdditiveScore,
  ConcatScore,
  GeneralScore,
  dotScore,
  scaledDotScore,
  resolveScore,
  type AttentionScore,
  type AdditiveScoreOptions,
  type GeneralScoreOptions,
  type ScoreSpec,
} from './scores.js';
export { maskedSoftmax, MASK_NEG, setFusedMaskedSoftmax } from './masked-softmax.js';
export { type Lengths } from './mask.js';
export { Dense } from './internal/dense.js';
export {
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  type MultiHeadAttentionCallOptions,
  type MultiHeadAttentionResult,
} from './multi-head-attention.js';
export {
  LuongAttention,
  type LuongAttentionOptions,
  type LuongAttentionResult,
  type SeqAttentionCallOptions,
} from './luong-attention.js';
export {
  BahdanauAttention,
  type BahdanauAttentionOptions,
  type BahdanauAttentionResult,
} from './bahdanau-attention.js';
