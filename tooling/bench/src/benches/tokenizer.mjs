/**
 * @wordloom/tokenizer benchmarks.
 *
 * tokenizer.encode.gpt2 — MB/s encoding 10 MB of English (enwiki-slice `wiki_AA`, `<doc>` lines
 *   dropped, first 10,000,000 bytes) with the GPT-2 vocabulary (`tokenizers/gpt2`). Ours:
 *   `fromGpt2Files(...).encodeIds(text)` (ids only, as the peers return). Peers in the same run:
 *   `gpt-tokenizer` (r50k_base = GPT-2), `js-tiktoken` (`getEncoding('gpt2')`), `tokenizers`
 *   (HF native binding, `encode(text)` of the same GPT-2 files). Setup checks every
 *   implementation gives the same number of ids on a 200 KB prefix. Goal: ≥ 1.5× the faster JS peer.
 * tokenizer.encode.korean — the same on NSMC review text (`nsmc/ratings_test.txt.gz`, the
 *   50,000 documents joined by '\n', 4.4 MB of UTF-8).
 * tokenizer.encode.cl100k — MB/s encoding the same 10 MB of English with cl100k_base (GPT-4). Ours:
 *   `fromTiktoken` of js-tiktoken's cl100k ranks with tiktoken's own pattern (`(?i:'s|…)`, run
 *   through our Oniguruma-compatible regex translation), `encodeIds(text)`. Peers: `gpt-tokenizer`
 *   (`encoding/cl100k_base`), `js-tiktoken` (`getEncoding('cl100k_base')`), `tokenizers` (HF native,
 *   loading our tokenizer.json). Goal: ≥ 1.5× the faster JS peer.
 * tokenizer.encode.unigram — MB/s encoding the 50,000 NSMC test reviews one by one (a list of
 *   strings, 4.4 MB) with a sentencepiece Unigram model (the committed golden
 *   `ko-unigram.model`, vocab 2,000, trained by spm_train on NSMC). Ours:
 *   `readSentencePieceModel(bytes).encodeIds(line)` per line; peer: sentencepiece's Python
 *   binding `sp.encode(lines, num_threads=1 and 2)` (0.1.97, python3-sentencepiece; the faster reported).
 *   Setup checks both give the same ids on the first 2,000 lines. Goal: ≥ 1.0×.
 * tokenizer.train.unigram8k — wall time and peak RSS to train an 8k Unigram model on the
 *   150,000 NSMC-raw-derived training reviews (`nsmc/ratings_train.derived.txt.gz`), fresh
 *   process per run. Ours: `trainUnigram` (character coverage 0.9995, the nmt_nfkc charsmap read
 *   from the golden .model); peer: `spm_train --model_type=unigram --vocab_size=8000
 *   --character_coverage=0.9995 --num_threads=2`. Goal: wall ≤ 1.0×. `--quick`: 30,000 reviews,
 *   vocab 2,000.
 * tokenizer.train.bpe32k — wall time and peak RSS to train a 32k byte-level BPE (GPT-2
 *   pre-tokenizer, 256-byte initial alphabet) on 10 MB of English (enwiki-slice `wiki_AB`), each
 *   run in a fresh process. Peers: `sentencepiece` (`spm_train --model_type=bpe
 *   --vocab_size=32000 --character_coverage=1.0`, peak RSS from `/usr/bin/time -f %M`) and
 *   `tokenizers` (HF's BpeTrainer through the Node binding, whose `train(files)` only takes the
 *   default trainer: vocab 30,000 — slightly less work than 32k). Goal: at least as fast as
 *   sentencepiece. `--quick`: 1 MB and vocab 4,000 (sentencepiece 4,000 too).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);

function englishText(ctx, file, bytes) {
  const raw = gunzipSync(readFileSync(ctx.data(`enwiki-slice/${file}`))).toString('utf8');
  const text = raw
    .split('\n')
    .filter((l) => !l.startsWith('<doc') && !l.startsWith('</doc'))
    .join('\n');
  let s = Buffer.from(text, 'utf8').subarray(0, bytes).toString('utf8');
  s = s.slice(0, s.lastIndexOf('\n') + 1); // whole lines, no cut UTF-8
  return s;
}

function koreanText(ctx, bytes) {
  const raw = gunzipSync(readFileSync(ctx.data('nsmc/ratings_test.txt.gz'))).toString('utf8');
  const docs = raw
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((l) => l.split('\t')[1]);
  const text = docs.join('\n');
  if (bytes === undefined) return text;
  const s = Buffer.from(text, 'utf8').subarray(0, bytes).toString('utf8');
  return s.slice(0, s.lastIndexOf('\n') + 1);
}

async function gpt2Tokenizers(ctx) {
  const vocab = readFileSync(ctx.data('tokenizers/gpt2/encoder.json'), 'utf8');
  const merges = readFileSync(ctx.data('tokenizers/gpt2/vocab.bpe'), 'utf8');
  const { fromGpt2Files } = await import('@wordloom/tokenizer');
  const ours = fromGpt2Files({ vocab, merges });
  return { ours, vocab, merges };
}

function hfGpt2(vocab, merges) {
  const hf = require('tokenizers');
  const json = {
    version: '1.0',
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
      vocab: JSON.parse(vocab),
      merges: merges.split('\n').slice(1).filter(Boolean),
    },
  };
  return hf.Tokenizer.fromString(JSON.stringify(json));
}

function encodeBench(name, description, getText) {
  const mbps = (bytes, ms) => bytes / 1e6 / (ms / 1000);
  return {
    name,
    description,
    units: { throughput: 'MB/s' },
    higherIsBetter: { throughput: true },
    warmup: 1,
    runs: 3,
    async setup(ctx) {
      const text = getText(ctx);
      const bytes = Buffer.byteLength(text, 'utf8');
      const { ours, vocab, merges } = await gpt2Tokenizers(ctx);
      const { encode: gptEncode } = await import('gpt-tokenizer/encoding/r50k_base');
      const { getEncoding } = await import('js-tiktoken');
      const tiktoken = getEncoding('gpt2');
      const hf = hfGpt2(vocab, merges);
      const probe = text.slice(0, 200_000);
      const n = ours.encodeIds(probe).length;
      const hfIds = (await hf.encode(probe)).getIds();
      const counts = {
        'gpt-tokenizer': gptEncode(probe).length,
        'js-tiktoken': tiktoken.encode(probe).length,
        tokenizers: hfIds.length,
      };
      for (const [peer, c] of Object.entries(counts))
        if (c !== n) ctx.log(`${name}: ${peer} gives ${c} ids on the probe, ours ${n}`);
      ctx.log(
        `${name}: ${(bytes / 1e6).toFixed(2)} MB of text; ${n} ids on the 200 KB probe (same count for all peers: ${Object.values(counts).every((c) => c === n)})`,
      );
      return { text, bytes, ours, gptEncode, tiktoken, hf };
    },
    async ours(s) {
      const t = performance.now();
      s.ours.encodeIds(s.text);
      return { throughput: mbps(s.bytes, performance.now() - t) };
    },
    peers: [
      {
        name: 'gpt-tokenizer',
        available: async () => true,
        async run(s) {
          const t = performance.now();
          s.gptEncode(s.text);
          return { throughput: mbps(s.bytes, performance.now() - t) };
        },
      },
      {
        name: 'js-tiktoken',
        available: async () => true,
        async run(s) {
          const t = performance.now();
          s.tiktoken.encode(s.text);
          return { throughput: mbps(s.bytes, performance.now() - t) };
        },
      },
      {
        name: 'tokenizers',
        available: async () => true,
        async run(s) {
          const t = performance.now();
          await s.hf.encode(s.text);
          return { throughput: mbps(s.bytes, performance.now() - t) };
        },
      },
    ],
  };
}

const CL100K_PATTERN = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** js-tiktoken's compressed ranks -> `.tiktoken` text (base64 rank per line). */
function tiktokenText(ranks) {
  const lines = [];
  for (const line of ranks.bpe_ranks.split('\n')) {
    if (!line) continue;
    const [, offset, ...toks] = line.split(' ');
    toks.forEach((t, i) => lines.push(`${t} ${Number(offset) + i}`));
  }
  return lines.join('\n') + '\n';
}

