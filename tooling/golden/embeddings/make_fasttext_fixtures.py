"""Golden fixtures for @wordloom/embeddings' fastText parts, from Facebook's fastText 0.9.2 CLI
(Debian `fasttext`) and gensim 4.2 (Debian `python3-gensim`).

Run from the repo root:  /usr/bin/python3 tooling/golden/embeddings/make_fasttext_fixtures.py
Writes into packages/embeddings/test/fixtures/:
  ft-ngrams.json        gensim's ft_ngram_hashes / compute_ngrams_bytes for English and Korean
                        words at several (minn, maxn, bucket); fastText's print-ngrams strings
  ft-tiny.bin           a skip-gram model trained by the fastText CLI (dim 8, bucket 4000,
                        minn 2, maxn 4) on ft-corpus (below), 1 thread
  ft-tiny-vectors.txt   `fasttext print-word-vectors ft-tiny.bin` for ft-query-words.txt
  ft-query-words.txt    the query words (in-vocabulary, OOV, Korean, misspelled, no-n-gram)
  ft-gensim.json        gensim load_facebook_model(ft-tiny.bin): vectors of the query words
  ft-reads-ours.json    (only when packages/embeddings/test/fixtures/ft-ours.bin exists, written
                        by `node tooling/golden/embeddings/write_ours_fasttext.mjs`): fastText's
                        print-word-vectors and gensim's vectors of the query words from OUR .bin
The corpus ft-corpus (not committed, rebuilt here deterministically): the 1,510 committed NSMC
reviews (test/fixtures/nsmc.excerpt.txt) and the first 1,500 non-empty text lines of
/work/shared/data/enwiki-slice/wiki_AA.txt.gz (outside <doc> tags), lower-cased.
fastText's training is single-threaded and seeded (-seed 0), so the .bin is reproducible.
"""
import gzip, json, os, subprocess, sys, tempfile
import numpy as np
from gensim.models.fasttext import ft_ngram_hashes, load_facebook_model
from gensim.models.fasttext_inner import compute_ngrams_bytes

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..'))
FIX = os.path.join(ROOT, 'packages', 'embeddings', 'test', 'fixtures')
DATA = os.environ.get('WORDLOOM_DATA', '/work/shared/data')

WORDS = ['the', 'a', 'of', 'village', 'population', 'socialist', 'naïve', 'café', 'x',
         '영화', '희망', '재미없다', '아름답고', '한국어', 'ㅋㅋㅋ', '𝔘nicode', 'ab', '</s>',
         '한국', 'über-long-hyphenated-word']
SETTINGS = [(3, 6, 2000000), (2, 4, 4000), (1, 3, 1000), (3, 3, 97), (4, 5, 1)]

out = {'settings': [], 'words': WORDS}
for minn, maxn, bucket in SETTINGS:
    rows = {}
    for w in WORDS:
        rows[w] = {
            'hashes': [int(h) for h in ft_ngram_hashes(w, minn, maxn, bucket)],
            'ngrams': [b.decode('utf8') for b in compute_ngrams_bytes(w, minn, maxn)],
        }
    out['settings'].append({'minn': minn, 'maxn': maxn, 'bucket': bucket, 'words': rows})

tmp = tempfile.mkdtemp(prefix='ft-golden-')
corpus = os.path.join(tmp, 'ft-corpus.txt')
with open(corpus, 'w', encoding='utf8') as f:
    for line in open(os.path.join(FIX, 'nsmc.excerpt.txt'), encoding='utf8'):
        f.write(line.lower())
    n = 0
    with gzip.open(os.path.join(DATA, 'enwiki-slice', 'wiki_AA.txt.gz'), 'rt', encoding='utf8') as g:
        for line in g:
            line = line.strip()
            if not line or line.startswith('<doc') or line.startswith('</doc'):
                continue
            f.write(line.lower() + '\n')
            n += 1
            if n == 1500:
                break

model = os.path.join(FIX, 'ft-tiny')
subprocess.run(['fasttext', 'skipgram', '-input', corpus, '-output', model, '-dim', '8', '-bucket', '4000',
                '-minn', '2', '-maxn', '4', '-minCount', '3', '-epoch', '2', '-thread', '1', '-seed', '0',
                '-verbose', '0'], check=True)
os.remove(model + '.vec')  # .vec is checked through our writer instead (the .bin holds the same)

query = ['the', 'village', 'population', 'socialist', '영화', '희망', '재미', 'ㅋㅋ',
         'villages', 'vilage', 'populatoin', '영화관람', '희망찬', '재미없어요', 'zzzzqx', 'a', 'é',
         '</s>', 'q', '']
# '' is dropped: fastText reads words from stdin separated by whitespace
query = [w for w in query if w]
with open(os.path.join(FIX, 'ft-query-words.txt'), 'w', encoding='utf8') as f:
    f.write('\n'.join(query) + '\n')


def print_word_vectors(path):
    r = subprocess.run(['fasttext', 'print-word-vectors', path], input='\n'.join(query) + '\n',
                       capture_output=True, text=True, check=True)
    return r.stdout


with open(os.path.join(FIX, 'ft-tiny-vectors.txt'), 'w', encoding='utf8') as f:
    f.write(print_word_vectors(model + '.bin'))

# print-ngrams: fastText's own n-gram strings (order of fastText) for a few words
ngr = {}
for w in ['village', '희망찬', 'vilage', 'é']:
    r = subprocess.run(['fasttext', 'print-ngrams', model + '.bin', w], capture_output=True, text=True, check=True)
    ngr[w] = [line.split(' ')[0] for line in r.stdout.splitlines() if line.strip()]
out['fasttextPrintNgrams'] = {'minn': 2, 'maxn': 4, 'bucket': 4000, 'words': ngr}
with open(os.path.join(FIX, 'ft-ngrams.json'), 'w', encoding='utf8') as f:
    json.dump(out, f, ensure_ascii=False, indent=0)


def gensim_vectors(path):
    m = load_facebook_model(path)
    res = {w: [float(x) for x in m.wv[w]] for w in query}
    return m, res


m, gv = gensim_vectors(model + '.bin')
with open(os.path.join(FIX, 'ft-gensim.json'), 'w', encoding='utf8') as f:
    json.dump({'vocabSize': len(m.wv.index_to_key), 'first': m.wv.index_to_key[:5], 'vectors': gv,
               'inVocab': {w: (w in m.wv.key_to_index) for w in query}}, f, ensure_ascii=False)

ours = os.path.join(FIX, 'ft-ours.bin')
if os.path.exists(ours):
    cli = print_word_vectors(ours)
    m2, gv2 = gensim_vectors(ours)
    with open(os.path.join(FIX, 'ft-reads-ours.json'), 'w', encoding='utf8') as f:
        json.dump({'fasttextPrintWordVectors': cli, 'gensim': gv2, 'gensimVocabSize': len(m2.wv.index_to_key)},
                  f, ensure_ascii=False)
    print('read ours:', len(m2.wv.index_to_key), 'words')
print('ok', tmp)
