/**
 * Counts inner-loop steps of the BPE merge so a test can check that encoding scales
 * near-linearly by counting work instead of timing it (timings flake on a shared machine).
 */
export const workCounter = { count: 0 };
