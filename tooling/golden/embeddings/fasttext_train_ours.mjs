// Trains our fastText (skip-gram, the settings of fasttext_quality.py) on a corpus file and
// writes a fastText .bin with our writer; prints one JSON line of stats. Needs the built package.
// node tooling/golden/embeddings/fasttext_train_ours.mjs <corpus> <out.bin> <epochs> <workers> [bucket = 2000000]
import { saveFastTextBin, trainFastText } from '../../../packages/embeddings/dist/index.js';

const [corpus, out, epochs, workers, bucket = '2000000'] = process.argv.slice(2);
const t = performance.now();
const r = await trainFastText(corpus, {
  sg: true,
  vectorSize: 100,
  window: 5,
  negative: 5,
  minCount: 5,
  sample: 1e-3,
  alpha: 0.025,
  minAlpha: 0.0001,
  minn: 3,
  maxn: 6,
  bucket: Number(bucket),
  epochs: Number(epochs),
  workers: Number(workers),
  seed: 1,
  computeLoss: false,
});
const wall = (performance.now() - t) / 1000;
saveFastTextBin(r.wv, out, r);
console.log(
  JSON.stringify({
    train_s: r.stats.seconds,
    wall_s: wall,
    throughput: r.stats.wordsPerSec,
    vocab: r.vocab.size,
    effective_words: r.stats.effectiveWords,
  }),
);