const cl100kBench = {
  name: 'tokenizer.encode.cl100k',
  description: 'MB/s encoding 10 MB of English text with cl100k_base (ids only)',
  units: { throughput: 'MB/s' },
  higherIsBetter: { throughput: true },
  warmup: 1,
  runs: 3,
  async setup(ctx) {
    const text = englishText(ctx, 'wiki_AA.txt.gz', ctx.quick ? 500_000 : 10_000_000);
    const bytes = Buffer.byteLength(text, 'utf8');
    const { fromTiktoken, toTokenizerJson } = await import('@wordloom/tokenizer');
    const ranks = (await import('js-tiktoken/ranks/cl100k_base')).default;
    let t0 = performance.now();
    const ours = fromTiktoken({
      ranks: tiktokenText(ranks),
      pattern: CL100K_PATTERN,
      specialTokens: ranks.special_tokens,
    });
    const oursLoadMs = performance.now() - t0;
    const { encode: gptEncode } = await import('gpt-tokenizer/encoding/cl100k_base');
    const { getEncoding } = await import('js-tiktoken');
    t0 = performance.now();
    const tiktoken = getEncoding('cl100k_base');
    const tiktokenLoadMs = performance.now() - t0;
    const hf = require('tokenizers').Tokenizer.fromString(toTokenizerJson(ours));
    const probe = text.slice(0, 200_000);
    const n = ours.encodeIds(probe).length;
    const counts = {
      'gpt-tokenizer': gptEncode(probe).length,
      'js-tiktoken': tiktoken.encode(probe).length,
      tokenizers: (await hf.encode(probe, null, { addSpecialTokens: false })).getIds().length,
    };
    for (const [peer, c] of Object.entries(counts))
      if (c !== n) ctx.log(`tokenizer.encode.cl100k: ${peer} gives ${c} ids on the probe, ours ${n}`);
    ctx.log(
      `tokenizer.encode.cl100k: ${(bytes / 1e6).toFixed(2)} MB; ${n} ids on the 200 KB probe (same for all peers: ${Object.values(counts).every((c) => c === n)}); load ours ${oursLoadMs.toFixed(0)} ms, js-tiktoken ${tiktokenLoadMs.toFixed(0)} ms`,
    );
    return { text, bytes, ours, gptEncode, tiktoken, hf };
  },
  async ours(s) {
    const t = performance.now();
    s.ours.encodeIds(s.text);
    return { throughput: s.bytes / 1e6 / ((performance.now() - t) / 1000) };
  },
  peers: [
    {
      name: 'gpt-tokenizer',
      available: async () => true,
      async run(s) {
        const t = performance.now();
        s.gptEncode(s.text);
        return { throughput: s.bytes / 1e6 / ((performance.now() - t) / 1000) };
      },
    },
    {
      name: 'js-tiktoken',
      available: async () => true,
      async run(s) {
        const t = performance.now();
        s.tiktoken.encode(s.text);
        return { throughput: s.bytes / 1e6 / ((performance.now() - t) / 1000) };
      },
    },
    {
      name: 'tokenizers',
      available: async () => true,
      async run(s) {
        const t = performance.now();
        await s.hf.encode(s.text, null, { addSpecialTokens: false });
        return { throughput: s.bytes / 1e6 / ((performance.now() - t) / 1000) };
      },
    },
  ],
};

