// `pnpm generate` for @wordloom/rnn: compiles src/internal/lstm-simd.wat to the committed
// src/internal/lstm-simd-wasm.ts (see tooling/scripts/compile-wat.mjs; `--out <dir>` as there),
// and to lstm-simd-shared-wasm.ts with a shared memory import, for @wordloom/core's intra-op pool
// (compile-wat.mjs's `shared` option).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileWatModules } from '../../../tooling/scripts/compile-wat.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const script = 'packages/rnn/scripts/generate.mjs';
await compileWatModules({
  packageDir,
  script,
  modules: [['lstm-simd.wat', 'lstm-simd-wasm.ts', 'LSTM_SIMD_WASM_BASE64']],
  features: { simd: true },
  out: values.out,
});
await compileWatModules({
  shared: true,
  packageDir,
  script,
  modules: [['lstm-simd.wat', 'lstm-simd-shared-wasm.ts', 'LSTM_SIMD_SHARED_WASM_BASE64']],
  features: { simd: true },
  out: values.out,
});
