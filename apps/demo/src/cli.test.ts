import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { readSafetensors } from '@wordloom/core';
import { describe, expect, it } from 'vitest';
import { parseCommandArgs, type Command, type ParsedArgs } from './args.js';
import { classifyConfigFrom, classifyNsmcCommand } from './commands/classify.js';
import { lmConfigFrom, lmShakespeareCommand } from './commands/lm.js';
import { seq2seqCommands, toyConfigFrom } from './commands/seq2seq.js';
import { cliTestDir, runCli as run } from './commands/testdata/run-cli.js';
import { main } from './main.js';
import { withCtrlCAt } from './testdata/interrupt.js';

const tmp = cliTestDir('wordloom-demo-');

describe('wordloom CLI: help and bad input', () => {
  it('--help lists every command; each subcommand has --help', async () => {
    const top = await run('--help');
    expect(top.code).toBe(0);
    for (const name of [
      'tour',
      'seq2seq date',
      'seq2seq addition',
      'seq2seq reverse',
      'embed train',
      'embed analogy',
    ]) {
      expect(top.out).toContain(name);
      const h = await run(...name.split(' '), '--help');
      expect(h.code).toBe(0);
      expect(h.out).toContain(`Usage: wordloom ${name}`);
      expect(h.out).toContain('--data-dir');
    }
  });

  it('unknown command, subcommand and option: one line with the fix, exit code ≠ 0', async () => {
    const a = await run('seq2sq');
    expect(a.code).not.toBe(0);
    expect(a.err.trim().split('\n')).toHaveLength(1);
    expect(a.err).toMatch(/unknown command 'seq2sq' \(did you mean 'seq2seq'\?\)/);
    const b = await run('seq2seq', 'dat');
    expect(b.code).not.toBe(0);
    expect(b.err).toMatch(/unknown subcommand 'dat' \(did you mean 'date'\?\); choose one of date, addition, reverse/);
    const c = await run('seq2seq', 'date', '--epoch', '3');
    expect(c.code).not.toBe(0);
    expect(c.err.trim().split('\n')).toHaveLength(1);
    expect(c.err).toMatch(/unknown option --epoch \(did you mean --epochs\?\); see 'wordloom seq2seq date --help'/);
    const d = await run('seq2seq', 'date', '--attention', 'sideways');
    expect(d.code).not.toBe(0);
    expect(d.err).toMatch(/--attention sideways is not one of none\|luong\|bahdanau/);
    const e = await run('seq2seq', 'date', '--hidden', 'many');
    expect(e.err).toMatch(/--hidden many must be an integer/);
  });

  it('missing data file: names the data set and where it comes from', async () => {
    const empty = join(tmp, 'empty');
    mkdirSync(empty, { recursive: true });
    const r = await run('seq2seq', 'date', '--data-dir', empty, '--out', join(tmp, 'x'));
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toContain('dlfs2-seq2seq/date.txt');
    expect(r.err).toContain('oreilly-japan/deep-learning-from-scratch-2');
  });

  it('a malformed data line (wrong width / no separator): one-line error', async () => {
    const dir = join(tmp, 'bad');
    mkdirSync(join(dir, 'dlfs2-seq2seq'), { recursive: true });
    writeFileSync(
      join(dir, 'dlfs2-seq2seq', 'date.txt'),
      'september 27, 1994           _1994-09-27\nthis line has no separator\n',
    );
    const r = await run('seq2seq', 'date', '--data-dir', dir, '--out', join(tmp, 'y'));
    expect(r.code).toBe(3);
    expect(r.err).toMatch(/date.txt line 2 has no '_'/);
  });

  it('a TSV row with the wrong column count: one-line error naming file, line and columns', async () => {
    const dir = join(tmp, 'nsmc-bad');
    mkdirSync(join(dir, 'nsmc'), { recursive: true });
    writeFileSync(
      join(dir, 'nsmc', 'ratings_train.derived.txt.gz'),
      gzipSync('id\tdocument\tlabel\n1\t좋아요\t1\n2\t별로\n'),
    );
    const r = await run('tokenize', 'train', '--corpus', 'nsmc', '--data-dir', dir, '--out', join(tmp, 'z'));
    expect(r.code).toBe(3);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.err).toMatch(/ratings_train.derived.txt.gz line 3 has 2 columns, expected 3 \(id, document, label\)/);
  });
});

