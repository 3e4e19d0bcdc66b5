/**
 * @wordloom/embeddings benchmarks, beside gensim 4.2 / scipy+sklearn in the same run.
 *
 * Corpus (setup, not timed): `enwiki-slice` made text8-like — `<doc>` lines dropped, lower-cased,
 * every run of non-letters a space, one paragraph a line — cut to the first N tokens
 * (N = 2,000,000; 150,000 with --quick; EMB_BENCH_TOKENS overrides). Korean: the `review`
 * texts of `nsmc-raw` (whitespace tokens, one review a line; 200,000 reviews, 5,000 with --quick;
 * EMB_BENCH_KO_REVIEWS overrides). Both sides read the same file.
 *
 * Settings as the issue: 100-d, window 5, negative 5, min count 5, sample 1e-3, epochs 5
 * (2 with --quick); alpha 0.025 → 0.0001 (gensim's defaults for both sg and CBOW).
 *
 * Metrics
 * - throughput: effective words per second of training, as gensim reports. Both sides count the
 *   same words: in-vocabulary tokens kept by subsampling, summed over epochs (gensim: the first
 *   value `train()` returns; ours: `stats.effectiveWords`; on a 1 M-token slice, 5 epochs, they
 *   were 3,512,013 vs 3,512,964). Raw counts differ (gensim's includes words under min_count,
 *   ours does not) and are not used. Clocks: gensim `train()`'s wall time, which includes
 *   streaming the file (LineSentence, on its producer thread, overlapped with training); ours
 *   `stats.seconds` on a corpus encoded in memory beforehand, including worker start-up
 *   (50-90 ms).
 * - throughput_cpu: effective words per CPU-second of training (all threads of the process:
 *   `process.cpuUsage` / Python's `time.process_time`). Less sensitive than throughput to other
 *   processes on a shared machine, where 2 workers often get about one core between them.
 * - analogy_accuracy: questions-words.txt, restrictVocab 30,000, gensim semantics (ours is
 *   verified equal to gensim's on committed vectors in the unit tests).
 * - ws353_spearman: wordsim353.tsv, gensim `evaluate_word_pairs`.
 * - peak_rss: MB, each side in its own process (ours through ctx.measureChild; gensim's
 *   ru_maxrss), covering reading, training and evaluation.
 * - wall: seconds from reading the corpus file to vectors (GloVe: read + count + train; PPMI:
 *   read + count + PPMI + SVD), evaluation excluded — the peer's clock covers the same steps.
 */
