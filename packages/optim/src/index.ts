/**
 * @wordloom/optim — Optimizers as composable gradient transformations, clipping and learning-rate schedules, keyed by parameter name.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