/** Run a command, polling /proc for its peak RSS (VmHWM) — used when /usr/bin/time is absent. */
function runMeasured(cmd, args) {
  return new Promise((resolve, reject) => {
    const useTime = existsSync('/usr/bin/time');
    const t0 = performance.now();
    const child = useTime
      ? spawn('/usr/bin/time', ['-f', 'WORDLOOM_MAXRSS_KB=%M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    let out = '';
    let hwm = 0;
    const poll = useTime
      ? null
      : setInterval(() => {
          try {
            const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
            if (m) hwm = Math.max(hwm, Number(m[1]));
          } catch {
            /* process gone */
          }
        }, 50);
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (poll) clearInterval(poll);
      const wallMs = performance.now() - t0;
      if (code !== 0)
        return reject(new Error(`${cmd} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`));
      const m = /WORDLOOM_MAXRSS_KB=(\d+)/.exec(err);
      const kb = m ? Number(m[1]) : hwm;
      resolve({ wallMs, peakRssMB: kb / 1024, stdout: out });
    });
  });
}

const trainBench = {
  name: 'tokenizer.train.bpe32k',
  description: 'wall time and peak RSS to train a 32k byte-level BPE on 10 MB of English (fresh process per run)',
  units: { wall: 's', peak_rss: 'MB' },
  higherIsBetter: { wall: false, peak_rss: false },
  warmup: 0,
  runs: 3,
  async setup(ctx) {
    const dir = mkdtempSync(path.join(tmpdir(), 'wordloom-tok-bench-'));
    const bytes = ctx.quick ? 1_000_000 : 10_000_000;
    const vocabSize = ctx.quick ? 4000 : 32000;
    const corpus = path.join(dir, 'corpus.txt');
    writeFileSync(corpus, englishText(ctx, 'wiki_AB.txt.gz', bytes));
    const dist = path.join(ctx.repoRoot, 'packages/tokenizer/dist/index.js');
    const oursScript = path.join(dir, 'train-ours.mjs');
    writeFileSync(
      oursScript,
      `import { Tokenizer, BPE, ByteLevel, byteLevelAlphabet } from ${JSON.stringify(dist)};
export default async function (file, vocabSize) {
  const tok = new Tokenizer({ model: new BPE({ vocab: new Map(), merges: [] }), preTokenizer: new ByteLevel() });
  await tok.train({ files: [file] }, { vocabSize, initialAlphabet: byteLevelAlphabet() });
  return { vocabSize: tok.vocabSize };
}
`,
    );
    const hfScript = path.join(dir, 'train-hf.cjs');
    writeFileSync(
      hfScript,
      `const { Tokenizer, BPE, byteLevelPreTokenizer } = require(${JSON.stringify(require.resolve('tokenizers'))});
const t = new Tokenizer(BPE.empty());
t.setPreTokenizer(byteLevelPreTokenizer(false, true));
t.train([process.argv[2]]);
console.log(JSON.stringify({ vocabSize: t.getVocabSize() }));
`,
    );
    ctx.log(`tokenizer.train.bpe32k: ${(bytes / 1e6).toFixed(1)} MB corpus, vocab ${vocabSize}`);
    return { dir, corpus, vocabSize, oursScript, hfScript };
  },
  async ours(s, ctx) {
    const r = await ctx.measureChild(s.oursScript, [s.corpus, s.vocabSize]);
    if (r.result.vocabSize !== s.vocabSize)
      throw new Error(`trained ${r.result.vocabSize} tokens, wanted ${s.vocabSize}`);
    return { wall: r.wallMs / 1000, peak_rss: r.peakRssMB };
  },
  peers: [
    {
      name: 'sentencepiece',
      async available() {
        return existsSync('/usr/bin/spm_train') || 'spm_train not on PATH (Debian package sentencepiece)';
      },
      async run(s) {
        const r = await runMeasured('spm_train', [
          `--input=${s.corpus}`,
          `--model_prefix=${path.join(s.dir, 'spm')}`,
          `--vocab_size=${s.vocabSize}`,
          '--model_type=bpe',
          '--character_coverage=1.0',
          '--minloglevel=2',
        ]);
        return { wall: r.wallMs / 1000, peak_rss: r.peakRssMB };
      },
    },
    {
      name: 'tokenizers',
      available: async () => true,
      async run(s) {
        const r = await runMeasured(process.execPath, [s.hfScript, s.corpus]);
        return { wall: r.wallMs / 1000, peak_rss: r.peakRssMB };
      },
    },
  ],
  async teardown(s) {
    rmSync(s.dir, { recursive: true, force: true });
  },
};

