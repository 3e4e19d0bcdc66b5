/** What defines a `classify nsmc` run (a `--resume` must ask for the same), and the command's name. */
export const COMMAND = 'classify nsmc';
/** What the derived training split must be called (see ../shared/data/README.md). */
export const NSMC_TRAIN_NAME = 'NSMC-raw derived train (seed 20150101)';

export interface ClassifyConfig {
  model: 'bilstm' | 'transformer';
  vocabSize: number;
  embeddingDim: number;
  /** BiLSTM hidden size per direction / transformer feed-forward size is 4·embeddingDim. */
  hiddenSize: number;
  numLayers: number;
  nhead: number;
  pooling: 'max' | 'mean' | 'last';
  /** Reviews are cut to this many tokens. */
  maxLen: number;
  batchSize: number;
  dropout: number;
  lr: number;
  weightDecay: number;
  warmup: number;
  clip: number;
  epochs: number;
  /** Optimizer steps (0 = planned from --time-budget, else epochs). */
  maxSteps: number;
  /** Use only the first N training reviews (0 = all). */
  maxTrain: number;
  /** Use only the first N test reviews (0 = all 50,000). */
  maxTest: number;
  /** Training reviews held out to watch progress (taken from the training split, never the test set). */
  devSize: number;
  seed: number;
  /** --tokenizer: 'bpe' or 'unigram' (trained on the training reviews with vocabSize), or a tokenizer.json path. */
  tokenizer: string;
  /** Initialise the BiLSTM's embedding with word2vec trained on the unlabeled raw reviews (test reviews left out). */
  pretrain: 'none' | 'word2vec';
  /** word2vec epochs over the raw reviews. */
  pretrainEpochs: number;
}