describe('wordloom CLI: bad values and files are one line naming the option or file and the fix', () => {
  const oneLine = (r: { err: string }): void => expect(r.err.trim().split('\n')).toHaveLength(1);

  it('a negative number is the value of its option, checked like any other value (not "argument is ambiguous")', async () => {
    const r = await run('seq2seq', 'date', '--epochs', '-1');
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.err).toMatch(/--epochs -1 must be an integer ≥ 1/);
    const lr = await run('seq2seq', 'date', '--lr', '-0.5');
    expect(lr.code).toBe(2);
    expect(lr.err).toMatch(/--lr -0.5 must be a number ≥ 0/);
    // A value that looks like an option: say how to pass it.
    const o = await run('seq2seq', 'date', '--out', '-x');
    expect(o.code).toBe(2);
    oneLine(o);
    expect(o.err).toMatch(/--out needs a value, and '-x' looks like an option; .* write --out=-x/);
    const m = await run('seq2seq', 'date', '--epochs');
    expect(m.code).toBe(2);
    expect(m.err).toMatch(/--epochs needs a value \(e\.g\. --epochs N\)/);
  });

  it('tokenize train --vocab-size smaller than the alphabet: names --vocab-size and a size that fits', async () => {
    const r = await run(
      'tokenize',
      'train',
      '--max-lines',
      '300',
      '--vocab-size',
      '40',
      '--out',
      join(tmp, 'tok-small'),
    );
    expect(r.code).toBe(2);
    oneLine(r);
    expect(r.err).toMatch(
      /tokenize train: --vocab-size 40 is too small: the 4 special tokens and the \d+ most frequent characters .* already take \d+; use --vocab-size \d+ or more/,
    );
    expect(r.err).not.toMatch(/limitAlphabet|\n\s+at /);
  });

  it('a corrupt tokenizer.json: exit 3, names the file', async () => {
    for (const [name, text] of [
      ['truncated.json', '{"version": "1.0", "model": {"type": "BPE"'],
      ['unknown-model.json', '{"version": "1.0", "model": {"type": "Foo"}}'],
    ]) {
      const f = join(tmp, name);
      writeFileSync(f, text);
      const r = await run('tokenize', 'encode', 'hello', '--tokenizer', f);
      expect(r.code).toBe(3);
      oneLine(r);
      expect(r.err).toContain(`${f} is not a usable tokenizer.json (fromTokenizerJson: `);
      expect(r.err).toMatch(/make one with 'wordloom tokenize train'/);
    }
  });

  it('a corrupt checkpoint for --resume: exit 3, names the file and what to do', async () => {
    const out = join(tmp, 'bad-checkpoint');
    mkdirSync(out, { recursive: true });
    const argv = ['seq2seq', 'date', '--limit', '300', '--max-steps', '2', '--quiet', '--resume', '--out', out];
    const cases: Array<[Uint8Array, RegExp]> = [
      [new TextEncoder().encode('not a safetensors file at all'), /header length/],
      // A valid safetensors file that is not a checkpoint.
      [
        (() => {
          const header = new TextEncoder().encode('{"__metadata__":{"format":"pt"}}');
          const b = new Uint8Array(8 + header.length);
          new DataView(b.buffer).setBigUint64(0, BigInt(header.length), true);
          b.set(header, 8);
          return b;
        })(),
        /format = "pt", expected 'wordloom-train v1'/,
      ],
    ];
    const file = join(out, 'checkpoints', 'checkpoint-000000002.safetensors');
    mkdirSync(join(out, 'checkpoints'), { recursive: true });
    for (const [bytes, why] of cases) {
      writeFileSync(file, bytes);
      const r = await run(...argv);
      expect(r.code).toBe(3);
      oneLine(r);
      expect(r.err).toContain(`${file} is not a usable checkpoint (`);
      expect(r.err).toMatch(why);
      expect(r.err).toMatch(/delete it and run without --resume, or use another --out/);
    }
  });

  it('word2vec progress is shown in percent (not "‰s")', async () => {
    const r = await run(
      'embed',
      'train',
      '--method',
      'word2vec',
      '--max-words',
      '5000',
      '--size',
      '8',
      '--epochs',
      '1',
      '--out',
      join(tmp, 'w2v-progress'),
    );
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^word2vec 100% · ETA /m);
    expect(r.err).not.toMatch(/‰/);
  });
});

