import { defineConfig } from 'vite';
import { cpSync, mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * The pretrained tokenizers the playground offers, from the tokenizer package's fixtures (GPT-2 and
 * BERT tokenizer.json, and a sentencepiece Unigram `.model` trained by spm_train on NSMC, CC0).
 */
function copyTokenizers() {
  return {
    name: 'wordloom-copy-tokenizers',
    buildStart() {
      const fixtures = path.resolve(import.meta.dirname, '../../../packages/tokenizer/test/fixtures');
      const out = path.resolve(import.meta.dirname, 'public/tokenizers');
      mkdirSync(out, { recursive: true });
      for (const f of [
        'gpt2-tokenizer.json.gz',
        'bert-base-uncased-tokenizer.json.gz',
        'sentencepiece/ko-unigram.model',
      ]) {
        cpSync(path.join(fixtures, f), path.join(out, path.basename(f)));
      }
    },
  };
}

const shim = path.resolve(import.meta.dirname, 'src/node-shim.ts');
const nodeBuiltins = [
  'fs',
  'fs/promises',
  'zlib',
  'readline',
  'worker_threads',
  'os',
  'path',
  'url',
  'module',
  'child_process',
];

/**
 * Cross-origin isolation (SharedArrayBuffer, which the "Train here" page's data-parallel replicas share):
 * every resource here is same-origin, so `require-corp` costs nothing.
 */
const isolation = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export default defineConfig({
  base: './',
  plugins: [copyTokenizers()],
  resolve: {
    // The packages' TypeScript sources (their `@wordloom/source` export condition): one
    // toolchain for dev and build, and no stale dist/ between workspace packages.
    conditions: ['@wordloom/source'],
    alias: nodeBuiltins.flatMap((m) => [
      { find: new RegExp(`^node:${m}$`), replacement: shim },
      { find: new RegExp(`^${m}$`), replacement: shim },
    ]),
  },
  build: { target: 'es2022', outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 4096 },
  worker: { format: 'es' },
  server: { host: '127.0.0.1', headers: isolation },
  preview: { host: '127.0.0.1', headers: isolation },
});
