#!/usr/bin/python3
"""Golden fixtures for @wordloom/tokenizer's sentencepiece support (issue 19).

Run with Debian's interpreter (python3-sentencepiece 0.1.97 and the `sentencepiece` CLI):

    /usr/bin/python3 tooling/golden/tokenizer/sentencepiece/make_spm_fixtures.py

Trains small `.model` files with `spm_train` on NSMC (Korean, CC0) and the enwiki slice
(English, CC BY-SA 3.0), then writes, per model, the `spm_encode --output_format=id` ids of
held-out lines (plus hand-written edge cases), n-best lists (Python `nbest_encode_as_ids`) and
sampling frequencies (Python `sample_encode_as_ids`, seeded). Outputs go to
packages/tokenizer/test/fixtures/sentencepiece/.
"""
import collections
import gzip
import json
import os
import subprocess
import sys
import tempfile

import sentencepiece as spm

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..', '..', '..'))
DATA = os.environ.get('WORDLOOM_DATA', '/work/shared/data')
OUT = os.path.join(ROOT, 'packages', 'tokenizer', 'test', 'fixtures', 'sentencepiece')
os.makedirs(OUT, exist_ok=True)


def nsmc(path, n, skip=0):
    out = []
    with gzip.open(path, 'rt', encoding='utf-8') as f:
        next(f)
        for i, line in enumerate(f):
            if i < skip:
                continue
            doc = line.rstrip('\n').split('\t')[1]
            if doc:
                out.append(doc)
            if len(out) >= n:
                break
    return out


def enwiki(n, skip=0):
    out = []
    with gzip.open(os.path.join(DATA, 'enwiki-slice', 'wiki_AA.txt.gz'), 'rt', encoding='utf-8') as f:
        i = 0
        for line in f:
            line = line.rstrip('\n')
            if not line or line.startswith('<doc') or line.startswith('</doc'):
                continue
            i += 1
            if i <= skip:
                continue
            out.append(line[:300])
            if len(out) >= n:
                break
    return out


EDGE = [
    '',
    ' ',
    '   leading and trailing   ',
    'double  space\there\ttabs',
    'ＦＵＬＬＷＩＤＴＨ ｆｏｒｍｓ and ﬁ ligature ① ㈜',
    'emoji 😀👍🏽 and ZWJ 👨‍👩‍👧',
    'unknown chars: ☃ ∮ ᚠ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ꙮ',
    '한국어 문장과 English words 섞기',
    'ㅋㅋㅋㅋ ㅠㅠ ㅎㅎ 최고',
    '<s> </s> <unk> are plain text here',
    'line with\u00a0nbsp and\u3000ideographic space',
    'combining: e\u0301 vs é, Hangul jamo: \u1112\u1161\u11ab',
    '数字 123,456.78 and 한자 漢字',
    'a',
    '▁already▁escaped',
]

CORPORA = {}


def corpus(name):
    if name not in CORPORA:
        if name == 'ko':
            train = nsmc(os.path.join(DATA, 'nsmc', 'ratings_train.derived.txt.gz'), 30000)
            held = nsmc(os.path.join(DATA, 'nsmc', 'ratings_test.txt.gz'), 150)
        else:
            train = enwiki(12000)
            held = enwiki(150, skip=200000)
        CORPORA[name] = (train, held)
    return CORPORA[name]


MODELS = [
    # name, corpus, spm_train flags
    ('ko-unigram', 'ko', ['--model_type=unigram', '--vocab_size=2000', '--character_coverage=0.9995']),
    ('ko-bpe', 'ko', ['--model_type=bpe', '--vocab_size=2000', '--character_coverage=0.9995', '--byte_fallback=true']),
    ('en-unigram', 'en', ['--model_type=unigram', '--vocab_size=1000', '--byte_fallback=true',
                          '--user_defined_symbols=<sep>,[MASK],http']),
    ('en-bpe', 'en', ['--model_type=bpe', '--vocab_size=1000', '--normalization_rule_name=identity',
                      '--remove_extra_whitespaces=false']),
]


def main():
    summary = {'sentencepiece': spm.__version__, 'models': {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, cname, flags in MODELS:
            train, held = corpus(cname)
            src = os.path.join(tmp, cname + '.txt')
            if not os.path.exists(src):
                with open(src, 'w', encoding='utf-8') as f:
                    f.write('\n'.join(train) + '\n')
            prefix = os.path.join(OUT, name)
            subprocess.run(['spm_train', '--input=' + src, '--model_prefix=' + prefix, '--num_threads=2',
                            '--minloglevel=2'] + flags, check=True)
            os.remove(prefix + '.vocab')
            lines = held + EDGE
            inp = os.path.join(tmp, name + '.in')
            with open(inp, 'w', encoding='utf-8') as f:
                f.write('\n'.join(lines) + '\n')
            res = subprocess.run(['spm_encode', '--model=' + prefix + '.model', '--output_format=id', '--input=' + inp],
                                 check=True, capture_output=True, text=True)
            out_lines = res.stdout.split('\n')[:len(lines)]
            ids = [[int(x) for x in l.split()] for l in out_lines]
            sp = spm.SentencePieceProcessor(model_file=prefix + '.model')
            # the Python binding must agree with the CLI (both are 0.1.97)
            assert ids == [sp.encode(l) for l in lines], name
            fixture = {'model': name + '.model', 'lines': lines, 'ids': ids}
            if 'unigram' in name:
                nb = []
                for l in lines[:40] + EDGE:
                    nb.append([list(x) for x in sp.nbest_encode_as_ids(l, 8)])
                fixture['nbestLines'] = lines[:40] + EDGE
                fixture['nbest'] = nb
            with open(prefix + '.json', 'w', encoding='utf-8') as f:
                json.dump(fixture, f, ensure_ascii=False, separators=(',', ':'))
            summary['models'][name] = {'flags': flags, 'trainLines': len(train), 'testLines': len(lines),
                                       'bytes': os.path.getsize(prefix + '.model')}
            print(name, summary['models'][name], file=sys.stderr)
        # sampling frequencies (seeded) for the statistical test
        sp = spm.SentencePieceProcessor(model_file=os.path.join(OUT, 'en-unigram.model'))
        spm.set_random_generator_seed(20261203)
        samples = {}
        for word, nbest, alpha in [('unbelievable', -1, 0.5), ('unbelievable', 5, 0.5), ('international', -1, 0.2),
                                   ('international', 10, 1.0)]:
            counts = collections.Counter()
            n = 20000
            for _ in range(n):
                counts[' '.join(map(str, sp.encode(word, enable_sampling=True, alpha=alpha, nbest_size=nbest)))] += 1
            samples[f'{word}|{nbest}|{alpha}'] = {'word': word, 'nbestSize': nbest, 'alpha': alpha, 'n': n,
                                                   'counts': dict(counts.most_common())}
        with open(os.path.join(OUT, 'en-unigram.samples.json'), 'w', encoding='utf-8') as f:
            json.dump(samples, f, ensure_ascii=False, indent=1)
    with open(os.path.join(OUT, 'summary.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)


if __name__ == '__main__':
    main()
