/**
 * @wordloom/seq2seq — encoder-decoder glue for RNNs with attention, teacher forcing,
 * scheduled sampling, and decoding: greedy, beam, top-k/top-p sampling.
 * @packageDocumentation
 */
export {
  beamSearch,
  gatherStateRows,
  greedyDecode,
  sampleDecode,
  sampleFromLogits,
  type BeamSearchOptions,
  type DecodeOptions,
  type Hypothesis,
  type SampleOptions,
  type StepFn,
  type StepOutput,
} from './decoding.js';
export {
  constantRatio,
  exponentialDecay,
  inverseSigmoidDecay,
  linearDecay,
  type ExponentialDecayOptions,
  type InverseSigmoidDecayOptions,
  type LinearDecayOptions,
  type TeacherForcingSchedule,
} from './scheduled-sampling.js';
export {
  Encoder,
  type BridgeType,
  type CellType,
  type EncoderOptions,
  type EncoderOutput,
  type RecurrentState,
} from './encoder.js';
export {
  BahdanauDecoder,
  Decoder,
  LuongDecoder,
  PlainDecoder,
  type DecoderOptions,
  type DecoderState,
  type DecoderStepOutput,
  type LuongDecoderOptions,
  type LuongScore,
} from './decoder.js';
export {
  Seq2Seq,
  type AttentionType,
  type GenerateOptions,
  type LossOptions,
  type Seq2SeqBatch,
  type Seq2SeqOptions,
} from './seq2seq.js';
