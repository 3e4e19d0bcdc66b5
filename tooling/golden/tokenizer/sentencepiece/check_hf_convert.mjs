// Converter check (issue 19, item 5): our sentencePieceToTokenizerJson of each golden .model,
// loaded in Hugging Face `tokenizers` (npm native binding, tooling/golden/node_modules), must
// encode the held-out lines with the ids spm_encode gave. Writes
// packages/tokenizer/test/fixtures/sentencepiece/<name>.hf-tokenizer.json (the converted file,
// for ko-unigram and en-bpe) and hf-convert-summary.json (HF's ids and agreement counts).
//   pnpm --filter @wordloom/tokenizer build && node tooling/golden/tokenizer/sentencepiece/check_hf_convert.mjs
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const fx = join(repo, 'packages/tokenizer/test/fixtures/sentencepiece');
const require = createRequire(join(repo, 'tooling/golden/package.json'));
const hf = require('tokenizers');
const hfVersion = JSON.parse(readFileSync(require.resolve('tokenizers/package.json'), 'utf8')).version;
const ours = await import(join(repo, 'packages/tokenizer/dist/index.js'));

const summary = { tokenizers: hfVersion, models: {} };
for (const name of ['ko-unigram', 'ko-bpe', 'en-unigram', 'en-bpe']) {
  const bytes = new Uint8Array(readFileSync(join(fx, `${name}.model`)));
  const json = JSON.stringify(ours.sentencePieceToTokenizerJson(bytes));
  const golden = JSON.parse(readFileSync(join(fx, `${name}.json`), 'utf8'));
  const tok = hf.Tokenizer.fromString(json);
  const mine = ours.fromTokenizerJson(json);
  const hfIds = [];
  let hfSame = 0;
  let oursSame = 0;
  let oursHf = 0;
  const diffs = [];
  for (let i = 0; i < golden.lines.length; i++) {
    const line = golden.lines[i];
    const enc = await tok.encode(line, null, { addSpecialTokens: false });
    const ids = Array.from(enc.getIds());
    hfIds.push(ids);
    const spm = JSON.stringify(golden.ids[i]);
    if (JSON.stringify(ids) === spm) hfSame++;
    else if (diffs.length < 8) diffs.push({ line, hf: ids, spm: golden.ids[i] });
    const o = JSON.stringify(Array.from(mine.encode(line, { allowedSpecial: 'all' }).ids));
    if (o === spm) oursSame++;
    if (o === JSON.stringify(ids)) oursHf++;
  }
  summary.models[name] = {
    lines: golden.lines.length,
    hfEqualsSpm: hfSame,
    oursFromConvertedEqualsSpm: oursSame,
    oursFromConvertedEqualsHf: oursHf,
    diffs,
  };
  if (name === 'ko-unigram' || name === 'en-bpe') {
    writeFileSync(join(fx, `${name}.hf-tokenizer.json`), json);
    summary.models[name].hfIds = hfIds;
  }
  console.log(name, JSON.stringify({ ...summary.models[name], hfIds: undefined, diffs: diffs.length }));
}
writeFileSync(join(fx, 'hf-convert-summary.json'), JSON.stringify(summary, null, 1));
