import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as tf from '@tensorflow/tfjs-core';
import { readSafetensors } from '@wordloom/core';
import { readWord2VecFormat } from '@wordloom/embeddings';
import { fromTokenizerJson } from '@wordloom/tokenizer';
import { beforeAll, describe, expect, it } from 'vitest';
import { withCtrlCAt } from '../testdata/interrupt.js';
import { CliError, parseCommandArgs } from '../args.js';
import { classifyCommands, classifyNsmcCommand } from './classify.js';
import { cliTestDir, runCommand } from './testdata/run-cli.js';

const here = dirname(fileURLToPath(import.meta.url));
/** 200 rows of the NSMC test split (packages/data/test/fixtures/README.md; CC0). */
const fixture = resolve(here, '../../../../packages/data/test/fixtures/nsmc_200.txt');
const tmp = cliTestDir('wordloom-classify-');

/** A data folder laid out as ../shared/data: the fixture's first 160 rows train, the last 40 test. */
function makeDataDir(name: string, transformTrain: (lines: string[]) => string[] = (l) => l): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'nsmc'), { recursive: true });
  const lines = readFileSync(fixture, 'utf8')
    .split('\n')
    .filter((l) => l !== '');
  const [header, ...rows] = lines;
  writeFileSync(
    join(dir, 'nsmc/ratings_train.derived.txt.gz'),
    gzipSync([header, ...transformTrain(rows.slice(0, 160))].join('\n') + '\n'),
  );
  writeFileSync(join(dir, 'nsmc/ratings_test.txt.gz'), gzipSync([header, ...rows.slice(160)].join('\n') + '\n'));
  // The raw crawl: every fixture review (train and test ids) plus 30 more, in nsmc-raw's JSON-lines layout.
  mkdirSync(join(dir, 'nsmc-raw'), { recursive: true });
  const raw = rows.map((r) => {
    const [id, document, label] = r.split('\t');
    return JSON.stringify({
      review_id: id,
      movie_id: '1',
      rating: label === '1' ? 10 : 1,
      date: '15.01.01',
      review: document,
    });
  });
  for (let i = 0; i < 30; i++)
    raw.push(
      JSON.stringify({
        review_id: `x${i}`,
        movie_id: '2',
        rating: 7,
        date: '15.01.02',
        review: `${rows[i].split('\t')[1]}  ${rows[i + 1].split('\t')[1]}`,
      }),
    );
  writeFileSync(join(dir, 'nsmc-raw/nsmc_raw_reviews.jsonl.gz'), gzipSync(raw.join('\n') + '\n'));
  return dir;
}

let dataDir = '';
const tiny = (): string[] => [
  '--data-dir',
  dataDir,
  '--vocab-size',
  '800',
  '--embedding',
  '16',
  '--hidden',
  '16',
  '--batch-size',
  '16',
  '--lr',
  '0.01',
  '--warmup',
  '5',
  '--max-len',
  '24',
  '--dev-size',
  '0',
  '--eval-every',
  '0',
  '--dropout',
  '0',
  '--seed',
  '3',
  '--workers',
  '1',
  '--pretrain',
  'none',
];

const run = (argv: string[]): Promise<{ out: string; err: string }> => runCommand(classifyNsmcCommand, argv);

interface Metrics {
  accuracy: number;
  wall: number;
  steps: number;
  interrupted: boolean;
  trainExamples: number;
  testExamples: number;
  trainData: string;
  history: Array<{ step: number; loss: number; seconds?: number }>;
}
const metrics = (dir: string): Metrics => JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8')) as Metrics;

beforeAll(() => {
  dataDir = makeDataDir('data');
});

