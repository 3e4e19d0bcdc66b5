// Continued training, ours: train on <a>, continue on <b> (settings of continue_compare.py);
// prints { newWords, vocabBefore, vocabAfter, meanCosOld } as one JSON line. Needs the built package.
import {
  continueFastText,
  continueWord2Vec,
  trainFastText,
  trainWord2Vec,
} from '../../../packages/embeddings/dist/index.js';

const [method, a, b] = process.argv.slice(2);
const common = {
  sg: true,
  vectorSize: 100,
  window: 5,
  negative: 5,
  minCount: 5,
  sample: 1e-3,
  epochs: 5,
  workers: 2,
  seed: 1,
};
function meanCos(x, y, rows, D) {
  let sum = 0;
  for (let w = 0; w < rows; w++) {
    let s = 0,
      nx = 0,
      ny = 0;
    for (let k = 0; k < D; k++) {
      const p = x[w * D + k],
        q = y[w * D + k];
      s += p * q;
      nx += p * p;
      ny += q * q;
    }
    sum += s / Math.sqrt(nx * ny);
  }
  return sum / rows;
}
let first, second, before, after;
if (method === 'w2v') {
  first = await trainWord2Vec(a, common);
  second = await continueWord2Vec(first, b);
  before = first.wv.vectors;
  after = second.wv.vectors;
} else {
  const o = { ...common, minn: 3, maxn: 6, bucket: 200000 };
  first = await trainFastText(a, o);
  second = await continueFastText(first, b);
  before = first.wv.kv.vectors;
  after = second.wv.kv.vectors;
}
console.log(
  JSON.stringify({
    newWords: second.newWords,
    vocabBefore: first.vocab.size,
    vocabAfter: second.vocab.size,
    meanCosOld: meanCos(before, after, first.vocab.size, 100),
  }),
);
