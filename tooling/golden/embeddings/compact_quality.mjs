// Compact vectors: size and quality loss vs float32 (offline; not CI). Needs the built package.
// node tooling/golden/embeddings/compact_quality.mjs [tokens=2000000]
// Trains word2vec CBOW (100-d, window 5, negative 5, min count 5, 5 epochs, 2 workers, seed 1)
// on enwiki-slice made text8-like (as the benches), then evaluates the float32 vectors and the
// float16 / int8 files (decoded) on questions-words (restrictVocab 30000) and WS353.
import { createReadStream, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { loadavg } from 'node:os';
import {
  readCompactVectors,
  trainWord2Vec,
  writeCompactVectors,
  writeWord2VecFormat,
} from '../../../packages/embeddings/dist/index.js';

const data = process.env.WORDLOOM_DATA ?? '/work/shared/data';
const max = Number(process.argv[2] ?? 2_000_000);
const sents = [];
let n = 0;
outer: for (const part of ['wiki_AA', 'wiki_AB', 'wiki_AC']) {
  const rl = createInterface({ input: createReadStream(`${data}/enwiki-slice/${part}.txt.gz`).pipe(createGunzip()) });
  for await (const line of rl) {
    if (line.startsWith('<doc') || line.startsWith('</doc')) continue;
    const t = line
      .toLowerCase()
      .replace(/[^a-z]+/g, ' ')
      .trim();
    if (!t) continue;
    const toks = t.split(' ');
    n += toks.length;
    sents.push(toks);
    if (n >= max) break outer;
  }
}
const { wv } = await trainWord2Vec(sents, {
  vectorSize: 100,
  minCount: 5,
  epochs: 5,
  workers: 2,
  seed: 1,
  computeLoss: false,
});
const evalKv = (kv) => ({
  analogy_accuracy: kv.evaluateAnalogies({ path: `${data}/en-word-eval/questions-words.txt` }, { restrictVocab: 30000 })
    .accuracy,
  ws353_spearman: kv.evaluateWordPairs({ path: `${data}/en-word-eval/wordsim353.tsv` }).spearman,
});
const rows = [
  { format: 'float32 (word2vec binary)', bytes: writeWord2VecFormat(wv, { binary: true }).length, ...evalKv(wv) },
];
for (const dtype of ['float16', 'int8']) {
  const bytes = writeCompactVectors(wv, { dtype });
  rows.push({ format: dtype, bytes: bytes.length, ...evalKv(readCompactVectors(bytes).toKeyedVectors()) });
}
const out = { tokens: n, vocab: wv.size, date: new Date().toISOString(), loadavg: loadavg(), rows };
writeFileSync(new URL('./compact-quality.json', import.meta.url), `${JSON.stringify(out, null, 1)}\n`);
console.log(JSON.stringify(out));
