// Writes packages/embeddings/test/fixtures/ours.txt, ours.bin (gensim layout) and ours-c.bin
// (word2vec.c layout: newline after each vector) with OUR writer, from the first 20 rows of
// eval-vectors.txt (written by gensim). formats.test.ts checks that our writer still produces
// exactly these bytes; make_fixtures.py records what gensim reads from them.
// Run from the repo root after `pnpm --filter @wordloom/embeddings build`:
//   node tooling/golden/embeddings/write_ours.mjs && /usr/bin/python3 tooling/golden/embeddings/make_fixtures.py
import { writeFileSync } from 'node:fs';
import { KeyedVectors, loadWord2VecFormat, writeWord2VecFormat } from '../../../packages/embeddings/dist/index.js';

const fix = new URL('../../../packages/embeddings/test/fixtures/', import.meta.url);
const kv = loadWord2VecFormat(new URL('eval-vectors.txt', fix).pathname);
const n = 20;
// include a non-ASCII word to exercise UTF-8
const words = kv.words.slice(0, n - 1).concat(['희망']);
const small = new KeyedVectors({ words, vectors: kv.vectors.slice(0, n * kv.dim), dim: kv.dim });
writeFileSync(new URL('ours.txt', fix), writeWord2VecFormat(small, { binary: false }));
writeFileSync(new URL('ours.bin', fix), writeWord2VecFormat(small, { binary: true }));
writeFileSync(new URL('ours-c.bin', fix), writeWord2VecFormat(small, { binary: true, trailingNewline: true }));
console.log(JSON.stringify({ ok: true, words: n }));
