/**
 * @wordloom/transformer — positional encodings (sinusoidal, learned, RoPE), PyTorch-compatible
 * encoder/decoder layers and stacks, `nn.Transformer`, and complete models: an encoder–decoder
 * for seq2seq, a GPT-style LM with a KV cache, and an encoder classifier.
 * @packageDocumentation
 */
export {
  sinusoidalEncoding,
  SinusoidalPositionalEncoding,
  LearnedPositionalEncoding,
  RotaryEmbedding,
} from './positional.js';
export {
  TransformerEncoderLayer,
  type TransformerEncoderLayerOptions,
  type EncoderLayerCallOptions,
  type EncoderLayerResult,
} from './encoder-layer.js';
export {
  TransformerDecoderLayer,
  type TransformerDecoderLayerOptions,
  type DecoderLayerCallOptions,
  type DecoderLayerResult,
} from './decoder-layer.js';
export {
  TransformerEncoder,
  TransformerDecoder,
  Transformer,
  type TransformerStackOptions,
  type EncoderCallOptions,
  type EncoderResult,
  type DecoderCallOptions,
  type DecoderResult,
  type TransformerOptions,
  type TransformerCallOptions,
} from './transformer.js';
export type { KV, Activation } from './internal/feed-forward.js';
export { disposeState, type TokenIds } from './internal/util.js';
export { setFusedLayerNorm } from './internal/fused-layer-norm.js';
export { TransformerLM, type TransformerLMOptions, type LMState, type LMResult } from './lm.js';
export {
  Seq2SeqTransformer,
  type Seq2SeqTransformerOptions,
  type Seq2SeqState,
  type SourceOptions,
} from './seq2seq-transformer.js';
export { TransformerClassifier, type TransformerClassifierOptions } from './classifier.js';
