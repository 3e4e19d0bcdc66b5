"""Korean fastText quality, ours beside gensim 4.2's FastText on the same input (offline; not CI):
syllable n-grams vs jamo n-grams.

Run from the repo root after `pnpm --filter @wordloom/embeddings build`:
  /usr/bin/python3 tooling/golden/embeddings/ko_fasttext_quality.py [--reviews 100000] [--epochs 5]
Corpus: the first --reviews texts of nsmc-raw (whitespace tokens, one review a line), as the
embeddings.w2v.ko bench; `jamo`: every Hangul syllable written as its initial, medial and final
conjoining jamo (U+1100.., U+1161.., U+11A8..), '-' for an empty final (the Korean embedding
literature's marker), other characters kept. Both sides train on the SAME prepared file (for ours
that is what `wordTransform` would produce; here the text is transformed beforehand so that
gensim sees the identical input). Skip-gram, 100-d, window 5, negative 5, min count 5, sample
1e-3, minn 3, maxn 6, bucket 2,000,000, 2 workers. Evaluation (same gensim code for both; ours
read back from our .bin): Park 2018 Korean analogies (restrict_vocab 30000) and Korean WS353,
with the evaluation words transformed the same way.
Writes tooling/golden/embeddings/ko-fasttext-quality.json.
"""
import argparse, gzip, json, os, subprocess, tempfile, time
from gensim.models import FastText
from gensim.models.fasttext import load_facebook_model
from gensim.models.word2vec import LineSentence

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
DATA = os.environ.get('WORDLOOM_DATA', '/work/shared/data')
ap = argparse.ArgumentParser()
ap.add_argument('--reviews', type=int, default=100_000)
ap.add_argument('--epochs', type=int, default=5)
a = ap.parse_args()


def jamo(word):
    out = []
    for ch in word:
        c = ord(ch) - 0xAC00
        if 0 <= c <= 11171:
            out.append(chr(0x1100 + c // 588) + chr(0x1161 + (c % 588) // 28) + (chr(0x11A7 + c % 28) if c % 28 else '-'))
        else:
            out.append(ch)
    return ''.join(out)


tmp = tempfile.mkdtemp(prefix='ko-ft-')
texts = []
with gzip.open(os.path.join(DATA, 'nsmc-raw', 'nsmc_raw_reviews.jsonl.gz'), 'rt', encoding='utf8') as g:
    for line in g:
        t = ' '.join(json.loads(line)['review'].split())
        if t:
            texts.append(t)
            if len(texts) >= a.reviews:
                break
ANA = os.path.join(DATA, 'ko-word-eval', 'park2018', 'word_analogy_korean.txt')
WS = os.path.join(DATA, 'ko-word-eval', 'park2018', 'WS353_korean.csv')
results = []
for mode in ['syllable', 'jamo']:
    f = (lambda w: w) if mode == 'syllable' else jamo
    corpus = os.path.join(tmp, f'{mode}.txt')
    with open(corpus, 'w', encoding='utf8') as out:
        for t in texts:
            out.write(' '.join(f(w) for w in t.split(' ')) + '\n')
    ana = os.path.join(tmp, f'{mode}-analogy.txt')
    with open(ana, 'w', encoding='utf8') as out:
        for line in open(ANA, encoding='utf8'):
            out.write(line if line.startswith(':') else ' '.join(f(w) for w in line.split()) + '\n')
    ws = os.path.join(tmp, f'{mode}-ws.tsv')
    with open(ws, 'w', encoding='utf8') as out:
        for i, line in enumerate(open(WS, encoding='utf-8-sig')):
            if i == 0:
                continue
            x, y, s = line.strip().split(',')
            out.write(f'{f(x)}\t{f(y)}\t{s}\n')

    def evaluate(wv):
        r = {'ko_analogy_accuracy': wv.evaluate_word_analogies(ana, restrict_vocab=30000)[0]}
        p = wv.evaluate_word_pairs(ws)
        r['ko_ws353_spearman'] = float(p[1][0])
        r['ws_oov_pct'] = float(p[2])
        return r

    out_bin = os.path.join(tmp, f'ours-{mode}.bin')
    p = subprocess.run(['node', os.path.join(ROOT, 'tooling', 'golden', 'embeddings', 'fasttext_train_ours.mjs'),
                        corpus, out_bin, str(a.epochs), '2'], capture_output=True, text=True, check=True)
    info = json.loads(p.stdout.strip().splitlines()[-1])
    res = {'model': 'ours', 'mode': mode, **info, **evaluate(load_facebook_model(out_bin).wv)}
    os.remove(out_bin)
    print(json.dumps(res), flush=True)
    results.append(res)
    m = FastText(vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, sg=1, alpha=0.025, min_alpha=0.0001,
                 min_n=3, max_n=6, bucket=2_000_000, workers=2, seed=1, epochs=a.epochs)
    s = LineSentence(corpus)
    m.build_vocab(s)
    t = time.time()
    eff, raw = m.train(s, total_examples=m.corpus_count, epochs=a.epochs)
    dt = time.time() - t
    res = {'model': 'gensim', 'mode': mode, 'train_s': dt, 'throughput': eff / dt, 'vocab': len(m.wv), **evaluate(m.wv)}
    print(json.dumps(res), flush=True)
    results.append(res)
    del m
summary = {'reviews': len(texts), 'epochs': a.epochs, 'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()),
           'loadavg': os.getloadavg(), 'results': results}
with open(os.path.join(ROOT, 'tooling', 'golden', 'embeddings', 'ko-fasttext-quality.json'), 'w') as fo:
    json.dump(summary, fo, indent=1)
