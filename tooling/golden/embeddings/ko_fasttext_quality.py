"""Korean fastText quality, ours beside gensim 4.2's FastText on the same input (offline; not CI):
syllable n-grams vs jamo n-grams.

Run from the repo root after `pnpm --filter @wordloom/embeddings build`:
  /usr/bin/python3 tooling/golden/embeddings/ko_fasttext_quality.py [--reviews 0] [--epochs 5] \
      [--bucket 2000000] [--modes syllable,jamo] [--only ours,gensim] [--workers 2] [--seed 1] \
      [--out ko-fasttext-quality.json]
(the JSON is rewritten after every model, so a stopped run keeps what finished; EMB_DIST=…/dist/index.js
trains ours with another build, see fasttext_train_ours.mjs)
Corpus: the first --reviews texts of nsmc-raw (0 = all 712,383 reviews with text; whitespace tokens,
one review a line), as the embeddings.w2v.ko bench; `jamo`: every Hangul syllable written as its
initial, medial and final conjoining jamo (U+1100.., U+1161.., U+11A8..), '-' for an empty final
(the Korean embedding literature's marker), other characters kept. Both sides train on the SAME
prepared file (for ours that is what `wordTransform` would produce; here the text is transformed
beforehand so that gensim sees the identical input). Skip-gram, 100-d, window 5, negative 5, min
count 5, sample 1e-3, minn 3, maxn 6, --bucket buckets, 2 workers. Evaluation (same gensim code for
both; ours read back from our .bin), with the evaluation words transformed the same way:
- Park 2018 Korean analogies (restrict_vocab 30000) and Korean WS353 (in-vocabulary pairs, gensim's
  evaluate_word_pairs);
- kor2vec's Korean analogies (semantic + syntactic sections) and its Korean WS353 likewise;
- WS353 over ALL pairs, out-of-vocabulary words getting their vector from n-grams (Spearman over
  the pairs where both words have a vector).
Writes tooling/golden/embeddings/<--out> (default ko-fasttext-quality.json); one JSON line a model
on stdout as it goes.
"""
import argparse, gzip, json, os, subprocess, tempfile, time
import numpy as np
from scipy.stats import spearmanr
from gensim.models import FastText
from gensim.models.fasttext import load_facebook_model
from gensim.models.word2vec import LineSentence

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
DATA = os.environ.get('WORDLOOM_DATA', '/work/shared/data')
ap = argparse.ArgumentParser()
ap.add_argument('--reviews', type=int, default=0, help='0 = all')
ap.add_argument('--epochs', type=int, default=5)
ap.add_argument('--bucket', type=int, default=2_000_000)
ap.add_argument('--modes', default='syllable,jamo')
ap.add_argument('--out', default='ko-fasttext-quality.json')
ap.add_argument('--only', default='ours,gensim')
ap.add_argument('--workers', type=int, default=2)
ap.add_argument('--seed', type=int, default=1)
ap.add_argument('--label', default='', help='recorded with our rows (EMB_DIST picks another build)')
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
            if a.reviews and len(texts) >= a.reviews:
                break
tokens = sum(len(t.split(' ')) for t in texts)
print(json.dumps({'reviews': len(texts), 'tokens': tokens}), flush=True)
KO = os.path.join(DATA, 'ko-word-eval')
ANA = os.path.join(KO, 'park2018', 'word_analogy_korean.txt')
WS = os.path.join(KO, 'park2018', 'WS353_korean.csv')
K2V_ANA = [os.path.join(KO, 'kor2vec', f'kor_analogy_{s}.txt') for s in ('semantic', 'syntactic')]
K2V_WS = os.path.join(KO, 'kor2vec', 'kor_ws353.csv')


def ws_pairs(path, header):
    out = []
    for i, line in enumerate(open(path, encoding='utf-8-sig')):
        if (header and i == 0) or not line.strip():
            continue
        x, y, s = line.strip().split(',')
        out.append((x, y, float(s)))
    return out


results = []


def save():
    # after every model, so that a run stopped early keeps what finished
    summary = {'reviews': len(texts), 'tokens': tokens, 'epochs': a.epochs, 'bucket': a.bucket, 'workers': a.workers,
               'date': time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime()), 'loadavg': os.getloadavg(),
               'results': results}
    with open(os.path.join(ROOT, 'tooling', 'golden', 'embeddings', a.out), 'w') as fo:
        json.dump(summary, fo, indent=1)


def done(res):
    print(json.dumps(res), flush=True)
    results.append(res)
    save()


