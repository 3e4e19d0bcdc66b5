// Compare our trainUnigram with spm_train (issue 19, item 6). Needs the sentencepiece CLI
// (Debian `sentencepiece` 0.1.97) and ../shared/data. Usage:
//   pnpm --filter @wordloom/tokenizer build
//   node tooling/golden/tokenizer/sentencepiece/compare_trainer.mjs [vocab=8000] [lines=150000]
// Trains both on the first `lines` NSMC-raw-derived training reviews with the same settings
// (unigram, character_coverage 0.9995, nmt_nfkc — our charsmap is read from spm's model),
// then reports piece overlap (|ours ∩ spm| / |spm| over normal pieces) and tokens per sentence
// on 5,000 held-out NSMC test reviews. Prints JSON; the README records the figures.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../../..');
const data = process.env.WORDLOOM_DATA ?? resolve(repo, '../shared/data');
const ours = await import(join(repo, 'packages/tokenizer/dist/index.js'));
const vocab = Number(process.argv[2] ?? 8000);
const nLines = Number(process.argv[3] ?? 150000);

const docs = (file) =>
  gunzipSync(readFileSync(join(data, 'nsmc', file)))
    .toString('utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[1])
    .filter((d) => d !== undefined && d.length > 0);
const train = docs('ratings_train.derived.txt.gz').slice(0, nLines);
const held = docs('ratings_test.txt.gz').slice(0, 5000);
const tmp = mkdtempSync(join(tmpdir(), 'wl-unigram-'));
writeFileSync(join(tmp, 'train.txt'), train.join('\n') + '\n');

const t0 = Date.now();
execFileSync('spm_train', [
  `--input=${join(tmp, 'train.txt')}`,
  `--model_prefix=${join(tmp, 'spm')}`,
  '--model_type=unigram',
  `--vocab_size=${vocab}`,
  '--character_coverage=0.9995',
  '--num_threads=2',
  '--minloglevel=2',
]);
const spmMs = Date.now() - t0;
const spmBytes = new Uint8Array(readFileSync(join(tmp, 'spm.model')));
const spmProto = ours.parseSentencePieceModel(spmBytes);
const spmTok = ours.readSentencePieceModel(spmBytes);

const t1 = Date.now();
const res = await ours.trainUnigram(train, {
  vocabSize: vocab,
  characterCoverage: 0.9995,
  charsmap: spmProto.normalizerSpec.precompiledCharsmap,
  onProgress: (p) =>
    process.stderr.write(
      `${p.stage} it=${p.iteration} pieces=${p.pieces} obj=${p.objective.toFixed(3)} ${p.elapsedMs}ms\n`,
    ),
});
const oursMs = Date.now() - t1;

const normal = (pieces) => new Set(pieces.filter((p) => p.type === 1).map((p) => p.piece));
const a = normal(res.pieces);
const b = normal(spmProto.pieces);
let inter = 0;
for (const p of a) if (b.has(p)) inter++;
const tps = (tok) => held.reduce((s, l) => s + tok.encode(l).ids.length, 0) / held.length;
const out = {
  date: new Date().toISOString(),
  corpus: `NSMC-raw derived train, first ${train.length} reviews`,
  vocab,
  spmNormalPieces: b.size,
  oursNormalPieces: a.size,
  overlap: inter,
  overlapPct: +((100 * inter) / b.size).toFixed(2),
  tokensPerSentence: { ours: +tps(res.tokenizer).toFixed(3), spm: +tps(spmTok).toFixed(3), heldOut: held.length },
  wallMs: { ours: oursMs, spm_train_2threads: spmMs },
};
console.log(JSON.stringify(out, null, 1));
