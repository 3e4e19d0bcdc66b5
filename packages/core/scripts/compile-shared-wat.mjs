// The shared-memory copies of hand-written .wat kernels, for the intra-op pool: now
// `compileWatModules({ ..., shared: true })` of tooling/scripts/compile-wat.mjs, the one .wat
// compiler (see there). This name stays for the generate scripts that import it (core's and rnn's).
import { compileWatModules } from '../../../tooling/scripts/compile-wat.mjs';

/**
 * @param {{ packageDir: string, script: string, modules: [wat: string, ts: string, constName: string][],
 *   features: Record<string, boolean>, out?: string }} o
 */
export function compileSharedWatModules(o) {
  return compileWatModules({ ...o, shared: true });
}
