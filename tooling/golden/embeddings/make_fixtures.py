"""Golden fixtures for @wordloom/embeddings from gensim 4.2 (Debian python3-gensim).

Run from the repo root:  /usr/bin/python3 tooling/golden/embeddings/make_fixtures.py
Writes into packages/embeddings/test/fixtures/:
  eval-vectors.txt / eval-vectors.bin   small KeyedVectors written by gensim (text, binary)
  gensim-eval.json                      gensim's evaluate_word_analogies / evaluate_word_pairs /
                                        most_similar / most_similar_cosmul / doesnt_match on them
  vocab-gensim.json                     gensim's vocabulary, sample_int and cum_table on nsmc.excerpt.txt
  gensim-reads-ours.json                gensim's reading of ours-*.txt / ours-*.bin (written by our
                                        writer through packages/embeddings/src/formats.test.ts) —
                                        run the vitest project once first (it writes them if missing)
Seed: numpy default_rng(20240601). Vectors are synthetic (structured so analogies are
partly right), so the eval fixtures do not depend on training randomness.
"""
import json, os, sys
import numpy as np
from gensim.models import KeyedVectors, Word2Vec

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'embeddings', 'test', 'fixtures')
rng = np.random.default_rng(20240601)
D = 16

# ---- synthetic eval vectors -------------------------------------------------------------
qpath = os.path.join(FIX, 'questions-words.excerpt.txt')
wpath = os.path.join(FIX, 'wordsim353.excerpt.tsv')
qwords, pairs = [], []
section = None
for line in open(qpath, encoding='utf8'):
    if line.startswith(': '):
        section = line[2:].strip()
        continue
    p = line.split()
    if len(p) == 4:
        qwords.append((section, [w.lower() for w in p]))
for line in open(wpath, encoding='utf8'):
    if line.startswith('#'):
        continue
    a, b, s = line.rstrip('\n').split('\t')
    pairs.append((a.lower(), b.lower(), float(s)))

vec = {}
offsets = {s: rng.normal(size=D) for s in sorted({s for s, _ in qwords})}
for s, (a, b, c, d) in qwords:
    for x, y in ((a, b), (c, d)):
        if x not in vec:
            vec[x] = rng.normal(size=D)
        if y not in vec:
            vec[y] = vec[x] + offsets[s] + rng.normal(scale=0.6, size=D)
for a, b, s in pairs:
    for x in (a, b):
        if x not in vec:
            vec[x] = rng.normal(size=D)
    # nudge the pair together in proportion to the human score (partly correlated)
    vec[b] = vec[b] + (s / 10.0) * 0.5 * (vec[a] - vec[b]) + rng.normal(scale=0.3, size=D)
words = sorted(vec)
rng.shuffle(words)
# OOV: drop a few question/pair words
for w in ('oslo', 'nephew', 'tiger'):
    if w in words:
        words.remove(w)
# case variants: a capitalised duplicate AFTER the lowercase word (gensim keeps the first)
# and one BEFORE it (then the capitalised vector wins in case-insensitive mode)
words.insert(words.index('paris') + 3, 'Paris')
vec['Paris'] = rng.normal(size=D)
words.insert(max(0, words.index('king') - 2), 'KING')
vec['KING'] = vec['king'] + rng.normal(scale=0.2, size=D)
# fillers
for i in range(60):
    w = f'filler{i}'
    vec[w] = rng.normal(size=D)
    words.insert(int(rng.integers(0, len(words))), w)

kv = KeyedVectors(D)
kv.add_vectors(words, np.array([vec[w] for w in words], dtype=np.float32))
kv.save_word2vec_format(os.path.join(FIX, 'eval-vectors.txt'), binary=False)
kv.save_word2vec_format(os.path.join(FIX, 'eval-vectors.bin'), binary=True)
kv = KeyedVectors.load_word2vec_format(os.path.join(FIX, 'eval-vectors.txt'), binary=False)
kvb = KeyedVectors.load_word2vec_format(os.path.join(FIX, 'eval-vectors.bin'), binary=True)
assert np.array_equal(kv.vectors, kvb.vectors)

