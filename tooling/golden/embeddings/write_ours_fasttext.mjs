// Writes packages/embeddings/test/fixtures/ft-ours.bin: a small fastText model trained by OUR
// trainer (skip-gram, dim 8, bucket 4000, minn 2, maxn 4, 1 thread, seed 1) on the committed
// NSMC excerpt, saved by OUR writeFastTextBin. make_fasttext_fixtures.py then records what the
// fastText CLI (print-word-vectors) and gensim (load_facebook_model) read from it into
// ft-reads-ours.json, which src/fasttext.test.ts compares with our own reading.
// Run (repo root): pnpm --filter @wordloom/embeddings build && node tooling/golden/embeddings/write_ours_fasttext.mjs
import { writeFileSync } from 'node:fs';
import { trainFastText, writeFastTextBin } from '../../../packages/embeddings/dist/index.js';

const fix = new URL('../../../packages/embeddings/test/fixtures/', import.meta.url);
const r = await trainFastText(new URL('nsmc.excerpt.txt', fix).pathname, {
  sg: true,
  vectorSize: 8,
  minCount: 3,
  epochs: 2,
  bucket: 4000,
  minn: 2,
  maxn: 4,
  seed: 1,
});
writeFileSync(new URL('ft-ours.bin', fix), writeFastTextBin(r.wv, r));
console.log(`ft-ours.bin: ${r.vocab.size} words`);