import { createReadStream, createWriteStream, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';

const tokensWanted = (ctx) => Number(process.env.EMB_BENCH_TOKENS ?? (ctx.quick ? 150_000 : 2_000_000));
const koReviewsWanted = (ctx) => Number(process.env.EMB_BENCH_KO_REVIEWS ?? (ctx.quick ? 30_000 : 200_000));
const epochsFor = (ctx) => (ctx.quick ? 2 : 5);

function lines(file) {
  return createInterface({ input: createReadStream(file).pipe(createGunzip()), crlfDelay: Infinity });
}

async function writeLines(out, gen) {
  const ws = createWriteStream(out);
  for await (const l of gen) if (!ws.write(`${l}\n`)) await new Promise((r) => ws.once('drain', r));
  await new Promise((r) => ws.end(r));
}

async function prepareEnglish(ctx, dir) {
  const max = tokensWanted(ctx);
  const out = path.join(dir, `enwiki-${max}.txt`);
  let n = 0;
  async function* gen() {
    for (const part of ['wiki_AA', 'wiki_AB', 'wiki_AC']) {
      for await (const line of lines(ctx.data(`enwiki-slice/${part}.txt.gz`))) {
        if (line.startsWith('<doc') || line.startsWith('</doc')) continue;
        const t = line
          .toLowerCase()
          .replace(/[^a-z]+/g, ' ')
          .trim();
        if (!t) continue;
        n += t.split(' ').length;
        yield t;
        if (n >= max) return;
      }
    }
  }
  await writeLines(out, gen());
  ctx.log(`embeddings: enwiki-slice text8-like, ${n} tokens -> ${out}`);
  return out;
}

async function prepareKorean(ctx, dir) {
  const max = koReviewsWanted(ctx);
  const out = path.join(dir, `nsmc-raw-${max}.txt`);
  let n = 0;
  let toks = 0;
  async function* gen() {
    for await (const line of lines(ctx.data('nsmc-raw/nsmc_raw_reviews.jsonl.gz'))) {
      const t = JSON.parse(line).review.split(/\s+/u).filter(Boolean).join(' ');
      if (!t) continue;
      toks += t.split(' ').length;
      yield t;
      if (++n >= max) return;
    }
  }
  await writeLines(out, gen());
  ctx.log(`embeddings: nsmc-raw ${n} reviews, ${toks} whitespace tokens -> ${out}`);
  return out;
}

const GENSIM_SCRIPT = String.raw`
import json, resource, sys, time
args = json.loads(sys.argv[1])
from gensim.models import Word2Vec
from gensim.models.word2vec import LineSentence
o = args['opts']
m = Word2Vec(vector_size=o['vectorSize'], window=o['window'], min_count=o['minCount'], sample=o['sample'],
             negative=o['negative'], hs=int(o.get('hs', False)), sg=int(o['sg']), cbow_mean=int(o.get('cbowMean', True)),
             alpha=o['alpha'], min_alpha=o['minAlpha'], workers=o['workers'], seed=o['seed'], epochs=o['epochs'])
sentences = LineSentence(args['corpus'])
m.build_vocab(sentences)
t = time.time()
c = time.process_time()
eff, raw = m.train(sentences, total_examples=m.corpus_count, epochs=m.epochs)
dt = time.time() - t
cpu = time.process_time() - c
out = {'throughput': eff / dt, 'throughput_cpu': eff / cpu, 'train_s': dt, 'cpu_s': cpu, 'effective_words': eff, 'vocab': len(m.wv)}
if args.get('analogies'):
    out['analogy_accuracy'] = m.wv.evaluate_word_analogies(args['analogies'], restrict_vocab=args['restrictVocab'])[0]
if args.get('pairs'):
    try:
        out['ws353_spearman'] = float(m.wv.evaluate_word_pairs(args['pairs'], delimiter=args.get('pairsDelimiter', '\t'))[1][0])
    except ValueError:  # every pair out of vocabulary (tiny --quick corpora)
        out['ws353_spearman'] = None
out['peak_rss'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
`;

// gensim FastText with the settings of embeddings.fasttext.sg (minn 3, maxn 6, bucket 2,000,000)
const GENSIM_FT_SCRIPT = String.raw`
import json, resource, sys, time
args = json.loads(sys.argv[1])
from gensim.models import FastText
from gensim.models.word2vec import LineSentence
o = args['opts']
t0 = time.time()
m = FastText(vector_size=o['vectorSize'], window=o['window'], min_count=o['minCount'], sample=o['sample'],
             negative=o['negative'], sg=int(o['sg']), alpha=o['alpha'], min_alpha=o['minAlpha'], workers=o['workers'],
             seed=o['seed'], epochs=o['epochs'], min_n=o['minn'], max_n=o['maxn'], bucket=o['bucket'])
sentences = LineSentence(args['corpus'])
m.build_vocab(sentences)
t = time.time()
c = time.process_time()
eff, raw = m.train(sentences, total_examples=m.corpus_count, epochs=m.epochs)
dt = time.time() - t
cpu = time.process_time() - c
out = {'throughput': eff / dt, 'throughput_cpu': eff / cpu, 'train_s': dt, 'wall': time.time() - t0, 'effective_words': eff, 'vocab': len(m.wv)}
out['analogy_accuracy'] = m.wv.evaluate_word_analogies(args['analogies'], restrict_vocab=args['restrictVocab'])[0]
try:
    out['ws353_spearman'] = float(m.wv.evaluate_word_pairs(args['pairs'])[1][0])
except ValueError:
    out['ws353_spearman'] = None
out['peak_rss'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
`;

// the fastText 0.9.2 CLI (Debian fasttext) on the same corpus and settings; its wall time covers
// reading the corpus, training and writing model.bin + model.vec (it cannot skip the save); peak
// RSS is the CLI process's own; the vectors are evaluated by gensim after it exits. Its words/s
// count differently (fastText counts every token incl. </s>), so only wall time is compared.
const CLI_FT_SCRIPT = String.raw`
import json, os, resource, subprocess, sys, tempfile, time
args = json.loads(sys.argv[1]); o = args['opts']
d = tempfile.mkdtemp(prefix='ft-cli-')
out_base = os.path.join(d, 'model')
t = time.time()
subprocess.run(['fasttext', 'skipgram' if o['sg'] else 'cbow', '-input', args['corpus'], '-output', out_base,
                '-dim', str(o['vectorSize']), '-ws', str(o['window']), '-neg', str(o['negative']), '-minCount', str(o['minCount']),
                '-minn', str(o['minn']), '-maxn', str(o['maxn']), '-bucket', str(o['bucket']), '-epoch', str(o['epochs']),
                '-lr', str(2 * o['alpha']), '-thread', str(o['workers']), '-verbose', '0'], check=True)
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
from gensim.models.fasttext import load_facebook_vectors
wv = load_facebook_vectors(out_base + '.bin')
res = {'wall': wall, 'peak_rss': rss, 'vocab': len(wv)}
res['analogy_accuracy'] = wv.evaluate_word_analogies(args['analogies'], restrict_vocab=args['restrictVocab'])[0]
try:
    res['ws353_spearman'] = float(wv.evaluate_word_pairs(args['pairs'])[1][0])
except ValueError:
    res['ws353_spearman'] = None
for ext in ('.bin', '.vec'):
    os.remove(out_base + ext)
os.rmdir(d)
print(json.dumps(res))
`;

// scipy/sklearn pipeline doing what trainPpmiSvd does: min count 5, window 5 uniform counts
// (symmetric), PPMI with context smoothing 0.75, randomized SVD (sklearn, n_iter 4,
// oversamples 10), vectors U * S^0.5; evaluated with gensim's KeyedVectors.
const PPMI_SCRIPT = String.raw`
import json, resource, sys, time
from collections import Counter
import numpy as np, scipy.sparse as sp
from sklearn.utils.extmath import randomized_svd
from gensim.models import KeyedVectors
args = json.loads(sys.argv[1]); o = args['opts']
t = time.time()
sents = [l.split() for l in open(args['corpus'], encoding='utf8')]
cnt = Counter(w for s in sents for w in s)
vocab = [w for w, c in sorted(cnt.items(), key=lambda x: -x[1]) if c >= o['minCount']]
index = {w: i for i, w in enumerate(vocab)}
ids, sid = [], []
for k, s in enumerate(sents):
    for w in s:
        i = index.get(w)
        if i is not None:
            ids.append(i); sid.append(k)
ids = np.array(ids, dtype=np.int64); sid = np.array(sid, dtype=np.int64)
V = len(vocab); rows, cols = [], []
for d in range(1, o['window'] + 1):
    same = sid[:-d] == sid[d:]
    rows.append(ids[:-d][same]); cols.append(ids[d:][same])
r = np.concatenate(rows); c = np.concatenate(cols)
X = sp.coo_matrix((np.ones(len(r)), (r, c)), shape=(V, V)).tocsr()
X = (X + X.T).tocsr()
rs = np.asarray(X.sum(axis=1)).ravel(); cs = np.asarray(X.sum(axis=0)).ravel()
cp = cs ** 0.75; z = cp.sum()
X = X.tocoo()
v = np.log(X.data * z / (rs[X.row] * cp[X.col]))
keep = v > 0
M = sp.csr_matrix((v[keep], (X.row[keep], X.col[keep])), shape=(V, V))
U, S, VT = randomized_svd(M, n_components=o['vectorSize'], n_oversamples=10, n_iter=4, random_state=0)
W = (U * S ** 0.5).astype(np.float32)
dt = time.time() - t
kv = KeyedVectors(o['vectorSize']); kv.add_vectors(vocab, W)
out = {'wall': dt, 'nnz': int(M.nnz)}
out['analogy_accuracy'] = kv.evaluate_word_analogies(args['analogies'], restrict_vocab=args['restrictVocab'])[0]
out['ws353_spearman'] = float(kv.evaluate_word_pairs(args['pairs'])[1][0])
out['peak_rss'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
`;

const CHILD = (ctx) => path.join(ctx.repoRoot, 'packages/embeddings/bench/train-child.mjs');

function w2vOpts(ctx, extra) {
  return {
    vectorSize: 100,
    window: 5,
    minCount: 5,
    sample: 1e-3,
    negative: 5,
    alpha: 0.025,
    minAlpha: 0.0001,
    epochs: epochsFor(ctx),
    seed: 1,
    computeLoss: false,
    ...extra,
  };
}

async function setupCommon(ctx, korean) {
  const dir = mkdtempSync(path.join(tmpdir(), 'wl-emb-bench-'));
  const gensimPy = path.join(dir, 'gensim_w2v.py');
  writeFileSync(gensimPy, GENSIM_SCRIPT);
  const ppmiPy = path.join(dir, 'ppmi_svd.py');
  writeFileSync(ppmiPy, PPMI_SCRIPT);
  const gensimFtPy = path.join(dir, 'gensim_ft.py');
  writeFileSync(gensimFtPy, GENSIM_FT_SCRIPT);
  const cliFtPy = path.join(dir, 'cli_ft.py');
  writeFileSync(cliFtPy, CLI_FT_SCRIPT);
  const corpus = korean ? await prepareKorean(ctx, dir) : await prepareEnglish(ctx, dir);
  const evalArgs = korean
    ? {
        analogies: ctx.data('ko-word-eval/park2018/word_analogy_korean.txt'),
        pairs: ctx.data('ko-word-eval/park2018/WS353_korean.csv'),
        pairsDelimiter: ',',
        restrictVocab: 30000,
      }
    : {
        analogies: ctx.data('en-word-eval/questions-words.txt'),
        pairs: ctx.data('en-word-eval/wordsim353.tsv'),
        restrictVocab: 30000,
      };
  return { dir, corpus, gensimPy, ppmiPy, gensimFtPy, cliFtPy, evalArgs };
}

async function oursChild(ctx, state, algo, opts) {
  const { result, peakRssMB } = await ctx.measureChild(CHILD(ctx), [
    { algo, corpus: state.corpus, opts, ...state.evalArgs },
  ]);
  ctx.log(`embeddings ours ${algo}: ${JSON.stringify(result)} peakRss ${peakRssMB.toFixed(0)} MB`);
  return { ...result, peak_rss: peakRssMB };
}

function gensimPeer(opts) {
  return {
    name: 'gensim',
    warmup: 0,
    async available(ctx) {
      return (await ctx.pythonHas(['gensim'])) || 'python3-gensim not installed';
    },
    async run(state, ctx) {
      const r = await ctx.python(state.gensimPy, [
        JSON.stringify({ corpus: state.corpus, opts: opts(ctx), ...state.evalArgs }),
      ]);
      ctx.log(`embeddings gensim: ${JSON.stringify(r)}`);
      return r;
    },
  };
}

function w2vBench(name, description, extra, { korean = false } = {}) {
  const opts = (ctx) => w2vOpts(ctx, extra);
  const rename = (r) =>
    korean
      ? {
          throughput: r.throughput,
          throughput_cpu: r.throughput_cpu,
          ko_analogy_accuracy: r.analogy_accuracy,
          ko_ws353_spearman: r.ws353_spearman,
          peak_rss: r.peak_rss,
        }
      : {
          throughput: r.throughput,
          throughput_cpu: r.throughput_cpu,
          analogy_accuracy: r.analogy_accuracy,
          ws353_spearman: r.ws353_spearman,
          peak_rss: r.peak_rss,
        };
  const peer = gensimPeer(opts);
  return {
    name,
    description,
    units: korean
      ? {
          throughput: 'words/s',
          throughput_cpu: 'words/CPU-s',
          ko_analogy_accuracy: 'fraction',
          ko_ws353_spearman: 'rho',
          peak_rss: 'MB',
        }
      : {
          throughput: 'words/s',
          throughput_cpu: 'words/CPU-s',
          analogy_accuracy: 'fraction',
          ws353_spearman: 'rho',
          peak_rss: 'MB',
        },
    higherIsBetter: korean
      ? { throughput: true, throughput_cpu: true, ko_analogy_accuracy: true, ko_ws353_spearman: true, peak_rss: false }
      : { throughput: true, throughput_cpu: true, analogy_accuracy: true, ws353_spearman: true, peak_rss: false },
    warmup: 0,
    runs: 3,
    setup: (ctx) => setupCommon(ctx, korean),
    async ours(state, ctx) {
      return rename(await oursChild(ctx, state, 'w2v', opts(ctx)));
    },
    peers: [{ ...peer, run: async (state, ctx) => rename(await peer.run(state, ctx)) }],
    async teardown(state) {
      if (state?.dir && existsSync(state.dir)) rmSync(state.dir, { recursive: true, force: true });
    },
  };
}

/**
 * fastText skip-gram (100-d, window 5, negative 5, min count 5, sample 1e-3, minn 3, maxn 6,
 * bucket 2,000,000, 5 epochs; 2 threads) on the enwiki-slice corpus of the w2v benches.
 * Metrics: throughput (effective words/s, ours vs gensim; the CLI counts differently and reports
 * none), wall (ours: encode + train; gensim: build_vocab + train; CLI: its whole process incl.
 * writing the model), quality, peak RSS. The CLI runs with -lr 2·alpha (0.05, its default
 * rate, which its per-thread decay expects) and its own subsampling (-t 1e-4, another formula).
 */
function fastTextBench() {
  const opts = (ctx) => ({ ...w2vOpts(ctx, { sg: true, workers: 2 }), minn: 3, maxn: 6, bucket: 2_000_000 });
  // the CLI reports no throughput (it counts words differently): the metric is left out for it
  const pick = (r) => ({
    ...(typeof r.throughput === 'number' ? { throughput: r.throughput } : {}),
    wall: r.wall,
    analogy_accuracy: r.analogy_accuracy,
    ws353_spearman: r.ws353_spearman,
    peak_rss: r.peak_rss,
  });
  return {
    name: 'embeddings.fasttext.sg',
    description:
      'fastText skip-gram (100-d, window 5, negative 5, sample 1e-3, n-grams 3-6, 2M buckets), 2 threads, enwiki-slice text8-like; peers gensim FastText workers=2 and the fasttext CLI -thread 2',
    units: { throughput: 'words/s', wall: 's', analogy_accuracy: 'fraction', ws353_spearman: 'rho', peak_rss: 'MB' },
    higherIsBetter: { throughput: true, wall: false, analogy_accuracy: true, ws353_spearman: true, peak_rss: false },
    warmup: 0,
    runs: 3,
    setup: (ctx) => setupCommon(ctx, false),
    async ours(state, ctx) {
      const r = await oursChild(ctx, state, 'fasttext', opts(ctx));
      return pick({ ...r, wall: r.encode_s + r.train_s });
    },
    peers: [
      {
        name: 'gensim',
        warmup: 0,
        async available(ctx) {
          return (await ctx.pythonHas(['gensim'])) || 'python3-gensim not installed';
        },
        async run(state, ctx) {
          const r = await ctx.python(state.gensimFtPy, [
            JSON.stringify({ corpus: state.corpus, opts: opts(ctx), ...state.evalArgs }),
          ]);
          ctx.log(`embeddings gensim FastText: ${JSON.stringify(r)}`);
          return pick(r);
        },
      },
      {
        name: 'fasttext',
        warmup: 0,
        async available(ctx) {
          if (!(await ctx.pythonHas(['gensim']))) return 'python3-gensim not installed (evaluates the CLI vectors)';
          const { spawnSync } = await import('node:child_process');
          return spawnSync('fasttext', [], { stdio: 'ignore' }).error === undefined || 'fasttext CLI not installed';
        },
        async run(state, ctx) {
          const r = await ctx.python(state.cliFtPy, [
            JSON.stringify({ corpus: state.corpus, opts: opts(ctx), ...state.evalArgs }),
          ]);
          ctx.log(`embeddings fasttext CLI: ${JSON.stringify(r)}`);
          return pick(r);
        },
      },
    ],
    async teardown(state) {
      if (state?.dir && existsSync(state.dir)) rmSync(state.dir, { recursive: true, force: true });
    },
  };
}

export default [
  fastTextBench(),
  w2vBench(
    'embeddings.w2v.sg',
    'word2vec skip-gram (100-d, window 5, negative 5, sample 1e-3), 2 threads, on enwiki-slice text8-like; peer gensim workers=2',
    { sg: true, workers: 2 },
  ),
  w2vBench('embeddings.w2v.sg1', 'word2vec skip-gram as embeddings.w2v.sg but 1 thread; peer gensim workers=1', {
    sg: true,
    workers: 1,
  }),
  w2vBench('embeddings.w2v.cbow', 'word2vec CBOW (mean), 2 threads, same corpus/settings; peer gensim workers=2', {
    sg: false,
    workers: 2,
  }),
  w2vBench(
    'embeddings.w2v.ko',
    'word2vec skip-gram on NSMC raw reviews (whitespace tokens), 2 threads; Korean WS353 (Park 2018) and Korean analogies; peer gensim workers=2',
    { sg: true, workers: 2 },
    { korean: true },
  ),
  {
    name: 'embeddings.glove',
    description:
      'GloVe (100-d, window 10, xMax 100, 15 epochs; 2 threads) on the enwiki-slice corpus of the w2v benches: wall (count + train), memory, quality',
    units: { wall: 's', peak_rss: 'MB', analogy_accuracy: 'fraction', ws353_spearman: 'rho' },
    higherIsBetter: { wall: false, peak_rss: false, analogy_accuracy: true, ws353_spearman: true },
    warmup: 0,
    runs: 3,
    setup: (ctx) => setupCommon(ctx, false),
    async ours(state, ctx) {
      const r = await oursChild(ctx, state, 'glove', {
        vectorSize: 100,
        window: 10,
        epochs: ctx.quick ? 3 : 15,
        workers: 2,
        minCount: 5,
      });
      return {
        wall: r.encode_s + r.train_s,
        peak_rss: r.peak_rss,
        analogy_accuracy: r.analogy_accuracy,
        ws353_spearman: r.ws353_spearman,
      };
    },
    peers: [],
    async teardown(state) {
      if (state?.dir && existsSync(state.dir)) rmSync(state.dir, { recursive: true, force: true });
    },
  },
  {
    name: 'embeddings.ppmi_svd',
    description:
      'PPMI (window 5, alpha 0.75) + randomized SVD (100-d, 4 power iterations), U*S^0.5, on the enwiki-slice corpus; peer scipy/sklearn doing the same',
    units: { wall: 's', peak_rss: 'MB', analogy_accuracy: 'fraction', ws353_spearman: 'rho' },
    higherIsBetter: { wall: false, peak_rss: false, analogy_accuracy: true, ws353_spearman: true },
    warmup: 0,
    runs: 3,
    setup: (ctx) => setupCommon(ctx, false),
    async ours(state, ctx) {
      const r = await oursChild(ctx, state, 'ppmi', {
        vectorSize: 100,
        window: 5,
        minCount: 5,
        powerIterations: 4,
        eigenvalueWeighting: 0.5,
      });
      return {
        wall: r.encode_s + r.train_s,
        peak_rss: r.peak_rss,
        analogy_accuracy: r.analogy_accuracy,
        ws353_spearman: r.ws353_spearman,
      };
    },
    peers: [
      {
        name: 'scipy+sklearn',
        warmup: 0,
        async available(ctx) {
          return (
            (await ctx.pythonHas(['scipy', 'sklearn', 'gensim'])) ||
            'python3-scipy / python3-sklearn / python3-gensim missing'
          );
        },
        async run(state, ctx) {
          const r = await ctx.python(state.ppmiPy, [
            JSON.stringify({
              corpus: state.corpus,
              opts: { vectorSize: 100, window: 5, minCount: 5 },
              ...state.evalArgs,
            }),
          ]);
          ctx.log(`embeddings scipy+sklearn: ${JSON.stringify(r)}`);
          return {
            wall: r.wall,
            peak_rss: r.peak_rss,
            analogy_accuracy: r.analogy_accuracy,
            ws353_spearman: r.ws353_spearman,
          };
        },
      },
    ],
    async teardown(state) {
      if (state?.dir && existsSync(state.dir)) rmSync(state.dir, { recursive: true, force: true });
    },
  },
];
