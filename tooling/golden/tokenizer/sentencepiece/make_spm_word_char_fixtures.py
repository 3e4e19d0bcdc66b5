#!/usr/bin/python3
"""Golden fixtures for sentencepiece's `word` and `char` model types (issue 19).

Run with Debian's interpreter (python3-sentencepiece 0.1.97 and the `sentencepiece` CLI):

    /usr/bin/python3 tooling/golden/tokenizer/sentencepiece/make_spm_word_char_fixtures.py

Trains `--model_type=word` and `--model_type=char` models (and a BPE model with user-defined
symbols, `en-bpe-user`) with `spm_train` on the same corpora
as make_spm_fixtures.py (the first 30,000 NSMC-raw-derived training reviews, CC0; 12,000
enwiki-slice lines, CC BY-SA 3.0) and writes, per model, `<name>.model` and `<name>.json`: the
`spm_encode --output_format=id` ids of the same 150 held-out lines + 15 edge cases (checked
equal to the Python binding). The other fixtures are not touched.
"""
import json
import os
import subprocess
import sys
import tempfile

import sentencepiece as spm

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_spm_fixtures as base  # noqa: E402  (corpora, edge cases, output folder)

MODELS = [
    # name, corpus, spm_train flags
    ('ko-word', 'ko', ['--model_type=word', '--vocab_size=3000', '--character_coverage=0.9995']),
    ('ko-char', 'ko', ['--model_type=char', '--vocab_size=800', '--character_coverage=0.9995']),
    ('en-word', 'en', ['--model_type=word', '--vocab_size=2000', '--byte_fallback=true',
                       '--user_defined_symbols=<sep>,[MASK],http']),
    ('en-char', 'en', ['--model_type=char', '--vocab_size=300', '--byte_fallback=true',
                       '--user_defined_symbols=<sep>,[MASK],http', '--remove_extra_whitespaces=false']),
    # a BPE model with user-defined symbols (sentencepiece freezes them: never merged with neighbours)
    ('en-bpe-user', 'en', ['--model_type=bpe', '--vocab_size=1000', '--byte_fallback=true',
                           '--user_defined_symbols=<sep>,[MASK],http,ing']),
]

# lines with the user-defined symbols inside and around words
EXTRA = ['a [MASK] b', '[MASK][MASK]x', 'https://example.org/ping and thinking', 'sing<sep>ring', 'xhttpx ing ings']


def main():
    summary = {'sentencepiece': spm.__version__, 'models': {}}
    with tempfile.TemporaryDirectory() as tmp:
        for name, cname, flags in MODELS:
            train, held = base.corpus(cname)
            src = os.path.join(tmp, cname + '.txt')
            if not os.path.exists(src):
                with open(src, 'w', encoding='utf-8') as f:
                    f.write('\n'.join(train) + '\n')
            prefix = os.path.join(base.OUT, name)
            subprocess.run(['spm_train', '--input=' + src, '--model_prefix=' + prefix, '--num_threads=2',
                            '--minloglevel=2'] + flags, check=True)
            os.remove(prefix + '.vocab')
            lines = held + base.EDGE + (EXTRA if name.endswith('-user') else [])
            inp = os.path.join(tmp, name + '.in')
            with open(inp, 'w', encoding='utf-8') as f:
                f.write('\n'.join(lines) + '\n')
            res = subprocess.run(['spm_encode', '--model=' + prefix + '.model', '--output_format=id', '--input=' + inp],
                                 check=True, capture_output=True, text=True)
            ids = [[int(x) for x in l.split()] for l in res.stdout.split('\n')[:len(lines)]]
            sp = spm.SentencePieceProcessor(model_file=prefix + '.model')
            assert ids == [sp.encode(l) for l in lines], name
            with open(prefix + '.json', 'w', encoding='utf-8') as f:
                json.dump({'model': name + '.model', 'lines': lines, 'ids': ids}, f, ensure_ascii=False,
                          separators=(',', ':'))
            summary['models'][name] = {'flags': flags, 'trainLines': len(train), 'testLines': len(lines),
                                       'pieces': sp.get_piece_size(), 'bytes': os.path.getsize(prefix + '.model')}
            print(name, summary['models'][name], file=sys.stderr)
    with open(os.path.join(base.OUT, 'word-char-summary.json'), 'w', encoding='utf-8') as f:
        json.dump(summary, f, ensure_ascii=False, indent=1)


if __name__ == '__main__':
    main()