def ana(**kw):
    score, sections = kv.evaluate_word_analogies(qpath, **kw)
    return {'accuracy': score,
            'sections': [{'section': s['section'], 'correct': len(s['correct']), 'incorrect': len(s['incorrect'])} for s in sections]}

def wp(**kw):
    (pear, _), sp, oov = kv.evaluate_word_pairs(wpath, **kw)
    return {'pearson': float(pear), 'spearman': float(sp.correlation), 'oovRatio': float(oov)}

out = {
    'analogies': [
        {'opts': {}, 'result': ana()},
        {'opts': {'restrictVocab': 150}, 'result': ana(restrict_vocab=150)},
        {'opts': {'caseInsensitive': False}, 'result': ana(case_insensitive=False)},
        {'opts': {'dummy4unknown': True}, 'result': ana(dummy4unknown=True)},
    ],
    'wordPairs': [
        {'opts': {}, 'result': wp()},
        {'opts': {'restrictVocab': 150}, 'result': wp(restrict_vocab=150)},
        {'opts': {'caseInsensitive': False}, 'result': wp(case_insensitive=False)},
        {'opts': {'dummy4unknown': True}, 'result': wp(dummy4unknown=True)},
    ],
    'mostSimilar': [
        {'opts': {'positive': ['paris', 'germany'], 'negative': ['france'], 'topn': 5},
         'result': kv.most_similar(positive=['paris', 'germany'], negative=['france'], topn=5)},
        {'opts': {'positive': ['king'], 'topn': 5, 'restrictVocab': 100},
         'result': kv.most_similar(positive=['king'], topn=5, restrict_vocab=100)},
    ],
    'mostSimilarCosmul': [
        {'opts': {'positive': ['paris', 'germany'], 'negative': ['france'], 'topn': 5},
         'result': kv.most_similar_cosmul(positive=['paris', 'germany'], negative=['france'], topn=5)},
    ],
    'doesntMatch': [
        {'words': ['paris', 'berlin', 'london', 'king'], 'result': kv.doesnt_match(['paris', 'berlin', 'london', 'king'])},
    ],
    'similarity': [
        {'a': 'king', 'b': 'queen', 'result': float(kv.similarity('king', 'queen'))},
    ],
}
json.dump(out, open(os.path.join(FIX, 'gensim-eval.json'), 'w'), indent=1, ensure_ascii=False)

# ---- vocabulary, subsampling thresholds, negative table ---------------------------------
corpus = [line.split() for line in open(os.path.join(FIX, 'nsmc.excerpt.txt'), encoding='utf8')]
voc = {}
for sample in (1e-3, 1e-2, 0, 5):
    m = Word2Vec(vector_size=8, min_count=2, sample=sample, seed=1, workers=1)
    m.build_vocab(corpus)
    voc[str(sample)] = {
        'words': list(m.wv.index_to_key),
        'counts': [int(m.wv.get_vecattr(w, 'count')) for w in m.wv.index_to_key],
        'sampleInt': [int(m.wv.get_vecattr(w, 'sample_int')) for w in m.wv.index_to_key],
        'cumTable': [int(x) for x in m.cum_table],
    }
json.dump({'minCount': 2, 'bySample': voc}, open(os.path.join(FIX, 'vocab-gensim.json'), 'w'), ensure_ascii=False)

# ---- gensim reads ours ------------------------------------------------------------------
res = {}
for name, binary in (('ours.txt', False), ('ours.bin', True), ('ours-c.bin', True)):
    p = os.path.join(FIX, name)
    if not os.path.exists(p):
        print('missing', name, '(run the embeddings tests first)', file=sys.stderr)
        continue
    k = KeyedVectors.load_word2vec_format(p, binary=binary)
    res[name] = {'words': list(k.index_to_key), 'vectors': [[float(x) for x in r] for r in k.vectors]}
json.dump(res, open(os.path.join(FIX, 'gensim-reads-ours.json'), 'w'), ensure_ascii=False)
print(json.dumps({'ok': True, 'evalWords': len(words), 'vocab': len(voc['0.001']['words']), 'readOurs': sorted(res)}))
