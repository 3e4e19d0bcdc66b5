/**
 * @wordloom/core — The small nn that tfjs-core lacks: Module and parameters, layers, initializers, losses, masks, seeded RNG, safetensors, backend setup.
 *
 * Not landed yet: this package exports nothing until its issue lands.
 * @packageDocumentation
 */
export {};
