/**
 * Benchmark child (run by tooling/bench/src/benches/embeddings.mjs through ctx.measureChild,
 * so that its peak RSS is its own): trains on a prepared token file with the BUILT package
 * and evaluates. Not part of the published package (`files` ships dist and src only).
 *
 * args: { algo: 'w2v'|'fasttext'|'glove'|'ppmi', corpus, opts, analogies?, pairs?, pairsDelimiter?, restrictVocab }
 */
import { encodeCorpus, trainFastText, trainGlove, trainPpmiSvd, trainWord2Vec } from '../dist/index.js';

export default async function run(args) {
  const t0 = performance.now();
  const enc = await encodeCorpus(args.corpus, { minCount: args.opts.minCount ?? 5 });
  const tTrain = performance.now();
  let wv;
  let throughput;
  let throughputCpu;
  if (args.algo === 'w2v') {
    const cpu0 = process.cpuUsage(); // all threads of this process: the workers too
    const r = await trainWord2Vec(enc, args.opts);
    const cpu = process.cpuUsage(cpu0);
    wv = r.wv;
    throughput = r.stats.wordsPerSec;
    throughputCpu = r.stats.effectiveWords / ((cpu.user + cpu.system) / 1e6);
  } else if (args.algo === 'fasttext') {
    const cpu0 = process.cpuUsage();
    const r = await trainFastText(enc, args.opts);
    const cpu = process.cpuUsage(cpu0);
    wv = r.wv.kv; // in-vocabulary vectors (word + n-grams), as gensim evaluates FastText
    throughput = r.stats.wordsPerSec;
    throughputCpu = r.stats.effectiveWords / ((cpu.user + cpu.system) / 1e6);
  } else if (args.algo === 'glove') {
    wv = (await trainGlove(enc, args.opts)).wv;
  } else {
    wv = (await trainPpmiSvd(enc, args.opts)).wv;
  }
  const trainSec = (performance.now() - tTrain) / 1000;
  const out = {
    throughput,
    throughput_cpu: throughputCpu,
    encode_s: (tTrain - t0) / 1000,
    train_s: trainSec,
    vocab: enc.vocab.size,
    tokens: enc.ids.length,
  };
  if (args.analogies) {
    out.analogy_accuracy = wv.evaluateAnalogies(
      { path: args.analogies },
      { restrictVocab: args.restrictVocab },
    ).accuracy;
  }
  if (args.pairs) {
    try {
      out.ws353_spearman = wv.evaluateWordPairs(
        { path: args.pairs },
        { delimiter: args.pairsDelimiter ?? '\t' },
      ).spearman;
    } catch (e) {
      // every pair out of vocabulary (tiny --quick corpora): gensim raises the same error
      if (!/no valid similarity judgements/.test(e.message)) throw e;
      out.ws353_spearman = null;
    }
  }
  out.wall_s = (performance.now() - t0) / 1000;
  return out;
}
