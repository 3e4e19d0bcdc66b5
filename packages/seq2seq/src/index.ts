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
