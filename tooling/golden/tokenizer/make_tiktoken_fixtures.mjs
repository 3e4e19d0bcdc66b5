// Golden ids for tiktoken encodings (cl100k_base, o200k_base) through tokenizer.json.
// The ranks come from the `js-tiktoken` npm package (no download); `fromTiktoken` of the
// built @wordloom/tokenizer turns them into a tokenizer.json with the original tiktoken
// patterns (`(?i:'s|…)`, also Llama 3's pattern for cl100k), which Hugging Face `tokenizers`
// (npm native binding) loads and encodes. Its ids are the fixture; the script also encodes
// with `js-tiktoken` and `gpt-tokenizer` and records where they agree with HF.
// Run from the repo root:
//   pnpm --filter @wordloom/tokenizer build && node tooling/golden/tokenizer/make_tiktoken_fixtures.mjs
// Writes packages/tokenizer/test/fixtures/tiktoken-golden.json. Needs ../shared/data.
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const data = resolve(repo, '../shared/data');
const requireGolden = createRequire(join(repo, 'tooling/golden/package.json'));
const requireBench = createRequire(join(repo, 'tooling/bench/package.json'));
const hf = requireGolden('tokenizers');
const version = (req, name) =>
  JSON.parse(readFileSync(join(req.resolve.paths(name)[0], name, 'package.json'), 'utf8')).version;
const ours = await import(pathToFileURL(join(repo, 'packages/tokenizer/dist/index.js')).href);
const imp = (req, spec) => import(pathToFileURL(req.resolve(spec)).href);
const { Tiktoken } = await imp(requireBench, 'js-tiktoken/lite');

/** js-tiktoken's compressed ranks -> `.tiktoken` text (base64 rank per line). */
export function tiktokenText(ranks) {
  const lines = [];
  for (const line of ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...toks] = line.split(' ');
    toks.forEach((t, i) => lines.push(`${t} ${Number(offset) + i}`));
  }
  return lines.join('\n') + '\n';
}

const CONTRACTIONS = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)`;
// tiktoken's own patterns (openai/tiktoken tiktoken_ext/openai_public.py); cl100k's is also Llama 3's
const PATTERNS = {
  cl100k_base: String.raw`${CONTRACTIONS}|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`,
  o200k_base: [
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+${CONTRACTIONS}?`,
    String.raw`[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*${CONTRACTIONS}?`,
    String.raw`\p{N}{1,3}`,
    String.raw` ?[^\s\p{L}\p{N}]+[\r\n/]*`,
    String.raw`\s*[\r\n]+`,
    String.raw`\s+(?!\S)`,
    String.raw`\s+`,
  ].join('|'),
};

// ---- texts: English, Korean, code, emoji, edge cases (a few hundred lines in all) ----
const gz = (p) => gunzipSync(readFileSync(p)).toString('utf8');
const wiki = gz(join(data, 'enwiki-slice/wiki_AB.txt.gz'))
  .split('\n')
  .filter((l) => !l.startsWith('<') && l.length >= 40 && l.length <= 600);
const english = wiki.filter((_, i) => i % 211 === 0).slice(0, 60);
const korean = gz(join(data, 'nsmc/ratings_test.txt.gz'))
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t')[1])
  .filter((l) => l && l.length > 10)
  .filter((_, i) => i % 997 === 0)
  .slice(0, 60);
