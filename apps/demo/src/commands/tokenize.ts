/**
 * `tokenize train|encode`: a BPE tokenizer (sentencepiece-style `▁` word marks) trained with
 * @wordloom/tokenizer on NSMC reviews (Korean) or English Wikipedia; shows how a sentence splits.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BPE,
  Metaspace,
  MetaspaceDecoder,
  Tokenizer,
  UnicodeNormalizer,
  fromTokenizerJson,
  toTokenizerJson,
  trainBpe,
  trainUnigram,
} from '@wordloom/tokenizer';
import { writeFileSync } from 'node:fs';
import { CliError, PROGRAM, commonOptions, intOption, type Command, type ParsedArgs } from '../args.js';
import { DATASETS, findData, readText } from '../data.js';
import { outDir, since, writeJson } from '../train-util.js';

/** Reads an NSMC file (`id\tdocument\tlabel`, header line): documents and labels; a bad row is a one-line error. */
export function readNsmcTsv(path: string, name: string): { texts: string[]; labels: Int32Array } {
  const lines = readText(path).split('\n');
  if (lines[0] !== 'id\tdocument\tlabel')
    throw new CliError(
      `${PROGRAM}: ${name} does not start with the header 'id<TAB>document<TAB>label'; is it an NSMC file?`,
      3,
    );
  const texts: string[] = [];
  const labels: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    if (lines[i] === '') continue;
    const cols = lines[i].split('\t');
    if (cols.length !== 3)
      throw new CliError(
        `${PROGRAM}: ${name} line ${i + 1} has ${cols.length} columns, expected 3 (id, document, label)`,
        3,
      );
    if (cols[2] !== '0' && cols[2] !== '1')
      throw new CliError(`${PROGRAM}: ${name} line ${i + 1} has label '${cols[2]}', expected 0 or 1`, 3);
    texts.push(cols[1]);
    labels.push(Number(cols[2]));
  }
  return { texts, labels: Int32Array.from(labels) };
}

/**
 * Trains a BPE tokenizer with `▁` word boundaries (sentencepiece-style), NFKC, and special tokens
 * pad/unk/bos/eos. A `vocabSize` too small for the alphabet is a one-line CliError naming `--vocab-size`
 * (with the smallest size that fits) for `command`.
 */
export async function trainTokenizer(
  texts: Iterable<string>,
  vocabSize: number,
  opts: { command: string; limitAlphabet: number },
): Promise<Tokenizer> {
  const preTokenizer = new Metaspace();
  const specials = ['<pad>', '<unk>', '<s>', '</s>'];
  const normalizer = new UnicodeNormalizer('NFKC');
  let r;
  try {
    r = await trainBpe(texts, {
      vocabSize,
      specialTokens: specials,
      minFrequency: 2,
      limitAlphabet: opts.limitAlphabet,
      normalizer,
      preTokenizer,
    });
  } catch (e) {
    // trainBpe: "vocabSize = V is smaller than the S special tokens + A alphabet chars = N; …"
    const m = /smaller than the (\d+) special tokens \+ (\d+) alphabet chars = (\d+)/.exec((e as Error).message);
    if (!m) throw e;
    const need = Number(m[3]);
    throw new CliError(
      `${PROGRAM} ${opts.command}: --vocab-size ${vocabSize} is too small: the ${m[1]} special tokens and the ${m[2]} most frequent characters of the text (at most ${opts.limitAlphabet}) already take ${need}; use --vocab-size ${Math.ceil((2 * need) / 1000) * 1000} or more, so there is room for merges`,
    );
  }
  return new Tokenizer({
    model: new BPE({ vocab: r.vocab, merges: r.merges, unkToken: '<unk>' }),
    normalizer,
    preTokenizer,
    decoder: new MetaspaceDecoder(),
    specialTokens: { pad: '<pad>', unk: '<unk>', bos: '<s>', eos: '</s>' },
  });
}

/**
 * Trains a sentencepiece-style Unigram tokenizer (`trainUnigram`: `▁` word marks, pad/unk/bos/eos
 * pieces, no charsmap). A `vocabSize` too small for the kept characters is a one-line CliError
 * naming `--vocab-size` for `command`.
 */
export async function trainUnigramTokenizer(
  texts: string[],
  vocabSize: number,
  opts: { command: string },
): Promise<Tokenizer> {
  try {
    const r = await trainUnigram(texts, { vocabSize, padPiece: '<pad>' });
    return r.tokenizer;
  } catch (e) {
    const msg = (e as Error).message;
    if (!/^trainUnigram: vocabSize/.test(msg)) throw e;
    throw new CliError(
      `${PROGRAM} ${opts.command}: --vocab-size ${vocabSize} is too small (${msg.replace(/^trainUnigram: /, '')})`,
    );
  }
}

/**
 * Reads a tokenizer.json; a missing or unreadable file is a one-line CliError (exit 3) naming the file
 * and `hint` (how to get a good one).
 */