function nsmcDocs(ctx, file) {
  return gunzipSync(readFileSync(ctx.data(`nsmc/${file}`)))
    .toString('utf8')
    .split('\n')
    .slice(1)
    .map((l) => l.split('\t')[1])
    .filter((d) => d !== undefined && d.length > 0);
}

const goldenModel = (ctx, name) =>
  path.join(ctx.repoRoot, `packages/tokenizer/test/fixtures/sentencepiece/${name}.model`);

const SPM_ENCODE_PY = `
import json, sys, time
import sentencepiece as spm
model, corpus, probe = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(corpus, encoding='utf-8').read().split('\\n')[:-1]
sp = spm.SentencePieceProcessor(model_file=model)
if probe == '1':
    print(json.dumps({'ids': sp.encode(lines[:2000], num_threads=1)}))
    sys.exit(0)
nbytes = sum(len(l.encode('utf-8')) for l in lines)
# The peer in its best setting: 1 and 2 threads both measured, the faster reported and named.
by = {}
for threads in (1, 2):
    t = time.perf_counter()
    sp.encode(lines, num_threads=threads)
    by[threads] = nbytes / 1e6 / (time.perf_counter() - t)
best = max(by, key=by.get)
print(json.dumps({'throughput': by[best], 'threads': best, 'byThreads': by}))
`;

