/**
 * @wordloom/data — Datasets, DataLoader, samplers and padded collation for NLP batches.
 * File-path readers (node:fs + node:zlib) are in the `@wordloom/data/node` subpath.
 * @packageDocumentation
 */
export { concat, filter, fromArray, fromIterable, isDataset, map, randomSplit, subset } from './dataset.js';
export type { Dataset, IterableDataset, RandomSplitOptions } from './dataset.js';
export { padSequences, unpadSequences } from './pad.js';
export type { PadOptions, PaddedSequences, Side, UnpadOptions } from './pad.js';
export { padCollate, seq2seqCollate } from './collate.js';
export type {
  Example,
  MaskDtype,
  PadCollateOptions,
  PaddedBatch,
  PairExample,
  Seq2SeqBatch,
  Seq2SeqCollateOptions,
} from './collate.js';
export { bpttBatches, lmChunkTensors, packCollate, packSequences } from './lm.js';
export type { BpttOptions, LmChunk, PackCollateOptions, PackedBatch, PackedSequences, PackOptions } from './lm.js';
export {
  batchSampler,
  BucketBatchSampler,
  paddingStats,
  permutation,
  RandomSampler,
  SequentialSampler,
  ShardSampler,
  WeightedRandomSampler,
} from './samplers.js';
export type {
  BatchSampler,
  BatchSamplerOptions,
  BucketBatchSamplerOptions,
  PaddingStats,
  RandomSamplerOptions,
  Sampler,
  SamplerStateMethods,
  SequentialSamplerOptions,
  ShardSamplerOptions,
  WeightedRandomSamplerOptions,
} from './samplers.js';
export { DataLoader, DataLoaderStateError } from './loader.js';
export type { DataLoaderOptions, DataLoaderState } from './loader.js';
export { readLines, readNsmc, readRows, readText, splitLines } from './readers.js';
export type {
  ByteSource,
  NsmcData,
  NsmcRow,
  ReadLinesOptions,
  ReadNsmcOptions,
  ReadRowsOptions,
  RowReader,
} from './readers.js';