for mode in a.modes.split(','):
    f = (lambda w: w) if mode == 'syllable' else jamo
    corpus = os.path.join(tmp, f'{mode}.txt')
    with open(corpus, 'w', encoding='utf8') as out:
        for t in texts:
            out.write(' '.join(f(w) for w in t.split(' ')) + '\n')
    ana = os.path.join(tmp, f'{mode}-analogy.txt')
    with open(ana, 'w', encoding='utf8') as out:
        for line in open(ANA, encoding='utf8'):
            out.write(line if line.startswith(':') else ' '.join(f(w) for w in line.split()) + '\n')
    k2v_ana = os.path.join(tmp, f'{mode}-k2v-analogy.txt')
    with open(k2v_ana, 'w', encoding='utf8') as out:
        for p in K2V_ANA:
            for line in open(p, encoding='utf-8-sig'):
                if line.startswith('#'):
                    out.write(': ' + line[1:].strip().replace(' ', '_') + '\n')
                elif len(line.split()) == 4:
                    out.write(' '.join(f(w) for w in line.split()) + '\n')
    ws_sets = {'park': ws_pairs(WS, True), 'k2v': ws_pairs(K2V_WS, False)}
    ws_files = {}
    for name, pairs in ws_sets.items():
        ws_files[name] = os.path.join(tmp, f'{mode}-{name}-ws.tsv')
        with open(ws_files[name], 'w', encoding='utf8') as out:
            for x, y, s in pairs:
                out.write(f'{f(x)}\t{f(y)}\t{s}\n')

    def all_pairs(wv, pairs):
        sims, gold = [], []
        for x, y, s in pairs:
            u, v = wv[f(x)], wv[f(y)]
            nu, nv = np.linalg.norm(u), np.linalg.norm(v)
            if nu == 0 or nv == 0:
                continue
            sims.append(float(np.dot(u, v) / (nu * nv)))
            gold.append(s)
        return float(spearmanr(sims, gold)[0]), len(sims)

    def evaluate(wv):
        r = {'ko_analogy_accuracy': wv.evaluate_word_analogies(ana, restrict_vocab=30000)[0]}
        p = wv.evaluate_word_pairs(ws_files['park'], delimiter='\t')
        r['ko_ws353_spearman'] = float(p[1][0])
        r['ws_oov_pct'] = float(p[2])
        r['ko_ws353_all_pairs_spearman'], r['ko_ws353_all_pairs_n'] = all_pairs(wv, ws_sets['park'])
        r['k2v_analogy_accuracy'] = wv.evaluate_word_analogies(k2v_ana, restrict_vocab=30000)[0]
        p = wv.evaluate_word_pairs(ws_files['k2v'], delimiter='\t')
        r['k2v_ws353_spearman'] = float(p[1][0])
        r['k2v_ws_oov_pct'] = float(p[2])
        r['k2v_ws353_all_pairs_spearman'], r['k2v_ws353_all_pairs_n'] = all_pairs(wv, ws_sets['k2v'])
        return r

    if 'ours' in a.only:
        out_bin = os.path.join(tmp, f'ours-{mode}.bin')
        p = subprocess.run(['node', os.path.join(ROOT, 'tooling', 'golden', 'embeddings', 'fasttext_train_ours.mjs'),
                            corpus, out_bin, str(a.epochs), str(a.workers), str(a.bucket), str(a.seed)],
                           capture_output=True, text=True, check=True)
        info = json.loads(p.stdout.strip().splitlines()[-1])
        done({'model': 'ours', 'label': a.label, 'mode': mode, **info, 'loadavg_after': os.getloadavg(),
              **evaluate(load_facebook_model(out_bin).wv)})
        os.remove(out_bin)
    if 'gensim' in a.only:
        m = FastText(vector_size=100, window=5, min_count=5, sample=1e-3, negative=5, sg=1, alpha=0.025,
                     min_alpha=0.0001, min_n=3, max_n=6, bucket=a.bucket, workers=a.workers, seed=a.seed,
                     epochs=a.epochs)
        s = LineSentence(corpus)
        t = time.time()
        m.build_vocab(s)
        t1 = time.time()
        eff, raw = m.train(s, total_examples=m.corpus_count, epochs=a.epochs)
        dt = time.time() - t1
        done({'model': 'gensim', 'mode': mode, 'seed': a.seed, 'train_s': dt, 'wall_s': time.time() - t,
              'throughput': eff / dt, 'effective_words': eff, 'vocab': len(m.wv), 'loadavg_after': os.getloadavg(),
              **evaluate(m.wv)})
        del m
save()