const unigramEncodeBench = {
  name: 'tokenizer.encode.unigram',
  description: 'MB/s encoding 50,000 NSMC reviews one by one with a sentencepiece Unigram model (ids only)',
  units: { throughput: 'MB/s' },
  higherIsBetter: { throughput: true },
  warmup: 1,
  runs: 3,
  async setup(ctx) {
    const { readSentencePieceModel } = await import('@wordloom/tokenizer');
    const model = goldenModel(ctx, 'ko-unigram');
    const ours = readSentencePieceModel(new Uint8Array(readFileSync(model)));
    const lines = nsmcDocs(ctx, 'ratings_test.txt.gz').slice(0, ctx.quick ? 5000 : undefined);
    const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l, 'utf8'), 0);
    const dir = mkdtempSync(path.join(tmpdir(), 'wordloom-unigram-bench-'));
    const corpus = path.join(dir, 'lines.txt');
    writeFileSync(corpus, lines.join('\n') + '\n');
    const py = path.join(dir, 'spm_encode.py');
    writeFileSync(py, SPM_ENCODE_PY);
    let same = null;
    if (await ctx.pythonHas(['sentencepiece'])) {
      const ref = (await ctx.python(py, [model, corpus, '1'])).ids;
      same = ref.every((ids, i) => JSON.stringify(ids) === JSON.stringify(Array.from(ours.encodeIds(lines[i]))));
      if (!same) throw new Error('tokenizer.encode.unigram: ours and sentencepiece disagree on the probe lines');
    }
    ctx.log(
      `tokenizer.encode.unigram: ${lines.length} lines, ${(bytes / 1e6).toFixed(2)} MB; probe ids identical: ${same}`,
    );
    return { dir, lines, bytes, ours, model, corpus, py };
  },
  async ours(s) {
    const t = performance.now();
    for (const l of s.lines) s.ours.encodeIds(l);
    return { throughput: s.bytes / 1e6 / ((performance.now() - t) / 1000) };
  },
  peers: [
    {
      name: 'sentencepiece',
      async available(ctx) {
        return (await ctx.pythonHas(['sentencepiece'])) || 'python3-sentencepiece not installed';
      },
      async run(s, ctx) {
        const r = await ctx.python(s.py, [s.model, s.corpus, '0']);
        ctx.log(`  sentencepiece: ${r.threads} thread(s) faster (${JSON.stringify(r.byThreads)} MB/s)`);
        return { throughput: r.throughput };
      },
    },
  ],
  async teardown(s) {
    rmSync(s.dir, { recursive: true, force: true });
  },
};