describe('wordloom CLI: the training options scripts use still parse (fit replaced the loop)', () => {
  it('seq2seq, classify nsmc and lm shakespeare take their existing options', () => {
    const parse = (cmd: Command, argv: string[]): ParsedArgs => {
      const a = parseCommandArgs(cmd, argv);
      if (a === 'help') throw new Error('help');
      return a;
    };
    const date = seq2seqCommands.find((c) => c.name === 'seq2seq date')!;
    const t = toyConfigFrom(
      'date',
      parse(date, [
        '--max-steps',
        '7',
        '--limit',
        '300',
        '--epochs',
        '3',
        '--scheduled-sampling',
        'linear',
        '--resume',
      ]),
    );
    expect(t).toMatchObject({ maxSteps: 7, limit: 300, epochs: 3, schedule: 'linear' });
    const c = classifyConfigFrom(
      parse(classifyNsmcCommand, [
        '--max-steps',
        '9',
        '--max-train',
        '2000',
        '--max-test',
        '100',
        '--dropout',
        '0.3',
        '--workers',
        '2',
        '--time-budget',
        '60',
        '--eval-every',
        '50',
        '--resume',
      ]),
    );
    expect(c).toMatchObject({ maxSteps: 9, maxTrain: 2000, maxTest: 100, dropout: 0.3 });
    const l = lmConfigFrom(
      parse(lmShakespeareCommand, [
        '--model',
        'lstm',
        '--max-steps',
        '11',
        '--limit-chars',
        '5000',
        '--dropout',
        '0.1',
        '--workers',
        '1',
        '--time-budget',
        '30',
        '--resume',
      ]),
    );
    expect(l).toMatchObject({ model: 'lstm', maxSteps: 11, limitChars: 5000, dropout: 0.1 });
  });
});

