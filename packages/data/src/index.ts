/**
 * @wordloom/data — Datasets, DataLoader, samplers and padded collation for NLP batches.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
