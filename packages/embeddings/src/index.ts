/**
 * @wordloom/embeddings — Word embeddings: word2vec (CBOW, skip-gram), GloVe, PPMI+SVD, KeyedVectors, evaluation, word2vec formats.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
