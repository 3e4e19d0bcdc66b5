"""fastText quality beside gensim 4.2's FastText and the fastText 0.9.2 CLI (offline; not CI).

Run from the repo root after `pnpm --filter @wordloom/embeddings build`:
  /usr/bin/python3 tooling/golden/embeddings/fasttext_quality.py [--tokens 1000000] [--epochs 1,5] [--workers 2] \
      [--seeds 1,2,3] [--only ours,gensim,cli] [--bucket 2000000] [--out fasttext-quality.json]
(--seeds: one run of every model per seed, gensim `seed=`, ours `seed`, the CLI `-seed`; the JSON is
rewritten after every model, so a stopped run keeps what finished.)
Corpus: enwiki-slice made text8-like exactly as tooling/bench/src/benches/embeddings.mjs does
(<doc> lines dropped, lower-cased, runs of non-letters -> one space, one paragraph a line), cut
to the first --tokens tokens. Settings (both ours and gensim): skip-gram, 100-d, window 5,
negative 5, min count 5, sample 1e-3, alpha 0.025 -> 0.0001, minn 3, maxn 6, bucket 2,000,000.
The CLI runs `fasttext skipgram -dim 100 -ws 5 -neg 5 -minCount 5 -minn 3 -maxn 6 -bucket 2000000
-epoch E -thread W` with its own lr (0.05) and sampling (-t 1e-4, its own formula).
Each model is evaluated by the SAME gensim code on its in-vocabulary vectors
(evaluate_word_analogies restrict_vocab 30000, evaluate_word_pairs on WS353), and on Stanford
Rare Words twice: gensim's evaluate_word_pairs (in-vocabulary pairs only) and the Spearman
over ALL pairs with fastText's OOV vectors (rw_all). Ours is written with our writeFastTextBin
and read by gensim's load_facebook_model, so it is evaluated by exactly the same code.
Prints one JSON line per model; writes tooling/golden/embeddings/<--out> (fasttext-quality.json).
"""
import argparse, gzip, json, os, re, resource, subprocess, sys, tempfile, time
import numpy as np
from scipy.stats import spearmanr
from gensim.models import FastText
from gensim.models.fasttext import load_facebook_model
from gensim.models.word2vec import LineSentence

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
DATA = os.environ.get('WORDLOOM_DATA', '/work/shared/data')
ap = argparse.ArgumentParser()
ap.add_argument('--tokens', type=int, default=1_000_000)
ap.add_argument('--epochs', default='1,5')
ap.add_argument('--workers', type=int, default=2)
ap.add_argument('--only', default='ours,gensim,cli')
ap.add_argument('--out', default='fasttext-quality.json')
ap.add_argument('--seeds', default='1', help='comma list: one run of each model per seed (gensim seed=, ours seed, CLI -seed)')
ap.add_argument('--bucket', type=int, default=2_000_000)
ap.add_argument('--label', default='', help='recorded with our rows (e.g. which kernel; EMB_DIST picks another build)')
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix='ft-quality-')
corpus = os.path.join(tmp, 'corpus.txt')
n = 0
with open(corpus, 'w') as f:
    done = False
    for part in ['wiki_AA', 'wiki_AB', 'wiki_AC']:
        with gzip.open(os.path.join(DATA, 'enwiki-slice', part + '.txt.gz'), 'rt', encoding='utf8') as g:
            for line in g:
                if line.startswith('<doc') or line.startswith('</doc'):
                    continue
                t = re.sub(r'[^a-z]+', ' ', line.lower()).strip()
                if not t:
                    continue
                n += len(t.split(' '))
                f.write(t + '\n')
                if n >= a.tokens:
                    done = True
                    break
        if done:
            break
ANA = os.path.join(DATA, 'en-word-eval', 'questions-words.txt')
WS = os.path.join(DATA, 'en-word-eval', 'wordsim353.tsv')
RW = os.path.join(DATA, 'en-word-eval', 'faruqui-word-sim', 'EN-RW-STANFORD.txt')


