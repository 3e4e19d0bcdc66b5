/**
 * @wordloom/attention — Attention: dot, general, concat, additive, scaled dot-product, multi-head; masks; weights out.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