const srcDir = join(repo, 'packages/tokenizer/src');
const code = readdirSync(srcDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .sort()
  .slice(0, 12)
  .map((f) => readFileSync(join(srcDir, f), 'utf8').split('\n').slice(0, 25).join('\n'));
const emoji = [
  'emoji 😀😃😄 family 👨‍👩‍👧‍👦 flags 🇰🇷🇯🇵🇺🇸 skin 👍🏽 keycap 1️⃣',
  'I ❤️ NY!!! 🎉🎉🎉 (╯°□°）╯︵ ┻━┻',
  '한국어와 emoji 😂 섞인 문장입니다 ㅋㅋㅋ ㅠㅠ',
];
const edge = [
  '',
  ' ',
  "I'm sure they'll've said it's John's, isn't it? DON'T 'S 'ſ 'LL 'Ll",
  'Numbers: 3.14159, 1,000,000 and 2024-11-22; 1234567890',
  'tabs\tand\nnewlines\r\n\n  end   \n\n\n',
  '    indented\n\t\tcode\r\n  \n',
  'naïve café résumé Ångström ﬁnance Góra Łódź',
  '中文字符测试, 日本語のテキスト',
  'camelCaseWord HTTPServer iPhone ǅungla ΣΑΣ',
  'NEL\u0085here BOM\ufeffthere nbsp\u00a0and ideographic\u3000space',
  'a'.repeat(300) + ' ' + '1'.repeat(50) + ' ' + '!'.repeat(40),
];
const texts = [...edge, ...english, ...korean, ...code, ...emoji];

const out = {
  script: 'tooling/golden/tokenizer/make_tiktoken_fixtures.mjs',
  reference: `tokenizers ${version(requireGolden, 'tokenizers')} (npm)`,
  peers: `js-tiktoken ${version(requireBench, 'js-tiktoken')}, gpt-tokenizer ${version(requireBench, 'gpt-tokenizer')}`,
  texts,
  encodings: {},
};
for (const name of ['cl100k_base', 'o200k_base']) {
  const ranks = (await imp(requireBench, `js-tiktoken/ranks/${name}`)).default;
  const tok = ours.fromTiktoken({
    ranks: tiktokenText(ranks),
    pattern: PATTERNS[name],
    specialTokens: ranks.special_tokens,
  });
  const json = ours.toTokenizerJson(tok);
  const merges = tok.model.merges;
  const hfTok = hf.Tokenizer.fromString(json);
  const jsTik = new Tiktoken(ranks);
  const gpt = await imp(requireBench, `gpt-tokenizer/encoding/${name}`);
  const ids = [];
  const disagree = { 'js-tiktoken': [], 'gpt-tokenizer': [], ours: [] };
  for (let i = 0; i < texts.length; i++) {
    const t = texts[i];
    const h = Array.from((await hfTok.encode(t, null, { addSpecialTokens: false })).getIds());
    ids.push(h);
    const same = (a) => a.length === h.length && a.every((x, k) => x === h[k]);
    if (!same(Array.from(jsTik.encode(t, [], [])))) disagree['js-tiktoken'].push(i);
    if (!same(Array.from(gpt.encode(t, { disallowedSpecial: new Set() })))) disagree['gpt-tokenizer'].push(i);
    if (!same(Array.from(tok.encodeIds(t)))) disagree.ours.push(i);
  }
  // special-token text: HF gives added tokens the next free ids after the vocabulary (cl100k
  // has a gap at 100256, so HF says 100256 where the file and tiktoken say 100257); we keep
  // the file's ids, as tiktoken does
  const specialText = 'special <|endoftext|> text';
  const special = {
    text: specialText,
    tiktoken: Array.from(jsTik.encode(specialText, 'all')),
    tokenizers: Array.from((await hfTok.encode(specialText, null, { addSpecialTokens: false })).getIds()),
  };
  out.encodings[name] = {
    special,
    pattern: PATTERNS[name],
    vocab: tok.model.vocabSize,
    merges: merges.length,
    mergesSha256: createHash('sha256').update(JSON.stringify(merges)).digest('hex'),
    ids,
    disagreeWithHf: disagree,
  };
  console.log(
    name,
    `vocab ${tok.model.vocabSize}, merges ${merges.length}; texts disagreeing with HF:`,
    JSON.stringify(disagree),
  );
}
const file = join(repo, 'packages/tokenizer/test/fixtures/tiktoken-golden.json');
writeFileSync(file, JSON.stringify(out) + '\n');
console.log(`wrote ${file} (${texts.length} texts)`);