def evaluate(wv):
    out = {'analogy_accuracy': wv.evaluate_word_analogies(ANA, restrict_vocab=30000)[0],
           'ws353_spearman': float(wv.evaluate_word_pairs(WS)[1][0])}
    rw = wv.evaluate_word_pairs(RW)
    out['rw_spearman_invocab'] = float(rw[1][0])
    out['rw_oov_pct'] = float(rw[2])
    gold, sims = [], []
    for line in open(RW, encoding='utf8'):
        x, y, s = line.rstrip('\n').split('\t')
        vx, vy = wv[x.lower()], wv[y.lower()]
        nx, ny = np.linalg.norm(vx), np.linalg.norm(vy)
        sims.append(float(vx @ vy / (nx * ny)) if nx > 0 and ny > 0 else 0.0)
        gold.append(float(s))
    out['rw_spearman_all'] = float(spearmanr(gold, sims)[0])
    return out


results = []


def save():
    # after every model, so that a run stopped early keeps what finished
    summary = {'tokens': n, 'workers': a.workers, 'bucket': a.bucket, 'seeds': seeds,
               'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'loadavg': os.getloadavg(),
               'results': results}
    with open(os.path.join(ROOT, 'tooling', 'golden', 'embeddings', a.out), 'w') as fo:
        json.dump(summary, fo, indent=1)


def done(res):
    res['loadavg_after'] = os.getloadavg()
    print(json.dumps(res), flush=True)
    results.append(res)
    save()


seeds = [int(s) for s in a.seeds.split(',')]
for E in [int(e) for e in a.epochs.split(',')]:
    for seed in seeds:
        if 'ours' in a.only:
            out_bin = os.path.join(tmp, f'ours-{E}-{seed}.bin')
            r = subprocess.run(['node', os.path.join(ROOT, 'tooling', 'golden', 'embeddings', 'fasttext_train_ours.mjs'),
                                corpus, out_bin, str(E), str(a.workers), str(a.bucket), str(seed)],
                               capture_output=True, text=True, check=True)
            info = json.loads(r.stdout.strip().splitlines()[-1])
            m = load_facebook_model(out_bin)
            done({'model': 'ours', 'label': a.label, 'epochs': E, **info, **evaluate(m.wv)})
            del m
            os.remove(out_bin)
        if 'gensim' in a.only:
            m = FastText(vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, sg=1, alpha=0.025,
                         min_alpha=0.0001, min_n=3, max_n=6, bucket=a.bucket, workers=a.workers, seed=seed, epochs=E)
            s = LineSentence(corpus)
            m.build_vocab(s)
            t = time.time()
            eff, raw = m.train(s, total_examples=m.corpus_count, epochs=E)
            dt = time.time() - t
            done({'model': 'gensim', 'epochs': E, 'seed': seed, 'train_s': dt, 'throughput': eff / dt,
                  'vocab': len(m.wv), **evaluate(m.wv)})
            del m
        if 'cli' in a.only:
            out = os.path.join(tmp, f'cli-{E}-{seed}')
            t = time.time()
            subprocess.run(['fasttext', 'skipgram', '-input', corpus, '-output', out, '-dim', '100', '-ws', '5', '-neg',
                            '5', '-minCount', '5', '-minn', '3', '-maxn', '6', '-bucket', str(a.bucket), '-epoch', str(E),
                            '-thread', str(a.workers), '-seed', str(seed), '-verbose', '0'], check=True)
            dt = time.time() - t
            m = load_facebook_model(out + '.bin')
            done({'model': 'fasttext-cli', 'epochs': E, 'seed': seed, 'wall_s': dt, 'vocab': len(m.wv),
                  **evaluate(m.wv)})
            del m
            for ext in ('.bin', '.vec'):
                os.remove(out + ext)
save()
print(json.dumps(os.getloadavg()))
