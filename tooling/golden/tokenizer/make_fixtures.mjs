// Golden fixtures for @wordloom/tokenizer, made with Hugging Face `tokenizers` (npm native
// binding, version printed into the fixtures). Run from the repo root after building the
// tokenizer package:
//   pnpm --filter @wordloom/tokenizer build && node tooling/golden/tokenizer/make_fixtures.mjs
// Reads ../shared/data (GPT-2 encoder.json + vocab.bpe, BERT vocab.txt, NSMC, enwiki-slice);
// writes packages/tokenizer/test/fixtures/. Offsets: HF's Node binding reports code-point
// offsets; they are converted to UTF-16 code units here, the unit @wordloom/tokenizer uses.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { gunzipSync, gzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const data = resolve(repo, '../shared/data');
const out = join(repo, 'packages/tokenizer/test/fixtures');
mkdirSync(out, { recursive: true });
const require = createRequire(join(repo, 'tooling/golden/package.json'));
const hf = require('tokenizers');
const hfVersion = JSON.parse(readFileSync(require.resolve('tokenizers/package.json'), 'utf8')).version;
const ours = await import(join(repo, 'packages/tokenizer/dist/index.js'));

const gz = (p) => gunzipSync(readFileSync(p)).toString('utf8');
const write = (name, text) => {
  writeFileSync(join(out, name), text);
  console.log(`wrote ${name} (${text.length} bytes)`);
};
const writeGz = (name, text) => {
  const buf = gzipSync(Buffer.from(text, 'utf8'), { level: 9 });
  writeFileSync(join(out, name), buf);
  console.log(`wrote ${name} (${buf.length} bytes gz)`);
};

// ---- corpora -------------------------------------------------------------------------
// English: 40 paragraph lines from enwiki-slice (skipping <doc> lines and short titles),
// plus hand-written edge cases.
const wiki = gz(join(data, 'enwiki-slice/wiki_AA.txt.gz')).split('\n');
const english = [];
for (let i = 0; i < wiki.length && english.length < 40; i += 997) {
  for (let j = i; j < wiki.length; j++) {
    const l = wiki[j];
    if (l.startsWith('<') || l.length < 60 || l.length > 400) continue;
    english.push(l);
    break;
  }
}
const edge = [
  '',
  ' ',
  'Hello world',
  ' Hello  world   ',
  "I'm sure they'll've said it's John's, isn't it? DON'T",
  'Numbers: 3.14159, 1,000,000 and 2024-11-22.',
  'tabs\tand\nnewlines\r\n\n  end',
  'naïve café résumé Ångström ﬁnance',
  '中文字符测试, 日本語のテキスト',
  'emoji 😀 family 👨‍👩‍👧‍👦 flag 🇰🇷 !',
  'combining e\u0301 and a\u0308 marks',
  'NEL\u0085here BOM\ufeffthere nbsp\u00a0and ideographic\u3000space',
  '!!!??? ...--- ***',
  'supercalifragilisticexpialidocious pneumonoultramicroscopicsilicovolcanoconiosis',
  '__proto__ constructor toString hasOwnProperty',
  '<|endoftext|> [CLS] [SEP] [MASK]',
  'control\u0001\u0002chars\u007f',
];
const nsmc = gz(join(data, 'nsmc/ratings_test.txt.gz'))
  .split('\n')
  .slice(1, 51)
  .map((l) => l.split('\t')[1]);
write('english.txt', english.join('\n') + '\n');
write('edge-cases.json', JSON.stringify(edge, null, 1) + '\n');
write('nsmc-50.txt', nsmc.join('\n') + '\n');
const sentences = [...english, ...edge, ...nsmc];

// UTF-16 offsets from HF's code-point offsets.
function toUtf16(text, offsets) {
  const cps = Array.from(text);
  const pos = [0];
  for (const c of cps) pos.push(pos[pos.length - 1] + c.length);
  return offsets.map(([a, b]) => [pos[a], pos[b]]);
}
async function hfEncode(tok, text, pair) {
  const e = pair === undefined ? await tok.encode(text) : await tok.encode(text, pair);
  const offsets = e.getOffsets();
  const seq = e.getSequenceIds();
  // offsets of the pair sequence are relative to the pair text
  const conv = offsets.map((o, i) => (seq[i] === 1 ? toUtf16(pair, [o])[0] : seq[i] === 0 ? toUtf16(text, [o])[0] : o));
  return {
    ids: e.getIds(),
    tokens: e.getTokens(),
    offsets: conv,
    typeIds: e.getTypeIds(),
    specialTokensMask: e.getSpecialTokensMask(),
  };
}

