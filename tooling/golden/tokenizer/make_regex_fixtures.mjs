// Golden fixtures for the regex dialect of tokenizer.json (`Split` pre-tokenizer patterns):
// Hugging Face `tokenizers` (npm native binding: Oniguruma) splits a set of texts with a set
// of patterns; the pieces (UTF-16 offsets) go to packages/tokenizer/test/fixtures/regex-golden.json.
// Run from the repo root:  node tooling/golden/tokenizer/make_regex_fixtures.mjs
// Needs ../shared/data (NSMC Korean) for some of the texts; no build needed.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const data = resolve(repo, '../shared/data');
const require = createRequire(join(repo, 'tooling/golden/package.json'));
const hf = require('tokenizers');
const hfVersion = JSON.parse(readFileSync(require.resolve('tokenizers/package.json'), 'utf8')).version;

/** HF pre-tokenizer that is just Split(pattern); pieces with code-point offsets. */
function hfSplitter(pattern, behavior, invert) {
  const json = {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: { type: 'Split', pattern: { Regex: pattern }, behavior, invert },
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0 }, unk_token: '[UNK]' },
  };
  return hf.Tokenizer.fromString(JSON.stringify(json)).getPreTokenizer();
}

/** Code-point offset -> UTF-16 offset. */
function cpToUnit(text) {
  const map = [0];
  let u = 0;
  for (const ch of text) {
    u += ch.length;
    map.push(u);
  }
  return map;
}

const CL100K = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const O200K = [
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
  String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?`,
  String.raw`\p{N}{1,3}`,
  String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
  String.raw`\s*[\r\n]+`,
  String.raw`\s+(?!\S)`,
  String.raw`\s+`,
].join('|');

const patterns = [
  { name: 'cl100k / Llama-3', pattern: CL100K, behavior: 'Isolated', invert: false },
  { name: 'o200k', pattern: O200K, behavior: 'Isolated', invert: false },
  {
    name: 'gpt2',
    pattern: String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`,
    behavior: 'Isolated',
    invert: false,
  },
  { name: 'whitespace-words', pattern: String.raw`\w+|[^\w\s]+`, behavior: 'Removed', invert: true },
  { name: 'word-boundary', pattern: String.raw`\b`, behavior: 'Isolated', invert: false },
  { name: 'non-word-boundary', pattern: String.raw`\B\w`, behavior: 'Isolated', invert: false },
  { name: 'digits', pattern: String.raw`\d+`, behavior: 'Isolated', invert: false },
  { name: 'non-space class', pattern: String.raw`[^\S\n]+`, behavior: 'Isolated', invert: false },
  { name: 'non-word class', pattern: String.raw`[\W\d]+`, behavior: 'MergedWithPrevious', invert: false },
  { name: 'negated non-word class', pattern: String.raw`[^\W\d]+`, behavior: 'Isolated', invert: false },
  { name: 'line anchors', pattern: String.raw`^\w|\w$`, behavior: 'Isolated', invert: false },
  { name: 'string anchors', pattern: String.raw`\A\w+|\w+\z|\s\Z`, behavior: 'Isolated', invert: false },
  { name: 'dot', pattern: String.raw`.{1,3}`, behavior: 'Isolated', invert: false },
  { name: 'dot multiline', pattern: String.raw`(?m:.{1,3})`, behavior: 'Isolated', invert: false },
  { name: 'inline flag to end', pattern: String.raw`x(?i)ab`, behavior: 'Isolated', invert: false },
  {
    name: 'inline flag over later alternatives',
    pattern: String.raw`x(?i)ab|cd|(?-i:e(?i)f|g)`,
    behavior: 'Isolated',
    invert: false,
  },
  { name: 'case-insensitive class', pattern: String.raw`(?i:[a-c]+|k)`, behavior: 'Isolated', invert: false },
  { name: 'scripts', pattern: String.raw`\p{Han}+|\p{Hangul}+|\p{Latin}+|\p{^L}`, behavior: 'Isolated', invert: false },
  { name: 'atomic', pattern: String.raw`(?>a+)b|a`, behavior: 'Isolated', invert: false },
  { name: 'possessive', pattern: String.raw`\s++\S|\d*+`, behavior: 'Isolated', invert: false },
  { name: 'hex', pattern: String.raw`\h+|\x{AC00}|\x41`, behavior: 'Isolated', invert: false },
  { name: 'lookbehind', pattern: String.raw`(?<=\s)\w+|(?<!\w)\d`, behavior: 'Isolated', invert: false },
  { name: 'contiguous', pattern: String.raw`\p{P}`, behavior: 'Contiguous', invert: false },
  { name: 'merged with next', pattern: String.raw`\s`, behavior: 'MergedWithNext', invert: false },
];

const nsmc = gunzipSync(readFileSync(join(data, 'nsmc/ratings_test.txt.gz')))
  .toString('utf8')
  .split('\n')
  .slice(1, 21)
  .map((l) => l.split('\t')[1])
  .filter(Boolean);
const texts = [
  '',
  'Hello world',
  "I'm sure they'll've said it's John's, isn't it? DON'T 'S 'ſ 'Ll",
  'Góra Łódź naïve café ² ³ ½ x_y ZWJ\u200dhere',
  'Numbers: 3.14159, 1,000,000 and 2024-11-22; 12345678',
  'tabs\tand\nnewlines\r\n\n  end  \n',
  'line one\nline two\r\nline three',
  '中文字符测试, 日本語のテキスト, 한국어 텍스트',
  'emoji 😀 family 👨‍👩‍👧‍👦 flag 🇰🇷 !!',
  'camelCaseWord HTTPServer iPhone ǅungla ΣΑΣ',
  'fn main() { let x = vec![1, 2, 3]; println!("{:?}", x); } // code',
  'def f(a, b=2):\n    return a**b  # comment\n',
  'NEL\u0085here nbsp\u00a0and ideographic\u3000space',
  'aaaab aaab ab b kK\u212a ABCabc xAB CD cd x eF G g',
  'ﬁ ﬀ \uFEFFbom ſ ß',
  ...nsmc,
];

// pieces[i][j]: pattern i on text j, as flat [start0, end0, start1, end1, …] UTF-16 offsets
const pieces = patterns.map((p) => {
  const pre = hfSplitter(p.pattern, p.behavior, p.invert);
  return texts.map((text) => {
    const map = cpToUnit(text);
    return pre.preTokenizeString(text).flatMap(([, [a, b]]) => [map[a], map[b]]);
  });
});
const outFile = join(repo, 'packages/tokenizer/test/fixtures/regex-golden.json');
writeFileSync(
  outFile,
  JSON.stringify({
    reference: `tokenizers ${hfVersion} (npm, Oniguruma)`,
    script: 'tooling/golden/tokenizer/make_regex_fixtures.mjs',
    patterns,
    texts,
    pieces,
  }) + '\n',
);
console.log(`wrote ${outFile}: ${patterns.length} patterns x ${texts.length} texts`);
