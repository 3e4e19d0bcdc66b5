// Golden fixtures for writeSentencePieceModel (issue 19): trains two small Unigram models with our
// trainUnigram, writes each as a .model file with writeSentencePieceModel, and records the ids that
// sentencepiece's own `spm_encode --output_format=id` (Debian `sentencepiece` 0.1.97 CLI) gives for
// the same 165 held-out and edge-case lines as the spm_train fixtures (ko-unigram.json /
// en-unigram.json). The CI test (src/sentencepiece-writer.test.ts) checks that the committed file
// reads back and encodes as these ids. Needs the CLI and ../shared/data (NSMC: CC0; enwiki slice:
// CC BY-SA 3.0). Usage:
//   pnpm --filter @wordloom/tokenizer build
//   node tooling/golden/tokenizer/sentencepiece/make_written_fixtures.mjs [--check]
// --check writes nothing: it trains, writes the .model bytes in memory and says whether the committed
// files are what the current trainer writes (exit 1 if not). WORDLOOM_TOKENIZER_DIST=<dir> takes the
// package's build from another folder (e.g. `tsc -p packages/tokenizer/tsconfig.build.json --outDir /tmp/x`).
// Each .json records the last commit that touched packages/tokenizer/src when it was made (`trainerCommit`):
// the committed .model files are what trainUnigram wrote at that commit. Regenerated 2026-12-03 (session 9):
// the files of 2dd43a2 (09:15) were no longer what trainUnigram writes — the same 2,000 / 800 pieces with the
// same float32 scores, but pieces of equal score in another order (685 ko and 35 en pieces at other positions,
// so other ids), since the trainer rewrite of 12:21–12:43 (3939081…945103e; the build of 14:05 and the sources
// at 796d7ab write the same files). spm_encode's ids were recorded again on the new files: 84/165 ko lines and
// 3/165 en lines get other ids (the same number of tokens each), and ours still equal them on 165/165.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const data = process.env.WORDLOOM_DATA ?? resolve(repo, '../shared/data');
const out = join(repo, 'packages/tokenizer/test/fixtures/sentencepiece');
const ours = await import(
  join(process.env.WORDLOOM_TOKENIZER_DIST ?? join(repo, 'packages/tokenizer/dist'), 'index.js')
);
const check = process.argv.includes('--check');
const trainerCommit = execFileSync('git', ['log', '-1', '--format=%H', '--', 'packages/tokenizer/src'], {
  cwd: repo,
  encoding: 'utf8',
}).trim();

const gz = (file) => gunzipSync(readFileSync(file)).toString('utf8').split('\n');
const nsmc = gz(join(data, 'nsmc', 'ratings_train.derived.txt.gz'))
  .slice(1)
  .map((l) => l.split('\t')[1])
  .filter((d) => d !== undefined && d.length > 0);
const enwiki = gz(join(data, 'enwiki-slice', 'wiki_AA.txt.gz'))
  .filter((l) => l.length > 0 && !l.startsWith('<doc') && !l.startsWith('</doc'))
  .map((l) => l.slice(0, 300));
const koCharsmap = ours.parseSentencePieceModel(new Uint8Array(readFileSync(join(out, 'ko-unigram.model'))))
  .normalizerSpec.precompiledCharsmap;

const MODELS = [
  {
    name: 'ours-ko-unigram',
    lines: 'ko-unigram',
    train: nsmc.slice(0, 10000),
    about: 'first 10,000 NSMC-raw derived train reviews; nmt_nfkc charsmap read from ko-unigram.model',
    options: { vocabSize: 2000, padPiece: '<pad>', charsmap: koCharsmap },
  },
  {
    name: 'ours-en-unigram',
    lines: 'en-unigram',
    train: enwiki.slice(0, 6000),
    about: 'first 6,000 enwiki-slice paragraphs (cut at 300 chars); identity rule (no charsmap)',
    options: { vocabSize: 800, byteFallback: true, userDefinedSymbols: ['<sep>', '[MASK]', 'http'] },
  },
];

const tmp = mkdtempSync(join(tmpdir(), 'wl-spm-written-'));
const summary = {};
try {
  for (const m of MODELS) {
    const res = await ours.trainUnigram(m.train, m.options);
    const bytes = ours.writeSentencePieceModel(res.tokenizer);
    const file = join(out, `${m.name}.model`);
    if (check) {
      const same = Buffer.from(bytes).equals(readFileSync(file));
      summary[m.name] = { bytes: bytes.length, pieces: res.pieces.length, sameAsCommitted: same };
      process.stderr.write(
        `${m.name}: ${same ? 'the committed file is' : 'the committed file is NOT'} what the trainer writes now\n`,
      );
      if (!same) process.exitCode = 1;
      continue;
    }
    writeFileSync(file, bytes);
    const { lines } = JSON.parse(readFileSync(join(out, `${m.lines}.json`), 'utf8'));
    const input = join(tmp, 'lines.txt');
    writeFileSync(input, lines.join('\n') + '\n');
    const text = execFileSync('spm_encode', [`--model=${file}`, '--output_format=id', `--input=${input}`], {
      encoding: 'utf8',
      maxBuffer: 1 << 26,
    });
    const ids = text
      .split('\n')
      .slice(0, lines.length)
      .map((l) => (l.trim() === '' ? [] : l.trim().split(/\s+/).map(Number)));
    const agree = lines.filter(
      (l, i) => JSON.stringify(Array.from(res.tokenizer.encode(l).ids)) === JSON.stringify(ids[i]),
    ).length;
    const { charsmap: _c, ...options } = m.options;
    writeFileSync(
      join(out, `${m.name}.json`),
      JSON.stringify({
        model: `${m.name}.model`,
        madeBy: 'tooling/golden/tokenizer/sentencepiece/make_written_fixtures.mjs',
        trainerCommit,
        reference: 'spm_encode --output_format=id (sentencepiece 0.1.97, Debian)',
        trainedOn: m.about,
        options,
        lines,
        ids,
      }),
    );
    summary[m.name] = {
      bytes: bytes.length,
      pieces: res.pieces.length,
      lines: lines.length,
      agreeWithTrainedTokenizer: agree,
    };
    process.stderr.write(`${m.name}: ${JSON.stringify(summary[m.name])}\n`);
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.log(JSON.stringify(summary, null, 1));