// ---- GPT-2 -----------------------------------------------------------------------------
// An HF-shaped tokenizer.json for GPT-2 (as on the Hub: ByteLevel pre-tokenizer, ByteLevel
// post-processor with trim_offsets false, ByteLevel decoder, <|endoftext|> added).
const encoder = JSON.parse(readFileSync(join(data, 'tokenizers/gpt2/encoder.json'), 'utf8'));
const mergesTxt = readFileSync(join(data, 'tokenizers/gpt2/vocab.bpe'), 'utf8');
const merges = mergesTxt
  .split('\n')
  .slice(1)
  .filter((l) => l.length > 0);
const gpt2Json = {
  version: '1.0',
  truncation: null,
  padding: null,
  added_tokens: [
    {
      id: 50256,
      content: '<|endoftext|>',
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: true,
      special: true,
    },
  ],
  normalizer: null,
  pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
  decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
  model: {
    type: 'BPE',
    dropout: null,
    unk_token: null,
    continuing_subword_prefix: '',
    end_of_word_suffix: '',
    fuse_unk: false,
    byte_fallback: false,
    vocab: encoder,
    merges,
  },
};
const gpt2 = hf.Tokenizer.fromString(JSON.stringify(gpt2Json));
// HF re-serializes it: that file (merges as pairs) is what we commit and load in tests.
gpt2.save('/tmp/wordloom-gpt2-tokenizer.json');
const gpt2Saved = readFileSync('/tmp/wordloom-gpt2-tokenizer.json', 'utf8');
writeGz('gpt2-tokenizer.json.gz', gpt2Saved);
const gpt2Trim = hf.Tokenizer.fromString(
  JSON.stringify({ ...gpt2Json, post_processor: { ...gpt2Json.post_processor, trim_offsets: true } }),
);

const gpt2Cases = [];
for (const s of sentences) {
  const e = await hfEncode(gpt2, s);
  const t = await hfEncode(gpt2Trim, s);
  gpt2Cases.push({
    text: s,
    ids: e.ids,
    tokens: e.tokens,
    offsets: e.offsets,
    trimmedOffsets: t.offsets,
    decoded: await gpt2.decode(e.ids, false),
  });
}
// with the special token allowed (HF always matches added tokens)
const special = 'a<|endoftext|>b';
const se = await hfEncode(gpt2, special);
writeGz(
  'gpt2-golden.json.gz',
  JSON.stringify({ source: `tokenizers ${hfVersion}`, cases: gpt2Cases, specialCase: { text: special, ...se } }) + '\n',
);

// ---- BERT ------------------------------------------------------------------------------
const wp = await hf.WordPiece.fromFile(join(data, 'tokenizers/bert-base-uncased/vocab.txt'), {});
const bert = new hf.Tokenizer(wp);
bert.setNormalizer(hf.bertNormalizer({ lowercase: true }));
bert.setPreTokenizer(hf.bertPreTokenizer());
bert.setPostProcessor(hf.bertProcessing(['[SEP]', 102], ['[CLS]', 101]));
bert.setDecoder(hf.wordPieceDecoder('##', true));
bert.addSpecialTokens(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]']);
bert.save('/tmp/wordloom-bert-tokenizer.json');
writeGz('bert-base-uncased-tokenizer.json.gz', readFileSync('/tmp/wordloom-bert-tokenizer.json', 'utf8'));
writeGz('bert-base-uncased-vocab.txt.gz', readFileSync(join(data, 'tokenizers/bert-base-uncased/vocab.txt'), 'utf8'));
const bertCases = [];
for (const s of sentences) {
  const e = await hfEncode(bert, s);
  bertCases.push({ text: s, ...e, decoded: await bert.decode(e.ids, true) });
}
const bertPairs = [];
for (let i = 0; i + 1 < 12; i += 2) {
  const a = nsmc[i];
  const b = english[i];
  bertPairs.push({ text: a, pair: b, ...(await hfEncode(bert, a, b)) });
}
writeGz(
  'bert-golden.json.gz',
  JSON.stringify({ source: `tokenizers ${hfVersion}`, cases: bertCases, pairs: bertPairs }) + '\n',
);

// ---- training --------------------------------------------------------------------------
await import('./train_golden.mjs').then((m) =>
  m.run({ hf, ours, out, data, english, nsmc, write, writeGz, hfEncode, hfVersion }),
);