export function loadTokenizerFile(path: string, command: string, hint: string): Tokenizer {
  if (!existsSync(path)) throw new CliError(`${PROGRAM} ${command}: ${path} does not exist; ${hint}`, 3);
  try {
    return fromTokenizerJson(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new CliError(
      `${PROGRAM} ${command}: ${path} is not a usable tokenizer.json (${(e as Error).message.split('\n')[0]}); ${hint}`,
      3,
    );
  }
}

function corpusTexts(args: ParsedArgs, corpus: string, maxLines: number): { texts: string[]; source: string } {
  if (corpus === 'nsmc') {
    const f = findData(args, DATASETS.nsmcTrain);
    return {
      texts: readNsmcTsv(f.path, DATASETS.nsmcTrain.name).texts.slice(0, maxLines || undefined),
      source: f.path,
    };
  }
  const f = findData(args, DATASETS.enwiki, { preferCommitted: true });
  const lines = readText(f.path)
    .split('\n')
    .filter((l) => l.length > 1);
  return { texts: maxLines > 0 ? lines.slice(0, maxLines) : lines, source: f.path };
}

export const tokenizeCommands: Command[] = [
  {
    name: 'tokenize train',
    summary:
      'train a BPE (or --model unigram) tokenizer on NSMC reviews (Korean) or English Wikipedia; writes tokenizer.json',
    details:
      'Data: --corpus nsmc reads nsmc/ratings_train.derived.txt.gz from the data folder; --corpus enwiki (default) the committed Wikipedia excerpt.\n--model unigram trains a sentencepiece-style Unigram (trainUnigram: EM + pruning) instead of BPE.',
    options: {
      ...commonOptions,
      model: {
        type: 'string',
        choices: ['bpe', 'unigram'],
        default: 'bpe',
        description: 'BPE (NFKC, ▁ word marks) or sentencepiece-style Unigram',
      },
      corpus: { type: 'string', choices: ['enwiki', 'nsmc'], default: 'enwiki', description: 'training text' },
      'vocab-size': {
        type: 'string',
        value: 'N',
        default: '8000',
        description: 'vocabulary size (with the 4 special tokens and the alphabet, at most 1000 characters)',
      },
      'max-lines': {
        type: 'string',
        value: 'N',
        default: '0',
        description: 'use only the first N lines/reviews (0 = all)',
      },
    },
    async run(args) {
      const t0 = performance.now();
      const { texts, source } = corpusTexts(
        args,
        args.values.corpus as string,
        intOption(args, 'tokenize train', 'max-lines', 0),
      );
      const model = args.values.model as 'bpe' | 'unigram';
      const vocabSize = intOption(args, 'tokenize train', 'vocab-size', 10);
      const tok =
        model === 'unigram'
          ? await trainUnigramTokenizer(texts, vocabSize, { command: 'tokenize train' })
          : await trainTokenizer(texts, vocabSize, { command: 'tokenize train', limitAlphabet: 1000 });
      const out = outDir(args, 'tokenize');
      writeFileSync(join(out, 'tokenizer.json'), toTokenizerJson(tok));
      const sample = texts[0].slice(0, 80);
      const enc = tok.encode(sample);
      writeJson(join(out, 'metrics.json'), {
        corpus: source,
        lines: texts.length,
        model,
        vocabSize: tok.getVocab().size,
        seconds: since(t0),
      });
      process.stdout.write(
        `trained ${model === 'unigram' ? 'Unigram' : 'BPE'} with ${tok.getVocab().size} tokens on ${texts.length.toLocaleString('en-US')} lines in ${since(t0).toFixed(1)} s; wrote ${join(out, 'tokenizer.json')}\n`,
      );
      process.stdout.write(`"${sample}" →\n  ${enc.tokens.join(' ')}\n`);
    },
  },
  {
    name: 'tokenize encode',
    summary: 'show how a sentence splits with a trained tokenizer.json',
    options: {
      ...commonOptions,
      tokenizer: {
        type: 'string',
        value: 'FILE',
        description: 'tokenizer.json (default: <out>/tokenizer.json from tokenize train)',
      },
    },
    positionals: [{ name: 'TEXT', description: 'the sentence', variadic: true }],
    async run(args) {
      const path =
        typeof args.values.tokenizer === 'string'
          ? args.values.tokenizer
          : join(outDir(args, 'tokenize'), 'tokenizer.json');
      if (!existsSync(path))
        throw new CliError(
          `${PROGRAM} tokenize encode: no tokenizer at ${path}; run '${PROGRAM} tokenize train' first or pass --tokenizer FILE`,
        );
      const tok = loadTokenizerFile(
        path,
        'tokenize encode',
        `make one with '${PROGRAM} tokenize train' or pass another --tokenizer FILE`,
      );
      const text = args.positionals.join(' ');
      const enc = tok.encode(text);
      process.stdout.write(
        `${enc.tokens.length} tokens: ${enc.tokens.join(' | ')}\nids: ${Array.from(enc.ids).join(' ')}\ndecoded: ${tok.decode(enc.ids)}\n`,
      );
    },
  },
];
