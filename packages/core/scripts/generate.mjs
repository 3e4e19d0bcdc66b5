// `pnpm generate` for @wordloom/core: everything generated in this package.
//   1. src/internal/tfjs-gradients.ts from tfjs-core's gradient definitions (gen-gradients.mjs);
//   2. src/internal/matmul-simd-wasm.ts from src/internal/matmul-simd.wat (the module's bytes as
//      base64), compiled with wabt from npm (a pinned devDependency, so the bytes are the same on
//      every machine);
//   3. src/internal/fused-ops-wasm.ts from src/internal/fused-ops.wat (transpose and dropout
//      kernels run on tfjs-backend-wasm's heap, fused-ops.ts), the same way;
//   4. src/internal/matmul-simd-shared-wasm.ts: the same .wat with a shared memory import, for the
//      intra-op pool's threads (compile-wat.mjs's `shared` option).
// `--out <dir>` writes into <dir> as if it were the package root (<dir>/src/internal/…): the
// staleness test in tooling/scripts/generated.test.ts regenerates into a temporary directory
// and compares bytes.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileWatModules } from '../../../tooling/scripts/compile-wat.mjs';

await import('./gen-gradients.mjs');

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = 'packages/core/scripts/generate.mjs';
const features = { simd: true, bulk_memory: true };
await compileWatModules({
  packageDir,
  script,
  modules: [
    ['matmul-simd.wat', 'matmul-simd-wasm.ts', 'MATMUL_SIMD_WASM_BASE64'],
    ['fused-ops.wat', 'fused-ops-wasm.ts', 'FUSED_OPS_WASM_BASE64'],
  ],
  features,
  out: values.out,
});
await compileWatModules({
  shared: true,
  packageDir,
  script,
  modules: [['matmul-simd.wat', 'matmul-simd-shared-wasm.ts', 'MATMUL_SIMD_SHARED_WASM_BASE64']],
  features,
  out: values.out,
});