describe('wordloom CLI: end to end on tiny data', () => {
  it('seq2seq date trains a few steps, writes metrics/weights/vocab/heatmap, and resumes', async () => {
    const out = join(tmp, 'date');
    const argv = [
      'seq2seq',
      'date',
      '--out',
      out,
      '--limit',
      '300',
      '--max-steps',
      '4',
      '--batch-size',
      '16',
      '--hidden',
      '16',
      '--embedding',
      '8',
      '--epochs',
      '2',
      '--quiet',
    ];
    const r = await run(...argv);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    expect(m.task).toBe('date');
    expect(m.steps).toBe(4);
    expect(m.heldOutExamples).toBe(30);
    expect(m.exactMatch).toBeGreaterThanOrEqual(0);
    expect(m.exactMatch).toBeLessThanOrEqual(1);
    expect(Number.isFinite(m.finalLoss)).toBe(true);
    const w = readSafetensors(new Uint8Array(readFileSync(join(out, 'model.safetensors'))));
    expect([...w.tensors.keys()]).toContain('decoder.rnn.weight_ih_l0');
    for (const t of w.tensors.values()) t.dispose();
    expect(readFileSync(join(out, 'attention.svg'), 'utf8')).toMatch(/^<svg/);
    expect(r.out).toMatch(/[░▒▓█]/); // the heatmap printed with shaded blocks
    expect(JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')).tokens[0]).toBe('<pad>');
    // --resume continues from the checkpoint up to the new step limit.
    const again = await run(...argv.map((a) => (a === '4' ? '6' : a)), '--resume');
    expect(again.code).not.toBe(0); // a different --max-steps is a different configuration
    expect(again.err).toMatch(/use the same options or another --out/);
    const resumed = await run(...argv, '--resume');
    expect(resumed.code).toBe(0);
    expect(resumed.out).toMatch(/resumed from .*checkpoints\/checkpoint-0+4\.safetensors at step 4/);
  });

  it('seq2seq date --scheduled-sampling: Ctrl-C mid-epoch or during the epoch-end evaluation, then --resume, gives the uninterrupted weights bit for bit', async () => {
    const argv = (out: string): string[] => [
      'seq2seq',
      'date',
      '--out',
      out,
      '--limit',
      '200',
      '--batch-size',
      '16',
      '--hidden',
      '16',
      '--embedding',
      '8',
      '--epochs',
      '2',
      '--scheduled-sampling',
      'linear',
      '--seed',
      '3',
    ];
    const full = join(tmp, 'ss-full');
    expect((await run(...argv(full), '--quiet')).code).toBe(0);
    const weights = (out: string): Buffer => readFileSync(join(out, 'model.safetensors'));
    const metrics = (out: string) => JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8'));
    // 180 training examples in batches of 16: 12 steps an epoch, 24 in all; step 12 ends epoch 1,
    // whose evaluation a Ctrl-C there interrupts.
    for (const [name, at] of [
      ['mid-epoch', / 15\/24 steps/],
      ['evaluation', / 12\/24 steps/],
    ] as const) {
      const cut = join(tmp, `ss-cut-${name}`);
      const { result, fired } = await withCtrlCAt(at, () => main(argv(cut)));
      expect(fired).toBe(true);
      expect(result).toBe(130);
      expect(metrics(cut).interrupted).toBe(true);
      const r = await run(...argv(cut), '--resume', '--quiet');
      expect(r.code).toBe(0);
      expect(metrics(cut).steps).toBe(24);
      expect(weights(cut).equals(weights(full))).toBe(true);
      const strip = (h: Array<Record<string, unknown>>) => h.map(({ seconds: _s, ...rest }) => rest);
      expect(strip(metrics(cut).history)).toEqual(strip(metrics(full).history));
      expect(metrics(cut).exactMatch).toBe(metrics(full).exactMatch);
    }
  }, 240_000);

  it('embed train (each method) / neighbors / analogy on a small slice of the committed Wikipedia excerpt', async () => {
    const out = join(tmp, 'embed');
    for (const method of ['word2vec', 'glove', 'ppmi-svd']) {
      const r = await run(
        'embed',
        'train',
        '--method',
        method,
        '--max-words',
        '20000',
        '--min-count',
        '3',
        '--size',
        '8',
        '--epochs',
        '1',
        '--out',
        out,
        '--quiet',
      );
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/trained 8-d .* vectors for [\d,]+ words/);
      expect(JSON.parse(readFileSync(join(out, 'metrics.json'), 'utf8')).method).toBe(method);
    }
    const n = await run('embed', 'neighbors', 'the', '--topn', '3', '--out', out);
    expect(n.code).toBe(0);
    expect(n.out.trim().split('\n')).toHaveLength(3);
    const a = await run('embed', 'analogy', 'he', 'his', 'her', '--out', out);
    expect(a.code).toBe(0);
    const bad = await run('embed', 'analogy', 'he', 'his', 'qwzxv', '--out', out);
    expect(bad.code).not.toBe(0);
    expect(bad.err).toMatch(/'qwzxv' is not in the vocabulary/);
  });

  it('tokenize train and encode', async () => {
    const out = join(tmp, 'tok');
    const t = await run('tokenize', 'train', '--max-lines', '500', '--vocab-size', '300', '--out', out);
    expect(t.code).toBe(0);
    const tj = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
    expect(tj.model.type).toBe('BPE');
    const e = await run('tokenize', 'encode', 'The station went on the air.', '--out', out);
    expect(e.code).toBe(0);
    expect(e.out).toContain('decoded: The station went on the air.');
  });

  it('the main job (tour --quick) runs and writes a summary of measured numbers', async () => {
    const out = join(tmp, 'tour');
    const r = await run('tour', '--quick', '--quiet', '--out', out);
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s.date.exactMatch).toBeGreaterThanOrEqual(0);
    expect(s.embeddings.words).toBeGreaterThanOrEqual(20000);
    expect(existsSync(join(out, 'vectors.txt'))).toBe(true);
    expect(r.out).toContain('what each package did');
  });
});
