// `pnpm generate` for @wordloom/rnn: compiles src/internal/lstm-simd.wat to the committed
// src/internal/lstm-simd-wasm.ts (see tooling/scripts/compile-wat.mjs; `--out <dir>` as there).
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileWatModules } from '../../../tooling/scripts/compile-wat.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
await compileWatModules({
  packageDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  script: 'packages/rnn/scripts/generate.mjs',
  modules: [['lstm-simd.wat', 'lstm-simd-wasm.ts', 'LSTM_SIMD_WASM_BASE64']],
  features: { simd: true },
  out: values.out,
});
