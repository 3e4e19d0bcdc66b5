// Compiles src/internal/{w2v,linalg,glove}-simd.wat to the committed src/internal/*-simd-wasm.ts
// (the module's bytes as base64) with tooling/scripts/compile-wat.mjs, which uses wabt from npm (a
// pinned devDependency, so the bytes are the same on every machine).
//
// Run: pnpm generate (all packages) or pnpm --filter @wordloom/embeddings generate.
// `--out <dir>` writes into <dir> as if it were the package root (<dir>/src/internal/…): the
// staleness test in tooling/scripts/generated.test.ts regenerates into a temporary directory
// and compares bytes.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { compileWatModules } from '../../../tooling/scripts/compile-wat.mjs';

const { values } = parseArgs({ options: { out: { type: 'string' } } });
await compileWatModules({
  packageDir: join(dirname(fileURLToPath(import.meta.url)), '..'),
  script: 'packages/embeddings/scripts/gen-wasm.mjs',
  modules: [
    ['w2v-simd.wat', 'w2v-simd-wasm.ts', 'W2V_SIMD_WASM_BASE64'],
    ['linalg-simd.wat', 'linalg-simd-wasm.ts', 'LINALG_SIMD_WASM_BASE64'],
    ['glove-simd.wat', 'glove-simd-wasm.ts', 'GLOVE_SIMD_WASM_BASE64'],
  ],
  features: { simd: true, threads: true },
  out: values.out,
});