describe('classify nsmc', () => {
  it('is exported as classifyCommands with --help', () => {
    expect(classifyCommands.map((c) => c.name)).toEqual(['classify nsmc']);
    expect(parseCommandArgs(classifyNsmcCommand, ['--help'])).toBe('help');
  });

  it('bilstm: BPE + BiLSTM on 160 reviews, loss decreases; writes metrics, weights, tokenizer.json', async () => {
    const out = join(tmp, 'bilstm');
    const before = tf.memory().numTensors;
    await run([...tiny(), '--out', out, '--max-steps', '100', '--quiet']);
    expect(tf.memory().numTensors).toBe(before);
    const m = metrics(out);
    expect(m.trainExamples).toBe(160);
    expect(m.testExamples).toBe(40);
    expect(m.trainData).toContain('NSMC-raw derived train (seed 20150101)');
    expect(m.steps).toBe(100);
    expect(m.history.map((h) => h.step)).toEqual([50, 100]);
    expect(m.history[1].loss).toBeLessThan(m.history[0].loss);
    expect(m.accuracy).toBeGreaterThanOrEqual(0);
    expect(m.accuracy).toBeLessThanOrEqual(1);
    expect(m.wall).toBeGreaterThan(0);
    const tok = fromTokenizerJson(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(tok.tokenToId('<pad>')).toBe(0);
    expect(tok.vocabSize).toBeLessThanOrEqual(800);
    const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(st.metadata.get('model')).toBe('bilstm');
    expect(JSON.parse(st.metadata.get('config')!)).toMatchObject({
      vocabSize: tok.vocabSize,
      hiddenSize: 16,
      bidirectional: true,
      padId: 0,
    });
    expect([...st.tensors.keys()]).toEqual(
      expect.arrayContaining(['embedding.weight', 'rnn.weight_ih_l0_reverse', 'classifier.weight']),
    );
    tf.dispose([...st.tensors.values()]);
  });

  it('--pretrain word2vec: skip-gram on the raw reviews without the test ones starts the embedding; writes gensim-readable vectors', async () => {
    const out = join(tmp, 'pretrain');
    const before = tf.memory().numTensors;
    await run([...tiny().slice(0, -2), '--out', out, '--max-steps', '20', '--quiet', '--pretrain-epochs', '2']); // word2vec is the BiLSTM's default
    expect(tf.memory().numTensors).toBe(before);
    const m = metrics(out) as Metrics & {
      pretrain: { reviews: number; excludedTestReviews: number; tokens: number; covered: number };
    };
    // 200 fixture reviews + 30 others in the raw file; the 40 test reviews are left out (empty texts are skipped).
    expect(m.pretrain.excludedTestReviews).toBe(40);
    expect(m.pretrain.reviews).toBeGreaterThan(150);
    expect(m.pretrain.reviews).toBeLessThanOrEqual(190);
    expect(m.pretrain.covered).toBeGreaterThan(10);
    const tok = fromTokenizerJson(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    const table = readSafetensors(
      new Uint8Array(readFileSync(join(out, 'pretrained-embedding.safetensors'))),
    ).tensors.get('weight')!;
    expect(table.shape).toEqual([tok.vocabSize, 16]);
    const kv = readWord2VecFormat(new Uint8Array(readFileSync(join(out, 'pretrained-vectors.bin'))), { binary: true });
    expect(kv.dim).toBe(16);
    expect(kv.words.length).toBe(m.pretrain.covered);
    // Each word2vec vector is the starting row of its token.
    const w = kv.words[0];
    const id = tok.tokenToId(w)!;
    const row = table.dataSync().slice(id * 16, (id + 1) * 16);
    expect(Array.from(row)).toEqual(Array.from(kv.get(w)));
    table.dispose();
  });

  it('--pretrain needs the BiLSTM and the raw reviews: one-line errors', async () => {
    await expect(
      run([...tiny(), '--out', join(tmp, 'pt1'), '--quiet', '--model', 'transformer', '--pretrain', 'word2vec']),
    ).rejects.toThrow(/--pretrain word2vec .* use it with --model bilstm/);
    const noRaw = makeDataDir('noraw');
    rmSync(join(noRaw, 'nsmc-raw'), { recursive: true });
    const err = await run([
      '--data-dir',
      noRaw,
      ...tiny().slice(2),
      '--out',
      join(tmp, 'pt2'),
      '--quiet',
      '--pretrain',
      'word2vec',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain('nsmc-raw/nsmc_raw_reviews.jsonl.gz');
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });

  it('transformer with a given --tokenizer: trains and evaluates', async () => {
    const out = join(tmp, 'transformer');
    await run([
      ...tiny(),
      '--model',
      'transformer',
      '--heads',
      '2',
      '--layers',
      '1',
      '--tokenizer',
      join(tmp, 'bilstm', 'tokenizer.json'),
      '--out',
      out,
      '--max-steps',
      '20',
      '--quiet',
    ]);
    const m = metrics(out) as Metrics & { tokenizer: string };
    expect(m.steps).toBe(20);
    expect(m.tokenizer).toContain(join(tmp, 'bilstm', 'tokenizer.json'));
    expect(Number.isFinite(m.accuracy)).toBe(true);
    const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(st.metadata.get('model')).toBe('transformer');
    expect([...st.tensors.keys()]).toContain('encoder.layers.0.self_attn.in_proj_weight');
    tf.dispose([...st.tensors.values()]);
  });

  it('--tokenizer unigram: a trainUnigram tokenizer on the training reviews, saved in tokenizer.json; a --resume with another --tokenizer is refused', async () => {
    const out = join(tmp, 'unigram');
    const before = tf.memory().numTensors;
    await run([...tiny(), '--tokenizer', 'unigram', '--out', out, '--max-steps', '20', '--quiet']);
    expect(tf.memory().numTensors).toBe(before);
    const m = metrics(out) as Metrics & { tokenizer: string; config: { tokenizer: string } };
    expect(m.tokenizer).toMatch(/^Unigram trained on the 160 training reviews \(trainUnigram, vocab 800/);
    expect(m.config.tokenizer).toBe('unigram');
    expect(m.steps).toBe(20);
    expect(Number.isFinite(m.accuracy)).toBe(true);
    const json = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')) as { model: { type: string } };
    expect(json.model.type).toBe('Unigram');
    const tok = fromTokenizerJson(JSON.stringify(json));
    const st = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect(JSON.parse(st.metadata.get('config')!)).toMatchObject({
      vocabSize: tok.vocabSize,
      padId: tok.specialTokenId('pad'),
    });
    tf.dispose([...st.tensors.values()]);
    // The choice is part of the run's options: resuming it as a BPE run is refused, naming the option.
    const err = await run([
      ...tiny(),
      '--tokenizer',
      'bpe',
      '--out',
      out,
      '--max-steps',
      '20',
      '--resume',
      '--quiet',
    ]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toMatch(
      /other options \('config.tokenizer' was "unigram" in the checkpoint, is "bpe" now\)/,
    );
  });

  it('--tokenizer PATH: a file literally named unigram is read as a file when given as a path', async () => {
    const named = join(tmp, 'named');
    mkdirSync(named, { recursive: true });
    writeFileSync(join(named, 'unigram'), readFileSync(join(tmp, 'bilstm', 'tokenizer.json')));
    const out = join(tmp, 'named-out');
    await run([...tiny(), '--tokenizer', join(named, 'unigram'), '--out', out, '--max-steps', '5', '--quiet']);
    const m = metrics(out) as Metrics & { tokenizer: string };
    expect(m.tokenizer).toBe(join(named, 'unigram'));
    expect(JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8')).model.type).toBe('BPE');
  });

  it('Ctrl-C mid-epoch or during a dev evaluation saves a checkpoint; --resume gives the uninterrupted run bit for bit (dropout 0.3)', async () => {
    const full = join(tmp, 'full');
    // 160 reviews: 16 held out as dev, 144 train in batches of 16 = 9 steps an epoch; a dev evaluation every 9 steps.
    const common = [
      ...tiny(),
      '--max-steps',
      '30',
      '--pooling',
      'last',
      '--dropout',
      '0.3',
      '--dev-size',
      '16',
      '--eval-every',
      '9',
    ];
    await run([...common, '--out', full, '--quiet']);
    const weights = (dir: string): Buffer => readFileSync(join(dir, 'model.safetensors'));
    for (const [name, at] of [
      ['mid-epoch', / 3\/30 steps/],
      // Step 9 is printed (30%) right before its evaluation starts: the Ctrl-C lands in the evaluation.
      ['evaluation', / 9\/30 steps/],
    ] as const) {
      const cut = join(tmp, `cut-${name}`);
      const args = parseCommandArgs(classifyNsmcCommand, [...common, '--out', cut]);
      if (args === 'help') throw new Error('help');
      // The command stops, saves, and exits with 130 and a --resume hint.
      const { result, fired } = await withCtrlCAt(at, () => classifyNsmcCommand.run(args).catch((e: unknown) => e));
      expect(fired).toBe(true);
      expect(result).toBeInstanceOf(CliError);
      expect((result as CliError).exitCode).toBe(130);
      expect((result as Error).message).toMatch(/interrupted after step \d+; continue with --resume/);
      expect(metrics(cut).interrupted).toBe(true);
      expect(metrics(cut).steps).toBe(name === 'mid-epoch' ? 3 : 9);
      expect(readdirSync(join(cut, 'checkpoints')).length).toBeGreaterThan(0);
      await run([...common, '--out', cut, '--resume', '--quiet']);
      const resumed = metrics(cut);
      expect(resumed.steps).toBe(30);
      expect(resumed.interrupted).toBe(false);
      const strip = (h: Metrics['history']) => h.map(({ seconds: _s, ...rest }) => rest);
      expect(strip(resumed.history)).toEqual(strip(metrics(full).history));
      expect(weights(cut).equals(weights(full))).toBe(true);
      expect(resumed.accuracy).toBe(metrics(full).accuracy);
    }
  }, 240_000);

  it('a missing data file is a one-line CliError naming the data set and its source', async () => {
    const empty = mkdtempSync(join(tmp, 'empty-'));
    const err = await run(['--data-dir', empty, '--out', join(tmp, 'x'), '--quiet']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect((err as Error).message).toContain('nsmc/ratings_train.derived.txt.gz');
    expect((err as Error).message).toContain('e9t/nsmc');
    expect((err as Error).message.includes('\n')).toBe(false);
  });

  it('a row with the wrong column count is a one-line CliError naming the data set and the line', async () => {
    const bad = makeDataDir('bad', (rows) => rows.map((r, i) => (i === 9 ? r.split('\t').slice(0, 2).join('\t') : r)));
    const err = await run(['--data-dir', bad, '--out', join(tmp, 'y'), '--quiet']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    const msg = (err as Error).message;
    expect(msg).toContain('nsmc/ratings_train.derived.txt.gz');
    expect(msg).toContain('line 11');
    expect(msg).toContain('got 2');
    expect(msg.includes('\n')).toBe(false);
  });

  it('a missing --tokenizer file is a CliError', async () => {
    await expect(
      run([...tiny(), '--tokenizer', join(tmp, 'nope.json'), '--out', join(tmp, 'z'), '--quiet']),
    ).rejects.toThrow(/does not exist; give bpe or unigram .* a file named bpe or unigram is passed as \.\/bpe/);
  });
});
