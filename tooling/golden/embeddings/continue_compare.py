"""Continued training beside gensim 4.2 (offline; not CI): how far old words move.

Run from the repo root after `pnpm --filter @wordloom/embeddings build`:
  /usr/bin/python3 tooling/golden/embeddings/continue_compare.py [--tokens 300000]
Corpus: enwiki-slice made text8-like (as the benches), the first --tokens tokens as text A and
the next --tokens as text B. Skip-gram, 100-d, window 5, negative 5, min count 5, sample 1e-3,
5 epochs, 2 workers, seed 1 (fastText: minn 3, maxn 6, bucket 200,000). Train on A, then
gensim: build_vocab(B, update=True) + train(B, total_examples=corpus_count, epochs=5);
ours: continueWord2Vec / continueFastText(first, B). Reported: words added, and the mean cosine
between each old word's vector before and after (in-vocabulary vectors; fastText: word + n-grams).
Writes tooling/golden/embeddings/continue-compare.json.
"""
import argparse, gzip, json, os, re, subprocess, tempfile, time
import numpy as np
from gensim.models import FastText, Word2Vec
from gensim.models.word2vec import LineSentence

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
DATA = os.environ.get('WORDLOOM_DATA', '/work/shared/data')
ap = argparse.ArgumentParser()
ap.add_argument('--tokens', type=int, default=300_000)
a = ap.parse_args()
tmp = tempfile.mkdtemp(prefix='continue-')
A, B = os.path.join(tmp, 'a.txt'), os.path.join(tmp, 'b.txt')
n = 0
fa, fb = open(A, 'w'), open(B, 'w')
with gzip.open(os.path.join(DATA, 'enwiki-slice', 'wiki_AA.txt.gz'), 'rt', encoding='utf8') as g:
    for line in g:
        if line.startswith('<doc') or line.startswith('</doc'):
            continue
        t = re.sub(r'[^a-z]+', ' ', line.lower()).strip()
        if not t:
            continue
        (fa if n < a.tokens else fb).write(t + '\n')
        n += len(t.split(' '))
        if n >= 2 * a.tokens:
            break
fa.close(); fb.close()

def mean_cos(before, after):
    nb = before / np.linalg.norm(before, axis=1, keepdims=True)
    na = after / np.linalg.norm(after, axis=1, keepdims=True)
    return float(np.mean(np.sum(nb * na, axis=1)))

out = {'tokensEach': a.tokens, 'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}
for method in ['w2v', 'fasttext']:
    kw = dict(vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, sg=1, workers=2, seed=1, epochs=5)
    m = Word2Vec(**kw) if method == 'w2v' else FastText(min_n=3, max_n=6, bucket=200000, **kw)
    m.build_vocab(LineSentence(A))
    m.train(LineSentence(A), total_examples=m.corpus_count, epochs=5)
    V0 = len(m.wv)
    before = m.wv.vectors[:V0].copy()
    m.build_vocab(LineSentence(B), update=True)
    m.train(LineSentence(B), total_examples=m.corpus_count, epochs=5)
    g = {'newWords': len(m.wv) - V0, 'vocabBefore': V0, 'vocabAfter': len(m.wv),
         'meanCosOld': mean_cos(before, m.wv.vectors[:V0])}
    r = subprocess.run(['node', os.path.join(ROOT, 'tooling', 'golden', 'embeddings', 'continue_ours.mjs'), method, A, B],
                       capture_output=True, text=True, check=True)
    ours = json.loads(r.stdout.strip().splitlines()[-1])
    out[method] = {'gensim': g, 'ours': ours}
    print(method, json.dumps(out[method]), flush=True)
out['loadavg'] = os.getloadavg()
with open(os.path.join(ROOT, 'tooling', 'golden', 'embeddings', 'continue-compare.json'), 'w') as f:
    json.dump(out, f, indent=1)
