/**
 * @wordloom/embeddings — word2vec (CBOW, skip-gram), fastText (subword vectors, .bin), GloVe,
 * PPMI+SVD, KeyedVectors, continued training, compact (float16 / int8) vectors,
 * evaluation, word2vec text/binary formats.
 * @packageDocumentation
 */
export { readSentences, buildVocab, encodeCorpus, subsampleThresholds, negativeCumTable, Vocab } from './corpus.js';
export type { CorpusSource, ReadCorpusOptions, VocabOptions, EncodeCorpusOptions, EncodedCorpus } from './corpus.js';
export { trainWord2Vec, continueWord2Vec, huffmanTree, sigmoidTables, unigramTable } from './word2vec.js';
export type { Word2VecOptions, Word2VecResult, TrainProgress, ContinueWord2VecOptions } from './word2vec.js';
export { KeyedVectors, pearson, spearman } from './keyed-vectors.js';
export type {
  Neighbour,
  Term,
  MostSimilarOptions,
  EvalSource,
  EvaluateAnalogiesOptions,
  AnalogySection,
  AnalogyResult,
  EvaluateWordPairsOptions,
  WordPairsResult,
} from './keyed-vectors.js';
export {
  readWord2VecFormat,
  writeWord2VecFormat,
  loadWord2VecFormat,
  saveWord2VecFormat,
  formatFloat32,
} from './formats.js';
export type { ReadWord2VecOptions, WriteWord2VecOptions } from './formats.js';
export { Cooccurrence, countCooccurrences } from './cooccurrence.js';
export type { Csr, CooccurrenceOptions } from './cooccurrence.js';
export { ppmiMatrix, trainPpmiSvd } from './ppmi.js';
export type { PpmiOptions, PpmiSvdOptions } from './ppmi.js';
export { randomizedSvd, csrMatmul, csrTMatmul, orthonormalizeColumns, symmetricEigen, pca2d } from './svd.js';
export type { RandomizedSvdOptions, TruncatedSvd } from './svd.js';
export { trainGlove } from './glove.js';
export type { GloveOptions, GloveProgress } from './glove.js';
export { ftHash, fastTextNgrams, fastTextNgramHashes, FastTextKeyedVectors, SubwordKeyedVectors } from './fasttext.js';
export type { NgramOptions, FastTextKeyedVectorsInit } from './fasttext.js';
export {
  readFastTextBin,
  writeFastTextBin,
  loadFastTextBin,
  saveFastTextBin,
  writeFastTextVec,
} from './fasttext-format.js';
export type {
  FastTextArgs,
  FastTextLoss,
  FastTextModelName,
  FastTextModel,
  ReadFastTextOptions,
  WriteFastTextOptions,
} from './fasttext-format.js';
export { trainFastText, continueFastText } from './fasttext-train.js';
export type { FastTextOptions, FastTextResult, ContinueOptions } from './fasttext-train.js';
export {
  CompactKeyedVectors,
  CompactFastTextKeyedVectors,
  writeCompactVectors,
  readCompactVectors,
  saveCompactVectors,
  loadCompactVectors,
  toFloat16Bits,
  fromFloat16Bits,
  writeCompactFastText,
  readCompactFastText,
} from './compact.js';
export type { CompactDtype, WriteCompactOptions } from './compact.js';
