/**
 * @wordloom/tokenizer — Tokenizers: normalizers, pre-tokenizers, BPE/WordPiece/word/char
 * models, trainers, special tokens, padding/truncation, tokenizer.json I/O.
 *
 * Exports are listed by name (no `export *`): helpers used between modules stay private.
 * @packageDocumentation
 */
export { NormalizedString } from './normalized-string.js';
export {
  BertNormalizer,
  Lowercase,
  NormalizerSequence,
  Prepend,
  Replace,
  Strip,
  StripAccents,
  UnicodeNormalizer,
  normalizers,
  type BertNormalizerOptions,
  type Normalizer,
  type ReplaceOptions,
  type StripOptions,
  type UnicodeForm,
} from './normalizers.js';
export {
  BertPreTokenizer,
  ByteLevel,
  Digits,
  GPT2_PATTERN,
  Metaspace,
  PreTokenizerSequence,
  Punctuation,
  Split,
  Whitespace,
  WhitespaceSplit,
  preTokenizers,
  type ByteLevelOptions,
  type DigitsOptions,
  type MetaspaceOptions,
  type PreTokenizer,
  type PrependScheme,
  type PunctuationOptions,
  type SplitBehavior,
  type SplitOptions,
} from './pre-tokenizers.js';
export { UnsafePatternError, UnsupportedPatternError, translateHfPattern } from './hf-regex.js';
export type { Model, ModelSampleOptions, ModelToken } from './model.js';
export { VocabError } from './model.js';
export { BPE, charLevel, type BpeOptions, type CharLevelOptions } from './bpe.js';
export { WordPiece, type WordPieceOptions } from './wordpiece.js';
export { WordLevel, type WordLevelOptions } from './word-level.js';
export { Jamo, composeJamo, decomposeJamo, type JamoOptions } from './jamo.js';
export {
  trainUnigram,
  type UnigramTrainProgress,
  type UnigramTrainerOptions,
  type UnigramTrainingResult,
} from './unigram-trainer.js';
export { PieceType, Unigram, type UnigramOptions, type UnigramSampleOptions } from './unigram.js';
export { SentencePieceChar, SentencePieceWord, type SentencePieceWordCharOptions } from './spm-word-char.js';
export {
  Precompiled,
  SentencePieceNormalizer,
  parseSentencePieceModel,
  readSentencePieceModel,
  sentencePieceToTokenizerJson,
  type SentencePieceLayout,
  type SentencePieceModelProto,
  type SentencePieceNormalizerOptions,
} from './sentencepiece.js';
export { writeSentencePieceModel } from './sentencepiece-writer.js';
export {
  BertProcessing,
  ByteLevelProcessing,
  PostProcessorSequence,
  RobertaProcessing,
  TemplateProcessing,
  parseTemplate,
  postProcessors,
  type ByteLevelProcessingOptions,
  type PostProcessor,
  type RobertaProcessingOptions,
  type SpecialTokenSpec,
  type TemplateOptions,
  type TemplatePiece,
} from './post-processors.js';
export {
  BPEDecoder,
  ByteFallbackDecoder,
  ByteLevelDecoder,
  DecoderSequence,
  FuseDecoder,
  MetaspaceDecoder,
  ReplaceDecoder,
  StripDecoder,
  WordPieceDecoder,
  decoders,
  type Decoder,
  type MetaspaceDecoderOptions,
  type WordPieceDecoderOptions,
} from './decoders.js';
export { AddedVocabulary, type AddedToken, type AddedTokenOptions, type AllowedSpecial } from './added-vocabulary.js';
export type { Encoding, TruncationDirection, TruncationOptions, TruncationStrategy } from './encoding.js';
export {
  SPECIAL_TOKEN_ROLES,
  Tokenizer,
  type BatchEncoding,
  type DecodeOptions,
  type EncodeBatchOptions,
  type EncodeInput,
  type EncodeOptions,
  type Padding,
  type SamplingOptions,
  type SpecialTokenRole,
  type SpecialTokens,
  type TokenizerOptions,
} from './tokenizer.js';
export {
  fromBertVocab,
  fromGpt2Files,
  fromTokenizerJson,
  readTokenizerFile,
  toTokenizerJson,
  writeTokenizerFile,
  type BertVocabOptions,
  type Gpt2FilesOptions,
  type ToJsonOptions,
} from './tokenizer-json.js';
export { fromTiktoken, type TiktokenOptions } from './tiktoken.js';
export { byteLevelAlphabet } from './internal/byte-level.js';
export { countWords, corpusSequences, fileLines, type Corpus, type CountWordsOptions } from './corpus.js';
export {
  trainBpe,
  trainBpeFromCounts,
  trainWordPiece,
  trainWordPieceFromCounts,
  type BpeTrainerOptions,
  type BpeTrainingResult,
  type TrainBpeOptions,
  type TrainProgress,
  type TrainWordPieceOptions,
  type WordPieceTrainerOptions,
  type WordPieceTrainingResult,
} from './bpe-trainer.js';