const unigramTrainBench = {
  name: 'tokenizer.train.unigram8k',
  description: 'wall time and peak RSS to train an 8k Unigram model on 150,000 NSMC reviews (fresh process per run)',
  units: { wall: 's', peak_rss: 'MB' },
  higherIsBetter: { wall: false, peak_rss: false },
  warmup: 0,
  runs: 3,
  async setup(ctx) {
    const dir = mkdtempSync(path.join(tmpdir(), 'wordloom-unigram-train-'));
    const lines = nsmcDocs(ctx, 'ratings_train.derived.txt.gz').slice(0, ctx.quick ? 30000 : 150000);
    const vocabSize = ctx.quick ? 2000 : 8000;
    const corpus = path.join(dir, 'corpus.txt');
    writeFileSync(corpus, lines.join('\n') + '\n');
    const dist = path.join(ctx.repoRoot, 'packages/tokenizer/dist/index.js');
    const oursScript = path.join(dir, 'train-ours.mjs');
    writeFileSync(
      oursScript,
      `import { readFileSync } from 'node:fs';
import { trainUnigram, parseSentencePieceModel } from ${JSON.stringify(dist)};
export default async function (file, vocabSize, model) {
  const charsmap = parseSentencePieceModel(new Uint8Array(readFileSync(model))).normalizerSpec.precompiledCharsmap;
  const res = await trainUnigram({ files: [file] }, { vocabSize, characterCoverage: 0.9995, charsmap });
  return { vocabSize: res.pieces.length };
}
`,
    );
    ctx.log(`tokenizer.train.unigram8k: ${lines.length} reviews, vocab ${vocabSize}`);
    return { dir, corpus, vocabSize, oursScript, model: goldenModel(ctx, 'ko-unigram') };
  },
  async ours(s, ctx) {
    const r = await ctx.measureChild(s.oursScript, [s.corpus, s.vocabSize, s.model]);
    if (r.result.vocabSize !== s.vocabSize)
      throw new Error(`trained ${r.result.vocabSize} pieces, wanted ${s.vocabSize}`);
    return { wall: r.wallMs / 1000, peak_rss: r.peakRssMB };
  },
  peers: [
    {
      name: 'sentencepiece',
      async available() {
        return existsSync('/usr/bin/spm_train') || 'spm_train not on PATH (Debian package sentencepiece)';
      },
      async run(s) {
        const r = await runMeasured('spm_train', [
          `--input=${s.corpus}`,
          `--model_prefix=${path.join(s.dir, 'spm')}`,
          `--vocab_size=${s.vocabSize}`,
          '--model_type=unigram',
          '--character_coverage=0.9995',
          '--num_threads=2',
          '--minloglevel=2',
        ]);
        return { wall: r.wallMs / 1000, peak_rss: r.peakRssMB };
      },
    },
  ],
  async teardown(s) {
    rmSync(s.dir, { recursive: true, force: true });
  },
};

export default [
  encodeBench(
    'tokenizer.encode.gpt2',
    'MB/s encoding 10 MB of English text with the GPT-2 vocabulary (ids only)',
    (ctx) => englishText(ctx, 'wiki_AA.txt.gz', ctx.quick ? 500_000 : 10_000_000),
  ),
  encodeBench(
    'tokenizer.encode.korean',
    'MB/s encoding NSMC Korean reviews (4.4 MB) with the GPT-2 vocabulary (ids only)',
    (ctx) => koreanText(ctx, ctx.quick ? 300_000 : undefined),
  ),
  cl100kBench,
  trainBench,
  unigramEncodeBench,
  unigramTrainBench,
];
