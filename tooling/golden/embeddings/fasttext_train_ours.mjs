// Trains our fastText (skip-gram, the settings of fasttext_quality.py) on a corpus file and
// writes a fastText .bin with our writer; prints one JSON line of stats. Needs the built package
// (or another build of it: EMB_DIST=/abs/path/to/dist/index.js, e.g. to compare two kernels).
// node tooling/golden/embeddings/fasttext_train_ours.mjs <corpus> <out.bin> <epochs> <workers> [bucket = 2000000] [seed = 1]
const dist = process.env.EMB_DIST ?? '../../../packages/embeddings/dist/index.js';
const { saveFastTextBin, trainFastText } = await import(dist);

const [corpus, out, epochs, workers, bucket = '2000000', seed = '1'] = process.argv.slice(2);
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
  seed: Number(seed),
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
    seed: Number(seed),
    dist,
  }),
);
